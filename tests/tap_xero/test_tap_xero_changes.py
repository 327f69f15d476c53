"""Pure rows of tap-xero's child streams: line items and the changes Qondor cannot show."""

import pytest

from tap_xero.changes import invoice_change, removed_payment_change
from tap_xero.records import XeroRecordError, line_records

INVOICE = {
    "Type": "ACCREC",
    "InvoiceID": "8f0c7b52-3a8f-4a55-9a6f-0c2b1e1d0a01",
    "InvoiceNumber": "100231",
    "Status": "AUTHORISED",
    "Contact": {"ContactID": "c-1", "Name": "Fjord Events AS"},
    "CurrencyCode": "NOK",
    "Total": 3750.0,
    "AmountPaid": 0.0,
    "AmountDue": 3750.0,
    "UpdatedDateUTC": "/Date(1796034612345+0000)/",
    "LineItems": [{"Description": "Hotel", "LineAmount": 3000.0, "Tracking": []}],
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"Status": "VOIDED"}, "voided"),
        ({"Status": "DELETED"}, "deleted"),
        ({"AmountPaid": 500.0, "AmountDue": 3250.0}, "part_paid"),
        ({}, None),  # sent, nothing paid
        ({"Status": "PAID", "AmountPaid": 3750.0, "AmountDue": 0.0}, None),  # Qondor shows Paid
        ({"Status": "VOIDED", "Type": "ACCPAY"}, None),  # a bill is never a Qondor invoice
    ],
)
def test_which_invoices_are_changes(changes, expected):
    row = invoice_change({**INVOICE, **changes})
    assert (row["Change"] if row else None) == expected
    if row:
        assert row["UpdatedDateUTC"] == "2026-11-30T10:30:12.345000+00:00"
        assert row["Contact"] == {"ContactID": "c-1", "Name": "Fjord Events AS"}


def test_removed_payment_takes_the_invoice_as_read_this_run():
    payment = {
        "PaymentID": "p-1",
        "Status": "DELETED",
        "PaymentType": "ACCRECPAYMENT",
        "Amount": 3750.0,
        "Date": "/Date(1795996800000+0000)/",
        "UpdatedDateUTC": "/Date(1796040000000+0000)/",
        "Invoice": {"InvoiceID": INVOICE["InvoiceID"], "InvoiceNumber": "100231"},
    }
    row = removed_payment_change(payment, {**INVOICE, "Status": "AUTHORISED"})
    assert row["Change"] == "payment_removed" and row["Status"] == "AUTHORISED"
    assert (row["PaymentID"], row["PaymentAmount"], row["PaymentDate"]) == (
        "p-1",
        3750.0,
        "2026-11-30",
    )
    assert row["UpdatedDateUTC"].startswith("2026-11-30T12:00:00")
    assert removed_payment_change({**payment, "Status": "AUTHORISED"}, None) is None
    assert removed_payment_change({**payment, "PaymentType": "ACCPAYPAYMENT"}, None) is None


def test_a_change_without_its_moment_names_the_invoice_and_field():
    with pytest.raises(
        XeroRecordError, match=r"invoice 100231 \(8f0c.*\): UpdatedDateUTC is missing"
    ):
        invoice_change({**INVOICE, "Status": "VOIDED", "UpdatedDateUTC": None})


def test_line_rows_number_lines_and_spread_tracking_into_columns():
    doc = {
        **INVOICE,
        "LineItems": [
            {"LineItemID": "l-1", "Tracking": [{"Name": "Office", "Option": "Oslo"}]},
            {"LineItemID": "l-2"},
        ],
    }
    rows = line_records(doc, "InvoiceID", "InvoiceNumber")
    assert [(r["LineNo"], r["LineItemID"]) for r in rows] == [(1, "l-1"), (2, "l-2")]
    assert (rows[0]["TrackingCategory1"], rows[0]["TrackingOption1"]) == ("Office", "Oslo")
    assert rows[0]["TrackingCategory2"] is None and rows[1]["TrackingOption1"] is None
    with pytest.raises(XeroRecordError, match=r"invoice 100231 .*UpdatedDateUTC 'x' is not a date"):
        line_records({**doc, "UpdatedDateUTC": "x"}, "InvoiceID", "InvoiceNumber")
