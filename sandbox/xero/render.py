"""Stored documents → Xero's JSON: `/Date(...)/` dates with their `...String` twins."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.xero.dates import date_string, msdate, now_ms

PROVIDER_NAME = "Qondor Xero Sandbox"
# What GET /Contacts?summaryOnly=true leaves out. Xero's text says only "computation-heavy
# fields"; integrators report Addresses, Phones and TaxNumber gone but EmailAddress and
# BankAccountDetails kept, and the IsCustomer/IsSupplier roles gone. The lists a single-contact
# read adds (ContactPersons, ContactGroups, Balances, PaymentTerms) are left out too.
_CONTACT_HEAVY = (
    "Addresses",
    "Phones",
    "TaxNumber",
    "IsSupplier",
    "IsCustomer",
    "ContactPersons",
    "ContactGroups",
    "Balances",
    "PaymentTerms",
)


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _date_fields(out: dict[str, Any], *names: str) -> None:
    for name in names:
        value = out.get(name)
        if isinstance(value, int):
            out[name] = msdate(value)
            out[f"{name}String"] = date_string(value)
        elif value is None:
            out.pop(name, None)


def contact(doc: dict[str, Any], summary_only: bool = False) -> dict[str, Any]:
    """A Contact as Xero answers it."""
    out = _public(doc)
    out["UpdatedDateUTC"] = msdate(doc["UpdatedDateUTC"])
    out.setdefault("ContactStatus", "ACTIVE")
    out.setdefault("IsSupplier", False)
    out.setdefault("IsCustomer", False)
    out.setdefault("HasValidationErrors", False)
    if summary_only:
        for key in _CONTACT_HEAVY:
            out.pop(key, None)
    else:
        out.setdefault("Addresses", [])
        out.setdefault("Phones", [])
        out.setdefault("ContactGroups", [])
        out.setdefault("ContactPersons", [])
    return out


def _allocations(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        alloc = dict(item)
        _date_fields(alloc, "Date")
        out.append(alloc)
    return out


def _document(doc: dict[str, Any], summary_only: bool, *lists: str) -> dict[str, Any]:
    """What invoices and credit notes share: dates, the allocation `lists`, default flags."""
    out = _public(doc)
    _date_fields(out, "Date", "DueDate", "FullyPaidOnDate")
    out.pop("FullyPaidOnDateString", None)
    out["UpdatedDateUTC"] = msdate(doc["UpdatedDateUTC"])
    for name in lists:
        out[name] = _allocations(doc.get(name, []))
    out.setdefault("HasAttachments", False)
    out.setdefault("HasErrors", False)
    out.setdefault("CurrencyRate", 1.0)
    if summary_only:
        out.pop("LineItems", None)
    return out


def invoice(doc: dict[str, Any], summary_only: bool = False) -> dict[str, Any]:
    """An Invoice as Xero answers it."""
    out = _document(doc, summary_only, "Payments", "CreditNotes")
    out.setdefault("Prepayments", [])
    out.setdefault("Overpayments", [])
    out.setdefault("IsDiscounted", False)
    return out


def credit_note(doc: dict[str, Any], summary_only: bool = False) -> dict[str, Any]:
    """A CreditNote as Xero answers it: whole, as Xero's OpenAPI has summaryOnly only on
    GET /Contacts and GET /Invoices."""
    return _document(doc, False, "Allocations", "Payments")


def payment(doc: dict[str, Any]) -> dict[str, Any]:
    """A Payment as Xero answers it."""
    out = _public(doc)
    _date_fields(out, "Date")
    out.pop("DateString", None)
    out["UpdatedDateUTC"] = msdate(doc["UpdatedDateUTC"])
    out.setdefault("HasAccount", True)
    out.setdefault("HasValidationErrors", False)
    return out


def account(doc: dict[str, Any]) -> dict[str, Any]:
    """An Account as Xero answers it."""
    out = _public(doc)
    if isinstance(doc.get("UpdatedDateUTC"), int):
        out["UpdatedDateUTC"] = msdate(doc["UpdatedDateUTC"])
    return out


def envelope(key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Xero's response envelope around a list of objects."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": f"/Date({now_ms()})/",
    }
    body.update(extra)
    body[key] = items
    return body
