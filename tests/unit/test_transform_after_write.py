"""After the write: the day a PAID invoice was paid, and why a credit note cannot be sent."""

from qondor_xero.checks import credited_invoice_problem
from qondor_xero.transform import paid_day
from qondor_xero.xero.dates import xero_day

NOTE = {"id": 5036, "invoiceNumber": "100236", "invoiceKind": "credit_note"}


def test_paid_day_is_fully_paid_on_date_else_the_fallback():
    # 2026-11-20T00:00:00Z as Xero writes it.
    invoice = {"Status": "PAID", "FullyPaidOnDate": "/Date(1795132800000+0000)/"}
    assert paid_day(invoice, "2026-11-27") == "2026-11-20"
    assert paid_day({"Status": "PAID", "FullyPaidOnDate": "2026-11-21T00:00:00"}, "x") == (
        "2026-11-21"
    )
    assert paid_day({"Status": "PAID"}, "2026-11-27T08:00:00") == "2026-11-27"


def test_an_invoice_not_paid_has_no_paid_day():
    for status in ("AUTHORISED", "DRAFT", "VOIDED", None):
        assert paid_day({"Status": status, "FullyPaidOnDate": "2026-11-21"}, "2026-11-27") is None


def test_xero_date_reads_both_forms_and_refuses_the_rest():
    assert xero_day("/Date(1795132800000)/") == "2026-11-20"
    assert xero_day("2026-11-20") == "2026-11-20"
    assert xero_day("20 Nov") is None and xero_day(None) is None


def test_credit_note_for_an_invoice_not_in_xero_names_both_numbers():
    note = {**NOTE, "creditedInvoiceNumber": " 100106 "}
    assert credited_invoice_problem(note) == (
        "Credit note 100236: the invoice it cancels, 100106, is not in Xero; sync that invoice "
        "(or enter it in Xero) first, then issue the credit note again"
    )


def test_credit_note_for_an_invoice_that_failed_says_why_it_failed():
    note = {**NOTE, "creditedInvoiceNumber": "100218"}
    why = "Invoice 100218: article number not mapped to a Xero account code: MISC (line 3)"
    message = credited_invoice_problem(note, why)
    assert message.startswith("Credit note 100236: the invoice it cancels, 100218, failed in this")
    assert why in message and message.endswith("then issue the credit note again")
