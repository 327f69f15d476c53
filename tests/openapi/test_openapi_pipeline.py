"""What our plugins send to Xero conforms to Xero's OpenAPI description: the demo round trip
(tap-qondor | target-xero, then tap-xero | target-qondor) and every XeroClient call against a
sandbox started with `--openapi-strict`, which refuses any request the spec does not allow."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
# The pipeline helpers live beside the tests of each direction: reuse them rather than copy them.
sys.path.insert(0, str(TESTS / "target_xero"))
sys.path.insert(0, str(TESTS / "payment_sync"))
sys.path.insert(0, str(TESTS / "clients"))

from payment_world import run_payment_sync  # noqa: E402
from target_xero_pipeline import SECRETS, queued, sync  # noqa: E402
from xero_client_helpers import client_for, invoice  # noqa: E402

from qondor_xero.xero import where  # noqa: E402

# The demo items target-xero cannot send (sandbox/scenarios/demo.py): unmapped articles, a
# currency Xero has not enabled, a customer without tax number or invoice email, a booker
# without email.
DEMO_FAILED = {"100212", "100217", "100218", "100219", "100225"}


def refused_by_spec(box) -> list[str]:
    """Every Accounting API call the strict sandbox refused, with its reason."""
    return [
        f"{e['method']} {e['path']}?{e['query']}: {e['openapi_error']}"
        for e in box.xero_requests()
        if e.get("openapi_error")
    ]


@pytest.fixture
def strict_demo(start_sandbox):
    """A private demo sandbox that refuses requests not conforming to Xero's OpenAPI spec."""
    with start_sandbox(openapi_strict=True, scenario="demo") as box:
        yield box


def test_demo_round_trip_sends_only_what_xero_openapi_allows(strict_demo, tmp_path):
    box = strict_demo
    before = queued(box.qondor_state())
    waiting = {n for n, item in before.items() if item["statusText"] == "Unprocessed"}

    invoice_sync = sync(box, tmp_path / "invoice-sync")

    assert refused_by_spec(box) == []
    assert invoice_sync.returncode == 0, invoice_sync.stderr[-3000:]
    after = queued(box.qondor_state())
    failed = {n for n in waiting if after[n]["statusText"] == "Failed"}
    processed = {n for n in waiting if after[n]["statusText"] == "Processed"}
    assert failed == DEMO_FAILED
    assert processed == waiting - DEMO_FAILED
    summary = invoice_sync.summary
    assert summary["qondor"] == {"processed": len(processed), "failed": len(failed), "refused": 0}
    assert summary["payments"]["created"] == 4 and summary["allocations"]["created"] == 4
    xero = box.xero_state()
    numbers = {i["InvoiceNumber"] for i in xero["invoices"]} | {
        c["CreditNoteNumber"] for c in xero["creditNotes"]
    }
    assert processed <= numbers and not (DEMO_FAILED & numbers)
    assert not any(secret in invoice_sync.stderr for secret in SECRETS)

    # A customer pays 100202 in Xero; the payment sync brings it back to Qondor.
    box.pay([after["100202"]["externalReference"]], date="2026-11-26")
    box.xero_requests(clear=True)
    payment_sync = run_payment_sync(box, tmp_path / "payment-sync")

    assert refused_by_spec(box) == []
    assert payment_sync.returncode == 0, payment_sync.target_stderr[-3000:]
    assert any(e["path"] == "/api.xro/2.0/Invoices" for e in box.xero_requests())
    paid = queued(box.qondor_state())
    # 100202 paid just now, four card payments at the invoice sync, 100240 paid in Xero before
    # it, 100201 and 100224 fully credited by the demo's credit notes
    assert {n for n, item in paid.items() if item["statusText"] == "Paid"} == {
        "100201",
        "100202",
        "100224",
        "100229",
        "100230",
        "100231",
        "100232",
        "100240",
    }
    assert paid["100202"]["paidDate"] == "2026-11-26"
    assert payment_sync.summary["refused"] == 0


def test_every_xero_client_call_conforms(strict_demo):
    client = client_for(strict_demo)
    accounts = client.get_accounts()
    assert accounts and client.get_currencies()
    contacts = list(client.iter_contacts(include_archived=True, summary_only=True))
    some = [c["ContactID"] for c in contacts[:3]]
    assert len(list(client.iter_contacts(ids=some))) == len(some)
    assert list(client.iter_contacts(where=where.eq("Name", 'O\'Brien \\ "Sons"'))) == []
    # Each call below raises XeroValidationError if the strict sandbox refuses it.
    list(
        client.iter_invoices(
            where=where.eq("Type", "ACCREC"),
            statuses=["AUTHORISED", "PAID"],
            contact_ids=some,
            modified_since=datetime.now(UTC) - timedelta(days=365),
            order="UpdatedDateUTC ASC",
            created_by_my_app=False,
            summary_only=True,
        )
    )
    listed = list(client.iter_invoices(invoice_numbers=["100101", "A,B"]))
    assert [i["InvoiceNumber"] for i in listed] == ["100101"]
    assert list(client.iter_invoices(ids=[listed[0]["InvoiceID"]]))
    list(client.iter_credit_notes(modified_since="2026-01-01", order="UpdatedDateUTC ASC"))

    [saved] = client.save_contacts([{"Name": "Spec Check AS", "EmailAddress": "a@spec.example"}])
    assert saved.ok, saved.errors
    contact_id = saved.obj["ContactID"]
    [sent] = client.save_invoices([invoice("SPEC-1", contact_id, account="3000", amount=1000)])
    assert sent.ok, sent.errors
    as_invoice = invoice("SPEC-CN-1", contact_id, account="3000", amount=200)
    credit = {
        **{k: v for k, v in as_invoice.items() if k not in ("InvoiceNumber", "DueDate")},
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": "SPEC-CN-1",
        "Date": "2026-11-21",
    }
    [note] = client.save_credit_notes([credit])
    assert note.ok, note.errors
    allocation = client.allocate_credit_note(
        note.obj["CreditNoteID"],
        [{"Amount": 250, "Date": "2026-11-21", "Invoice": {"InvoiceID": sent.obj["InvoiceID"]}}],
    )
    assert allocation.ok, allocation.errors
    [payment] = client.create_payments(
        [
            {
                "Invoice": {"InvoiceID": sent.obj["InvoiceID"]},
                "Account": {"Code": "090"},
                "Date": "2026-11-22",
                "Amount": 1000,
            }
        ]
    )
    assert payment.ok, payment.errors
    assert refused_by_spec(strict_demo) == []
