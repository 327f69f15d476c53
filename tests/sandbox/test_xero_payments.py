"""Xero payments, credit notes and allocations in the sandbox, and the admin `pay` call."""

from __future__ import annotations

import re

import pytest

from sandbox.process import SandboxError

CONTACT = {"ContactID": "c0000000-0000-4000-8000-000000000001"}


@pytest.fixture
def org(sandbox):
    """A reset sandbox with one contact and invoice Q-1 (AUTHORISED, 1,250.00 NOK)."""
    sandbox.reset()
    sandbox.xero_seed(contacts=[{**CONTACT, "Name": "Fjord Events AS"}])
    sandbox.xero(
        "PUT",
        "/Invoices",
        json={"Invoices": [invoice("Q-1"), invoice("Q-DRAFT", Status="DRAFT")]},
    ).raise_for_status()
    return sandbox


def invoice(number: str, **changes) -> dict:
    doc = {
        "Type": "ACCREC",
        "InvoiceNumber": number,
        "Contact": CONTACT,
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": "AUTHORISED",
        "LineItems": [
            {"Description": "Hotel", "Quantity": 1, "UnitAmount": 1000, "AccountCode": "200"}
        ],
    }
    doc.update(changes)
    return doc


def payment(number: str = "Q-1", amount: float = 1250.0, code: str = "090", **changes) -> dict:
    doc = {
        "Invoice": {"InvoiceNumber": number},
        "Account": {"Code": code},
        "Date": "2026-11-25",
        "Amount": amount,
        "Reference": "Kortbetaling",
    }
    doc.update(changes)
    return doc


def pay(box, *payments):
    return box.xero("PUT", "/Payments?summarizeErrors=false", json={"Payments": list(payments)})


def _ms(value: str) -> int:
    """Epoch milliseconds of a `/Date(ms+0000)/`."""
    return int(re.search(r"\d+", value).group())


def stored_invoice(box, number: str) -> dict:
    return box.xero("GET", f"/Invoices/{number}").json()["Invoices"][0]


def test_full_payment_makes_the_invoice_paid(org, xero_openapi):
    before = stored_invoice(org, "Q-1")
    body = xero_openapi.check(pay(org, payment()))
    [made] = body["Payments"]
    assert made["StatusAttributeString"] == "OK"
    assert made["Amount"] == 1250.0
    assert made["Account"]["Code"] == "090"
    assert made["Date"] == "/Date(1795564800000+0000)/"
    after = stored_invoice(org, "Q-1")
    assert after["Status"] == "PAID"
    assert after["AmountDue"] == 0 and after["AmountPaid"] == 1250.0
    assert after["FullyPaidOnDate"] == "/Date(1795564800000+0000)/"
    assert _ms(after["UpdatedDateUTC"]) > _ms(before["UpdatedDateUTC"])  # tap-xero reads by it
    assert after["Payments"][0]["PaymentID"] == made["PaymentID"]
    listed = xero_openapi.check(org.xero("GET", "/Payments"))
    assert [p["PaymentID"] for p in listed["Payments"]] == [made["PaymentID"]]


def test_part_payments_move_amount_due_until_paid(org):
    pay(org, payment(amount=1000.0))
    partly = stored_invoice(org, "Q-1")
    assert (partly["Status"], partly["AmountDue"], partly["AmountPaid"]) == (
        "AUTHORISED",
        250.0,
        1000.0,
    )
    pay(org, payment(amount=250.0))
    assert stored_invoice(org, "Q-1")["Status"] == "PAID"


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (payment(amount=1250.01), "Payment amount exceeds the amount outstanding on this document"),
        (payment("Q-DRAFT"), "Payments can only be made against Authorised documents"),
        (payment(code="200"), "Account type is invalid for making a payment to/from"),
        (payment(code="999"), "Account code '999' is not a valid code for this document."),
        (payment(amount=0), "Payment amount must be greater than zero."),
        (payment("NOPE"), "Invoice could not be found."),
        (payment(Date=None), "Payment Date must be specified."),
    ],
)
def test_payment_rules(org, element, message):
    response = pay(org, element)
    assert response.status_code == 200
    [result] = response.json()["Payments"]
    assert result["StatusAttributeString"] == "ERROR"
    assert message in [e["Message"] for e in result["ValidationErrors"]]
    assert org.xero_state()["payments"] == []


def test_a_paid_invoice_takes_no_second_payment(org):
    pay(org, payment())
    [result] = pay(org, payment(amount=1.0)).json()["Payments"]
    assert result["ValidationErrors"] == [
        {"Message": "Payments can only be made against Authorised documents"}
    ]


def credit_note(number: str = "CN-1", amount: float = 400.0, **changes) -> dict:
    doc = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": number,
        "Contact": CONTACT,
        "Date": "2026-11-21",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Avbestilling",
                "Quantity": 1,
                "UnitAmount": amount,
                "AccountCode": "200",
            }
        ],
    }
    doc.update(changes)
    return doc


def test_credit_note_totals_and_upsert(org, xero_openapi):
    response = org.xero(
        "PUT", "/CreditNotes?summarizeErrors=false", json={"CreditNotes": [credit_note()]}
    )
    [note] = xero_openapi.check(response)["CreditNotes"]
    assert (note["Total"], note["TotalTax"], note["RemainingCredit"]) == (500.0, 100.0, 500.0)
    again = org.xero(
        "PUT", "/CreditNotes?summarizeErrors=false", json={"CreditNotes": [credit_note()]}
    )
    assert again.json()["CreditNotes"][0]["ValidationErrors"] == [
        {"Message": "Credit Note # must be unique."}
    ]
    update = org.xero(
        "POST", "/CreditNotes", json={"CreditNotes": [credit_note(Reference="Avlyst")]}
    )
    assert update.json()["CreditNotes"][0]["CreditNoteID"] == note["CreditNoteID"]
    listed = xero_openapi.check(org.xero("GET", "/CreditNotes"))
    assert [n["Reference"] for n in listed["CreditNotes"]] == ["Avlyst"]
    # Xero's OpenAPI has no summaryOnly on GET /CreditNotes: the lines come all the same.
    summary = org.xero("GET", "/CreditNotes", params={"summaryOnly": "true"}).json()
    assert summary["CreditNotes"][0]["LineItems"] == listed["CreditNotes"][0]["LineItems"]


def test_a_credit_note_keeps_no_url_as_xeros_credit_note_has_none(org, xero_openapi):
    # Xero's OpenAPI CreditNote has no Url (Invoice has): one sent is ignored, never returned.
    link = "https://qondor.example/Invoicing/v1/Invoice/5012"
    response = org.xero(
        "PUT", "/CreditNotes?summarizeErrors=false", json={"CreditNotes": [credit_note(Url=link)]}
    )
    [note] = xero_openapi.check(response)["CreditNotes"]
    assert not note.get("ValidationErrors") and "Url" not in note
    assert all("Url" not in n for n in org.xero("GET", "/CreditNotes").json()["CreditNotes"])


def allocate(box, note_id: str, invoice_id: str, amount: float):
    body = {
        "Allocations": [
            {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": "2026-11-22"}
        ]
    }
    return box.xero("PUT", f"/CreditNotes/{note_id}/Allocations?summarizeErrors=false", json=body)


def test_allocating_a_credit_note_reduces_the_invoice(org, xero_openapi):
    [note] = org.xero("PUT", "/CreditNotes", json={"CreditNotes": [credit_note()]}).json()[
        "CreditNotes"
    ]
    target = stored_invoice(org, "Q-1")
    response = allocate(org, note["CreditNoteID"], target["InvoiceID"], 500.0)
    [allocation] = xero_openapi.check(response)["Allocations"]
    assert allocation["Amount"] == 500.0
    after = stored_invoice(org, "Q-1")
    assert (after["AmountDue"], after["AmountCredited"], after["Status"]) == (
        750.0,
        500.0,
        "AUTHORISED",
    )
    note_after = org.xero("GET", f"/CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]
    assert note_after["RemainingCredit"] == 0 and note_after["Status"] == "PAID"


def test_allocation_rules(org):
    [note] = org.xero(
        "PUT", "/CreditNotes", json={"CreditNotes": [credit_note(amount=2000.0)]}
    ).json()["CreditNotes"]
    [draft_note] = org.xero(
        "PUT", "/CreditNotes", json={"CreditNotes": [credit_note("CN-2", Status="DRAFT")]}
    ).json()["CreditNotes"]
    q1 = stored_invoice(org, "Q-1")["InvoiceID"]
    draft = stored_invoice(org, "Q-DRAFT")["InvoiceID"]

    def message(response) -> list[str]:
        return [e["Message"] for e in response.json()["Allocations"][0]["ValidationErrors"]]

    assert message(allocate(org, note["CreditNoteID"], q1, 1300.0)) == [
        "The amount allocated exceeds the amount due on the invoice."
    ]
    assert message(allocate(org, note["CreditNoteID"], draft, 10.0)) == [
        "Allocations can only be made to Authorised invoices"
    ]
    assert "Allocations can only be made from Authorised credit notes" in message(
        allocate(org, draft_note["CreditNoteID"], q1, 10.0)
    )
    small = org.xero(
        "PUT", "/CreditNotes", json={"CreditNotes": [credit_note("CN-3", amount=8.0)]}
    ).json()
    assert message(allocate(org, small["CreditNotes"][0]["CreditNoteID"], q1, 20.0)) == [
        "The amount allocated exceeds the remaining credit on the credit note."
    ]
    missing = allocate(org, "00000000-0000-4000-8000-00000000dead", q1, 1.0)
    assert missing.status_code == 404


def test_admin_pay_pays_the_full_amount_due_into_090(org):
    payments = org.pay(["Q-1"], date="2026-12-01")
    assert payments[0]["Amount"] == 1250.0
    assert payments[0]["Account"]["Code"] == "090"
    paid = stored_invoice(org, "Q-1")
    assert paid["Status"] == "PAID"
    assert paid["FullyPaidOnDate"] == "/Date(1796083200000+0000)/"
    refused = org.http.post(
        f"{org.xero_url}/_sandbox/pay", json={"invoices": ["Q-DRAFT"]}, timeout=30
    )
    assert refused.status_code == 400
    assert "Q-DRAFT" in refused.json()["error"]


def test_admin_pay_accepts_invoice_objects(org):
    q1 = stored_invoice(org, "Q-1")
    org.admin(org.xero_url, "POST", "pay", {"invoices": [{"InvoiceID": q1["InvoiceID"]}]})
    assert stored_invoice(org, "Q-1")["Status"] == "PAID"


def test_credit_notes_take_positive_amounts_only(org):
    response = org.xero(
        "PUT",
        "/CreditNotes?summarizeErrors=false",
        json={"CreditNotes": [credit_note("CN-NEG", amount=-400.0)]},
    )
    [element] = response.json()["CreditNotes"]
    assert element["ValidationErrors"] == [{"Message": "Credit Note total must not be negative."}]
    assert org.xero_state()["creditNotes"] == []


def test_deleting_a_payment_reopens_the_invoice_as_xero_does(org, xero_openapi):
    [made] = pay(org, payment()).json()["Payments"]
    paid = stored_invoice(org, "Q-1")
    assert paid["Status"] == "PAID"

    response = org.xero("POST", f"/Payments/{made['PaymentID']}", json={"Status": "DELETED"})
    [deleted] = xero_openapi.check(response)["Payments"]

    assert deleted["Status"] == "DELETED" and deleted["Invoice"]["Status"] == "AUTHORISED"
    after = stored_invoice(org, "Q-1")
    assert after["Status"] == "AUTHORISED" and "FullyPaidOnDate" not in after
    assert after["AmountDue"] == 1250.0 and after["AmountPaid"] == 0 and after["Payments"] == []
    assert _ms(after["UpdatedDateUTC"]) > _ms(paid["UpdatedDateUTC"])
    # Still listed, as DELETED, and found by tap-xero's filter.
    listed = org.xero("GET", "/Payments", params={"where": 'Status=="DELETED"'}).json()
    assert [p["PaymentID"] for p in listed["Payments"]] == [made["PaymentID"]]
    again = org.xero("POST", f"/Payments/{made['PaymentID']}", json={"Status": "DELETED"})
    assert again.status_code == 400 and "already been deleted" in again.text
    edit = org.xero("POST", f"/Payments/{made['PaymentID']}", json={"Amount": 1})
    assert edit.status_code == 400 and "can only be deleted" in edit.text


def test_admin_part_pay_void_and_remove_payments(org):
    x = org.xero_url
    [part] = org.admin(x, "POST", "pay", {"invoices": ["Q-1"], "amount": 250})["payments"]
    assert part["Amount"] == 250.0
    half = stored_invoice(org, "Q-1")
    assert half["Status"] == "AUTHORISED" and half["AmountPaid"] == 250.0
    with pytest.raises(SandboxError, match="400.*Q-1"):  # Xero voids no invoice with payments
        org.admin(x, "POST", "void", {"invoices": ["Q-1"]})

    [removed] = org.admin(x, "POST", "remove-payments", {"invoices": ["Q-1"]})["payments"]
    assert removed["PaymentID"] == part["PaymentID"] and removed["Status"] == "DELETED"
    [voided] = org.admin(x, "POST", "void", {"invoices": ["Q-1"]})["invoices"]
    [deleted] = org.admin(x, "POST", "void", {"invoices": ["Q-DRAFT"]})["invoices"]
    assert (voided["Status"], deleted["Status"]) == ("VOIDED", "DELETED")
    with pytest.raises(SandboxError, match="400.*VOIDED"):
        org.admin(x, "POST", "pay", {"invoices": ["Q-1"], "amount": 5})
