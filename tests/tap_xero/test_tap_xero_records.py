"""Xero invoices become records with Xero's names and ISO 8601 date-times."""

import pytest

from tap_xero.records import XeroRecordError, credit_note_record, invoice_record

PAID_INVOICE = {
    "Type": "ACCREC",
    "InvoiceID": "8f0c7b52-3a8f-4a55-9a6f-0c2b1e1d0a01",
    "InvoiceNumber": "100231",
    "Reference": "PO 4500012",
    "Status": "PAID",
    "Contact": {"ContactID": "c-1", "Name": "Fjord Events AS", "EmailAddress": "x@y.no"},
    "Date": "/Date(1795132800000+0000)/",
    "DueDate": "/Date(1796342400000+0000)/",
    "DateString": "2026-11-20T00:00:00",
    "CurrencyCode": "NOK",
    "SubTotal": 3000.0,
    "Total": 3750.0,
    "AmountDue": 0.0,
    "AmountPaid": 3750.0,
    "AmountCredited": 0.0,
    "FullyPaidOnDate": "/Date(1795996800000+0000)/",
    "UpdatedDateUTC": "/Date(1796034612345+0000)/",
    "Url": "https://qondor.azure-api.net/Prod/Invoicing/v1/Invoice/5012",
    "LineItems": [{"Description": "Hotel"}],
}


def test_paid_invoice_record_has_iso_dates_and_only_published_fields():
    record = invoice_record(PAID_INVOICE)
    assert record == {
        "InvoiceID": "8f0c7b52-3a8f-4a55-9a6f-0c2b1e1d0a01",
        "InvoiceNumber": "100231",
        "Type": "ACCREC",
        "Status": "PAID",
        "Reference": "PO 4500012",
        "Contact": {"ContactID": "c-1", "Name": "Fjord Events AS"},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "CurrencyCode": "NOK",
        "Total": 3750.0,
        "AmountDue": 0.0,
        "AmountPaid": 3750.0,
        "AmountCredited": 0.0,
        "FullyPaidOnDate": "2026-11-30",
        "UpdatedDateUTC": "2026-11-30T10:30:12.345000+00:00",
        "Url": "https://qondor.azure-api.net/Prod/Invoicing/v1/Invoice/5012",
    }


def test_offset_dates_are_given_in_utc():
    invoice = {**PAID_INVOICE, "UpdatedDateUTC": "/Date(1796034612000+1300)/"}
    assert invoice_record(invoice)["UpdatedDateUTC"] == "2026-11-30T10:30:12+00:00"


def test_unpaid_invoice_has_no_paid_date():
    invoice = {**PAID_INVOICE, "Status": "AUTHORISED", "FullyPaidOnDate": None}
    del invoice["AmountCredited"]
    record = invoice_record(invoice)
    assert record["FullyPaidOnDate"] is None
    assert record["AmountCredited"] is None


def test_bad_date_names_the_invoice_and_the_field():
    invoice = {**PAID_INVOICE, "FullyPaidOnDate": "last tuesday"}
    with pytest.raises(XeroRecordError) as raised:
        invoice_record(invoice)
    message = str(raised.value)
    assert "100231" in message and "FullyPaidOnDate" in message and "\n" not in message


def test_missing_updated_date_is_refused():
    invoice = {**PAID_INVOICE, "UpdatedDateUTC": None}
    with pytest.raises(XeroRecordError, match="invoice 100231 .*UpdatedDateUTC is missing"):
        invoice_record(invoice)


def test_credit_note_record():
    note = {
        "Type": "ACCRECCREDIT",
        "CreditNoteID": "cn-1",
        "CreditNoteNumber": "CN-7",
        "Status": "PAID",
        "Contact": {"ContactID": "c-1", "Name": "Fjord Events AS"},
        "Date": "/Date(1795132800000+0000)/",
        "Total": 375.0,
        "RemainingCredit": 0.0,
        "UpdatedDateUTC": "/Date(1796034612345+0000)/",
    }
    record = credit_note_record(note)
    assert record["CreditNoteID"] == "cn-1"
    assert record["RemainingCredit"] == 0.0
    assert record["Date"] == "2026-11-20"
    assert record["DueDate"] is None
