"""Seeding the sandbox's Xero with invoices, and running tap-xero over it as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TAP = Path(sys.executable).with_name("tap-xero")
CONTACT = {"ContactID": "6d3f1c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", "Name": "Fjord Events AS"}


def xero_stamp(moment: datetime) -> str:
    """A UpdatedDateUTC the sandbox seed accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def xero_invoice(number: str, updated: datetime, status: str = "AUTHORISED") -> dict[str, Any]:
    """A one-line ACCREC invoice for seeding, with its UpdatedDateUTC."""
    return {
        "InvoiceID": str(uuid.uuid4()),
        "InvoiceNumber": number,
        "Type": "ACCREC",
        "Status": status,
        "Contact": {"ContactID": CONTACT["ContactID"]},
        "Date": "2026-11-02",
        "DueDate": "2026-11-16",
        "LineItems": [
            {"Description": "Hotel", "Quantity": 1, "UnitAmount": 1000, "AccountCode": "3000"}
        ],
        "UpdatedDateUTC": xero_stamp(updated),
    }


def seed_invoices(box: Any, invoices: list[dict[str, Any]]) -> list[str]:
    """Reset the sandbox, seed the contact and `invoices`; their InvoiceIDs."""
    box.reset()
    box.xero_seed(contacts=[CONTACT], invoices=invoices)
    box.xero_requests(clear=True)
    return [i["InvoiceID"] for i in invoices]


@dataclass
class TapRun:
    """What one tap-xero run printed."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str

    def records(self, stream: str = "invoices") -> list[dict[str, Any]]:
        """The records of one stream, in order."""
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def ids(self, stream: str = "invoices", key: str = "InvoiceID") -> list[str]:
        """The ids of the records of one stream, in order."""
        return [r[key] for r in self.records(stream)]

    @property
    def state(self) -> dict[str, Any] | None:
        """The last STATE the tap wrote."""
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else None


def tap_command(
    box: Any,
    workdir: Path,
    settings: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> list[str]:
    """The tap-xero command line for the sandbox, with its config (and state) files written."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "tap.json"
    config.write_text(json.dumps({**box.xero_config(), **(settings or {})}))
    cmd = [str(TAP), "--config", str(config)]
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        cmd += ["--state", str(workdir / "state.json")]
    if catalog is not None:
        (workdir / "catalog.json").write_text(json.dumps(catalog))
        cmd += ["--catalog", str(workdir / "catalog.json")]
    return cmd


def parse_run(returncode: int, stdout: str, stderr: str) -> TapRun:
    """A TapRun from a finished process's output."""
    messages = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return TapRun(returncode, messages, stderr)


def run_tap(box: Any, workdir: Path, **kwargs: Any) -> TapRun:
    """Run tap-xero against the sandbox and parse what it printed."""
    done = subprocess.run(
        tap_command(box, workdir, **kwargs), capture_output=True, text=True, timeout=180
    )
    return parse_run(done.returncode, done.stdout, done.stderr)


def write_mapping(path: Path, lookback_days: int) -> Path:
    """A minimal valid mapping file with `payment_lookback_days`."""
    path.write_text(
        f'account_codes:\n  VAT25: "3000"\npayment_lookback_days: {lookback_days}\n',
        encoding="utf-8",
    )
    return path
