"""Loading objects in Xero's own shapes into the store, fast (100,000 invoices in seconds).

Seeding trusts its input more than the API does (no uniqueness checks), but it computes totals
from the chart of accounts, assigns ids and numbers, and records payments for PAID invoices.
"""

from __future__ import annotations

import gc
import json
import uuid
from typing import Any

from sandbox.db import Database
from sandbox.xero import chart, store, tracking
from sandbox.xero.dates import now_ms, parse_modified_since, parse_request_date
from sandbox.xero.totals import compute_totals, money
from sandbox.xero.writes import CONTACT_FIELDS, DOCUMENT_FIELDS, LINE_FIELDS


class SeedError(ValueError):
    """An object that cannot be seeded; the message names it and the field."""


def _updated(value: Any, default: int) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith("/Date("):
        return int(value[6:].split(")")[0].split("+")[0].split("-")[0] or default)
    if isinstance(value, str):
        parsed = parse_modified_since(value)
        if parsed is not None:
            return parsed
    return default


def seed_objects(db: Database, data: dict[str, Any]) -> dict[str, int]:
    """Add accounts, currencies, contacts, invoices and credit notes; counts of what was added."""
    gc.disable()  # hundreds of thousands of small dicts: the cyclic collector only slows this
    try:
        return _seed_objects(db, data)
    finally:
        gc.enable()


def _seed_objects(db: Database, data: dict[str, Any]) -> dict[str, int]:
    known = {"accounts", "currencies", "contacts", "invoices", "creditNotes"}
    unknown = sorted(set(data) - known - {"trackingCategories", "brandingThemes"})
    if unknown:
        raise SeedError(f"seed: unknown key {unknown[0]!r}")
    now = now_ms()
    counts = {}
    with db.write() as conn:
        accounts = [_account(a, i, now) for i, a in enumerate(data.get("accounts") or [])]
        store.save(conn, store.ACCOUNTS, accounts)
        currencies = []
        for i, c in enumerate(data.get("currencies") or []):
            if not isinstance(c, dict) or not c.get("Code"):
                raise SeedError(f"seed: currencies[{i}]: field 'Code' is required")
            currencies.append({"Code": c["Code"], "Description": c.get("Description", c["Code"])})
        store.save(conn, store.CURRENCIES, currencies)
        contacts = [_contact(c, i, now) for i, c in enumerate(data.get("contacts") or [])]
        store.save(conn, store.CONTACTS, contacts)
        counts.update(accounts=len(accounts), currencies=len(currencies), contacts=len(contacts))
        try:
            categories = [
                tracking.seed_category(c, i)
                for i, c in enumerate(data.get("trackingCategories") or [])
            ]
            themes = [
                tracking.seed_theme(b, i) for i, b in enumerate(data.get("brandingThemes") or [])
            ]
        except ValueError as exc:
            raise SeedError(str(exc)) from None
        store.save(conn, store.TRACKING_CATEGORIES, categories)
        store.save(conn, store.BRANDING_THEMES, themes)
        counts.update(trackingCategories=len(categories), brandingThemes=len(themes))

    rates = {r["code"]: r["doc"] for r in db.query("SELECT code, doc FROM xero_accounts")}
    tax_by_code = {code: json.loads(doc).get("TaxType", "NONE") for code, doc in rates.items()}
    bank = store.find_one(db, store.ACCOUNTS, "code = '090'", []) or store.find_one(
        db, store.ACCOUNTS, "type = 'BANK'", []
    )
    contact_index = _ContactIndex(db)
    for key, kind_name in (("invoices", "Invoice"), ("creditNotes", "CreditNote")):
        docs, payments = [], []
        for i, element in enumerate(data.get(key) or []):
            doc = _document(element, i, kind_name, tax_by_code, contact_index, now)
            if kind_name == "Invoice" and doc["Status"] == "PAID":
                payments.append(_full_payment(doc, bank, now))
            docs.append(doc)
        with db.write() as conn:
            store.save(conn, store.INVOICES if kind_name == "Invoice" else store.CREDIT_NOTES, docs)
            store.save(conn, store.PAYMENTS, payments)
        counts[key] = len(docs)
    return counts


def _account(a: Any, i: int, now: int) -> dict[str, Any]:
    if not isinstance(a, dict) or not a.get("Code"):
        raise SeedError(f"seed: accounts[{i}]: field 'Code' is required")
    doc = dict(a)
    doc.setdefault("AccountID", str(uuid.uuid4()))
    doc.setdefault("Status", "ACTIVE")
    doc.setdefault("TaxType", "NONE")
    doc.setdefault("EnablePaymentsToAccount", False)
    doc["UpdatedDateUTC"] = _updated(doc.get("UpdatedDateUTC"), now)
    return doc


def _contact(c: Any, i: int, now: int) -> dict[str, Any]:
    if not isinstance(c, dict) or not c.get("Name"):
        raise SeedError(f"seed: contacts[{i}]: field 'Name' is required")
    doc = {k: c[k] for k in CONTACT_FIELDS if c.get(k) is not None}
    doc["ContactID"] = str(c.get("ContactID") or uuid.uuid4())
    doc.setdefault("ContactStatus", "ACTIVE")
    doc["UpdatedDateUTC"] = _updated(c.get("UpdatedDateUTC"), now)
    return doc


class _ContactIndex:
    """Contacts by id, number and name, loaded once per seed."""

    def __init__(self, db: Database) -> None:
        self.by_id: dict[str, dict[str, str]] = {}
        self.by_number: dict[str, dict[str, str]] = {}
        self.by_name: dict[str, dict[str, str]] = {}
        for r in db.query("SELECT contact_id, name, contact_number FROM xero_contacts"):
            ref = {"ContactID": r["contact_id"], "Name": r["name"]}
            self.by_id[r["contact_id"].lower()] = ref
            if r["contact_number"]:
                self.by_number[r["contact_number"].lower()] = ref
            self.by_name.setdefault((r["name"] or "").lower(), ref)

    def find(self, ref: Any) -> dict[str, str] | None:
        if not isinstance(ref, dict):
            return None
        for key, index in (
            ("ContactID", self.by_id),
            ("ContactNumber", self.by_number),
            ("Name", self.by_name),
        ):
            if ref.get(key) and str(ref[key]).lower() in index:
                return index[str(ref[key]).lower()]
        return None


def _document(
    element: Any,
    i: int,
    kind_name: str,
    tax_by_code: dict[str, str],
    contacts: _ContactIndex,
    now: int,
) -> dict[str, Any]:
    where = "invoices" if kind_name == "Invoice" else "creditNotes"
    if not isinstance(element, dict):
        raise SeedError(f"seed: {where}[{i}]: must be an object")
    contact = contacts.find(element.get("Contact"))
    if contact is None:
        raise SeedError(f"seed: {where}[{i}]: field 'Contact' names no stored contact")
    doc = {k: element[k] for k in DOCUMENT_FIELDS if element.get(k) is not None}
    id_field = f"{kind_name}ID"
    number_field = f"{kind_name}Number"
    doc[id_field] = str(element.get(id_field) or uuid.uuid4())
    if element.get(number_field):
        doc[number_field] = element[number_field]
    doc.setdefault("Type", "ACCREC" if kind_name == "Invoice" else "ACCRECCREDIT")
    doc.setdefault("Status", "AUTHORISED")
    doc.setdefault("LineAmountTypes", "Exclusive")
    doc.setdefault("CurrencyCode", chart.BASE_CURRENCY)
    doc.setdefault("Reference", "")
    doc["Contact"] = dict(contact)
    for field in ("Date", "DueDate"):
        if field in element:
            parsed = parse_request_date(element[field])
            if parsed is None:
                raise SeedError(f"seed: {where}[{i}]: field {field!r} is not a date")
            doc[field] = parsed
    doc.setdefault("Date", now // 86_400_000 * 86_400_000)
    lines = []
    for line_in in element.get("LineItems") or []:
        line = {k: line_in[k] for k in LINE_FIELDS if k in line_in}
        line.setdefault("LineItemID", str(uuid.uuid4()))
        tax_type = line.get("TaxType") or tax_by_code.get(str(line.get("AccountCode")), "NONE")
        line["TaxType"] = tax_type
        line["_rate"] = chart.tax_rate(tax_type) or 0.0
        lines.append(line)
    doc.update(compute_totals(lines, doc["LineAmountTypes"]))
    doc["LineItems"] = lines
    if kind_name == "Invoice":
        doc["AmountPaid"] = 0.0
        doc["AmountCredited"] = 0.0
        doc["AmountDue"] = doc["Total"]
        doc["Payments"] = []
        doc["CreditNotes"] = []
    else:
        doc["RemainingCredit"] = doc["Total"] if doc["Status"] != "PAID" else 0.0
        doc["Allocations"] = []
    doc["UpdatedDateUTC"] = _updated(element.get("UpdatedDateUTC"), now)
    return doc


def _full_payment(invoice: dict[str, Any], bank: dict[str, Any] | None, now: int) -> dict[str, Any]:
    """The payment that made a seeded PAID invoice paid."""
    paid_on = invoice.get("DueDate") or invoice["Date"]
    if isinstance(invoice.get("FullyPaidOnDate"), str):
        paid_on = parse_request_date(invoice["FullyPaidOnDate"]) or paid_on
    amount = money(invoice["Total"])
    payment_id = str(uuid.uuid4())
    invoice["AmountPaid"] = float(amount)
    invoice["AmountDue"] = 0.0
    invoice["FullyPaidOnDate"] = paid_on
    invoice["Payments"] = [
        {
            "PaymentID": payment_id,
            "Date": paid_on,
            "Amount": float(amount),
            "Reference": "",
            "CurrencyRate": 1.0,
        }
    ]
    bank = bank or {"AccountID": str(uuid.UUID(int=0)), "Code": "090"}
    return {
        "PaymentID": payment_id,
        "Date": paid_on,
        "Amount": float(amount),
        "BankAmount": float(amount),
        "CurrencyRate": 1.0,
        "Reference": "",
        "IsReconciled": False,
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT",
        "Account": {"AccountID": bank["AccountID"], "Code": bank.get("Code")},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice["Type"],
            "CurrencyCode": invoice["CurrencyCode"],
            "Contact": invoice["Contact"],
        },
        "UpdatedDateUTC": invoice["UpdatedDateUTC"]
        if isinstance(invoice.get("UpdatedDateUTC"), int)
        else now,
    }


def seed_defaults(db: Database, data: dict[str, Any]) -> dict[str, int]:
    """Seed a scenario's Xero side; the built-in chart and currencies fill what it lacks."""
    data = dict(data or {})
    if not data.get("accounts"):
        data["accounts"] = chart.ACCOUNTS
    if not data.get("currencies"):
        data["currencies"] = chart.CURRENCIES
    if not data.get("brandingThemes"):
        data["brandingThemes"] = [{"Name": "Standard", "SortOrder": 0}]  # every organisation's
    return seed_objects(db, data)
