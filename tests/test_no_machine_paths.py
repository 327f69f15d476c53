"""No tracked file names a path of one machine: the suite and the plugins must run on any clone.

A user's laptop has no shared reference folder where ours is, nor our `.venv`; configuration
that points at `/tmp/` or a home directory works on one machine only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Spelled in pieces so that this file does not match itself.
ANYWHERE = re.compile("|".join(["/" + "work/", "/" + "home/[a-z]", "/" + "root/", "/" + "Users/"]))
TMP = re.compile("/" + "tmp/")
CONFIG_SUFFIXES = {".yml", ".yaml", ".toml", ".json", ".cfg", ".ini", ".py"}


def tracked_files() -> list[Path]:
    """The checkout's tracked files (skips outside a git checkout, e.g. an unpacked sdist)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of tracked files to search")
    return [ROOT / name for name in out.decode().split("\0") if name]


def offending_lines(path: Path) -> list[str]:
    """`file:line: text` for each line naming a machine's path."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    relative = path.relative_to(ROOT).as_posix()
    as_config = path.suffix in CONFIG_SUFFIXES and not relative.startswith("tests/")
    as_config = as_config or path.name == "Makefile" or relative.startswith(".ci/")
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if ANYWHERE.search(line) or (as_config and TMP.search(line)):
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_tracked_file_names_a_path_of_one_machine():
    found = [line for path in tracked_files() for line in offending_lines(path)]
    assert not found, "paths of one machine in the tracked tree:\n" + "\n".join(found)


def test_the_check_catches_each_kind_of_machine_path(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "tests").mkdir()
    samples = {
        "settings.py": 'SPEC = "/' + 'work/shared/spec.yaml"\n',
        "meltano.yml": "state: /" + "tmp/state.json\n",
        "tests/test_x.py": 'BIN = "/' + 'home/ann/.venv/bin"\n',
        "tests/test_tmp.py": 'p = "/' + 'tmp/scratch"\n',  # a test may use a temp dir
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    flagged = {name for name in samples if offending_lines(tmp_path / name)}
    assert flagged == {"settings.py", "meltano.yml", "tests/test_x.py"}
