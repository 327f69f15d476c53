"""tap-xero's child streams against the sandbox: invoice lines as rows, and what changed in Xero
after a sync (voided, deleted, part paid, a payment removed), read without extra calls when quiet."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

from xero_invoices import TAP, run_tap, seed_invoices, xero_invoice

API = "/api.xro/2.0"


def two_line_invoice(number: str, updated: datetime) -> dict:
    invoice = xero_invoice(number, updated)
    invoice["LineItems"] = [
        {
            "Description": "Hotel",
            "Quantity": 2,
            "UnitAmount": 1000,
            "AccountCode": "3000",
            "Tracking": [
                {"Name": "Office", "Option": "Oslo"},
                {"Name": "Project", "Option": "P-17"},
            ],
        },
        {"Description": "Dinner", "Quantity": 1, "UnitAmount": 450.5, "AccountCode": "3000"},
    ]
    return invoice


def api_calls(box) -> list[dict]:
    return [r for r in box.xero_requests(clear=True) if r["path"].startswith(API)]


def test_invoice_lines_are_rows_keyed_by_invoice_and_line_number(sandbox, tmp_path):
    now = datetime.now(UTC)
    ids = seed_invoices(
        sandbox,
        [two_line_invoice("L-1", now - timedelta(days=2)), xero_invoice("L-2", now)],
    )
    run = run_tap(sandbox, tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.records("invoice_lines")
    assert [(r["InvoiceID"], r["InvoiceNumber"], r["LineNo"]) for r in lines] == [
        (ids[0], "L-1", 1),
        (ids[0], "L-1", 2),
        (ids[1], "L-2", 1),
    ]
    hotel, dinner = lines[0], lines[1]
    assert (hotel["Quantity"], hotel["UnitAmount"], hotel["LineAmount"]) == (2, 1000, 2000)
    assert (hotel["TrackingCategory1"], hotel["TrackingOption1"]) == ("Office", "Oslo")
    assert (hotel["TrackingCategory2"], hotel["TrackingOption2"]) == ("Project", "P-17")
    assert dinner["TrackingCategory1"] is None and dinner["LineAmount"] == 450.5
    stored = {i["InvoiceID"]: i for i in sandbox.xero_state()["invoices"]}
    assert hotel["LineItemID"] == stored[ids[0]]["LineItems"][0]["LineItemID"]
    invoices = {r["InvoiceID"]: r for r in run.records("invoices")}
    assert hotel["UpdatedDateUTC"] == invoices[ids[0]]["UpdatedDateUTC"]
    # The lines come from the invoices' read: one GET /Invoices for both streams.
    assert [r["path"] for r in api_calls(sandbox)].count(f"{API}/Invoices") == 1


def test_credit_note_lines_when_credit_notes_are_selected(sandbox, tmp_path):
    now = datetime.now(UTC)
    note = xero_invoice("CN-1", now)
    note = {
        "CreditNoteID": note.pop("InvoiceID"),
        "CreditNoteNumber": note.pop("InvoiceNumber"),
        **note,
        "Type": "ACCRECCREDIT",
    }
    seed_invoices(sandbox, [])
    sandbox.xero_seed(creditNotes=[note])
    catalog = json.loads(
        subprocess.run(
            [str(TAP), "--config", str(write_config(sandbox, tmp_path)), "--discover"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"].startswith("credit_note")

    run = run_tap(sandbox, tmp_path / "run", catalog=catalog)

    assert run.returncode == 0, run.stderr[-2000:]
    [line] = run.records("credit_note_lines")
    assert (line["CreditNoteID"], line["CreditNoteNumber"], line["LineNo"]) == (
        note["CreditNoteID"],
        "CN-1",
        1,
    )
    assert run.records("invoices") == [] and run.records("invoice_lines") == []


def later(state: dict, seconds: float) -> dict:
    """`state` with every bookmark moved `seconds` on, as a run that long after would leave it."""
    state = json.loads(json.dumps(state))
    for bookmark in state["bookmarks"].values():
        if "replication_key_value" in bookmark:
            moment = datetime.fromisoformat(bookmark["replication_key_value"])
            bookmark["replication_key_value"] = (moment + timedelta(seconds=seconds)).isoformat()
    return state


def write_config(box, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "discover.json"
    path.write_text(json.dumps(box.xero_config()))
    return path


def test_changes_after_a_sync_are_reported_once_and_cost_no_call_when_quiet(sandbox, tmp_path):
    now = datetime.now(UTC)
    before = now - timedelta(days=2)
    paid, part, voided, draft, settled = seed_invoices(
        sandbox,
        [
            xero_invoice("C-PAID", before),
            xero_invoice("C-PART", before),
            xero_invoice("C-VOID", before),
            xero_invoice("C-DRAFT", before, "DRAFT"),
            xero_invoice("C-SETTLED", before),
        ],
    )
    first = run_tap(sandbox, tmp_path / "first")
    assert first.returncode == 0 and first.records("invoice_changes") == []

    x = sandbox.xero_url
    [payment] = sandbox.pay([paid])
    sandbox.admin(x, "POST", "remove-payments", {"invoices": [paid]})
    sandbox.admin(x, "POST", "pay", {"invoices": [part], "amount": 250})
    sandbox.admin(x, "POST", "void", {"invoices": [voided, draft]})
    sandbox.pay([settled])  # fully paid: Qondor can show that, not a change
    api_calls(sandbox)

    second = run_tap(sandbox, tmp_path / "second", state=first.state)

    assert second.returncode == 0, second.stderr[-2000:]
    changes = {(r["InvoiceID"], r["Change"]): r for r in second.records("invoice_changes")}
    assert set(changes) == {
        (voided, "voided"),
        (draft, "deleted"),
        (part, "part_paid"),
        (paid, "payment_removed"),
    }
    half = changes[(part, "part_paid")]
    assert (half["Status"], half["AmountPaid"], half["AmountDue"]) == ("AUTHORISED", 250, 1000)
    removed = changes[(paid, "payment_removed")]
    assert removed["PaymentID"] == payment["PaymentID"]
    assert removed["PaymentAmount"] == 1250 and removed["PaymentDate"] == now.date().isoformat()
    assert (removed["Status"], removed["AmountDue"], removed["InvoiceNumber"]) == (
        "AUTHORISED",
        1250,
        "C-PAID",
    )
    statuses = {r["InvoiceID"]: r["Status"] for r in second.records("invoices")}
    assert statuses[voided] == "VOIDED" and statuses[draft] == "DELETED"
    calls = api_calls(sandbox)
    assert [c["path"] for c in calls] == [f"{API}/Invoices", f"{API}/Payments"]

    # A later run, its bookmark past these changes and the overlap: no rows, one GET /Invoices.
    third = run_tap(sandbox, tmp_path / "third", state=later(second.state, seconds=2))
    assert third.returncode == 0 and third.records("invoice_changes") == []
    assert [c["path"] for c in api_calls(sandbox)] == [f"{API}/Invoices"]
