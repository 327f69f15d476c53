"""What changed in Xero after a sync that Qondor cannot show: the rule for `invoice_changes`.

Qondor's states end at Paid, so these are reported, never written: one warning line each and a
count in the summary. Each change costs one Qondor lookup (by the Xero InvoiceID).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from qondor_xero.qondor import QondorClient, QondorNotFound, QondorValidationError
from qondor_xero.qondor.contract import InvoiceStatus


class Reported(StrEnum):
    """A change the summary counts (the JSON key)."""

    VOIDED = "voided_in_xero"
    DELETED = "deleted_in_xero"
    PART_PAID = "part_paid"
    PAYMENT_REMOVED = "payment_removed"


BY_CHANGE = {
    "voided": Reported.VOIDED,
    "deleted": Reported.DELETED,
    "part_paid": Reported.PART_PAID,
    "payment_removed": Reported.PAYMENT_REMOVED,
}
SENT = (InvoiceStatus.Processed, InvoiceStatus.Paid)


def describe(record: dict[str, Any]) -> str:
    """How a Xero invoice is named in messages: its number and id."""
    number = record.get("InvoiceNumber") or "(no number)"
    return f"Xero invoice {number} ({record.get('InvoiceID')})"


def amount(value: Any, currency: Any) -> str:
    """A money amount as `1,250.00 NOK` (or `?` when absent)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return "?"
    return f"{Decimal(str(value)):,.2f} {currency or ''}".strip()


def check_change(
    client: QondorClient, record: dict[str, Any]
) -> tuple[Reported | None, str | None, str | None]:
    """(what to count, the line to log, a problem) for one `invoice_changes` record.

    Reported: a VOIDED or DELETED invoice Qondor shows as Processed or Paid; a part payment of
    an invoice Qondor knows; a payment removed while Qondor shows Paid and Xero no longer does.
    Anything else (an invoice Qondor does not know, one it never sent) is not reported.
    """
    change: Any = record.get("Change")
    reported = BY_CHANGE.get(change) if isinstance(change, str) else None
    if reported is None:
        return None, None, f"{describe(record)}: Change {change!r} is not one of {list(BY_CHANGE)}"
    invoice_id = record.get("InvoiceID")
    if not isinstance(invoice_id, str) or not invoice_id:
        return None, None, f"{describe(record)}: InvoiceID {invoice_id!r} is not a Xero id"
    try:
        qondor = client.get_invoice_by_external_reference(invoice_id)
    except (QondorValidationError, QondorNotFound) as refused:
        return None, None, f"{describe(record)}: Qondor refused the lookup: {refused}"
    if qondor is None:
        return None, None, None
    status: Any = qondor.get("status")
    try:
        shown = InvoiceStatus(status).name
    except ValueError:
        shown = str(status)
    qondor_name = f"Qondor invoice {qondor.get('invoiceNumber') or qondor.get('id')}"
    currency = record.get("CurrencyCode")
    if reported in (Reported.VOIDED, Reported.DELETED):
        if status not in SENT:
            return None, None, None
        line = (
            f"{describe(record)}: {record.get('Status') or change.upper()} in Xero, but "
            f"{qondor_name} shows {shown}; nothing changed in Qondor"
        )
    elif reported is Reported.PART_PAID:
        line = (
            f"{describe(record)}: part paid in Xero, {amount(record.get('AmountPaid'), currency)}"
            f" of {amount(record.get('Total'), currency)} with "
            f"{amount(record.get('AmountDue'), currency)} due; {qondor_name} shows {shown} "
            "(Qondor has no part payments)"
        )
    else:
        if status != InvoiceStatus.Paid or record.get("Status") == "PAID":
            return None, None, None  # not Paid in Qondor, or paid again in Xero since
        paid_on = record.get("PaymentDate") or "?"
        line = (
            f"{describe(record)}: payment {record.get('PaymentID')} of "
            f"{amount(record.get('PaymentAmount'), currency)} ({paid_on}) removed in Xero after "
            f"{qondor_name} was marked Paid; Xero now {record.get('Status') or '?'} with "
            f"{amount(record.get('AmountDue'), currency)} due; Qondor still shows Paid"
        )
    return reported, line, None
