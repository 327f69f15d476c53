"""Each plugin knows its version (the qondor-xero distribution's) and runs as `python -m`."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

PLUGINS = ["tap-qondor", "target-xero", "tap-xero", "target-qondor"]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_version_is_the_distributions_from_the_command_and_python_m(plugin):
    wanted = f"{plugin} v{version('qondor-xero')}, Meltano SDK v"
    for command in (
        [str(Path(sys.executable).with_name(plugin)), "--version"],
        [sys.executable, "-m", plugin.replace("-", "_"), "--version"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith(wanted), done.stdout
        assert "could not be detected" not in done.stdout + done.stderr
