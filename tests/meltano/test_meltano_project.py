"""The Meltano project as a user runs it: installed plugins, jobs, the schedule, environments.

Each test runs `meltano` in a temp copy of the project (plugins installed once per session)
against a private sandbox on free ports; env vars point the sandbox environment at it. Every
`meltano run` of a pair costs ~10 s of plugin start-up, so each test makes few of them.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
import yaml

from qondor_xero.qondor import QondorClient

pytestmark = pytest.mark.slow

STATUS = {0: "Unprocessed", 1: "Processed", 2: "Failed", 3: "Paid"}
SCHEDULE = "qondor-xero-sync-every-5-minutes"
PAYMENT_STATE = "tap-xero-to-target-qondor"


def status(item: dict) -> str:
    return item.get("statusText") or STATUS[item["status"]]


def queued(box) -> list[dict]:
    """What Qondor's queue holds now (offices with API processing, from their start date)."""
    return QondorClient(box.qondor_url, "sandbox-qondor-key").get_unprocessed_invoices()


def xero_documents(box) -> dict[str, dict]:
    """Xero invoices and credit notes by id."""
    state = box.xero_state()
    docs = {i["InvoiceID"]: i for i in state["invoices"]}
    docs.update({c["CreditNoteID"]: c for c in state.get("creditNotes", [])})
    return docs


def created_invoice_statuses(box, ids: set[int], existing: set[str]) -> list[str]:
    """Xero statuses of the invoices created (not in `existing`) for these offer/form/booking items."""
    docs = xero_documents(box)
    return [
        docs[i["externalReference"]]["Status"]
        for i in box.qondor_state()["invoices"]
        if i["id"] in ids
        and i["invoiceType"] in (1, 2, 3)
        and i.get("externalReference") in set(docs) - existing
    ]


def test_the_schedule_runs_qondor_xero_sync_every_5_minutes(project):
    listed = json.loads(project.meltano("schedule", "list", "--format=json").stdout)
    schedule = next(s for s in listed["schedules"]["job"] if s["name"] == SCHEDULE)
    assert schedule["interval"] == "*/5 * * * *"
    assert schedule["job"]["name"] == "qondor-xero-sync"
    assert schedule["job"]["tasks"] == ["tap-qondor target-xero", "tap-xero target-qondor"]


def test_qondor_xero_sync_end_to_end_then_the_scheduled_run_marks_paid_invoices(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    before = {i["id"]: i for i in queued(box)}
    assert before, "the demo scenario should queue items"

    project.ok("--environment", "sandbox", "run", "qondor-xero-sync", env=env)

    items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    docs = xero_documents(box)
    outcomes = [status(items[i]) for i in before]
    assert outcomes.count("Processed") + outcomes.count("Paid") > len(before) / 2
    for item_id, old in before.items():
        item = items[item_id]
        if status(item) == "Failed":
            assert item["errorMessage"], f"{old['invoiceNumber']} failed without a reason"
            continue
        assert status(item) != "Unprocessed", f"{old['invoiceNumber']} was left in the queue"
        # Acknowledged with the id of the Xero document that carries its number.
        doc = docs[item["externalReference"]]
        assert (doc.get("InvoiceNumber") or doc.get("CreditNoteNumber")) == old["invoiceNumber"]
        if old["invoiceType"] == 5:
            assert status(item) == "Processed"  # a credit note is never "paid"
            continue
        # Payment status came back in the same job: Paid in Qondor exactly when PAID in Xero.
        assert (status(item) == "Paid") == (doc.get("Status") == "PAID"), old["invoiceNumber"]
    assert "PAID" in {
        docs[items[i]["externalReference"]]["Status"]
        for i in before
        if items[i]["externalReference"]
    }

    # A customer pays one invoice in Xero; the schedule's run (as cron calls it) marks that one,
    # and only that one, Paid in Qondor, and writes nothing new to Xero.
    unpaid = [
        i
        for i in before
        if status(items[i]) == "Processed"
        and docs[items[i]["externalReference"]].get("Status") == "AUTHORISED"
    ]
    assert unpaid, "the demo should leave an AUTHORISED invoice unpaid"
    box.pay([docs[items[unpaid[0]]["externalReference"]]])

    box.take_requests()
    project.ok("--environment", "sandbox", "schedule", "run", SCHEDULE, env=env)
    xero = [r for r in box.take_requests()[1] if "/api.xro/" in r["path"]]
    api = [(r["method"], r["path"]) for r in xero]
    assert api == [("GET", "/api.xro/2.0/Invoices")], api  # a quiet 5-minute run: one Xero call
    assert "summaryOnly=true" in xero[0]["query"]  # the payment job needs no invoice lines

    after = {i["id"]: i for i in box.qondor_state()["invoices"]}
    newly_paid = [i for i in before if status(after[i]) == "Paid" and status(items[i]) != "Paid"]
    assert newly_paid == [unpaid[0]]
    assert set(xero_documents(box)) == set(docs)
    assert f"sandbox:{PAYMENT_STATE}" in project.ok("state", "list", env=env)


def test_two_environments_keep_separate_state_and_mappings(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    """A second customer, `nordic`, whose mapping makes DRAFT invoices, beside `sandbox`."""
    first, second = start_private_sandbox(), start_private_sandbox()
    demo = yaml.safe_load((project.path / "mappings" / "demo.yml").read_text())
    assert demo["invoice_status"] == "AUTHORISED"
    nordic_mapping = tmp_path / "nordic.yml"
    nordic_mapping.write_text(yaml.safe_dump({**demo, "invoice_status": "DRAFT"}))
    env_file = project.path / "environments" / "nordic.meltano.yml"
    env_file.write_text(yaml.safe_dump(nordic_environment(second, nordic_mapping)))
    database = tmp_path / "shared.db"
    nordic_env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{database}",
        "NORDIC_XERO_SECRET": "sandbox-secret",
    }
    first_queue, second_queue = {i["id"] for i in queued(first)}, {i["id"] for i in queued(second)}
    existing = set(xero_documents(second))
    try:
        project.ok("--environment", "nordic", "run", "qondor-xero-sync", env=nordic_env)
        project.ok(
            "--environment", "sandbox", "run", "payment-sync", env=sandbox_env(first, database)
        )

        # nordic's mapping decided nordic's Xero: its new invoices are drafts.
        statuses = created_invoice_statuses(second, second_queue, existing)
        assert len(statuses) > 10 and set(statuses) == {"DRAFT"}
        assert {i["id"] for i in queued(first)} == first_queue  # sandbox's queue untouched

        # One system database, one state per environment, different bookmarks.
        listed = project.ok("state", "list", env=nordic_env)
        assert f"sandbox:{PAYMENT_STATE}" in listed and f"nordic:{PAYMENT_STATE}" in listed
        one = project.meltano("state", "get", f"sandbox:{PAYMENT_STATE}", env=nordic_env)
        two = project.meltano("state", "get", f"nordic:{PAYMENT_STATE}", env=nordic_env)
        assert json.loads(one.stdout) != json.loads(two.stdout)

        # Clearing one customer's state leaves the other's alone.
        project.ok("state", "clear", "--force", f"nordic:{PAYMENT_STATE}", env=nordic_env)
        listed = project.ok("state", "list", env=nordic_env)
        assert f"sandbox:{PAYMENT_STATE}" in listed and f"nordic:{PAYMENT_STATE}" not in listed
    finally:
        env_file.unlink()


def nordic_environment(box, mapping) -> dict:
    """An environment file like environments/acme.meltano.yml, for `box`, secret from env."""
    q, x = box.qondor_url, box.xero_url
    xero = {
        "api_url": f"{x}/api.xro/2.0",
        "identity_url": x,
        "client_id": "sandbox-client",
        "client_secret": "${NORDIC_XERO_SECRET}",
        "tenant_id": "00000000-0000-4000-8000-000000000001",
        "mapping_file": str(mapping),
    }
    qondor = {"api_url": q, "api_key": "sandbox-qondor-key"}
    plugins = {
        "extractors": [
            {"name": "tap-qondor", "config": {**qondor, "mapping_file": str(mapping)}},
            {"name": "tap-xero", "config": xero},
        ],
        "loaders": [
            {
                "name": "target-xero",
                "config": {**xero, "qondor_api_url": q, "qondor_api_key": qondor["api_key"]},
            },
            {"name": "target-qondor", "config": qondor},
        ],
    }
    return {"environments": [{"name": "nordic", "config": {"plugins": plugins}}]}


def test_tap_qondor_and_tap_xero_compose_with_target_csv_from_pypi(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-csv", env=env)
    # meltano.yml's select_filter leaves the lines out (the payment sync reads summaryOnly).
    lines = {**env, "TAP_XERO__SELECT_FILTER": '["invoices", "invoice_lines"]'}
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-csv", env=lines)

    # Flattened, each tap in its own folder: the two `invoices.csv` never overwrite each other.
    output = project.path / "output" / "sandbox"
    with (output / "tap_qondor" / "invoices.csv").open(newline="") as f:
        qondor_rows = list(csv.DictReader(f))
    still_queued = queued(box)  # reading the queue acknowledges nothing
    expected = {i["invoiceNumber"]: i for i in still_queued if i["invoiceType"] != 5}
    assert {r["invoiceNumber"] for r in qondor_rows} == set(expected)
    for row in qondor_rows:
        booker = expected[row["invoiceNumber"]]["booker"] or {}
        assert row["booker__email"] == (booker.get("email") or "")
    assert {"customer__name", "booker__lastName"} <= set(qondor_rows[0])
    assert "booker" not in qondor_rows[0]
    for name in ("customers", "credit_notes", "invoice_lines", "invoice_fields"):
        assert (output / "tap_qondor" / f"{name}.csv").exists(), name

    with (output / "tap_xero" / "invoices.csv").open(newline="") as f:
        xero_rows = list(csv.DictReader(f))
    in_xero = {
        i["InvoiceNumber"]
        for i in box.xero_state()["invoices"]
        if i["Status"] in ("AUTHORISED", "PAID", "VOIDED", "DELETED")
    }
    assert xero_rows and {r["InvoiceNumber"] for r in xero_rows} <= in_xero
    assert {"InvoiceID", "Status", "AmountDue", "Contact__Name"} <= set(xero_rows[0])
    with (output / "tap_xero" / "invoice_lines.csv").open(newline="") as f:
        line_rows = list(csv.DictReader(f))
    assert {r["InvoiceID"] for r in line_rows} == {r["InvoiceID"] for r in xero_rows}
    assert {"LineNo", "LineAmount", "TrackingOption1"} <= set(line_rows[0])


# README "Running it yourself": Meltano ignores `select` beside the committed catalog (where the
# credit-note streams are not selected), so the report discovers its own (an empty catalog).
CREDIT_NOTE_REPORT = {
    "TAP_XERO__CATALOG": "",
    "TAP_XERO__SELECT": '["invoices.*","credit_notes.*","credit_note_lines.*"]',
    "TAP_XERO__SELECT_FILTER": '["invoices","credit_notes","credit_note_lines"]',
}


def test_a_finance_report_adds_credit_notes_as_the_readme_says(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    project.ok("--environment", "sandbox", "run", "invoice-sync", env=env)
    in_xero = {c["CreditNoteID"]: c for c in box.xero_state()["creditNotes"]}
    assert in_xero, "the invoice sync should put the demo's credit notes in Xero"

    output = project.path / "output" / "sandbox" / "tap_xero"
    for name in ("credit_notes", "credit_note_lines"):
        (output / f"{name}.csv").unlink(missing_ok=True)
    report = {**env, **CREDIT_NOTE_REPORT}
    project.ok("--environment", "sandbox", "run", "tap-xero", "target-csv", env=report)

    with (output / "credit_notes.csv").open(newline="") as f:
        notes = list(csv.DictReader(f))
    assert {r["CreditNoteID"] for r in notes} == set(in_xero)
    for row in notes:
        assert float(row["Total"]) == in_xero[row["CreditNoteID"]]["Total"], row["CreditNoteNumber"]
    with (output / "credit_note_lines.csv").open(newline="") as f:
        lines = list(csv.DictReader(f))
    assert len(lines) == sum(len(c["LineItems"]) for c in in_xero.values())
    assert {r["CreditNoteID"] for r in lines} == set(in_xero)


def test_config_list_shows_where_settings_come_from_and_redacts_secrets(project):
    listed = project.ok("--environment", "sandbox", "config", "list", "target-xero")
    assert "client_id [env: TARGET_XERO_CLIENT_ID] current value: 'sandbox-client'" in listed
    assert "client_secret" in listed and "sandbox-secret" not in listed
    acme = project.ok(
        "--environment",
        "acme",
        "config",
        "list",
        "target-xero",
        env={"ACME_XERO_CLIENT_SECRET": "s3cr3t-acme"},
    )
    assert "mappings/example.yml" in acme and "s3cr3t-acme" not in acme


def test_validate_reads_a_meltano_environment_and_names_what_to_fix(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    command = [
        sys.executable,
        "-m",
        "qondor_xero.cli",
        "validate",
        "--project-dir",
        str(project.path),
    ]
    env = {**os.environ, **sandbox_env(box, tmp_path / "meltano.db")}
    result = subprocess.run(
        [*command, "-e", "sandbox"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(
        line.startswith("OK   xero connection: tenant 00000000-0000-4000-8000-000000000001")
        for line in lines
    )
    # The demo queue holds what the demo mapping cannot send: validate says so before any run.
    assert any(line.startswith("FAIL article numbers:") and "MISC" in line for line in lines)
    assert "sandbox-secret" not in result.stdout + result.stderr

    unknown = subprocess.run(
        [*command, "-e", "nosuch"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert unknown.returncode == 1
    assert unknown.stdout.strip() == (
        "FAIL settings: meltano could not read environment 'nosuch': Environment 'nosuch' was not found."
    )


@pytest.mark.parametrize(("tap", "missing"), [("tap-qondor", "api_key"), ("tap-xero", "client_id")])
def test_config_test_without_an_environment_names_the_missing_setting(project, tap, missing):
    result = project.meltano("config", "test", tap)  # the default environment is ignored
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"'{missing}' is a required property" in output
    assert '"schema"' not in output and len(output) < 3000, output[-3000:]
