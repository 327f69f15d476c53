"""SQLite storage of the fake Xero organisation: tables, indexed columns, paged queries.

Objects are stored as JSON documents in Xero's shape, except that dates are epoch milliseconds
(`Date`, `DueDate`, `FullyPaidOnDate` at midnight UTC; `UpdatedDateUTC` exact); `render.py`
turns them into Xero's `/Date(...)/` form. Columns beside the document carry what filters,
ordering and uniqueness checks need, with indexes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sandbox.db import Database
from sandbox.xero.where import FieldMap

SCHEMA = """
CREATE TABLE IF NOT EXISTS xero_accounts (
    id INTEGER PRIMARY KEY, account_id TEXT UNIQUE NOT NULL, code TEXT COLLATE NOCASE,
    name TEXT COLLATE NOCASE, type TEXT, status TEXT, updated INTEGER, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS xero_currencies (
    id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL COLLATE NOCASE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS xero_contacts (
    id INTEGER PRIMARY KEY, contact_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    name TEXT COLLATE NOCASE, first_name TEXT COLLATE NOCASE, last_name TEXT COLLATE NOCASE,
    email TEXT COLLATE NOCASE, tax_number TEXT COLLATE NOCASE,
    contact_number TEXT COLLATE NOCASE, account_number TEXT COLLATE NOCASE,
    status TEXT, updated INTEGER, by_app INTEGER, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS xero_contacts_name ON xero_contacts (name);
CREATE INDEX IF NOT EXISTS xero_contacts_email ON xero_contacts (email);
CREATE INDEX IF NOT EXISTS xero_contacts_tax ON xero_contacts (tax_number);
CREATE INDEX IF NOT EXISTS xero_contacts_number ON xero_contacts (contact_number);
CREATE INDEX IF NOT EXISTS xero_contacts_account ON xero_contacts (account_number);
CREATE INDEX IF NOT EXISTS xero_contacts_updated ON xero_contacts (updated);
CREATE TABLE IF NOT EXISTS xero_invoices (
    id INTEGER PRIMARY KEY, invoice_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    invoice_number TEXT COLLATE NOCASE, type TEXT, status TEXT,
    contact_id TEXT COLLATE NOCASE, contact_name TEXT COLLATE NOCASE,
    reference TEXT COLLATE NOCASE, currency TEXT, date INTEGER, due_date INTEGER,
    updated INTEGER, total REAL, amount_due REAL, amount_paid REAL, by_app INTEGER,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS xero_invoices_number ON xero_invoices (invoice_number);
CREATE INDEX IF NOT EXISTS xero_invoices_status ON xero_invoices (status);
CREATE INDEX IF NOT EXISTS xero_invoices_contact ON xero_invoices (contact_id);
CREATE INDEX IF NOT EXISTS xero_invoices_updated ON xero_invoices (updated);
CREATE INDEX IF NOT EXISTS xero_invoices_date ON xero_invoices (date);
CREATE TABLE IF NOT EXISTS xero_credit_notes (
    id INTEGER PRIMARY KEY, credit_note_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    credit_note_number TEXT COLLATE NOCASE, type TEXT, status TEXT,
    contact_id TEXT COLLATE NOCASE, contact_name TEXT COLLATE NOCASE,
    reference TEXT COLLATE NOCASE, currency TEXT, date INTEGER, updated INTEGER,
    total REAL, remaining REAL, by_app INTEGER, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS xero_credit_notes_number ON xero_credit_notes (credit_note_number);
CREATE INDEX IF NOT EXISTS xero_credit_notes_updated ON xero_credit_notes (updated);
CREATE INDEX IF NOT EXISTS xero_credit_notes_contact ON xero_credit_notes (contact_id);
CREATE TABLE IF NOT EXISTS xero_payments (
    id INTEGER PRIMARY KEY, payment_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    invoice_id TEXT COLLATE NOCASE, status TEXT, date INTEGER, updated INTEGER,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS xero_payments_invoice ON xero_payments (invoice_id);
CREATE INDEX IF NOT EXISTS xero_payments_updated ON xero_payments (updated);
CREATE TABLE IF NOT EXISTS xero_tracking_categories (
    id INTEGER PRIMARY KEY, tracking_category_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    name TEXT COLLATE NOCASE, status TEXT, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS xero_branding_themes (
    id INTEGER PRIMARY KEY, branding_theme_id TEXT UNIQUE NOT NULL COLLATE NOCASE,
    name TEXT COLLATE NOCASE, sort_order INTEGER, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS xero_idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER,
    body BLOB, content_type TEXT, created REAL, PRIMARY KEY (tenant, key));
CREATE TABLE IF NOT EXISTS xero_tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT, tenant_id TEXT,
    created REAL, expires REAL, used_at REAL, successor TEXT, scope TEXT);
CREATE TABLE IF NOT EXISTS xero_auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, scope TEXT,
    challenge TEXT, created REAL NOT NULL, used_at REAL);
"""

INDEX_NAMES = re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)", SCHEMA)

DATA_TABLES = (
    "xero_accounts",
    "xero_currencies",
    "xero_contacts",
    "xero_invoices",
    "xero_credit_notes",
    "xero_payments",
    "xero_tracking_categories",
    "xero_branding_themes",
    "xero_idempotency",
)


def _s(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Table:
    """One object type: its table, id column, filterable fields and indexed columns."""

    name: str
    id_field: str
    id_column: str
    type_name: str
    fields: FieldMap
    columns: dict[str, Callable[[dict[str, Any]], Any]]
    default_order: str = "id ASC"


CONTACTS = Table(
    name="xero_contacts",
    id_field="ContactID",
    id_column="contact_id",
    type_name="Contact",
    fields={
        "ContactID": ("contact_id", "guid"),
        "Name": ("name", "str"),
        "FirstName": ("first_name", "str"),
        "LastName": ("last_name", "str"),
        "EmailAddress": ("email", "str"),
        "TaxNumber": ("tax_number", "str"),
        "ContactNumber": ("contact_number", "str"),
        "AccountNumber": ("account_number", "str"),
        "ContactStatus": ("status", "str"),
        "UpdatedDateUTC": ("updated", "datetime"),
    },
    columns={
        "contact_id": lambda d: d["ContactID"],
        "name": lambda d: d.get("Name"),
        "first_name": lambda d: _s(d.get("FirstName")),
        "last_name": lambda d: _s(d.get("LastName")),
        "email": lambda d: _s(d.get("EmailAddress")),
        "tax_number": lambda d: _s(d.get("TaxNumber")),
        "contact_number": lambda d: _s(d.get("ContactNumber")),
        "account_number": lambda d: _s(d.get("AccountNumber")),
        "status": lambda d: d.get("ContactStatus", "ACTIVE"),
        "updated": lambda d: d["UpdatedDateUTC"],
        "by_app": lambda d: int(bool(d.get("_byApp"))),
    },
    default_order="name ASC, id ASC",
)

_DOC_FIELDS: FieldMap = {
    "Type": ("type", "str"),
    "Status": ("status", "str"),
    "Reference": ("reference", "str"),
    "CurrencyCode": ("currency", "str"),
    "Date": ("date", "date"),
    "UpdatedDateUTC": ("updated", "datetime"),
    "Contact.ContactID": ("contact_id", "guid"),
    "Contact.Name": ("contact_name", "str"),
    "Total": ("total", "num"),
}

# Indexed columns invoices and credit notes share (each adds its id, number and money columns).
_DOC_COLUMNS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "type": lambda d: d.get("Type"),
    "status": lambda d: d.get("Status"),
    "contact_id": lambda d: d["Contact"].get("ContactID"),
    "contact_name": lambda d: d["Contact"].get("Name"),
    "reference": lambda d: _s(d.get("Reference")),
    "currency": lambda d: d.get("CurrencyCode"),
    "date": lambda d: d.get("Date"),
    "updated": lambda d: d["UpdatedDateUTC"],
    "total": lambda d: d.get("Total"),
    "by_app": lambda d: int(bool(d.get("_byApp"))),
}

INVOICES = Table(
    name="xero_invoices",
    id_field="InvoiceID",
    id_column="invoice_id",
    type_name="Invoice",
    fields={
        **_DOC_FIELDS,
        "InvoiceID": ("invoice_id", "guid"),
        "InvoiceNumber": ("invoice_number", "str"),
        "DueDate": ("due_date", "date"),
        "AmountDue": ("amount_due", "num"),
        "AmountPaid": ("amount_paid", "num"),
    },
    columns={
        "invoice_id": lambda d: d["InvoiceID"],  # the id column first: save() relies on it
        "invoice_number": lambda d: _s(d.get("InvoiceNumber")),
        **_DOC_COLUMNS,
        "due_date": lambda d: d.get("DueDate"),
        "amount_due": lambda d: d.get("AmountDue"),
        "amount_paid": lambda d: d.get("AmountPaid"),
    },
)

CREDIT_NOTES = Table(
    name="xero_credit_notes",
    id_field="CreditNoteID",
    id_column="credit_note_id",
    type_name="CreditNote",
    fields={
        **_DOC_FIELDS,
        "CreditNoteID": ("credit_note_id", "guid"),
        "CreditNoteNumber": ("credit_note_number", "str"),
        "RemainingCredit": ("remaining", "num"),
    },
    columns={
        "credit_note_id": lambda d: d["CreditNoteID"],
        "credit_note_number": lambda d: _s(d.get("CreditNoteNumber")),
        **_DOC_COLUMNS,
        "remaining": lambda d: d.get("RemainingCredit"),
    },
)

PAYMENTS = Table(
    name="xero_payments",
    id_field="PaymentID",
    id_column="payment_id",
    type_name="Payment",
    fields={
        "PaymentID": ("payment_id", "guid"),
        "Invoice.InvoiceID": ("invoice_id", "guid"),
        "Status": ("status", "str"),
        "Date": ("date", "date"),
        "UpdatedDateUTC": ("updated", "datetime"),
    },
    columns={
        "payment_id": lambda d: d["PaymentID"],
        "invoice_id": lambda d: (d.get("Invoice") or {}).get("InvoiceID"),
        "status": lambda d: d.get("Status"),
        "date": lambda d: d.get("Date"),
        "updated": lambda d: d["UpdatedDateUTC"],
    },
)

ACCOUNTS = Table(
    name="xero_accounts",
    id_field="AccountID",
    id_column="account_id",
    type_name="Account",
    fields={
        "AccountID": ("account_id", "guid"),
        "Code": ("code", "str"),
        "Name": ("name", "str"),
        "Type": ("type", "str"),
        "Status": ("status", "str"),
    },
    columns={
        "account_id": lambda d: d["AccountID"],
        "code": lambda d: d.get("Code"),
        "name": lambda d: d.get("Name"),
        "type": lambda d: d.get("Type"),
        "status": lambda d: d.get("Status", "ACTIVE"),
        "updated": lambda d: d.get("UpdatedDateUTC"),
    },
    default_order="code ASC",
)

CURRENCIES = Table(
    name="xero_currencies",
    id_field="Code",
    id_column="code",
    type_name="Currency",
    fields={"Code": ("code", "str")},
    columns={"code": lambda d: d["Code"]},
)

# A category's options live in its document: [{TrackingOptionID, Name, Status}].
TRACKING_CATEGORIES = Table(
    name="xero_tracking_categories",
    id_field="TrackingCategoryID",
    id_column="tracking_category_id",
    type_name="TrackingCategory",
    fields={
        "TrackingCategoryID": ("tracking_category_id", "guid"),
        "Name": ("name", "str"),
        "Status": ("status", "str"),
    },
    columns={
        "tracking_category_id": lambda d: d["TrackingCategoryID"],
        "name": lambda d: d.get("Name"),
        "status": lambda d: d.get("Status", "ACTIVE"),
    },
    default_order="name ASC",
)

BRANDING_THEMES = Table(
    name="xero_branding_themes",
    id_field="BrandingThemeID",
    id_column="branding_theme_id",
    type_name="BrandingTheme",
    fields={"BrandingThemeID": ("branding_theme_id", "guid"), "Name": ("name", "str")},
    columns={
        "branding_theme_id": lambda d: d["BrandingThemeID"],
        "name": lambda d: d.get("Name"),
        "sort_order": lambda d: d.get("SortOrder", 0),
    },
    default_order="sort_order ASC, name ASC",
)


def create_schema(db: Database) -> None:
    """Create the Xero tables and indexes when missing."""
    with db.write() as conn:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(xero_tokens)")}
        if "scope" not in columns:  # a database from before tokens carried scopes
            conn.execute("ALTER TABLE xero_tokens ADD COLUMN scope TEXT")


def clear_data(db: Database, drop_indexes: bool = False) -> None:
    """Delete every stored object (tokens survive, as they would at Xero).

    With `drop_indexes` the indexes go too, so that a large seed loads fast; `create_schema`
    puts them back.
    """
    with db.write() as conn:
        for table in DATA_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM meta WHERE key LIKE 'xero.%'")
        if drop_indexes:
            for name in INDEX_NAMES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")


def save(conn: sqlite3.Connection, table: Table, docs: Iterable[dict[str, Any]]) -> None:
    """Insert or replace documents (by their id) with their indexed columns."""
    cols = list(table.columns)
    placeholders = ", ".join("?" for _ in range(len(cols) + 1))
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols[1:] + ["doc"])
    sql = (
        f"INSERT INTO {table.name} ({', '.join(cols)}, doc) VALUES ({placeholders}) "
        f"ON CONFLICT({table.id_column}) DO UPDATE SET {updates}"
    )
    rows = (
        [table.columns[c](doc) for c in cols] + [json.dumps(doc, separators=(",", ":"))]
        for doc in docs
    )
    conn.executemany(sql, rows)


def get(db: Database, table: Table, object_id: str) -> dict[str, Any] | None:
    """One document by id (case-insensitive), or None."""
    row = db.query_one(
        f"SELECT doc FROM {table.name} WHERE {table.id_column} = ?", (str(object_id),)
    )
    return None if row is None else json.loads(row["doc"])


def find_one(
    db: Database, table: Table, condition: str, params: list[Any]
) -> dict[str, Any] | None:
    """The first document matching a SQL condition, or None."""
    row = db.query_one(
        f"SELECT doc FROM {table.name} WHERE {condition} ORDER BY id LIMIT 1", params
    )
    return None if row is None else json.loads(row["doc"])


def select(
    db: Database,
    table: Table,
    conditions: list[str],
    params: list[Any],
    order: str | None = None,
    page: int | None = None,
    page_size: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """Documents matching all conditions, one page of them, and the total match count."""
    where = " AND ".join(f"({c})" for c in conditions) or "1"
    total = db.query_one(f"SELECT COUNT(*) AS n FROM {table.name} WHERE {where}", params)["n"]
    sql = f"SELECT doc FROM {table.name} WHERE {where} ORDER BY {order or table.default_order}"
    if order:
        sql += ", id ASC"
    args = list(params)
    if page is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [page_size, (page - 1) * page_size]
    rows = db.query(sql, args)
    return [json.loads(r["doc"]) for r in rows], total


def all_docs(db: Database, table: Table) -> list[dict[str, Any]]:
    """Every document of a table in insertion order."""
    return [json.loads(r["doc"]) for r in db.query(f"SELECT doc FROM {table.name} ORDER BY id")]
