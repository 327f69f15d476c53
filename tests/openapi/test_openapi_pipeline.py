"""What our plugins send to Xero conforms to Xero's OpenAPI description: the demo round trip
(tap-qondor | target-xero, then tap-xero | target-qondor) and every XeroClient call against a
sandbox started with `--openapi-strict`, which refuses any request the spec does not allow."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
# The pipeline helpers live beside the tests of each direction: reuse them rather than copy them.
# Appended, not prepended: tests/payment_sync has a conftest.py that must not shadow tests/'s.
for helpers in ("target_xero", "payment_sync", "clients"):
    if str(TESTS / helpers) not in sys.path:
        sys.path.append(str(TESTS / helpers))

from payment_world import PaymentRun, run_payment_sync  # noqa: E402
from target_xero_pipeline import SECRETS, Run, queued, sync  # noqa: E402
from xero_client_helpers import client_for, invoice  # noqa: E402

from qondor_xero.xero import where  # noqa: E402

# Demo items target-xero cannot send (sandbox/scenarios/demo.py): unmapped articles, a currency
# Xero has not enabled, a customer without tax number or invoice email, a booker without email.
DEMO_FAILED = {"100212", "100217", "100218", "100219", "100225"}


def refused_by_spec(box) -> list[str]:
    """Every Accounting API call the strict sandbox refused, with its reason."""
    return [
        f"{e['method']} {e['path']}?{e['query']}: {e['openapi_error']}"
        for e in box.xero_requests()
        if e.get("openapi_error")
    ]


@dataclass
class RoundTrip:
    """One demo round trip: both runs and the Qondor queue's statuses after each."""

    invoice_sync: Run
    payment_sync: PaymentRun
    after_invoice_sync: dict[str, str]
    after_payment_sync: dict[str, str]
    refused: list[str]


def statuses(box) -> dict[str, str]:
    """The demo queue's Qondor status by invoice number."""
    return {n: item["statusText"] for n, item in queued(box.qondor_state()).items()}


def round_trip(box, workdir: Path) -> RoundTrip:
    """tap-qondor | target-xero, a customer pays 100202 in Xero, tap-xero | target-qondor."""
    invoice_sync = sync(box, workdir / "invoice-sync")
    after_invoice_sync = statuses(box)
    if invoice_sync.returncode == 0:
        box.pay([queued(box.qondor_state())["100202"]["externalReference"]], date="2026-11-26")
    payment_sync = run_payment_sync(box, workdir / "payment-sync")
    return RoundTrip(
        invoice_sync, payment_sync, after_invoice_sync, statuses(box), refused_by_spec(box)
    )


@pytest.fixture
def strict_demo(start_sandbox):
    """A private demo sandbox that refuses requests not conforming to Xero's OpenAPI spec."""
    with start_sandbox(openapi_strict=True, scenario="demo") as box:
        yield box


def test_demo_round_trip_sends_only_what_xero_openapi_allows(strict_demo, sandbox, tmp_path):
    waiting = {n for n, status in statuses(strict_demo).items() if status == "Unprocessed"}

    strict = round_trip(strict_demo, tmp_path / "strict")

    assert strict.refused == []
    assert strict.invoice_sync.returncode == 0, strict.invoice_sync.stderr[-3000:]
    assert strict.payment_sync.returncode == 0, strict.payment_sync.target_stderr[-3000:]
    # The books come out as the demo promises...
    failed = {n for n in waiting if strict.after_invoice_sync[n] == "Failed"}
    done = {n for n in waiting if strict.after_invoice_sync[n] in ("Processed", "Paid")}
    assert failed >= DEMO_FAILED and done == waiting - failed
    counts = strict.invoice_sync.summary["qondor"]
    assert (counts["processed"], counts["failed"], counts["refused"]) == (len(done), len(failed), 0)
    assert strict.after_payment_sync["100202"] == "Paid"
    assert strict.payment_sync.summary["refused"] == 0
    assert not any(secret in strict.invoice_sync.stderr for secret in SECRETS)
    # ...and exactly as on a sandbox that does not check requests against the spec.
    sandbox.reset("demo")
    plain = round_trip(sandbox, tmp_path / "plain")
    assert plain.invoice_sync.returncode == 0 and plain.payment_sync.returncode == 0
    assert strict.after_invoice_sync == plain.after_invoice_sync
    assert strict.after_payment_sync == plain.after_payment_sync
    assert counts == plain.invoice_sync.summary["qondor"]
    assert strict.payment_sync.summary == plain.payment_sync.summary


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
    # Create-only writes: a new number is created, a taken one refused by Xero (not the spec).
    fresh, taken = client.create_invoices(
        [
            invoice("SPEC-2", contact_id, account="3000", amount=100),
            invoice("SPEC-1", contact_id, account="3000", amount=1000),
        ]
    )
    assert fresh.ok and not taken.ok and taken.errors == ["Invoice # must be unique."]
    [again] = client.create_credit_notes([credit])
    assert again.errors == ["Credit Note # must be unique."]
    assert refused_by_spec(strict_demo) == []
