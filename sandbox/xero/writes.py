"""What a write does to the fake organisation: contacts, invoices and credit notes.

Each function handles ONE element in its own transaction (Xero batches are not atomic) and
returns an `Outcome`: the stored document, or the element's validation errors.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.db import Database
from sandbox.xero import store
from sandbox.xero import validation as v
from sandbox.xero.chart import BASE_CURRENCY, tax_rate
from sandbox.xero.dates import now_ms, parse_request_date
from sandbox.xero.totals import as_decimal, compute_totals, money, settle_line_amounts
from sandbox.xero.tracking import check_branding_theme, check_line_tracking

CONTACT_FIELDS = (
    "ContactNumber",
    "AccountNumber",
    "ContactStatus",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "TaxNumber",
    "Addresses",
    "Phones",
    "DefaultCurrency",
    "ContactPersons",
    "BankAccountDetails",
    "CompanyNumber",
    "Website",
    "SkypeUserName",
    "IsSupplier",
    "IsCustomer",
)
DOCUMENT_FIELDS = (
    "Type",
    "Date",
    "DueDate",
    "LineAmountTypes",
    "Reference",
    "Url",
    "CurrencyCode",
    "CurrencyRate",
    "Status",
    "SentToContact",
    "BrandingThemeID",
    "ExpectedPaymentDate",
)
LINE_FIELDS = (
    "LineItemID",
    "Description",
    "Quantity",
    "UnitAmount",
    "ItemCode",
    "AccountCode",
    "TaxType",
    "LineAmount",
    "TaxAmount",
    "DiscountRate",
    "Tracking",
)
WRITABLE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
FINAL_STATUSES = ("PAID", "VOIDED", "DELETED")


@dataclass(frozen=True)
class WriteOptions:
    """What a write request says beyond its body: `unitdp` (unit amounts kept to 2 or 4
    decimals) and, from a fault rule, a tax skew (tax stored off by that much: a defect to catch)."""

    unit_dp: int = 2
    tax_skew: float | None = None


@dataclass
class Outcome:
    """The result of writing one element."""

    element: Any
    doc: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the element was stored."""
        return not self.errors


@dataclass(frozen=True)
class DocumentKind:
    """Invoices and credit notes differ only in these names."""

    table: store.Table
    label: str  # "Invoice" / "Credit Note"
    short: str  # "Invoice" / "Credit Note" in "... # must be unique."
    id_field: str
    number_field: str
    types: tuple[str, ...]
    numbered_type: str  # the type whose number Xero keeps unique
    prefix: str
    fields: tuple[str, ...]  # header fields kept from a write; others are ignored, as at Xero


INVOICE = DocumentKind(
    store.INVOICES,
    "Invoice",
    "Invoice",
    "InvoiceID",
    "InvoiceNumber",
    ("ACCREC", "ACCPAY"),
    "ACCREC",
    "INV-",
    DOCUMENT_FIELDS,
)
CREDIT_NOTE = DocumentKind(
    store.CREDIT_NOTES,
    "Credit Note",
    "Credit Note",
    "CreditNoteID",
    "CreditNoteNumber",
    ("ACCRECCREDIT", "ACCPAYCREDIT"),
    "ACCRECCREDIT",
    "CN-",
    # Xero's CreditNote has no Url (OpenAPI): one sent is ignored, never stored or returned.
    tuple(f for f in DOCUMENT_FIELDS if f != "Url"),
)


def _next_number(db: Database, kind: DocumentKind) -> str:
    key = f"xero.next.{kind.prefix}"
    n = int(db.get_meta(key) or "0")
    while True:
        n += 1
        number = f"{kind.prefix}{n:04d}"
        if not _number_taken(db, kind, number, None):
            db.set_meta(key, str(n))
            return number


def _number_column(kind: DocumentKind) -> str:
    return "invoice_number" if kind is INVOICE else "credit_note_number"


def _number_taken(db: Database, kind: DocumentKind, number: str, own_id: str | None) -> bool:
    row = db.query_one(
        f"SELECT {kind.table.id_column} AS id FROM {kind.table.name} "
        f"WHERE {_number_column(kind)} = ? AND type = ? AND status != 'DELETED' "
        f"AND {kind.table.id_column} != ? LIMIT 1",
        (number, kind.numbered_type, own_id or ""),
    )
    return row is not None


def account_by_code(db: Database, code: str) -> dict[str, Any] | None:
    """An account by its code, or None."""
    return store.find_one(db, store.ACCOUNTS, "code = ?", [str(code)])


def currency_enabled(db: Database, code: str) -> bool:
    """Whether the organisation has a currency."""
    return db.query_one("SELECT 1 FROM xero_currencies WHERE code = ?", (code,)) is not None


# ---------------------------------------------------------------- contacts


def save_contact(db: Database, element: Any, create_only: bool, by_app: bool = True) -> Outcome:
    """Create (or with POST update, by ContactID) one contact."""
    out = Outcome(element)
    if not isinstance(element, dict):
        out.errors.append("A contact must be a JSON object.")
        return out
    with db.write():
        existing = None
        contact_id = element.get("ContactID")
        if contact_id:
            existing = (
                store.get(db, store.CONTACTS, contact_id) if v.valid_guid(contact_id) else None
            )
            if create_only and existing:
                out.errors.append(v.CONTACT_EXISTS.format(id=contact_id))
                return out
            if existing is None and not create_only:
                out.errors.append(v.CONTACT_NOT_FOUND.format(id=contact_id))
                return out
        doc: dict[str, Any] = dict(existing or {})
        doc.update({k: element[k] for k in CONTACT_FIELDS if element.get(k) is not None})
        if isinstance(doc.get("Name"), str):
            doc["Name"] = doc["Name"].strip()
        if existing is None:
            doc["ContactID"] = str(uuid.UUID(contact_id)) if contact_id else str(uuid.uuid4())
            doc.setdefault("ContactStatus", "ACTIVE")
            doc["_byApp"] = by_app
        out.errors = check_contact(db, doc)
        if out.errors:
            return out
        doc["UpdatedDateUTC"] = now_ms()
        store.save(db.connection(), store.CONTACTS, [doc])
        out.doc = doc
    return out


def check_contact(db: Database, doc: dict[str, Any]) -> list[str]:
    """Xero's rules for a contact about to be stored."""
    errors = []
    name = doc.get("Name")
    if not isinstance(name, str) or not name.strip():
        errors.append(v.CONTACT_NAME_REQUIRED)
    elif len(name) > 255:
        errors.append(v.CONTACT_NAME_TOO_LONG)
    status = doc.get("ContactStatus", "ACTIVE")
    if status not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
        errors.append(v.CONTACT_STATUS_INVALID)
    elif status == "ACTIVE" and isinstance(name, str) and name.strip():
        clash = db.query_one(
            "SELECT 1 FROM xero_contacts WHERE name = ? AND status = 'ACTIVE' AND contact_id != ?",
            (name.strip(), doc["ContactID"]),
        )
        if clash:
            errors.append(v.CONTACT_NAME_TAKEN.format(name=name))
    if not v.valid_email(doc.get("EmailAddress")):
        errors.append(v.EMAIL_INVALID)
    number = doc.get("ContactNumber")
    if isinstance(number, str) and len(number) > 50:
        errors.append(v.CONTACT_NUMBER_TOO_LONG)
    currency = doc.get("DefaultCurrency")
    if currency and not currency_enabled(db, str(currency)):
        errors.append(v.CURRENCY_NOT_ENABLED.format(code=currency))
    return errors


def _resolve_contact(
    db: Database, ref: Any, errors: list[str], by_app: bool
) -> dict[str, Any] | None:
    """The stored contact an invoice names (by ContactID, ContactNumber or Name); by Name
    a missing contact is created, as Xero does."""
    if not isinstance(ref, dict) or not any(
        ref.get(k) for k in ("ContactID", "ContactNumber", "Name")
    ):
        errors.append(v.CONTACT_REQUIRED)
        return None
    contact = None
    if ref.get("ContactID"):
        if v.valid_guid(ref["ContactID"]):
            contact = store.get(db, store.CONTACTS, ref["ContactID"])
        if contact is None:
            errors.append(v.CONTACT_NOT_FOUND.format(id=ref["ContactID"]))
            return None
    elif ref.get("ContactNumber"):
        contact = store.find_one(db, store.CONTACTS, "contact_number = ?", [ref["ContactNumber"]])
    if contact is None and ref.get("Name"):
        contact = store.find_one(
            db, store.CONTACTS, "name = ? AND status = 'ACTIVE'", [ref["Name"]]
        )
        if contact is None:
            created = save_contact(
                db, {k: ref[k] for k in CONTACT_FIELDS if k in ref}, True, by_app
            )
            errors.extend(created.errors)
            contact = created.doc
    if contact is None:
        if not errors:
            errors.append(v.CONTACT_REQUIRED)
        return None
    if contact.get("ContactStatus") == "ARCHIVED":
        errors.append(v.CONTACT_ARCHIVED.format(name=contact.get("Name")))
    return contact


# ---------------------------------------------------------------- invoices and credit notes


def save_document(
    db: Database,
    kind: DocumentKind,
    element: Any,
    create_only: bool,
    by_app: bool = True,
    options: WriteOptions = WriteOptions(),  # noqa: B008 (frozen)
) -> Outcome:
    """Create or update one invoice or credit note, with Xero's validation and totals."""
    out = Outcome(element)
    if not isinstance(element, dict):
        out.errors.append(f"An {kind.label.lower()} must be a JSON object.")
        return out
    doc: dict[str, Any] | None = None
    try:
        with db.write():
            existing = _find_existing(db, kind, element, create_only, out.errors)
            if not out.errors:
                out.errors, doc = _build_document(db, kind, element, existing, by_app, options)
            if out.errors or doc is None:
                raise _Rejected  # undo side effects, e.g. a contact created by name
            store.save(db.connection(), kind.table, [doc])
            out.doc = doc
    except _Rejected:
        pass
    return out


class _Rejected(Exception):
    """Rolls back the transaction of an element that failed validation."""


def _find_existing(
    db: Database, kind: DocumentKind, element: dict[str, Any], create_only: bool, errors: list[str]
) -> dict[str, Any] | None:
    doc_id = element.get(kind.id_field)
    if doc_id:
        existing = store.get(db, kind.table, doc_id) if v.valid_guid(doc_id) else None
        if create_only and existing:
            errors.append(v.DOCUMENT_EXISTS.format(label=kind.label, id=doc_id))
        elif existing is None and not create_only:
            errors.append(v.DOCUMENT_NOT_FOUND.format(label=kind.label, id=doc_id))
        return existing
    number = element.get(kind.number_field)
    if not create_only and number and element.get("Type", kind.numbered_type) == kind.numbered_type:
        return store.find_one(
            db,
            kind.table,
            f"{_number_column(kind)} = ? AND type = ? AND status != 'DELETED'",
            [str(number), kind.numbered_type],
        )
    return None


def _build_document(
    db: Database,
    kind: DocumentKind,
    element: dict[str, Any],
    existing: dict[str, Any] | None,
    by_app: bool,
    options: WriteOptions,
) -> tuple[list[str], dict[str, Any] | None]:
    errors: list[str] = []
    old_status = existing.get("Status") if existing else None
    if old_status in FINAL_STATUSES:
        return [v.NOT_MODIFIABLE.format(label=kind.label)], None
    doc: dict[str, Any] = json.loads(json.dumps(existing)) if existing else {}
    # a null is "not given", as at Xero
    doc.update({k: element[k] for k in kind.fields if element.get(k) is not None})
    if kind.number_field in element:
        doc[kind.number_field] = element[kind.number_field]
    if existing is None:
        doc[kind.id_field] = str(uuid.uuid4())
        doc.setdefault("Status", "DRAFT")
        doc.setdefault("LineAmountTypes", "Exclusive")
        doc["_byApp"] = by_app
    allocated = bool(existing) and (
        existing.get("AmountPaid", 0)
        or existing.get("AmountCredited", 0)
        or existing.get("Payments")
        or existing.get("Allocations")
    )

    if doc.get("Type") not in kind.types:
        errors.append(v.TYPE_INVALID.format(label=kind.label, types=" or ".join(kind.types)))
    status = doc.get("Status")
    allowed = WRITABLE_STATUSES if existing is None else WRITABLE_STATUSES + ("VOIDED", "DELETED")
    if status not in allowed:
        errors.append(v.STATUS_NOT_WRITABLE.format(status=status))
    elif existing is not None and status != old_status:
        moves = {
            "DRAFT": {"SUBMITTED", "AUTHORISED", "DELETED"},
            "SUBMITTED": {"DRAFT", "AUTHORISED", "DELETED"},
            "AUTHORISED": {"VOIDED"},
        }
        if status not in moves.get(old_status, set()):
            errors.append(v.NOT_MODIFIABLE.format(label=kind.label))
        elif status == "VOIDED" and allocated:
            errors.append(v.HAS_ALLOCATIONS)
    if allocated and "LineItems" in element:
        errors.append(v.HAS_ALLOCATIONS)

    contact_ref = element.get("Contact") if "Contact" in element else doc.get("Contact")
    contact = _resolve_contact(db, contact_ref, errors, by_app)

    for date_field in ("Date", "DueDate"):
        if date_field in element:
            raw = element[date_field]
            parsed = parse_request_date(raw) if raw not in (None, "") else None
            if raw not in (None, "") and parsed is None:
                errors.append(v.DATE_INVALID.format(value=raw, field=date_field))
            doc[date_field] = parsed
    if doc.get("Date") is None:
        doc["Date"] = now_ms() // 86_400_000 * 86_400_000
    if kind is INVOICE and doc.get("DueDate") is None and status in ("SUBMITTED", "AUTHORISED"):
        errors.append(v.DUE_DATE_REQUIRED.format(status=status))

    currency = doc.get("CurrencyCode") or BASE_CURRENCY
    doc["CurrencyCode"] = currency
    if not currency_enabled(db, str(currency)):
        errors.append(v.CURRENCY_NOT_ENABLED.format(code=currency))
    amount_types = doc.get("LineAmountTypes")
    if amount_types not in ("Exclusive", "Inclusive", "NoTax"):
        errors.append(v.LINE_AMOUNT_TYPES_INVALID)
    number = doc.get(kind.number_field)
    if number is not None and len(str(number)) > 255:
        errors.append(v.NUMBER_TOO_LONG.format(short=kind.short))
    elif (
        number
        and doc.get("Type") == kind.numbered_type
        and _number_taken(db, kind, str(number), doc[kind.id_field])
    ):
        errors.append(v.NUMBER_NOT_UNIQUE.format(short=kind.short))
    if isinstance(doc.get("Reference"), str) and len(doc["Reference"]) > 255:
        errors.append(v.REFERENCE_TOO_LONG)
    if not v.valid_url(doc.get("Url")):
        errors.append(v.URL_INVALID.format(value=doc.get("Url")))
    if "BrandingThemeID" in element:
        check_branding_theme(db, element["BrandingThemeID"], errors)

    if "LineItems" in element or existing is None:
        lines = _check_lines(db, element.get("LineItems") or [], status, errors, options.unit_dp)
    else:
        lines = [
            dict(line, _rate=tax_rate(line.get("TaxType", "NONE")) or 0.0)
            for line in doc.get("LineItems", [])
        ]
    if not lines and status in ("SUBMITTED", "AUTHORISED"):
        errors.append(v.LINE_ITEMS_REQUIRED.format(label=kind.label.lower(), status=status))
    if errors:
        return errors, None

    totals = compute_totals(lines, amount_types)
    if options.tax_skew and lines:
        skew = money(options.tax_skew)
        lines[0]["TaxAmount"] = float(money(lines[0]["TaxAmount"]) + skew)
        totals["TotalTax"] = float(money(totals["TotalTax"]) + skew)
        totals["Total"] = float(money(totals["Total"]) + skew)
    if totals["Total"] < 0:
        return [v.TOTAL_NEGATIVE.format(label=kind.label)], None
    doc["LineItems"] = lines
    doc.update(totals)
    assert contact is not None
    doc["Contact"] = {k: contact[k] for k in ("ContactID", "Name") if k in contact}
    if not doc.get(kind.number_field) and doc["Type"] == kind.numbered_type:
        doc[kind.number_field] = _next_number(db, kind)
    doc.setdefault("Reference", "")
    _settle_amounts(kind, doc)
    doc["UpdatedDateUTC"] = now_ms()
    if kind is INVOICE and doc["Type"] == "ACCREC" and not contact.get("IsCustomer"):
        contact["IsCustomer"] = True
        store.save(db.connection(), store.CONTACTS, [contact])
    return [], doc


def _check_lines(
    db: Database, items: Any, status: str | None, errors: list[str], unit_dp: int = 2
) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        errors.append("LineItems must be a list.")
        return []
    lines = []
    for item in items:
        if not isinstance(item, dict):
            errors.append("Each line item must be a JSON object.")
            continue
        line = {k: item[k] for k in LINE_FIELDS if k in item}
        line.setdefault("LineItemID", str(uuid.uuid4()))
        if not str(line.get("Description") or "").strip() and not line.get("ItemCode"):
            errors.append(v.DESCRIPTION_REQUIRED)
        for name in ("Quantity", "UnitAmount", "LineAmount", "TaxAmount", "DiscountRate"):
            if line.get(name) is not None and as_decimal(line[name]) is None:
                errors.append(v.NUMBER_INVALID.format(field=name))
                line[name] = None
        if problem := settle_line_amounts(line, unit_dp):
            errors.append(problem)
        if "Tracking" in line:
            line["Tracking"] = check_line_tracking(db, line["Tracking"], errors)
        code = line.get("AccountCode")
        account = None
        if code in (None, ""):
            if status in ("SUBMITTED", "AUTHORISED"):
                errors.append(v.ACCOUNT_CODE_REQUIRED)
        else:
            account = account_by_code(db, str(code))
            if account is None or account.get("Type") == "BANK" or account.get("SystemAccount"):
                # bank and system accounts (receivables, VAT) cannot take invoice lines
                errors.append(v.ACCOUNT_CODE_INVALID.format(code=code))
                account = None
            elif account.get("Status") != "ACTIVE":
                errors.append(v.ACCOUNT_ARCHIVED.format(code=code))
        tax_type = line.get("TaxType") or (account or {}).get("TaxType") or "NONE"
        rate = tax_rate(tax_type)
        if rate is None:
            errors.append(v.TAX_TYPE_INVALID.format(code=tax_type))
            rate = 0.0
        line["TaxType"] = tax_type
        line["_rate"] = rate
        lines.append(line)
    return lines


def _settle_amounts(kind: DocumentKind, doc: dict[str, Any]) -> None:
    """AmountDue/AmountPaid/RemainingCredit from the total and what is applied to it."""
    total = money(doc["Total"])
    if kind is INVOICE:
        paid = money(doc.get("AmountPaid", 0))
        credited = money(doc.get("AmountCredited", 0))
        doc["AmountPaid"] = float(paid)
        doc["AmountCredited"] = float(credited)
        doc["AmountDue"] = float(total - paid - credited)
        doc.setdefault("Payments", [])
        doc.setdefault("CreditNotes", [])
    else:
        applied = sum((money(a["Amount"]) for a in doc.get("Allocations", [])), money(0))
        applied += sum((money(p["Amount"]) for p in doc.get("Payments", [])), money(0))
        doc["RemainingCredit"] = float(total - applied)
        doc.setdefault("Allocations", [])
        doc.setdefault("Payments", [])
