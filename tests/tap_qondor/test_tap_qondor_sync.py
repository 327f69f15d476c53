"""tap-qondor runs (console script, subprocess) against the sandbox's demo queue."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from singer_sdk.testing.runners import TapTestRunner

from qondor_xero.qondor import client as qondor_client
from qondor_xero.qondor import contract
from tap_qondor import client as tap_client
from tap_qondor.tap import TapQondor

TAP = str(Path(sys.executable).with_name("tap-qondor"))
DEMO_MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "demo.yml"
QUEUE_PATH = contract.UNPROCESSED_INVOICES
CREDIT_NOTE_IDS = [5033, 5034, 5035, 5036, 5037, 5038]
DOCUMENT_STREAMS = ["customers", "invoices", "credit_notes"]
ROW_STREAMS = ["invoice_lines", "invoice_fields"]  # the documents' lines and fields, as rows


@dataclass
class Run:
    """What one tap run printed."""

    returncode: int
    stderr: str
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def stream_order(self) -> list[str]:
        order: list[str] = []
        for m in self.messages:
            if m["type"] == "RECORD" and (not order or order[-1] != m["stream"]):
                order.append(m["stream"])
        return order

    def ids(self, stream: str) -> list[int]:
        return [r["id"] for r in self.records.get(stream, [])]


def run_tap(box, tmp_path: Path, **settings: Any) -> Run:
    config = {**box.qondor_config(), "mapping_file": str(DEMO_MAPPING), **settings}
    config = {k: v for k, v in config.items() if v is not None}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run([TAP, "--config", str(path)], capture_output=True, text=True, timeout=120)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    run = Run(done.returncode, done.stderr, messages)
    for m in messages:
        if m["type"] == "RECORD":
            run.records.setdefault(m["stream"], []).append(m["record"])
    return run


def sync_in_process(box, **settings: Any) -> dict[str, list[int]]:
    """Ids per stream from an in-process sync (faster where the subprocess adds nothing)."""
    config = {**box.qondor_config(), "mapping_file": str(DEMO_MAPPING), **settings}
    runner = TapTestRunner(TapQondor, config=config)
    runner.sync_all()
    return {
        name: [r["id"] for r in records]
        for name, records in runner.records.items()
        if name in DOCUMENT_STREAMS
    }


def write_mapping(tmp_path: Path, offices: list[int], projects: list[int]) -> str:
    text = DEMO_MAPPING.read_text()
    text = text.replace("offices: []", f"offices: {offices}").replace(
        "projects: []", f"projects: {projects}"
    )
    path = tmp_path / "filtered.yml"
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module")
def demo_run(sandbox, tmp_path_factory) -> tuple[Run, Counter]:
    """One plain run over the demo queue, and the Qondor calls it made."""
    sandbox.reset("demo")
    run = run_tap(sandbox, tmp_path_factory.mktemp("demo-run"))
    return run, Counter(r["path"] for r in sandbox.qondor_requests())


@pytest.fixture
def demo(sandbox):
    sandbox.reset("demo")
    return sandbox


@pytest.fixture
def queue(demo) -> list[dict[str, Any]]:
    """The demo queue as the sandbox stores it."""
    state = demo.qondor_state()["invoices"]
    return sorted(
        (i for i in state if i["statusText"] == "Unprocessed" and 5001 <= i["id"] <= 5043),
        key=lambda i: i["id"],
    )


def test_a_run_emits_customers_then_invoices_then_credit_notes(demo_run, queue):
    run, calls = demo_run
    assert run.returncode == 0, run.stderr
    assert run.stream_order == DOCUMENT_STREAMS + ROW_STREAMS
    assert sorted(run.ids("invoices") + run.ids("credit_notes")) == [i["id"] for i in queue]
    assert sorted(run.ids("credit_notes")) == CREDIT_NOTE_IDS
    named = {i["customerId"] for i in queue if i["customerId"] is not None}
    assert sorted(run.ids("customers")) == sorted(named)
    kinds = Counter(r["invoiceKind"] for r in run.records["invoices"])
    by_type = Counter(i["invoiceTypeText"] for i in queue)
    assert kinds == {
        "offer": by_type["OfferInvoice"],
        "form": by_type["FormInvoice"],
        "booking": by_type["BookingInvoice"],
        "card_payment": by_type["CreditCardPayment"],
    }
    credit = next(r for r in run.records["credit_notes"] if r["id"] == 5033)
    assert (credit["invoiceKind"], credit["creditedInvoiceId"]) == ("credit_note", 5001)
    assert credit["creditedInvoiceNumber"] == "100201"
    booking = next(r for r in run.records["invoices"] if r["invoiceKind"] == "booking")
    assert booking["customerId"] is None and booking["booker"]["lastName"]
    # A null object is left out (loaders store a missing key as NULL, a null one as JSON null).
    assert "customer" not in booking
    assert not any("booker" in r for r in run.records["invoices"] if r["customerId"])
    # One queue read, each customer once, no state that could skip an item next time.
    assert calls[QUEUE_PATH] == 1
    assert all(n == 1 for p, n in calls.items() if p.startswith("/Customer/"))
    states = [m["value"] for m in run.messages if m["type"] == "STATE"]
    assert all(not bookmark for s in states for bookmark in s.get("bookmarks", {}).values())


def test_every_record_validates_against_its_stream_schema(demo_run):
    run, _ = demo_run
    assert run.returncode == 0, run.stderr
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert list(schemas) == DOCUMENT_STREAMS + ROW_STREAMS
    checked = 0
    for m in run.messages:
        if m["type"] == "RECORD":
            jsonschema.validate(
                m["record"],
                schemas[m["stream"]],
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            checked += 1
    rows = sum(len(run.records[name]) for name in ROW_STREAMS)
    assert checked == 43 + len(run.records["customers"]) + rows
    lines = [line for r in run.records["invoices"] for line in r["lines"]]
    assert all(isinstance(line["amountExclVat"], int | float) for line in lines)
    assert all(r["invoiceDate"][4] == "-" for r in run.records["invoices"])
    # Qondor's 7-digit .NET timestamps arrive as RFC 3339 in UTC, with microseconds.
    created = [r["createdDate"] for r in run.records["invoices"]]
    assert all(
        c.endswith("+00:00") and len(c) == len("2026-11-20T09:14:03.123456+00:00") for c in created
    )


def test_lines_and_fields_are_rows_keyed_by_their_document(demo_run, queue):
    run, _ = demo_run
    documents = run.records["invoices"] + run.records["credit_notes"]
    lines = run.records["invoice_lines"]
    assert len(lines) == sum(len(i["lines"]) for i in queue)
    assert len({(r["invoiceId"], r["lineNo"]) for r in lines}) == len(lines)
    nested = {(d["id"], line["lineNo"]): line for d in documents for line in d["lines"]}
    for row in lines:
        line = nested[(row["invoiceId"], row["lineNo"])]
        assert {k: row[k] for k in line} == line
    credit_lines = [r for r in lines if r["invoiceId"] in CREDIT_NOTE_IDS]
    assert credit_lines and all(r["amountExclVat"] < 0 for r in credit_lines)
    fields = run.records["invoice_fields"]
    expected = [
        (i["id"], n, f["heading"], f["value"])
        for i in queue
        for n, f in enumerate(i.get("customerInvoiceFields") or [], start=1)
    ]
    assert sorted(
        (r["invoiceId"], r["fieldNo"], r["heading"], r["value"]) for r in fields
    ) == sorted(expected)
    assert fields and all(r["invoiceNumber"] for r in fields)


def test_flattened_records_carry_only_the_columns_of_their_schema(demo, queue, tmp_path):
    run = run_tap(demo, tmp_path, flattening_enabled=True, flattening_max_depth=1)
    assert run.returncode == 0, run.stderr
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    for m in run.messages:
        if m["type"] == "RECORD":
            assert set(m["record"]) <= set(schemas[m["stream"]]["properties"]), m["stream"]
            jsonschema.validate(m["record"], schemas[m["stream"]])
    by_id = {r["id"]: r for r in run.records["invoices"]}
    bookers = [i for i in queue if i["booker"] and i["invoiceType"] != 5]
    assert bookers
    for item in bookers:
        record = by_id[item["id"]]
        assert record["booker__email"] == item["booker"]["email"]
        assert record["customer__id"] is None and record["customer__name"] is None
    companies = [r for r in by_id.values() if r["customerId"]]
    assert companies and all(r["booker__email"] is None for r in companies)


def emitted(ids: dict[str, list[int]]) -> list[int]:
    return sorted(ids.get("invoices", []) + ids.get("credit_notes", []))


def test_office_and_project_filters_of_the_mapping_file(demo, queue, tmp_path):
    projects = sorted({i["projectId"] for i in queue if i["projectId"] is not None})[:3]
    ids = sync_in_process(demo, mapping_file=write_mapping(tmp_path, [3], []))
    expected = [i["id"] for i in queue if i["officeId"] == 3]
    assert expected and emitted(ids) == expected
    ids = sync_in_process(demo, mapping_file=write_mapping(tmp_path, [], projects))
    expected = [i["id"] for i in queue if i["projectId"] in projects]
    assert expected and emitted(ids) == expected
    ids = sync_in_process(demo, mapping_file=write_mapping(tmp_path, [1], projects))
    both = [i["id"] for i in queue if i["projectId"] in projects and i["officeId"] == 1]
    assert emitted(ids) == both
    named = {i["customerId"] for i in queue if i["id"] in both and i["customerId"]}
    assert sorted(ids.get("customers", [])) == sorted(named)


def test_include_types_limits_items_and_their_customers(demo, queue):
    ids = sync_in_process(demo, include_types=["CreditNote"])
    assert ids.get("invoices", []) == []
    assert sorted(ids["credit_notes"]) == CREDIT_NOTE_IDS
    named = {i["customerId"] for i in queue if i["id"] in CREDIT_NOTE_IDS and i["customerId"]}
    assert sorted(ids["customers"]) == sorted(named)
    ids = sync_in_process(demo, include_types=["BookingInvoice", "CreditCardPayment"])
    types = {i["id"]: i["invoiceTypeText"] for i in queue}
    assert {types[i] for i in ids["invoices"]} == {"BookingInvoice", "CreditCardPayment"}
    assert ids.get("credit_notes", []) == []


def test_a_429_storm_is_ridden_out(demo, queue, tmp_path):
    demo.qondor_fault({"path": QUEUE_PATH, "status": 429, "retry_after": 1, "count": 2})
    demo.qondor_fault(
        {"path": "/Customer/v1/Customer/*", "status": 429, "retry_after": 1, "count": 3}
    )
    run = run_tap(demo, tmp_path)
    assert run.returncode == 0, run.stderr
    assert len(run.ids("invoices") + run.ids("credit_notes")) == len(queue)
    assert len(run.ids("customers")) == len({i["customerId"] for i in queue if i["customerId"]})
    statuses = Counter(r["status"] for r in demo.qondor_requests())
    assert statuses[429] == 5


def test_an_item_whose_customer_is_gone_is_still_emitted_and_logged_once(demo, queue, tmp_path):
    demo.qondor_fault({"path": "/Customer/v1/Customer/101", "status": 404})
    run = run_tap(demo, tmp_path)
    assert run.returncode == 0, run.stderr
    of_101 = [i["id"] for i in queue if i["customerId"] == 101]
    assert len(of_101) > 1
    emitted = run.records["invoices"] + run.records["credit_notes"]
    assert sorted(r["id"] for r in emitted if r["customerId"] == 101) == of_101
    assert (
        next(r for r in emitted if r["customerId"] == 101)["customer"]["name"] == "Fjord Events AS"
    )
    assert 101 not in run.ids("customers")
    warnings = [line for line in run.stderr.splitlines() if "customer 101" in line]
    assert len(warnings) == 1 and "not found" in warnings[0]
    assert "100201" in warnings[0]


def test_a_wrong_key_stops_with_one_line_and_no_records(demo, tmp_path):
    run = run_tap(demo, tmp_path, api_key="wrong-key-for-qondor-123")
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1 and "401" in errors[0] and "api_key" in errors[0]
    assert "wrong-key-for-qondor-123" not in run.stderr
    assert "Traceback" not in run.stderr
    assert not run.records


def test_the_daily_limit_stops_the_run_with_one_line_before_any_record(start_sandbox, tmp_path):
    with start_sandbox(scenario="demo", qondor_daily_limit=3) as box:
        run = run_tap(box, tmp_path)
        log = box.qondor_requests()
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, run.stderr
    assert "Qondor daily API limit reached" in errors[0] and "resumes at" in errors[0]
    assert "Traceback" not in run.stderr
    assert [m for m in run.messages if m["type"] == "RECORD"] == []
    # No retry against the quota: each path once; only calls already in flight (4 customer
    # workers) can meet the limit besides the first.
    assert [r["status"] for r in log].count(200) == 3
    assert 1 <= [r["status"] for r in log].count(429) <= 4
    assert max(Counter(r["path"] for r in log).values()) == 1


def test_a_queue_spooled_to_disk_emits_the_same_records(demo, queue, monkeypatch):
    def records() -> dict[str, list[dict]]:
        config = {**demo.qondor_config(), "mapping_file": str(DEMO_MAPPING)}
        runner = TapTestRunner(TapQondor, config=config)
        runner.sync_all()
        return runner.records

    in_memory = records()
    rolled: list[bool] = []
    real_rollover = tempfile.SpooledTemporaryFile.rollover

    def rollover(self) -> None:
        rolled.append(True)
        real_rollover(self)

    # Both the downloaded answer and the kept items go to disk after their first byte.
    monkeypatch.setattr(qondor_client, "SPOOL_IN_MEMORY", 1)
    monkeypatch.setattr(tap_client, "SPOOL_IN_MEMORY", 1)
    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", rollover)
    on_disk = records()
    assert rolled.count(True) >= 2
    assert on_disk == in_memory
    ids = [r["id"] for r in on_disk["invoices"] + on_disk["credit_notes"]]
    assert sorted(ids) == [i["id"] for i in queue]
    by_id = {i["id"]: i for i in queue}
    for record in on_disk["invoices"]:
        assert record["invoiceNumber"] == by_id[record["id"]]["invoiceNumber"]
        assert len(record["lines"]) == len(by_id[record["id"]]["lines"])


def test_connection_test_reads_one_record_per_stream_and_logs_no_error(demo, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**demo.qondor_config(), "mapping_file": str(DEMO_MAPPING)}))
    done = subprocess.run(
        [TAP, "--config", str(path), "--test"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line for line in done.stderr.splitlines() if "| ERROR" in line] == []
    records = Counter(
        m["stream"] for m in map(json.loads, done.stdout.splitlines()) if m["type"] == "RECORD"
    )
    assert records == dict.fromkeys(DOCUMENT_STREAMS + ROW_STREAMS, 1)
