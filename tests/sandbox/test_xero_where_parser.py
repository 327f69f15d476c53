"""The sandbox's `where`/`order` parser on its own: what SQL each expression becomes."""

from __future__ import annotations

import sqlite3

import pytest

from sandbox.xero.store import CONTACTS, INVOICES
from sandbox.xero.where import QueryError, order_to_sql, tokenize, where_to_sql


def run(where: str, rows: list[dict]) -> list[str]:
    """Names of the rows an expression selects, evaluated by SQLite over contact columns."""
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE t (name TEXT COLLATE NOCASE, email TEXT COLLATE NOCASE, "
        "tax_number TEXT COLLATE NOCASE, status TEXT, updated INTEGER, contact_id TEXT COLLATE NOCASE)"
    )
    conn.executemany(
        "INSERT INTO t VALUES (:name, :email, :tax, :status, :updated, :id)",
        [
            {"email": None, "tax": None, "status": "ACTIVE", "updated": 0, "id": "", **r}
            for r in rows
        ],
    )
    sql, params = where_to_sql(where, CONTACTS.fields, "Contact")
    return sorted(r[0] for r in conn.execute(f"SELECT name FROM t WHERE {sql}", params))


ROWS = [
    {"name": "Fjord AS", "email": "a@fjord.no", "tax": "NO1MVA", "updated": 1000},
    {"name": "Fjell AS", "email": "b@fjell.no", "updated": 2000},
    {"name": "50% Rabatt_AS", "tax": "", "status": "ARCHIVED", "updated": 3000},
]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ('Name=="fjord as"', ["Fjord AS"]),
        ('Name = "Fjell AS"', ["Fjell AS"]),
        ('Name<>"Fjell AS"', ["50% Rabatt_AS", "Fjord AS"]),
        ('Name.StartsWith("Fj") AND NOT Name.EndsWith("ell AS")', ["Fjord AS"]),
        ('Name.Contains("%")', ["50% Rabatt_AS"]),
        ('Name.Contains("_")', ["50% Rabatt_AS"]),
        ("TaxNumber==null", ["50% Rabatt_AS", "Fjell AS"]),
        ('EmailAddress!=null && ContactStatus=="ACTIVE"', ["Fjell AS", "Fjord AS"]),
        (
            'Name=="x" || (EmailAddress.Contains("fjell") OR TaxNumber=="no1mva")',
            ["Fjell AS", "Fjord AS"],
        ),
        ("UpdatedDateUTC>=DateTime(1970,1,1,0,0,2)", ["50% Rabatt_AS", "Fjell AS"]),
        ("UpdatedDateUTC<DateTime(1970, 01, 01, 00, 00, 02)", ["Fjord AS"]),
    ],
)
def test_expressions_select_the_right_rows(where, expected):
    assert run(where, ROWS) == expected


def test_string_escapes_and_guids():
    assert tokenize(r'"a \"b\" \\ c"')[0].value == 'a "b" \\ c'
    sql, params = where_to_sql(
        'Contact.ContactID==Guid("C0000000-0000-4000-8000-000000000001")',
        INVOICES.fields,
        "Invoice",
    )
    assert params == ["c0000000-0000-4000-8000-000000000001"]
    assert "contact_id" in sql


@pytest.mark.parametrize(
    "where",
    [
        'Name=="a\\q"',
        "Name==",
        "Name>>1",
        'Name=="a" AND OR',
        'Missing=="x"',
        "DateTime(2026,13,1)==Name",
        "Name.Contains(5)",
        "UpdatedDateUTC==DateTime(2026,2,30)",
        "Name==true",
        'Name.Contains("a"',
    ],
)
def test_malformed_or_unsupported_expressions_raise(where):
    with pytest.raises(QueryError):
        where_to_sql(where, CONTACTS.fields, "Contact")


def test_order_terms():
    assert (
        order_to_sql("UpdatedDateUTC DESC, Name", CONTACTS.fields, "Contact")
        == "updated DESC, name ASC"
    )
    for bad in ("Name SIDEWAYS", "Nope", "Name ASC DESC", ","):
        with pytest.raises(QueryError):
            order_to_sql(bad, CONTACTS.fields, "Contact")


@pytest.mark.parametrize(
    ("table", "where"),
    [
        (CONTACTS, 'EmailAddress=="a@b.no"'),
        (CONTACTS, 'TaxNumber=="NO923456789MVA" OR TaxNumber=="923456789"'),
        (CONTACTS, 'Name.StartsWith("Fjord")'),
        (CONTACTS, 'ContactNumber=="Q-77"'),
        (INVOICES, 'InvoiceNumber=="Q-1"'),
        (INVOICES, "UpdatedDateUTC>=DateTime(2026,11,1)"),
        (INVOICES, 'Contact.ContactID==Guid("c0000000-0000-4000-8000-000000000001")'),
    ],
)
def test_filters_on_large_organisations_use_an_index(tmp_path, table, where):
    """100,000 invoices and 150,000 contacts: lookups must not scan the table."""
    from sandbox.db import Database
    from sandbox.xero.store import create_schema

    db = Database(tmp_path / "plan.db")
    create_schema(db)
    sql, params = where_to_sql(where, table.fields, table.type_name)
    plan = " ".join(
        row[3]
        for row in db.query(f"EXPLAIN QUERY PLAN SELECT doc FROM {table.name} WHERE {sql}", params)
    )
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
