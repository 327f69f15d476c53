"""Both taps into real loaders, as a data engineer composes them: what an analyst then queries.

`meltano run` in the test project against a private sandbox; PostgreSQL from the
`postgres_database` fixture (`.ci/run` starts the server).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from qondor_xero.qondor import QondorClient

pytestmark = pytest.mark.slow

QONDOR_STREAMS = ("customers", "invoices", "credit_notes", "invoice_lines", "invoice_fields")
XERO_STREAMS = ("invoices", "invoice_lines", "invoice_changes")
# meltano.yml's select_filter leaves the lines out (the payment sync reads summaryOnly): a load
# lets them in.
XERO_SELECT = json.dumps(list(XERO_STREAMS))
XERO_READ = ("AUTHORISED", "PAID", "VOIDED", "DELETED")  # tap-xero's statuses


def queued(box) -> list[dict]:
    """What Qondor's queue holds now."""
    return QondorClient(box.qondor_url, "sandbox-qondor-key").get_unprocessed_invoices()


def prefixed(prefix: str, streams: tuple[str, ...]) -> str:
    """A stream_maps setting that renames each stream to `<prefix>_<stream>`."""
    return json.dumps({name: {"__alias__": f"{prefix}_{name}"} for name in streams})


def money(values) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))


def column_types(db: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    rows = db.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    ).fetchall()
    return dict(rows)


def check_qondor_tables(db: psycopg.Connection, schema: str, names: dict[str, str], queue) -> None:
    """The queue as tables: counts, SQL NULL for a missing customer or booker, money, types, lines."""
    invoices = [i for i in queue if i["invoiceType"] != 5]
    credit_notes = [i for i in queue if i["invoiceType"] == 5]
    t = {k: f'"{schema}"."{v}"' for k, v in names.items()}

    def one(sql: str):
        return db.execute(sql).fetchone()

    assert one(f"SELECT count(*) FROM {t['invoices']}")[0] == len(invoices)
    assert one(f"SELECT count(*) FROM {t['credit_notes']}")[0] == len(credit_notes)
    named = {i["customerId"] for i in queue if i["customerId"] is not None}
    assert one(f"SELECT count(*) FROM {t['customers']}")[0] == len(named)
    no_booker = sum(1 for i in invoices if not i["booker"])
    no_customer = sum(1 for i in invoices if not i["customer"])
    assert 0 < no_booker < len(invoices) and 0 < no_customer < len(invoices)
    assert one(
        f'SELECT count(*) FILTER (WHERE "booker__firstName" IS NULL AND booker__email IS NULL),'
        f" count(*) FILTER (WHERE customer__id IS NULL AND customer__name IS NULL)"
        f" FROM {t['invoices']}"
    ) == (no_booker, no_customer)
    assert one(f'SELECT sum("totalInclVat"), sum("totalVat") FROM {t["invoices"]}') == (
        money(i["totalInclVat"] for i in invoices),
        money(i["totalVat"] for i in invoices),
    )
    types = column_types(db, schema, names["invoices"])
    assert types["invoiceDate"] == "date" and types["dueDate"] == "date"
    assert types["createdDate"].startswith("timestamp")
    assert types["lastModifiedDate"].startswith("timestamp")
    assert types["totalInclVat"] == "numeric" and types["booker__email"] == "text"
    # Line rows join their invoice or credit note and add up to its totals.
    lines = sum(len(i["lines"]) for i in queue)
    assert one(f"SELECT count(*) FROM {t['invoice_lines']}")[0] == lines
    mismatched = one(
        f"SELECT count(*) FROM (SELECT d.id FROM {t['invoices']} d JOIN {t['invoice_lines']} l"
        f' ON l."invoiceId" = d.id GROUP BY d.id, d."totalExclVat"'
        f' HAVING sum(l."amountExclVat") <> d."totalExclVat") wrong'
    )[0]
    assert mismatched == 0
    joined = one(
        f'SELECT count(*) FROM {t["invoice_lines"]} l LEFT JOIN {t["invoices"]} i ON i.id = l."invoiceId"'
        f' LEFT JOIN {t["credit_notes"]} c ON c.id = l."invoiceId" WHERE coalesce(i.id, c.id) IS NOT NULL'
    )[0]
    assert joined == lines
    assert column_types(db, schema, names["invoice_lines"])["amountInclVat"] == "numeric"
    fields = sum(len(i.get("customerInvoiceFields") or []) for i in queue)
    assert fields and one(f"SELECT count(*) FROM {t['invoice_fields']}")[0] == fields


def check_xero_tables(db: psycopg.Connection, schema: str, names: dict[str, str], box) -> None:
    """Xero's invoices (days as dates, the update moment a timestamp), their lines as rows
    joined to them, and the changes Qondor cannot show."""
    t = {k: f'"{schema}"."{v}"' for k, v in names.items()}
    xero = [i for i in box.xero_state()["invoices"] if i["Status"] in XERO_READ]
    count, total = db.execute(f'SELECT count(*), sum("Total") FROM {t["invoices"]}').fetchone()
    assert count == len(xero) and total == money(i["Total"] for i in xero)
    types = column_types(db, schema, names["invoices"])
    assert types["Date"] == "date" and types["DueDate"] == "date"
    assert types["FullyPaidOnDate"] == "date"
    assert types["UpdatedDateUTC"].startswith("timestamp")
    unpaid = db.execute(
        f'SELECT count(*) FROM {t["invoices"]} WHERE "FullyPaidOnDate" IS NULL'
    ).fetchone()[0]
    assert unpaid == sum(1 for i in xero if i["Status"] != "PAID")
    # Every line a row, joined to its invoice, adding up to its subtotal.
    lines = sum(len(i["LineItems"]) for i in xero)
    assert lines > len(xero)  # some invoices have several lines
    joined, amount = db.execute(
        f'SELECT count(*), sum(l."LineAmount") FROM {t["invoice_lines"]} l'
        f' JOIN {t["invoices"]} i ON i."InvoiceID" = l."InvoiceID"'
    ).fetchone()
    assert joined == lines and amount == money(
        li["LineAmount"] for i in xero for li in i["LineItems"]
    )
    mismatched = db.execute(
        f'SELECT count(*) FROM (SELECT i."InvoiceID" FROM {t["invoices"]} i'
        f' JOIN {t["invoice_lines"]} l ON l."InvoiceID" = i."InvoiceID"'
        f' GROUP BY i."InvoiceID", i."Total" HAVING sum(l."LineAmount" + l."TaxAmount") <> i."Total") wrong'
    ).fetchone()[0]
    assert mismatched == 0
    line_types = column_types(db, schema, names["invoice_lines"])
    assert line_types["LineAmount"] == "numeric" and line_types["Quantity"] == "numeric"
    assert line_types["LineNo"] == "bigint" and line_types["UpdatedDateUTC"].startswith("timestamp")
    changes = db.execute(f'SELECT "InvoiceID", "Change" FROM {t["invoice_changes"]}').fetchall()
    expected = {
        (i["InvoiceID"], "voided")
        for i in xero
        if i["Status"] == "VOIDED" and i["Type"] == "ACCREC"
    }
    assert set(changes) >= expected
    change_types = column_types(db, schema, names["invoice_changes"])
    assert change_types["AmountDue"] == "numeric" and change_types["PaymentDate"] == "date"


def test_both_taps_load_into_postgres_and_the_table_follows_the_queue(
    project, start_private_sandbox, sandbox_env, postgres_database, tmp_path
):
    box = start_private_sandbox()
    env = {
        **sandbox_env(box, tmp_path / "meltano.db"),
        "TARGET_POSTGRES_SQLALCHEMY_URL": postgres_database.sqlalchemy_url,
        "TAP_XERO__SELECT_FILTER": XERO_SELECT,
    }
    queue = queued(box)
    # In Xero, one invoice voided and one paid in part: rows of invoice_changes.
    unpaid = [
        i["InvoiceID"]
        for i in box.xero_state()["invoices"]
        if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED" and not i["AmountPaid"]
    ]
    box.admin(box.xero_url, "POST", "void", {"invoices": unpaid[:1]})
    box.admin(box.xero_url, "POST", "pay", {"invoices": unpaid[1:2], "amount": 100})
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-postgres", env=env)
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-postgres", env=env)

    with psycopg.connect(postgres_database.url) as db:
        changes = db.execute("SELECT count(*) FROM tap_xero.invoice_changes").fetchone()[0]
        assert changes == 2
        check_qondor_tables(db, "tap_qondor", {s: s for s in QONDOR_STREAMS}, queue)
        check_xero_tables(db, "tap_xero", {s: s for s in XERO_STREAMS}, box)

    # The sync acknowledges the credit notes; the next load shows the queue as Qondor has it now.
    sync_env = {**env, "TAP_QONDOR_INCLUDE_TYPES": '["CreditNote"]'}
    project.ok("--environment", "sandbox", "run", "invoice-sync", env=sync_env)
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-postgres", env=env)
    still = queued(box)
    assert still and {i["invoiceType"] for i in still} == {1, 2, 3, 4}
    with psycopg.connect(postgres_database.url) as db:
        loaded = db.execute(
            'SELECT id, "statusText" FROM tap_qondor.invoices UNION ALL'
            ' SELECT id, "statusText" FROM tap_qondor.credit_notes'
        ).fetchall()
        assert sorted(loaded) == sorted((i["id"], "Unprocessed") for i in still)
        check_qondor_tables(db, "tap_qondor", {s: s for s in QONDOR_STREAMS}, still)


def test_flattened_taps_share_one_schema_through_stream_name_prefixes(
    project, start_private_sandbox, sandbox_env, postgres_database, tmp_path
):
    box = start_private_sandbox()
    env = {
        **sandbox_env(box, tmp_path / "meltano.db"),
        "TARGET_POSTGRES_SQLALCHEMY_URL": postgres_database.sqlalchemy_url,
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": "finance",
        # Flattened by the tap, not the target.
        "TAP_QONDOR_FLATTENING_ENABLED": "true",
        "TAP_QONDOR_FLATTENING_MAX_DEPTH": "1",
        "TARGET_POSTGRES_FLATTENING_ENABLED": "false",
        "TAP_QONDOR_STREAM_MAPS": prefixed("qondor", QONDOR_STREAMS),
        "TAP_XERO_STREAM_MAPS": prefixed("xero", XERO_STREAMS),
        "TAP_XERO__SELECT_FILTER": XERO_SELECT,
    }
    queue = queued(box)
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-postgres", env=env)
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-postgres", env=env)

    with psycopg.connect(postgres_database.url) as db:
        names = {s: f"qondor_{s}" for s in QONDOR_STREAMS}
        check_qondor_tables(db, "finance", names, queue)
        check_xero_tables(db, "finance", {s: f"xero_{s}" for s in XERO_STREAMS}, box)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_both_taps_into_target_jsonl(project, start_private_sandbox, sandbox_env, tmp_path):
    box = start_private_sandbox()
    env = {**sandbox_env(box, tmp_path / "meltano.db"), "TAP_XERO__SELECT_FILTER": XERO_SELECT}
    out = {"qondor": tmp_path / "qondor", "xero": tmp_path / "xero"}
    env["TARGET_JSONL_DESTINATION_PATH"] = str(out["qondor"])
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-jsonl", env=env)
    env["TARGET_JSONL_DESTINATION_PATH"] = str(out["xero"])
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-jsonl", env=env)

    queue = queued(box)
    invoices = read_jsonl(out["qondor"] / "invoices.jsonl")
    assert sorted(r["id"] for r in invoices) == sorted(
        i["id"] for i in queue if i["invoiceType"] != 5
    )
    # A missing booker or customer is absent, never `null` beside an object's columns.
    assert all(r.get("booker") is not None for r in invoices if "booker" in r)
    assert all(r["createdDate"].endswith("+00:00") for r in invoices)
    lines = read_jsonl(out["qondor"] / "invoice_lines.jsonl")
    assert len(lines) == sum(len(i["lines"]) for i in queue)
    xero = read_jsonl(out["xero"] / "invoices.jsonl")
    assert xero and all(len(r["Date"]) == 10 for r in xero)
    xero_lines = read_jsonl(out["xero"] / "invoice_lines.jsonl")
    read = {i["InvoiceID"]: i for i in box.xero_state()["invoices"] if i["Status"] in XERO_READ}
    assert sorted((r["InvoiceID"], r["LineNo"]) for r in xero_lines) == sorted(
        (i, n) for i, inv in read.items() for n in range(1, len(inv["LineItems"]) + 1)
    )
    assert all(isinstance(r["LineAmount"], int | float) for r in xero_lines)


def test_unflattened_taps_load_objects_as_jsonb_and_keep_types(
    project, start_private_sandbox, sandbox_env, postgres_database, tmp_path
):
    box = start_private_sandbox()
    env = {
        **sandbox_env(box, tmp_path / "meltano.db"),
        "TARGET_POSTGRES_SQLALCHEMY_URL": postgres_database.sqlalchemy_url,
        "TARGET_POSTGRES_FLATTENING_ENABLED": "false",
        "TAP_XERO__SELECT_FILTER": XERO_SELECT,
    }
    queue = queued(box)
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-postgres", env=env)
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-postgres", env=env)

    invoices = [i for i in queue if i["invoiceType"] != 5]
    with psycopg.connect(postgres_database.url) as db:
        types = column_types(db, "tap_qondor", "invoices")
        assert types["booker"] == "jsonb" and types["customer"] == "jsonb", types
        assert types["invoiceDate"] == "date" and types["totalInclVat"] == "numeric"
        assert types["createdDate"].startswith("timestamp")
        # A missing object is JSON null (README: query booker->>'email' IS NULL).
        no_booker, total = db.execute(
            "SELECT count(*) FILTER (WHERE booker->>'email' IS NULL"
            " AND booker->>'firstName' IS NULL), sum(\"totalInclVat\") FROM tap_qondor.invoices"
        ).fetchone()
        assert no_booker == sum(1 for i in invoices if not i["booker"])
        assert total == money(i["totalInclVat"] for i in invoices)
        lines = db.execute("SELECT count(*) FROM tap_qondor.invoice_lines").fetchone()[0]
        assert lines == sum(len(i["lines"]) for i in queue)

        xero = [i for i in box.xero_state()["invoices"] if i["Status"] in XERO_READ]
        count, xero_total = db.execute(
            'SELECT count(*), sum("Total") FROM tap_xero.invoices'
        ).fetchone()
        assert count == len(xero) and xero_total == money(i["Total"] for i in xero)
        xero_types = column_types(db, "tap_xero", "invoices")
        assert xero_types["Contact"] == "jsonb" and xero_types["Date"] == "date", xero_types
        joined = db.execute(
            "SELECT count(*) FROM tap_xero.invoice_lines l JOIN tap_xero.invoices i"
            ' ON i."InvoiceID" = l."InvoiceID"'
        ).fetchone()[0]
        assert joined == sum(len(i["LineItems"]) for i in xero)
