"""A temp copy of the Meltano project with its plugins installed once per session, and sandboxes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.demo import Sandbox, free_port, sandbox_settings_env

ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(Path(sys.executable).with_name("meltano"))
NOT_COPIED = shutil.ignore_patterns(
    ".venv",
    ".git",
    ".meltano",
    ".demo",
    ".sandbox",
    "output",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    "benchmarks",
    "tests",
)


def meltano(
    project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `meltano <args>` in `project`; output captured as text."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))
    }
    return subprocess.run(
        [MELTANO, *args],
        cwd=project,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Project:
    """A copy of the Meltano project: `.path`, `.meltano(*args)` and `.ok(*args)`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def meltano(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run `meltano <args>` here."""
        return meltano(self.path, *args, env=env)

    def ok(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run `meltano <args>`, assert it succeeded, return its output (stdout then stderr)."""
        result = self.meltano(*args, env=env)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"meltano {' '.join(args)} failed:\n{output[-4000:]}"
        return output


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project copied to a temp folder, after `meltano install` (once per session)."""
    path = tmp_path_factory.mktemp("meltano") / "project"
    shutil.copytree(ROOT, path, ignore=NOT_COPIED)
    result = meltano(path, "install", timeout=600)
    assert result.returncode == 0, f"meltano install failed:\n{result.stdout}\n{result.stderr}"
    return Project(path)


@pytest.fixture
def start_private_sandbox(tmp_path: Path) -> Iterator:
    """Start sandboxes on free ports (demo scenario, no rate limits); all stopped at the end."""
    started: list[Sandbox] = []

    def start(scenario: str = "demo", *flags: str) -> Sandbox:
        n = len(started)
        box = Sandbox(
            free_port(),
            free_port(),
            tmp_path / f"sandbox{n}.db",
            tmp_path / f"sandbox{n}.log",
            flags=["--no-limits", *flags],
        )
        started.append(box.start(scenario))
        return box

    yield start
    for box in started:
        box.stop()


def sandbox_env_for(box: Sandbox, database: Path) -> dict[str, str]:
    """Env vars for a Meltano run against `box`, with its own system database."""
    return {
        **sandbox_settings_env(box.qondor_url, box.xero_url),
        "MELTANO_DATABASE_URI": f"sqlite:///{database}",
    }


@pytest.fixture(scope="session")
def sandbox_env():
    """`sandbox_env(box, database)`: env vars pointing the sandbox environment at `box`."""
    return sandbox_env_for
