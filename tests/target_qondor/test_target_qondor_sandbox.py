"""target-qondor against the sandbox's Qondor: what it changes, what it skips, when it stops."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qondor_xero.qondor.contract import InvoiceStatus, InvoiceType
from sandbox.scenarios.common import make_customer, make_invoice, make_line, make_office
from tap_xero.streams import InvoiceChangesStream, InvoicesStream

TARGET = Path(sys.executable).with_name("target-qondor")
STATE = {"bookmarks": {"invoices": {"replication_key_value": "2026-11-27T08:00:00+00:00"}}}


@dataclass
class TargetRun:
    """What one target-qondor run printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        """The summary's JSON line."""
        lines = [ln for ln in self.stderr.splitlines() if ln.startswith('{"summary"')]
        assert len(lines) == 1, self.stderr[-2000:]
        return json.loads(lines[0])

    def lines_with(self, text: str) -> list[str]:
        """Lines of stderr that contain `text`."""
        return [ln for ln in self.stderr.splitlines() if text in ln]


def xero_record(invoice_id: str, status: str = "PAID", **fields: Any) -> dict[str, Any]:
    """An `invoices` record as tap-xero writes it."""
    paid = status == "PAID"
    return {
        "InvoiceID": invoice_id,
        "InvoiceNumber": fields.pop("InvoiceNumber", "100"),
        "Type": "ACCREC",
        "Status": status,
        "Contact": {"ContactID": "c-1", "Name": "Fjord Events AS"},
        "Date": "2026-11-02T00:00:00+00:00",
        "CurrencyCode": "NOK",
        "Total": 3750.0,
        "AmountDue": 0.0 if paid else 3750.0,
        "AmountPaid": 3750.0 if paid else 0.0,
        "FullyPaidOnDate": "2026-11-25T00:00:00+00:00" if paid else None,
        "UpdatedDateUTC": "2026-11-27T07:59:00.123000+00:00",
        **fields,
    }


def singer_input(records: list[dict[str, Any]], stream: str = "invoices") -> str:
    """SCHEMA, RECORDs and a STATE as tap-xero would print them."""
    schema = {"type": "SCHEMA", "stream": stream, "key_properties": ["InvoiceID"]}
    schema["schema"] = InvoicesStream.schema
    lines = [schema] + [{"type": "RECORD", "stream": stream, "record": r} for r in records]
    lines.append({"type": "STATE", "value": STATE})
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def run_target(box: Any, tmp_path: Path, text: str, **settings: Any) -> TargetRun:
    """Run target-qondor on `text` against the sandbox's Qondor."""
    config = tmp_path / f"target-{uuid.uuid4().hex[:8]}.json"
    config.write_text(json.dumps({**box.qondor_config(), **settings}))
    done = subprocess.run(
        [str(TARGET), "--config", str(config)],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return TargetRun(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def processed(sandbox) -> dict[int, str]:
    """Qondor items 7001-7003, Processed, each with its Xero InvoiceID as external reference."""
    sandbox.reset()
    office = make_office(1, "Qondor Oslo", "Oslo", "0150", start_date=date(2026, 1, 1))
    customer = make_customer(77, 1, "Fjord Events AS", org="923456789")
    refs = {qondor_id: str(uuid.uuid4()) for qondor_id in (7001, 7002, 7003)}
    invoices = [
        make_invoice(
            qondor_id,
            str(qondor_id),
            InvoiceType.OfferInvoice,
            invoice_date=date(2026, 11, 2),
            office_id=1,
            customer=customer,
            lines=[make_line(1, "VAT25", "Hotel", 100, 300000)],
            status=InvoiceStatus.Processed,
            external_reference=ref,
        )
        for qondor_id, ref in refs.items()
    ]
    sandbox.admin(
        sandbox.qondor_url,
        "POST",
        "seed",
        {"offices": [office], "customers": [customer], "invoices": invoices},
    )
    sandbox.qondor_requests(clear=True)
    return refs


def qondor_status(box: Any, qondor_id: int) -> tuple[str, str | None]:
    """(statusText, paidDate) of a Qondor invoice."""
    invoice = next(i for i in box.qondor_state()["invoices"] if i["id"] == qondor_id)
    return invoice["statusText"], invoice.get("paidDate")


def test_unpaid_records_make_no_qondor_call(sandbox, processed, tmp_path):
    records = [xero_record(ref, "AUTHORISED") for ref in processed.values()]
    run = run_target(sandbox, tmp_path, singer_input(records))

    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.qondor_requests() == []
    assert run.summary["unpaid"] == 3 and run.summary["marked_paid"] == 0
    assert json.loads(run.stdout.splitlines()[-1]) == STATE  # the tap's bookmark passes on


def test_paid_record_marks_the_invoice_paid_on_its_paid_date(sandbox, processed, tmp_path):
    record = xero_record(processed[7001])
    run = run_target(sandbox, tmp_path, singer_input([record, record]))

    assert run.returncode == 0, run.stderr[-2000:]
    assert qondor_status(sandbox, 7001) == ("Paid", "2026-11-25")
    assert qondor_status(sandbox, 7002) == ("Processed", None)
    assert run.summary["marked_paid"] == 1
    paths = [r["path"].rsplit("/", 1)[-1] for r in sandbox.qondor_requests()]
    assert paths == ["GetByExternalReference", "SetAsPaid"]  # the repeat cost nothing

    sandbox.qondor_requests(clear=True)
    again = run_target(sandbox, tmp_path, singer_input([record]))
    assert again.summary["already_paid"] == 1 and again.summary["marked_paid"] == 0
    assert [r["method"] for r in sandbox.qondor_requests()] == ["GET"]


def test_invoice_unknown_to_qondor_is_counted_and_skipped(sandbox, processed, tmp_path):
    hand_made = str(uuid.uuid4())
    records = [xero_record(hand_made, InvoiceNumber="HAND-1"), xero_record(processed[7002])]
    run = run_target(sandbox, tmp_path, singer_input(records))

    assert run.returncode == 0
    assert run.summary["unknown"] == 1 and run.summary["marked_paid"] == 1
    assert qondor_status(sandbox, 7002)[0] == "Paid"


def test_paid_record_without_paid_date_is_refused_and_the_rest_go_on(sandbox, processed, tmp_path):
    bad = xero_record(processed[7001], InvoiceNumber="7001", FullyPaidOnDate=None)
    good = xero_record(processed[7003], InvoiceNumber="7003")
    run = run_target(sandbox, tmp_path, singer_input([bad, good]))

    assert run.returncode == 0
    assert run.summary["refused"] == 1 and run.summary["marked_paid"] == 1
    reason = run.lines_with("FullyPaidOnDate")
    assert len(reason) == 1 and "7001" in reason[0] and processed[7001] in reason[0]
    assert qondor_status(sandbox, 7001)[0] == "Processed"
    assert qondor_status(sandbox, 7003)[0] == "Paid"


def test_other_streams_are_ignored(sandbox, processed, tmp_path):
    note = {"CreditNoteID": str(uuid.uuid4()), "Status": "PAID"}
    text = (
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "credit_notes",
                "key_properties": ["CreditNoteID"],
                "schema": {"type": "object", "properties": {"CreditNoteID": {"type": "string"}}},
            }
        )
        + "\n"
        + json.dumps({"type": "RECORD", "stream": "credit_notes", "record": note})
        + "\n"
    )
    run = run_target(sandbox, tmp_path, text)

    assert run.returncode == 0
    assert sandbox.qondor_requests() == []


def test_wrong_api_key_stops_the_run_with_one_clear_line(sandbox, processed, tmp_path):
    key = "wrong-key-7c1e9d"
    run = run_target(sandbox, tmp_path, singer_input([xero_record(processed[7001])]), api_key=key)

    assert run.returncode != 0
    stops = run.lines_with("target-qondor stopped:")
    assert len(stops) == 1 and "401" in stops[0], run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert key not in run.stderr and key not in run.stdout
    assert run.stdout.strip() == ""  # no state: the next run replays
    assert "401" in run.summary["stopped"]


def test_daily_limit_stops_the_run_with_one_clear_line(sandbox, processed, tmp_path):
    sandbox.qondor_fault({"status": 429, "retry_after": 7200, "path": "*GetByExternalReference*"})
    try:
        run = run_target(sandbox, tmp_path, singer_input([xero_record(processed[7001])]))
    finally:
        sandbox.clear_faults()

    assert run.returncode != 0
    stops = run.lines_with("target-qondor stopped:")
    assert len(stops) == 1 and "daily" in stops[0].lower(), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert qondor_status(sandbox, 7001)[0] == "Processed"


def test_transient_qondor_failure_is_retried(sandbox, processed, tmp_path):
    sandbox.qondor_fault({"status": 503, "count": 1, "path": "*SetAsPaid*"})
    try:
        run = run_target(sandbox, tmp_path, singer_input([xero_record(processed[7001])]))
    finally:
        sandbox.clear_faults()

    assert run.returncode == 0, run.stderr[-2000:]
    assert qondor_status(sandbox, 7001)[0] == "Paid"
    assert run.summary["marked_paid"] == 1


def test_malformed_records_are_refused_one_line_each_and_the_rest_go_on(
    sandbox, processed, tmp_path
):
    bad_date = xero_record(processed[7001], InvoiceNumber="7001", FullyPaidOnDate="30.11.2026")
    no_status = xero_record(processed[7002], InvoiceNumber="7002", Status=None)
    good = xero_record(processed[7003], InvoiceNumber="7003", Total="not a number")
    run = run_target(sandbox, tmp_path, singer_input([bad_date, no_status, good]))

    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert run.summary["refused"] == 2 and run.summary["marked_paid"] == 1
    date_lines = run.lines_with("FullyPaidOnDate '30.11.2026' is not a date")
    assert len(date_lines) == 1 and "7001" in date_lines[0]
    status_lines = run.lines_with("Status None is not a Xero status")
    assert len(status_lines) == 1 and "7002" in status_lines[0]
    assert qondor_status(sandbox, 7003) == ("Paid", "2026-11-25")


def test_plain_http_to_a_remote_host_stops_with_one_line_before_reading(
    sandbox, processed, tmp_path
):
    text = singer_input([xero_record(processed[7001])])
    run = run_target(sandbox, tmp_path, text, api_url="http://qondor.example.com/Prod")

    assert run.returncode != 0
    stops = run.lines_with("target-qondor stopped:")
    assert len(stops) == 1 and "api_url" in stops[0] and "https" in stops[0], run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert qondor_status(sandbox, 7001)[0] == "Processed"


def change_input(records: list[dict[str, Any]]) -> str:
    """invoice_changes records as tap-xero prints them."""
    schema = {
        "type": "SCHEMA",
        "stream": "invoice_changes",
        "key_properties": list(InvoiceChangesStream.primary_keys),
        "schema": InvoiceChangesStream.schema,
    }
    lines = [schema] + [
        {"type": "RECORD", "stream": "invoice_changes", "record": r} for r in records
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_a_bad_change_record_is_one_line_naming_it_and_the_rest_are_reported(
    sandbox, processed, tmp_path
):
    def change(ref: str, kind: str, number: str) -> dict[str, Any]:
        return {
            "InvoiceID": ref,
            "Change": kind,
            "InvoiceNumber": number,
            "Status": "VOIDED",
            "CurrencyCode": "NOK",
            "UpdatedDateUTC": "2026-11-27T07:59:00+00:00",
        }

    records = [
        change(processed[7001], "archived", "7001"),
        change(processed[7002], "voided", "7002"),
        change(processed[7002], "voided", "7002"),  # a replay: looked at once
    ]
    run = run_target(sandbox, tmp_path, change_input(records))

    assert run.returncode == 0, run.stderr[-2000:]
    [bad] = run.lines_with("Change 'archived'")
    assert "7001" in bad and processed[7001] in bad
    assert len(run.lines_with("VOIDED in Xero")) == 1 and run.summary["voided_in_xero"] == 1
    assert [r["method"] for r in sandbox.qondor_requests()] == ["GET"]
    assert qondor_status(sandbox, 7002) == ("Processed", None)
