"""Every singer-sdk hook a plugin overrides says so (@override), checked by mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The plugin packages held to it: all four.
CHECKED = ("tap_qondor", "tap_xero", "target_qondor", "target_xero")


def test_plugin_overrides_are_marked_and_type_check():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--enable-error-code",
            "explicit-override",
            "--follow-imports=silent",
            "--ignore-missing-imports",
            "--no-incremental",
            *CHECKED,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
