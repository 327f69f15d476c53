"""Xero invoices and credit notes as Singer records: the fields we publish, dates in ISO 8601.

Date, DueDate and FullyPaidOnDate are days in Xero (sent as midnight): they become `YYYY-MM-DD`.
UpdatedDateUTC is a moment: an ISO 8601 date-time in UTC.
"""

from __future__ import annotations

from typing import Any

from qondor_xero.xero.dates import parse_xero_date, xero_datetime

INVOICE_FIELDS = (
    "InvoiceID",
    "InvoiceNumber",
    "Type",
    "Status",
    "Reference",
    "CurrencyCode",
    "Total",
    "AmountDue",
    "AmountPaid",
    "AmountCredited",
    "Url",  # the link back to the Qondor item: target-qondor reads its id (qondor_xero.links)
)
CREDIT_NOTE_FIELDS = (
    "CreditNoteID",
    "CreditNoteNumber",
    "Type",
    "Status",
    "Reference",
    "CurrencyCode",
    "Total",
    "RemainingCredit",
)
DATE_FIELDS = ("Date", "DueDate", "FullyPaidOnDate")


class XeroRecordError(ValueError):
    """An object from Xero that cannot become a record; the message names it and the field."""


def invoice_record(invoice: dict[str, Any]) -> dict[str, Any]:
    """The `invoices` record for one Xero invoice."""
    return _record(invoice, INVOICE_FIELDS, "invoice", "InvoiceNumber", "InvoiceID")


def credit_note_record(credit_note: dict[str, Any]) -> dict[str, Any]:
    """The `credit_notes` record for one Xero credit note."""
    return _record(
        credit_note, CREDIT_NOTE_FIELDS, "credit note", "CreditNoteNumber", "CreditNoteID"
    )


def _record(
    obj: dict[str, Any], fields: tuple[str, ...], kind: str, number_field: str, id_field: str
) -> dict[str, Any]:
    label = f"{kind} {obj.get(number_field) or '(no number)'} ({obj.get(id_field)})"
    record = {name: obj.get(name) for name in fields}
    contact = obj.get("Contact") or {}
    record["Contact"] = {"ContactID": contact.get("ContactID"), "Name": contact.get("Name")}
    for name in DATE_FIELDS:
        record[name] = iso_date(obj.get(name), label, name)
    record["UpdatedDateUTC"] = iso_datetime(obj.get("UpdatedDateUTC"), label, "UpdatedDateUTC")
    if record["UpdatedDateUTC"] is None:
        raise XeroRecordError(f"Xero {label}: UpdatedDateUTC is missing")
    return record


def iso_datetime(value: Any, label: str = "object", field: str = "date") -> str | None:
    """A Xero date (`/Date(ms±hhmm)/`, ISO string or datetime) as an ISO 8601 UTC date-time."""
    if value is None or value == "":
        return None
    try:
        moment = xero_datetime(value)
    except (TypeError, ValueError):
        raise XeroRecordError(f"Xero {label}: {field} {value!r} is not a date") from None
    return moment.isoformat()


def iso_date(value: Any, label: str = "object", field: str = "date") -> str | None:
    """A Xero day (`/Date(ms+0000)/` at midnight, ISO string or datetime) as `YYYY-MM-DD`.

    The day is read in the value's own offset: a day is not moved by time zones.
    """
    if value is None or value == "":
        return None
    try:
        moment = parse_xero_date(value)
    except (TypeError, ValueError):
        raise XeroRecordError(f"Xero {label}: {field} {value!r} is not a date") from None
    return moment.date().isoformat() if moment else None


LINE_FIELDS = (
    "LineItemID",
    "Description",
    "ItemCode",
    "AccountCode",
    "TaxType",
    "Quantity",
    "UnitAmount",
    "DiscountRate",
    "TaxAmount",
    "LineAmount",
)
MAX_TRACKING = 2  # Xero allows two active tracking categories


def line_records(doc: dict[str, Any], id_field: str, number_field: str) -> list[dict[str, Any]]:
    """One row per line item of an invoice or credit note, keyed by its id and `LineNo` (from 1).

    Tracking becomes plain columns (`TrackingCategory1`, `TrackingOption1`, ...), and each row
    carries the document's UpdatedDateUTC, so a re-read document overwrites its lines.
    """
    kind = "invoice" if id_field == "InvoiceID" else "credit note"
    label = f"{kind} {doc.get(number_field) or '(no number)'} ({doc.get(id_field)})"
    updated = iso_datetime(doc.get("UpdatedDateUTC"), label, "UpdatedDateUTC")
    rows = []
    for number, line in enumerate(doc.get("LineItems") or [], start=1):
        row: dict[str, Any] = {
            id_field: doc.get(id_field),
            number_field: doc.get(number_field),
            "LineNo": number,
            **{name: line.get(name) for name in LINE_FIELDS},
        }
        tracking = line.get("Tracking") or []
        for slot in range(1, MAX_TRACKING + 1):
            entry = tracking[slot - 1] if len(tracking) >= slot else {}
            row[f"TrackingCategory{slot}"] = entry.get("Name")
            row[f"TrackingOption{slot}"] = entry.get("Option")
        row["UpdatedDateUTC"] = updated
        rows.append(row)
    return rows
