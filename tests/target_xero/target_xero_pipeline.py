"""Helpers: run the real tap-qondor → target-xero pipeline (subprocesses) against a sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TAP = str(BIN / "tap-qondor")
TARGET = str(BIN / "target-xero")
DEMO_MAPPING = ROOT / "mappings" / "demo.yml"
SECRETS = ("sandbox-secret", "sandbox-qondor-key")
# Items Paid in Qondor by one invoice sync: the four card payments, 100240 (paid by a person in
# Xero) and 100201, 100224 (fully credited by this run's credit notes 100233, 100237).
PAID_IN_ONE_RUN = {"100201", "100224", "100229", "100230", "100231", "100232", "100240"}


@dataclass
class Run:
    """What one pipeline run printed and how it ended."""

    returncode: int
    stderr: str
    singer: str

    @property
    def summary(self) -> dict[str, Any]:
        """The summary JSON line target-xero printed last."""
        for line in reversed(self.stderr.splitlines()):
            if line.startswith('{"event": "target-xero summary"'):
                return json.loads(line)
        raise AssertionError(f"no summary line in:\n{self.stderr[-3000:]}")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def target_config(box: Any, mapping: Path = DEMO_MAPPING, **extra: Any) -> dict[str, Any]:
    """target-xero settings pointing at the sandbox `box`."""
    qondor = box.qondor_config()
    return {
        **box.xero_config(),
        "mapping_file": str(mapping),
        "qondor_api_url": qondor["api_url"],
        "qondor_api_key": qondor["api_key"],
        **extra,
    }


def read_queue(box: Any, workdir: Path, mapping: Path = DEMO_MAPPING) -> str:
    """What tap-qondor emits for the sandbox's queue right now."""
    config = write_json(workdir / "tap.json", {**box.qondor_config(), "mapping_file": str(mapping)})
    done = subprocess.run(
        [TAP, "--config", str(config)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def run_target(workdir: Path, config: dict[str, Any], singer: str, timeout: float = 180) -> Run:
    """Feed Singer messages to target-xero."""
    path = write_json(workdir / "target.json", config)
    done = subprocess.run(
        [TARGET, "--config", str(path)],
        input=singer,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stderr, singer)


def sync(box: Any, workdir: Path, mapping: Path = DEMO_MAPPING, **extra: Any) -> Run:
    """tap-qondor → target-xero against `box`, as Meltano would run them."""
    workdir.mkdir(parents=True, exist_ok=True)
    singer = read_queue(box, workdir, mapping)
    return run_target(workdir, target_config(box, mapping, **extra), singer)


def by(items: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """Index a list of objects by one field."""
    return {item.get(key): item for item in items}


def queued(qondor_state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Qondor's demo queue items (ids 50xx) by invoice number."""
    return {i["invoiceNumber"]: i for i in qondor_state["invoices"] if 5000 <= i["id"] < 5100}


def start_target(workdir: Path, config: dict[str, Any], singer: str) -> subprocess.Popen:
    """Start target-xero in the background, its input already written to a file."""
    path = write_json(workdir / "target.json", config)
    source = workdir / "input.singer"
    source.write_text(singer, encoding="utf-8")
    with source.open("rb") as stdin:
        return subprocess.Popen(
            [TARGET, "--config", str(path)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
