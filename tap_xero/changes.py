"""What changed in Xero after a sync that Qondor cannot show: `invoice_changes` rows.

Qondor's states end at Paid. A sales invoice voided or deleted in Xero, paid in part, or whose
payment was removed is reported as one row per change; target-qondor logs and counts them.
Pure: Xero documents in, rows out.
"""

from __future__ import annotations

from typing import Any

from .records import XeroRecordError, iso_date, iso_datetime

VOIDED = "voided"
DELETED = "deleted"
PART_PAID = "part_paid"
PAYMENT_REMOVED = "payment_removed"
CHANGES = (VOIDED, DELETED, PART_PAID, PAYMENT_REMOVED)

INVOICE_FIELDS = ("InvoiceID", "InvoiceNumber", "Status", "CurrencyCode")
AMOUNTS = ("Total", "AmountPaid", "AmountDue")


def invoice_change(invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The change a read sales invoice shows, or None: VOIDED, DELETED, or AUTHORISED part paid."""
    if invoice.get("Type") != "ACCREC":
        return None
    status = invoice.get("Status")
    if status == "VOIDED":
        change = VOIDED
    elif status == "DELETED":
        change = DELETED
    elif status == "AUTHORISED" and (invoice.get("AmountPaid") or 0) > 0:
        change = PART_PAID
    else:
        return None
    return _row(invoice, change, invoice.get("UpdatedDateUTC"), _label(invoice))


def removed_payment_change(
    payment: dict[str, Any], invoice_now: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The row for a DELETED payment on a sales invoice; the invoice's figures as read this run
    (`invoice_now`), else as the payment carries them."""
    if payment.get("Status") != "DELETED" or payment.get("PaymentType") not in (
        None,
        "ACCRECPAYMENT",
    ):
        return None
    invoice = {**(payment.get("Invoice") or {}), **(invoice_now or {})}
    if not invoice.get("InvoiceID"):
        return None
    label = f"{_label(invoice)}, payment {payment.get('PaymentID')}"
    row = _row(invoice, PAYMENT_REMOVED, payment.get("UpdatedDateUTC"), label)
    row["PaymentID"] = payment.get("PaymentID")
    row["PaymentAmount"] = payment.get("Amount")
    row["PaymentDate"] = iso_date(payment.get("Date"), label, "Date")
    return row


def _label(invoice: dict[str, Any]) -> str:
    return f"invoice {invoice.get('InvoiceNumber') or '(no number)'} ({invoice.get('InvoiceID')})"


def _row(invoice: dict[str, Any], change: str, updated: Any, label: str) -> dict[str, Any]:
    moment = iso_datetime(updated, label, "UpdatedDateUTC")
    if moment is None:
        raise XeroRecordError(f"Xero {label}: UpdatedDateUTC is missing")
    contact = invoice.get("Contact") or {}
    return {
        "InvoiceID": invoice.get("InvoiceID"),
        "Change": change,
        **{name: invoice.get(name) for name in INVOICE_FIELDS if name != "InvoiceID"},
        "Contact": {"ContactID": contact.get("ContactID"), "Name": contact.get("Name")},
        **{name: invoice.get(name) for name in AMOUNTS},
        "PaymentID": None,
        "PaymentAmount": None,
        "PaymentDate": None,
        "UpdatedDateUTC": moment,
    }
