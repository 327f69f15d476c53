"""SQLite storage of the fake Qondor account: offices, customers and the invoice queue.

Objects are JSON documents in the contract's shapes; the columns beside them carry what the
queue filter, look-ups and the state machine need, with indexes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jsonschema

from qondor_xero.qondor import contract
from qondor_xero.qondor.contract import InvoiceStatus, InvoiceType
from sandbox.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS qondor_offices (
    id INTEGER PRIMARY KEY, use_api INTEGER NOT NULL, start_date TEXT, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qondor_customers (
    id INTEGER PRIMARY KEY, office_id INTEGER, external_reference TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS qondor_customers_office ON qondor_customers (office_id);
CREATE INDEX IF NOT EXISTS qondor_customers_ref ON qondor_customers (external_reference);
CREATE TABLE IF NOT EXISTS qondor_invoices (
    id INTEGER PRIMARY KEY, invoice_number TEXT, status INTEGER NOT NULL,
    office_id INTEGER NOT NULL, invoice_date TEXT NOT NULL, external_reference TEXT,
    paid_date TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS qondor_invoices_queue ON qondor_invoices (status, office_id, invoice_date);
CREATE INDEX IF NOT EXISTS qondor_invoices_ref ON qondor_invoices (external_reference);
CREATE INDEX IF NOT EXISTS qondor_invoices_number ON qondor_invoices (invoice_number);
"""
TABLES = ("qondor_offices", "qondor_customers", "qondor_invoices")
KINDS = {"offices": "office", "customers": "customer", "invoices": "invoice"}
QUEUE_CHUNK = 2000

# The queue: Unprocessed items of offices that process invoices through the API, dated on or
# after that office's start date (an office without a start date queues nothing).
_QUEUE_SQL = """
SELECT i.id, i.doc FROM qondor_invoices i JOIN qondor_offices o ON o.id = i.office_id
WHERE i.status = 0 AND o.use_api = 1 AND o.start_date IS NOT NULL
  AND i.invoice_date >= o.start_date AND i.id > ?
ORDER BY i.id LIMIT ?
"""


class SeedError(ValueError):
    """Seed data that does not fit the contract; the message names the item and the field."""


class NotFound(LookupError):
    """No object with that id or reference."""


class WrongStatus(ValueError):
    """A SetAs* call not allowed from the item's current status."""

    def __init__(self, call: str, invoice_id: int, current: InvoiceStatus) -> None:
        allowed = contract.TRANSITIONS[call][0].name
        super().__init__(
            f"Invoice {invoice_id} has status {current.name}; "
            f"{call} is only allowed from status {allowed}."
        )
        self.current = current


def now_timestamp() -> str:
    """The current time as Qondor writes it (.NET, 7 fractional digits, UTC)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """A compiled validator for the contract's schema `kind` (compiling is the slow part)."""
    schema = contract.SCHEMAS[kind]
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def contract_errors(kind: str, payload: Any) -> list[str]:
    """Why `payload` is not a valid contract `kind` (empty when it is), one line each."""
    errors = sorted(validator(kind).iter_errors(payload), key=lambda e: list(e.absolute_path))
    return [f"{_where(e.absolute_path)}: {e.message}" for e in errors]


def _where(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(object)"


def create_schema(db: Database) -> None:
    """Create the Qondor tables and indexes when missing."""
    with db.write() as conn:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)


def clear_data(db: Database) -> None:
    """Delete every stored Qondor object."""
    with db.write() as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def complete_invoice(doc: dict[str, Any]) -> dict[str, Any]:
    """Fill the derived fields a seeded invoice may leave out (type and status names, dates)."""
    doc = dict(doc)
    if isinstance(doc.get("invoiceType"), int) and doc["invoiceType"] in set(InvoiceType):
        doc.setdefault("invoiceTypeText", InvoiceType(doc["invoiceType"]).name)
    doc.setdefault("status", int(InvoiceStatus.Unprocessed))
    if isinstance(doc.get("status"), int) and doc["status"] in set(InvoiceStatus):
        doc.setdefault("statusText", InvoiceStatus(doc["status"]).name)
    for key in ("externalReference", "errorMessage", "customer", "booker", "customerId"):
        doc.setdefault(key, None)
    doc.setdefault("customerInvoiceFields", [])
    stamp = doc.setdefault("createdDate", now_timestamp())
    doc.setdefault("lastModifiedDate", stamp)
    return doc


def seed(
    db: Database, data: dict[str, Any], *, validate: bool = True, strict: bool = True
) -> dict[str, int]:
    """Add (or replace, by id) offices, customers and invoices; counts of each.

    `validate` checks every object against the contract first (SeedError names the first bad
    item and field); scenario data is trusted and skipped for speed. With `strict`, keys other
    than offices/customers/invoices are refused.
    """
    if not isinstance(data, dict):
        raise SeedError("seed: the body must be a JSON object")
    unknown = sorted(set(data) - set(KINDS))
    if strict and unknown:
        raise SeedError(f"seed: unknown key {unknown[0]!r} (use offices, customers, invoices)")
    batches: dict[str, list[dict[str, Any]]] = {}
    for key, kind in KINDS.items():
        items = data.get(key) or []
        if not isinstance(items, list):
            raise SeedError(f"seed: {key} must be a list")
        if key == "invoices":
            items = [complete_invoice(i) if isinstance(i, dict) else i for i in items]
        if validate:
            for n, item in enumerate(items):
                problems = contract_errors(kind, item)
                if problems:
                    name = item.get("id", "?") if isinstance(item, dict) else "?"
                    raise SeedError(f"seed: {key}[{n}] (id {name}): {problems[0]}")
        batches[key] = items
    with db.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO qondor_offices (id, use_api, start_date, doc) VALUES (?,?,?,?)",
            (
                (
                    o["id"],
                    bool(o.get("useApiToProcessInvoices")),
                    o.get("invoiceApiStartDate"),
                    _dump(o),
                )
                for o in batches["offices"]
            ),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO qondor_customers (id, office_id, external_reference, doc) "
            "VALUES (?,?,?,?)",
            (
                (c["id"], c.get("officeId"), c.get("externalReference"), _dump(c))
                for c in batches["customers"]
            ),
        )
        conn.executemany(
            "INSERT INTO qondor_invoices (id, invoice_number, status, office_id, invoice_date, "
            "external_reference, doc) VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
            "invoice_number = excluded.invoice_number, status = excluded.status, "
            "office_id = excluded.office_id, invoice_date = excluded.invoice_date, "
            "external_reference = excluded.external_reference, doc = excluded.doc, "
            "paid_date = CASE WHEN excluded.status = 3 THEN paid_date END",
            (
                (i["id"], i["invoiceNumber"], i["status"], i["officeId"], i["invoiceDate"],
                 i.get("externalReference"), _dump(i))
                for i in batches["invoices"]
            ),
        )  # fmt: skip
    return {key: len(items) for key, items in batches.items()}


def _doc(row: Any) -> dict[str, Any]:
    return json.loads(row["doc"])


def queue_chunks(db: Database) -> Iterator[list[str]]:
    """The queue's invoice documents as JSON text, in id order, a chunk at a time."""
    last = -1
    while True:
        rows = db.query(_QUEUE_SQL, (last, QUEUE_CHUNK))
        if not rows:
            return
        last = rows[-1]["id"]
        yield [r["doc"] for r in rows]
        if len(rows) < QUEUE_CHUNK:
            return


def _first(db: Database, table: str, column: str, value: Any, missing: str) -> dict[str, Any]:
    """The first document of `table` whose `column` equals `value`; NotFound(missing) when none."""
    row = db.query_one(f"SELECT doc FROM {table} WHERE {column} = ? ORDER BY id LIMIT 1", (value,))
    if row is None:
        raise NotFound(missing)
    return _doc(row)


def get_invoice(db: Database, invoice_id: int) -> dict[str, Any]:
    """One invoice by id; NotFound when there is none."""
    return _first(db, "qondor_invoices", "id", invoice_id, f"Invoice {invoice_id} was not found.")


def get_invoice_by_external_reference(db: Database, reference: str) -> dict[str, Any]:
    """The (first) invoice with this externalReference; NotFound when none."""
    missing = f"No invoice has the external reference '{reference}'."
    return _first(db, "qondor_invoices", "external_reference", reference, missing)


def transition(db: Database, call: str, invoice_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Apply SetAsProcessed/SetAsFailed/SetAsPaid to one item; the updated invoice.

    NotFound for an unknown id; WrongStatus when the state machine does not allow the call.
    """
    source, target = contract.TRANSITIONS[call]
    with db.write() as conn:
        row = conn.execute("SELECT doc FROM qondor_invoices WHERE id = ?", (invoice_id,)).fetchone()
        if row is None:
            raise NotFound(f"Invoice {invoice_id} was not found.")
        doc = _doc(row)
        current = InvoiceStatus(doc["status"])
        if current is not source:
            raise WrongStatus(call, invoice_id, current)
        doc.update(status=int(target), statusText=target.name, lastModifiedDate=now_timestamp())
        paid_date = None
        if call == "SetAsProcessed":
            doc["externalReference"] = body["externalReference"]
        elif call == "SetAsFailed":
            doc["errorMessage"] = body["errorMessage"]
        else:
            paid_date = body["paidDate"]
        conn.execute(
            "UPDATE qondor_invoices SET status = ?, external_reference = ?, "
            "paid_date = COALESCE(?, paid_date), doc = ? WHERE id = ?",
            (int(target), doc.get("externalReference"), paid_date, _dump(doc), invoice_id),
        )
    return doc


def patch(db: Database, key: str, object_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Replace fields of a stored office, customer or invoice (a test helper); the new object.

    For an invoice given new `lines` without totals, the totals are summed from the lines.
    SeedError when the result no longer fits the contract.
    """
    kind = KINDS[key]
    if not isinstance(changes, dict) or not changes:
        raise SeedError(f"{kind} {object_id}: the body must be a non-empty JSON object")
    if "id" in changes and changes["id"] != object_id:
        raise SeedError(f"{kind} {object_id}: field 'id' cannot be changed")
    table = f"qondor_{key}"
    with db.write() as conn:
        row = conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (object_id,)).fetchone()
        if row is None:
            raise NotFound(f"{kind.capitalize()} {object_id} was not found.")
        doc = {**_doc(row), **changes}
        if key == "invoices":
            if "lines" in changes and not {"totalExclVat", "totalVat", "totalInclVat"} & set(
                changes
            ):
                doc.update(invoice_totals(doc["lines"]))
            if "status" in changes and "statusText" not in changes:
                doc.pop("statusText", None)
            if "invoiceType" in changes and "invoiceTypeText" not in changes:
                doc.pop("invoiceTypeText", None)
            doc = complete_invoice(doc)
            if "lastModifiedDate" not in changes:
                doc["lastModifiedDate"] = now_timestamp()
        problems = contract_errors(kind, doc)
        if problems:
            raise SeedError(f"{kind} {object_id}: {problems[0]}")
    seed(db, {key: [doc]}, validate=False)
    return doc


def invoice_totals(lines: list[dict[str, Any]]) -> dict[str, float]:
    """Totals summed from the lines' amounts, to the øre."""
    sums = {"totalExclVat": 0, "totalVat": 0, "totalInclVat": 0}
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict):
            continue
        excl = round(float(line.get("amountExclVat") or 0) * 100)
        vat = round(float(line.get("vatAmount") or 0) * 100)
        incl = line.get("amountInclVat")
        sums["totalExclVat"] += excl
        sums["totalVat"] += vat
        sums["totalInclVat"] += excl + vat if incl is None else round(float(incl) * 100)
    return {k: v / 100 for k, v in sums.items()}


def get_customer(db: Database, customer_id: int) -> dict[str, Any]:
    """CustomerDetails by id; NotFound when none."""
    missing = f"Customer {customer_id} was not found."
    return _first(db, "qondor_customers", "id", customer_id, missing)


def get_customer_by_external_reference(db: Database, reference: str) -> dict[str, Any]:
    """The (first) customer with this externalReference; NotFound when none."""
    missing = f"No customer has the external reference '{reference}'."
    return _first(db, "qondor_customers", "external_reference", reference, missing)


def customer_summaries(db: Database, office_id: int | None) -> list[dict[str, Any]]:
    """Customer/GetAll: summaries of an office's customers (every office's without one)."""
    if office_id is None:
        rows = db.query("SELECT doc FROM qondor_customers ORDER BY id")
    else:
        rows = db.query(
            "SELECT doc FROM qondor_customers WHERE office_id = ? ORDER BY id", (office_id,)
        )
    keys = contract.CUSTOMER_SUMMARY_SCHEMA["properties"]
    return [{k: doc.get(k) for k in keys} for doc in map(_doc, rows)]


def offices(db: Database) -> list[dict[str, Any]]:
    """Every office."""
    return [_doc(r) for r in db.query("SELECT doc FROM qondor_offices ORDER BY id")]


def state(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every stored object; invoices marked Paid also carry the `paidDate` they were given."""
    invoices = []
    for row in db.query("SELECT paid_date, doc FROM qondor_invoices ORDER BY id"):
        doc = _doc(row)
        if row["paid_date"]:
            doc["paidDate"] = row["paid_date"]
        invoices.append(doc)
    customers = [_doc(r) for r in db.query("SELECT doc FROM qondor_customers ORDER BY id")]
    return {"offices": offices(db), "customers": customers, "invoices": invoices}


def counts(db: Database) -> dict[str, Any]:
    """How many objects are stored, and invoices by status name."""
    result: dict[str, Any] = {
        key: db.query_one(f"SELECT COUNT(*) AS n FROM qondor_{key}")["n"] for key in KINDS
    }
    by_status = db.query("SELECT status, COUNT(*) AS n FROM qondor_invoices GROUP BY status")
    result["invoicesByStatus"] = {InvoiceStatus(r["status"]).name: r["n"] for r in by_status}
    return result
