"""A sandbox as it stands after an invoice sync, and a way to run the payment sync over it.

The world: Qondor items Processed with `externalReference` = the Xero InvoiceID of their copy
in the sandbox's Xero (some AUTHORISED, one DRAFT), one Xero invoice made in Xero by hand, and
one Qondor item never synced. Everything starts "an hour ago", so what a test changes now
stands apart from it in UpdatedDateUTC.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from qondor_xero.qondor.contract import InvoiceStatus, InvoiceType
from sandbox.scenarios.common import (
    make_customer,
    make_invoice,
    make_line,
    make_office,
    xero_contact,
    xero_invoice_for,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INVOICE_DAY = date(2026, 11, 2)

# Qondor id -> (Xero status of its copy, or None when never synced)
SYNCED = {
    5001: "AUTHORISED",
    5002: "AUTHORISED",
    5003: "AUTHORISED",
    5004: "DRAFT",
    5005: None,
}


@dataclass
class World:
    """The seeded objects: Qondor id -> Xero InvoiceID, and the hand-made Xero invoice."""

    xero_ids: dict[int, str]
    hand_made: str
    seeded_at: datetime
    numbers: dict[int, str] = field(default_factory=dict)


@dataclass
class PaymentRun:
    """What one `tap-xero | target-qondor` run did."""

    returncode: int
    records: list[dict[str, Any]]
    state: dict[str, Any] | None
    summary: dict[str, Any] | None
    tap_stderr: str
    target_stderr: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # invoice_changes records

    @property
    def record_ids(self) -> list[str]:
        """InvoiceIDs of the invoice records the tap emitted, in order."""
        return [r["InvoiceID"] for r in self.records]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def qondor_link_of(box: Any, qondor_id: int) -> str:
    """The link target-xero writes on a Xero invoice by default (qondor_xero.links)."""
    return f"{box.qondor_config()['api_url'].rstrip('/')}/Invoicing/v1/Invoice/{qondor_id}"


def seed_synced_world(
    box: Any, linked: tuple[int, ...] = (), qondor_paid: tuple[int, ...] = ()
) -> World:
    """Reset the sandbox and seed Qondor and Xero as an invoice sync would have left them.

    By default no Xero copy has a link back to Qondor (synced before the link existed);
    `linked` copies have it. `qondor_paid` items are Paid in Qondor already.
    """
    box.reset()
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    office = make_office(1, "Qondor Oslo", "Oslo", "0150", start_date=date(2026, 1, 1))
    customer = make_customer(77, 1, "Fjord Events AS", org="923456789", vat="NO923456789MVA")
    contact = xero_contact(str(uuid.uuid4()), "Fjord Events AS", tax_number="NO923456789MVA")
    qondor_invoices, xero_invoices = [], []
    xero_ids: dict[int, str] = {}
    numbers: dict[int, str] = {}
    for qondor_id, xero_status in SYNCED.items():
        number = str(100000 + qondor_id)
        xero_id = str(uuid.uuid4()) if xero_status else None
        invoice = make_invoice(
            qondor_id,
            number,
            InvoiceType.OfferInvoice,
            invoice_date=INVOICE_DAY,
            office_id=1,
            customer=customer,
            lines=[make_line(1, "VAT25", "Hotel, 2 nights", 200, 150000)],
            status=(
                InvoiceStatus.Paid
                if qondor_id in qondor_paid
                else InvoiceStatus.Processed
                if xero_id
                else InvoiceStatus.Unprocessed
            ),
            external_reference=xero_id,
        )
        qondor_invoices.append(invoice)
        numbers[qondor_id] = number
        if xero_id:
            xero_ids[qondor_id] = xero_id
            copy = xero_invoice_for(invoice, xero_id, contact, status=xero_status)
            copy["UpdatedDateUTC"] = _stamp(an_hour_ago)
            if qondor_id in linked:
                copy["Url"] = qondor_link_of(box, qondor_id)
            xero_invoices.append(copy)
    hand_made = str(uuid.uuid4())
    hand = xero_invoice_for(
        make_invoice(
            9999,
            "HAND-1",
            InvoiceType.OfferInvoice,
            invoice_date=INVOICE_DAY,
            office_id=1,
            customer=customer,
            lines=[make_line(1, "VAT25", "Made in Xero", 100, 50000)],
        ),
        hand_made,
        contact,
    )
    hand["UpdatedDateUTC"] = _stamp(an_hour_ago)
    xero_invoices.append(hand)
    box.admin(
        box.qondor_url,
        "POST",
        "seed",
        {"offices": [office], "customers": [customer], "invoices": qondor_invoices},
    )
    box.xero_seed(contacts=[contact], invoices=xero_invoices)
    box.xero_requests(clear=True)
    box.qondor_requests(clear=True)
    return World(xero_ids, hand_made, an_hour_ago, numbers)


def qondor_invoice(box: Any, qondor_id: int) -> dict[str, Any]:
    """The Qondor invoice as the sandbox stores it (with `paidDate` once Paid)."""
    return next(i for i in box.qondor_state()["invoices"] if i["id"] == qondor_id)


def write_json(path: Path, data: Any) -> Path:
    """Write `data` as JSON to `path` and return the path."""
    path.write_text(json.dumps(data))
    return path


def run_payment_sync(
    box: Any,
    workdir: Path,
    *,
    state: dict[str, Any] | None = None,
    tap_settings: dict[str, Any] | None = None,
    target_settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> PaymentRun:
    """Run `tap-xero | target-qondor` as subprocesses against the sandbox."""
    workdir.mkdir(parents=True, exist_ok=True)
    tap_config = write_json(workdir / "tap.json", {**box.xero_config(), **(tap_settings or {})})
    target_config = write_json(
        workdir / "target.json", {**box.qondor_config(), **(target_settings or {})}
    )
    tap_cmd = [str(BIN / "tap-xero"), "--config", str(tap_config)]
    if state is not None:
        tap_cmd += ["--state", str(write_json(workdir / "state.json", state))]
    env = {**os.environ, **(env or {})}
    tap = subprocess.run(tap_cmd, capture_output=True, text=True, timeout=120, env=env)
    assert tap.returncode == 0, tap.stderr[-3000:]
    target = subprocess.run(
        [str(BIN / "target-qondor"), "--config", str(target_config)],
        input=tap.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    messages = [json.loads(line) for line in tap.stdout.splitlines() if line.strip()]
    records = [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "invoices"]
    changes = [
        m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "invoice_changes"
    ]
    states = [json.loads(line) for line in target.stdout.splitlines() if line.strip()]
    summaries = [
        json.loads(line)
        for line in target.stderr.splitlines()
        if line.startswith('{"summary": "target-qondor"')
    ]
    return PaymentRun(
        target.returncode,
        records,
        states[-1] if states else None,
        summaries[-1] if summaries else None,
        tap.stderr,
        target.stderr,
        changes,
    )
