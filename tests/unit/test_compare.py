"""differences(): what a write would change in Xero's copy, judged on the fields we send."""

from __future__ import annotations

import copy

from qondor_xero.compare import differences

SENT = {
    "Type": "ACCREC",
    "InvoiceNumber": "100201",
    "Contact": {"ContactID": "c-1"},
    "Date": "2026-11-02",
    "DueDate": "2026-11-16",
    "CurrencyCode": "NOK",
    "LineAmountTypes": "Exclusive",
    "Reference": "Oslo kickoff",
    "Status": "AUTHORISED",
    "LineItems": [
        {"Description": "Hotel", "Quantity": 2.0, "UnitAmount": 1450.5, "AccountCode": "3000"},
        {"Description": "Dinner", "Quantity": 12.0, "UnitAmount": 590.0, "AccountCode": "3010"},
    ],
}

# As Xero answers GET /Invoices: /Date()/ values with their ...String twins, totals, tax, ids.
HELD = {
    "Type": "ACCREC",
    "InvoiceID": "i-1",
    "InvoiceNumber": "100201",
    "Contact": {"ContactID": "c-1", "Name": "Havblikk AS"},
    "Date": "/Date(1793577600000+0000)/",
    "DateString": "2026-11-02T00:00:00",
    "DueDate": "/Date(1794787200000+0000)/",
    "DueDateString": "2026-11-16T00:00:00",
    "CurrencyCode": "NOK",
    "LineAmountTypes": "Exclusive",
    "Reference": "Oslo kickoff",
    "Status": "AUTHORISED",
    "Total": 12474.38,
    "AmountDue": 12474.38,
    "LineItems": [
        {
            "LineItemID": "l-1",
            "Description": "Hotel",
            "Quantity": 2.0,
            "UnitAmount": 1450.50,
            "AccountCode": "3000",
            "TaxType": "OUTPUT2",
            "TaxAmount": 725.25,
            "LineAmount": 2901.0,
        },
        {
            "LineItemID": "l-2",
            "Description": "Dinner",
            "Quantity": 12.0000,
            "UnitAmount": 590,
            "AccountCode": "3010",
            "TaxType": "OUTPUT2",
        },
    ],
}


def held(**changes):
    copy_ = copy.deepcopy(HELD)
    copy_.update(changes)
    return copy_


def test_xero_copy_of_what_we_send_has_no_differences():
    assert differences(SENT, HELD) == []


def test_fields_xero_adds_never_count():
    assert differences(SENT, held(Total=1.0, AmountDue=0.0, UpdatedDateUTC="x")) == []


def test_an_empty_reference_is_the_same_as_none():
    sent = {k: v for k, v in SENT.items() if k != "Reference"}
    assert differences({**sent, "Reference": None}, held(Reference="")) == []


def test_each_changed_header_field_is_named():
    assert differences(SENT, held(Status="DRAFT")) == ["Status"]
    assert differences(SENT, held(CurrencyCode="SEK")) == ["CurrencyCode"]
    assert differences(SENT, held(Contact={"ContactID": "c-2"})) == ["Contact"]
    moved = held(Date="/Date(1793664000000+0000)/", DateString="2026-11-03T00:00:00")
    assert differences(SENT, moved) == ["Date"]


def test_dates_are_read_from_date_when_the_string_form_is_missing():
    bare = held()
    del bare["DateString"], bare["DueDateString"]
    assert differences(SENT, bare) == []


def test_changed_lines_are_named_by_position_and_field():
    changed = copy.deepcopy(HELD)
    changed["LineItems"][1]["Quantity"] = 13.0
    changed["LineItems"][0]["Description"] = "Hotel, 2 nights"
    assert differences(SENT, changed) == ["LineItems[1].Description", "LineItems[2].Quantity"]


def test_a_line_removed_or_added_is_a_difference():
    fewer = held(LineItems=HELD["LineItems"][:1])
    assert differences(SENT, fewer) == ["LineItems (count 1 → 2)"]


def test_without_xero_lines_it_cannot_tell_so_it_differs():
    summary = held()
    del summary["LineItems"]
    assert differences(SENT, summary) == ["LineItems"]


def test_tax_type_counts_only_when_we_send_it():
    sent = copy.deepcopy(SENT)
    sent["LineItems"][0]["TaxType"] = "OUTPUT2"
    assert differences(sent, HELD) == []
    sent["LineItems"][0]["TaxType"] = "NONE"
    assert differences(sent, HELD) == ["LineItems[1].TaxType"]
