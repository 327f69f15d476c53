"""tap-qondor → target-xero on the sandbox `demo` scenario: Xero and Qondor item by item."""

from __future__ import annotations

from decimal import Decimal

import pytest
from target_xero_pipeline import (
    PAID_IN_ONE_RUN,
    SECRETS,
    by,
    queued,
    run_target,
    sync,
    target_config,
)

from qondor_xero.xero.dates import xero_day

# Demo ids (sandbox/scenarios/demo.py): Xero contact n has ContactID contact(n).


def contact(n: int) -> str:
    return f"c0000000-0000-4000-8000-{n:012d}"


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def demo(sandbox, tmp_path_factory):
    """One run of the demo queue; the states before and after, and what the run printed."""
    sandbox.reset("demo")
    before_xero = sandbox.xero_state()
    before_qondor = queued(sandbox.qondor_state())
    run = sync(sandbox, tmp_path_factory.mktemp("demo"))
    assert run.returncode == 0, run.stderr[-3000:]
    xero = sandbox.xero_state()
    return {
        "run": run,
        "before_xero": before_xero,
        "before": before_qondor,
        "queue": queued(sandbox.qondor_state()),
        "xero": xero,
        "invoices": by([i for i in xero["invoices"] if i["Type"] == "ACCREC"], "InvoiceNumber"),
        "notes": by(xero["creditNotes"], "CreditNoteNumber"),
        "contacts": by(xero["contacts"], "ContactID"),
    }


def contact_of(demo, number: str) -> dict:
    return demo["contacts"][demo["invoices"][number]["Contact"]["ContactID"]]


def test_customer_matches_contact_by_tax_number_in_any_format(demo):
    # Xero holds "914 778 271" and "987654321"; Qondor "914778271" and "NO 987 654 321 MVA".
    assert contact_of(demo, "100203")["ContactID"] == contact(2)
    assert contact_of(demo, "100204")["ContactID"] == contact(3)
    # "GB 123 4567 89" in Xero is Thames (GB123456789), not Berliner Messe (DE123456789).
    assert contact_of(demo, "100216")["ContactID"] == contact(9)
    assert contact_of(demo, "100215")["ContactID"] != contact(9)
    assert contact_of(demo, "100215")["Name"] == "Berliner Messe GmbH"


def test_matched_contact_is_updated_with_qondor_details(demo):
    bolgen = demo["contacts"][contact(3)]
    assert bolgen["Name"] == "Bølgen & Moi Catering AS"
    assert bolgen["EmailAddress"] == "regnskap@bolgenmoi.no"
    # A tax number that differs only in format is left as the finance team wrote it.
    assert bolgen["TaxNumber"] == "987654321"


def test_duplicate_tax_numbers_use_the_first_contact_returned(demo):
    assert contact_of(demo, "100208")["ContactID"] == contact(5)
    assert contact_of(demo, "100239")["ContactID"] == contact(5)


def test_customer_without_tax_match_falls_back_to_email(demo):
    assert contact_of(demo, "100206")["ContactID"] == contact(4)  # SE VAT not in Xero, email is
    assert contact_of(demo, "100220")["ContactID"] == contact(10)  # no tax number at all


def test_booker_invoice_matches_contact_by_email_only(demo):
    assert contact_of(demo, "100223")["ContactID"] == contact(11)
    assert contact_of(demo, "100230")["ContactID"] == contact(12)
    # Two invoices of one new booker share one new contact named after her.
    ingrid = contact_of(demo, "100224")
    assert contact_of(demo, "100228")["ContactID"] == ingrid["ContactID"]
    assert (ingrid["Name"], ingrid["FirstName"], ingrid["LastName"]) == (
        "Ingrid Bø",
        "Ingrid",
        "Bø",
    )
    # The key every customer's Xero holds: a changed hash would duplicate every booker.
    assert ingrid["ContactNumber"] == "QONDOR-B-1dcff04ef87486d1"


def test_name_taken_by_another_active_contact_is_disambiguated(demo):
    # Another "Ola Nordmann" (other email) and another "Havblikk AS" (other org number) exist.
    assert contact_of(demo, "100227")["Name"] == "Ola Nordmann (ola.nordmann@bedrift.no)"
    assert contact_of(demo, "100209")["Name"] == "Havblikk AS (998877665)"
    # An archived contact's name is free again.
    gammel = contact_of(demo, "100214")
    assert gammel["Name"] == "Gammel Gård Selskapslokaler AS"
    assert gammel["ContactID"] != contact(8) and gammel["ContactNumber"] == "QONDOR-C-111"


def test_each_contact_created_once(demo):
    numbers = [c.get("ContactNumber") for c in demo["xero"]["contacts"] if c.get("ContactNumber")]
    assert len(numbers) == len(set(numbers))
    names = [
        c["Name"].casefold() for c in demo["xero"]["contacts"] if c["ContactStatus"] == "ACTIVE"
    ]
    assert len(names) == len(set(names))


def test_invoices_match_qondor_totals_lines_and_reference(demo):
    mapping = {"VAT25": "3000", "VAT15": "3010", "VAT12": "3020", "VAT0": "3050"}
    checked = 0
    for number, item in demo["queue"].items():
        if item["invoiceType"] == 5 or item["statusText"] not in ("Processed", "Paid"):
            continue
        invoice = demo["invoices"][number]
        assert invoice["InvoiceID"] == item["externalReference"], number
        if invoice["Status"] == "PAID" and invoice["InvoiceID"].startswith("e0000000"):
            continue  # 100240 was already paid in Xero: left alone
        assert money(invoice["Total"]) == money(item["totalInclVat"]), number
        assert money(invoice["SubTotal"]) == money(item["totalExclVat"]), number
        assert invoice["CurrencyCode"] == item["currency"]
        assert invoice["DateString"][:10] == item["invoiceDate"][:10], number
        # Qondor's due date (its customer's payment terms); a card payment without one is due
        # on its invoice date, when it was paid.
        due = item.get("dueDate") or (item["invoiceDate"] if item["invoiceType"] == 4 else None)
        assert due and invoice["DueDateString"][:10] == due[:10], number
        lines = sorted(item["lines"], key=lambda x: x["lineNo"])
        assert [
            (li["Description"], Decimal(str(li["Quantity"])), money(li["UnitAmount"]))
            for li in invoice["LineItems"]
        ] == [
            (x["description"], Decimal(str(x["quantity"])), money(x["unitPriceExclVat"]))
            for x in lines
        ], number
        assert [li["AccountCode"] for li in invoice["LineItems"]] == [
            mapping[x["articleNumber"]] for x in lines
        ], number
        po = next(
            (
                f["value"]
                for f in item.get("customerInvoiceFields") or []
                if f["heading"] == "PO number"
            ),
            None,
        )
        assert (invoice.get("Reference") or None) == (po or None), number
        checked += 1
    assert checked >= 25


def test_card_payments_end_paid_in_qondor_after_one_invoice_sync(demo):
    for number in ("100229", "100230", "100231", "100232"):
        item = demo["queue"][number]
        assert item["statusText"] == "Paid", number
        assert item["externalReference"] == demo["invoices"][number]["InvoiceID"]
        assert item["paidDate"] == item["invoiceDate"][:10], number  # the card payment's date


def test_invoices_are_authorised_per_mapping(demo):
    assert demo["invoices"]["100202"]["Status"] == "AUTHORISED"
    assert demo["invoices"]["100213"]["Status"] == "AUTHORISED"


def test_card_payment_invoices_are_paid_into_the_card_account(demo):
    for number in ("100229", "100230", "100231", "100232"):
        invoice = demo["invoices"][number]
        assert invoice["Status"] == "PAID", number
        assert money(invoice["AmountPaid"]) == money(demo["queue"][number]["totalInclVat"])
        paid = [
            p for p in demo["xero"]["payments"] if p["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
        ]
        assert len(paid) == 1 and paid[0]["Account"]["Code"] == "090", number


def test_credit_notes_are_positive_and_allocated_to_the_credited_invoice(demo):
    for number in ("100233", "100234", "100235", "100237", "100238"):
        note = demo["notes"][number]
        item = demo["queue"][number]
        assert note["Type"] == "ACCRECCREDIT"
        assert money(note["Total"]) == -money(item["totalInclVat"]) > 0, number
        assert (
            item["statusText"] == "Processed" and item["externalReference"] == note["CreditNoteID"]
        )
    # 100233 cancels all of 100201; 100234 part of 100203; 100235 part of history 100101.
    assert demo["invoices"]["100201"]["Status"] == "PAID"
    assert money(demo["invoices"]["100201"]["AmountCredited"]) == money(
        demo["notes"]["100233"]["Total"]
    )
    assert money(demo["invoices"]["100203"]["AmountCredited"]) == money(
        demo["notes"]["100234"]["Total"]
    )
    assert money(demo["invoices"]["100101"]["AmountCredited"]) == money(
        demo["notes"]["100235"]["Total"]
    )
    assert money(demo["invoices"]["100224"]["AmountCredited"]) == money(
        demo["notes"]["100237"]["Total"]
    )
    # 100238 credits one already paid: nothing to allocate to, the credit stays on the contact.
    assert demo["invoices"]["100103"]["Status"] == "PAID"
    assert money(demo["notes"]["100238"]["RemainingCredit"]) == money(
        demo["notes"]["100238"]["Total"]
    )


def test_credit_note_for_an_invoice_not_in_xero_fails_and_writes_nothing(demo):
    # 5036 (100236) cancels history 4006 (100106), which is not in Xero.
    item = demo["queue"]["100236"]
    assert item["statusText"] == "Failed"
    assert item["errorMessage"] == (
        "Credit note 100236: the invoice it cancels, 100106, is not in Xero; sync that invoice "
        "(or enter it in Xero) first, then issue the credit note again"
    )
    assert "100236" not in demo["notes"] and "100106" not in demo["invoices"]


def test_unmapped_articles_fail_in_qondor_with_the_article_numbers(demo):
    queue = demo["queue"]
    assert queue["100218"]["statusText"] == "Failed"
    assert "MISC (line 3)" in queue["100218"]["errorMessage"]
    assert "GIFT (line 2), MISC (line 4)" in queue["100219"]["errorMessage"]
    assert "100218" not in demo["invoices"] and "100219" not in demo["invoices"]


def test_items_that_cannot_be_matched_fail_with_a_reason(demo):
    queue = demo["queue"]
    assert "has no email address" in queue["100225"]["errorMessage"]
    assert (
        "neither a VAT/organisation number nor an invoice email" in queue["100212"]["errorMessage"]
    )
    assert "currency DKK is not enabled in Xero" in queue["100217"]["errorMessage"]


def test_every_queued_item_is_acknowledged_once(demo):
    before = {n for n, i in demo["before"].items() if i["statusText"] == "Unprocessed"}
    after = demo["queue"]
    assert before and all(after[n]["statusText"] in ("Processed", "Paid", "Failed") for n in before)
    summary = demo["run"].summary
    processed = sum(after[n]["statusText"] in ("Processed", "Paid") for n in before)
    assert summary["qondor"]["processed"] == processed
    assert summary["qondor"]["failed"] == len(before) - processed
    paid = {n for n in before if after[n]["statusText"] == "Paid"}
    assert paid == PAID_IN_ONE_RUN
    assert summary["qondor"]["paid"] == len(paid)
    assert (
        "qondor        processed " in demo["run"].stderr
        and f"paid {len(paid)}" in demo["run"].stderr
    )


def test_paid_invoice_in_xero_is_left_alone_and_ends_paid_in_qondor(demo):
    item, invoice = demo["queue"]["100240"], demo["invoices"]["100240"]
    assert item["externalReference"] == "e0000000-0000-4000-8000-000000005040"
    assert invoice == by(demo["before_xero"]["invoices"], "InvoiceNumber")["100240"]
    assert invoice["Status"] == "PAID"
    # Paid in Qondor by this invoice sync alone, on the day Xero says it was paid.
    assert (item["statusText"], item["paidDate"]) == ("Paid", xero_day(invoice["FullyPaidOnDate"]))
    # 100239 had an older copy in Xero: updated in place (same InvoiceID, three lines now).
    assert demo["invoices"]["100239"]["InvoiceID"] == "e0000000-0000-4000-8000-000000005039"
    assert len(demo["invoices"]["100239"]["LineItems"]) == 3


def test_summary_and_no_secrets_in_output(demo):
    run = demo["run"]
    summary = run.summary
    assert summary["contacts"]["created"] >= 8 and summary["payments"]["created"] == 4
    assert summary["allocations"]["created"] == 4
    assert summary["api_calls"]["xero"] < 25
    assert "target-xero summary" in run.stderr and "API calls" in run.stderr
    for secret in SECRETS:
        assert secret not in run.stderr


def test_same_input_twice_changes_nothing(demo, sandbox, tmp_path):
    sandbox.advance_clock(600)  # past Xero's idempotency window: a real second delivery
    try:
        again = run_target(tmp_path, target_config(sandbox), demo["run"].singer)
    finally:
        sandbox.advance_clock(-600)  # the shared sandbox's clock as other tests expect it
    assert again.returncode == 0, again.stderr[-3000:]
    xero = sandbox.xero_state()
    for kind, key in (
        ("contacts", "ContactID"),
        ("invoices", "InvoiceID"),
        ("creditNotes", "CreditNoteID"),
    ):
        assert sorted(x[key] for x in xero[kind]) == sorted(x[key] for x in demo["xero"][kind]), (
            kind
        )
    assert len(xero["payments"]) == len(demo["xero"]["payments"])
    for number, invoice in by(xero["invoices"], "InvoiceNumber").items():
        old = by(demo["xero"]["invoices"], "InvoiceNumber")[number]
        assert (invoice["Status"], invoice["Total"], invoice["AmountDue"]) == (
            old["Status"],
            old["Total"],
            old["AmountDue"],
        ), number
    queue = queued(sandbox.qondor_state())
    assert {n: (i["statusText"], i["externalReference"]) for n, i in queue.items()} == {
        n: (i["statusText"], i["externalReference"]) for n, i in demo["queue"].items()
    }
    assert again.summary["contacts"]["created"] == 0
    assert (
        again.summary["payments"]["created"] == 0 and again.summary["allocations"]["created"] == 0
    )


def test_each_invoice_written_links_back_to_its_qondor_item(demo, sandbox):
    base = sandbox.qondor_config()["api_url"].rstrip("/")
    before = by(demo["before_xero"]["invoices"], "InvoiceNumber")
    linked = 0
    for number, item in demo["queue"].items():
        invoice = demo["invoices"].get(number)
        if invoice is None or item.get("externalReference") != invoice["InvoiceID"]:
            continue  # a credit note, or an item that failed
        if number in before and invoice == before[number]:
            assert "Url" not in invoice, number  # left as it was (100240, PAID by a person)
            continue
        assert invoice["Url"] == f"{base}/Invoicing/v1/Invoice/{item['id']}", number
        linked += 1
    assert linked >= 20
    # Xero's CreditNote has no Url: none is kept.
    assert all("Url" not in note for note in demo["notes"].values())
