"""The Meltano project as a user runs it: installed plugins, jobs, the schedule, environments.

Each test runs `meltano` in a temp copy of the project (plugins installed once per session)
against a private sandbox on free ports; env vars point the sandbox environment at it.
"""

from __future__ import annotations

import csv
import json

import pytest
import yaml

pytestmark = pytest.mark.slow

STATUS = {0: "Unprocessed", 1: "Processed", 2: "Failed", 3: "Paid"}


def status(item: dict) -> str:
    return item.get("statusText") or STATUS[item["status"]]


def queued(box) -> list[dict]:
    return [i for i in box.qondor_state()["invoices"] if status(i) == "Unprocessed"]


def xero_documents(box) -> dict[str, dict]:
    """Xero invoices and credit notes by id."""
    state = box.xero_state()
    docs = {i["InvoiceID"]: i for i in state["invoices"]}
    docs.update({c["CreditNoteID"]: c for c in state.get("creditNotes", [])})
    return docs


def synced_invoice_statuses(box) -> set[str]:
    """Xero statuses of the invoices the sync created for non-card Qondor items."""
    docs = xero_documents(box)
    return {
        docs[i["externalReference"]]["Status"]
        for i in box.qondor_state()["invoices"]
        if i.get("externalReference") in docs and i["invoiceType"] in (1, 2, 3)
    }


def test_qondor_xero_sync_end_to_end_with_installed_plugins(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    before = {i["id"]: i for i in queued(box)}
    assert before, "the demo scenario should queue items"

    project.ok("--environment", "sandbox", "run", "qondor-xero-sync", env=env)

    items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    docs = xero_documents(box)
    outcomes = {status(items[i]) for i in before}
    assert "Processed" in outcomes or "Paid" in outcomes
    for item_id, old in before.items():
        item = items[item_id]
        if status(item) == "Failed":
            assert item["errorMessage"], f"{old['invoiceNumber']} failed without a reason"
            continue
        # Every item the mapping lets through ends acknowledged, linked to its Xero document.
        if status(item) == "Unprocessed":
            continue  # filtered out by the demo mapping's offices/projects
        doc = docs[item["externalReference"]]
        number = doc.get("InvoiceNumber") or doc.get("CreditNoteNumber")
        assert number == old["invoiceNumber"]
        # Payment status came back in the same job: Paid in Qondor exactly when PAID in Xero.
        assert (status(item) == "Paid") == (doc.get("Status") == "PAID"), old["invoiceNumber"]

    # Pay one unpaid invoice in Xero; the next run marks that one, and only it, Paid in Qondor.
    unpaid = [
        (item_id, docs[items[item_id]["externalReference"]])
        for item_id in before
        if status(items[item_id]) == "Processed"
        and docs[items[item_id]["externalReference"]].get("Status") == "AUTHORISED"
    ]
    assert unpaid, "the demo should leave an AUTHORISED invoice unpaid"
    paid_id, paid_doc = unpaid[0]
    box.pay([paid_doc])
    project.ok("--environment", "sandbox", "run", "qondor-xero-sync", env=env)
    after = {i["id"]: i for i in box.qondor_state()["invoices"]}
    assert status(after[paid_id]) == "Paid"
    newly_paid = [i for i in before if status(after[i]) == "Paid" and status(items[i]) != "Paid"]
    assert newly_paid == [paid_id]
    # Nothing was written twice: same Xero documents as after the first run.
    assert set(xero_documents(box)) == set(docs)


def test_schedule_runs_the_job_the_way_cron_would(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    listed = json.loads(project.meltano("schedule", "list", "--format=json", env=env).stdout)
    jobs = listed["schedules"]["job"]
    schedule = next(s for s in jobs if s["name"] == "qondor-xero-sync-every-5-minutes")
    assert schedule["interval"] == "*/5 * * * *"
    assert schedule["job"]["name"] == "qondor-xero-sync"
    before = len(queued(box))

    # The cron line from the README: `meltano --environment sandbox schedule run <name>`.
    project.ok(
        "--environment",
        "sandbox",
        "schedule",
        "run",
        "qondor-xero-sync-every-5-minutes",
        env=env,
    )

    assert len(queued(box)) < before
    states = project.ok("--environment", "sandbox", "state", "list", env=env)
    assert "sandbox:tap-xero-to-target-qondor" in states


def test_two_environments_keep_separate_state_and_mappings(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    """A second customer (DRAFT invoices) beside `sandbox` (AUTHORISED), one system database."""
    first, second = start_private_sandbox(), start_private_sandbox()
    demo = yaml.safe_load((project.path / "mappings" / "demo.yml").read_text())
    sandbox_status = demo.get("invoice_status", "AUTHORISED")
    nordic_status = "AUTHORISED" if sandbox_status == "DRAFT" else "DRAFT"
    drafts = tmp_path / "nordic.yml"
    drafts.write_text(yaml.safe_dump({**demo, "invoice_status": nordic_status}))
    env_file = project.path / "environments" / "nordic.meltano.yml"
    q, x = second.qondor_url, second.xero_url
    common = {
        "client_id": "sandbox-client",
        "client_secret": "${NORDIC_XERO_SECRET}",
        "tenant_id": "00000000-0000-4000-8000-000000000001",
        "mapping_file": str(drafts),
        "api_url": f"{x}/api.xro/2.0",
        "identity_url": x,
    }
    env_file.write_text(
        yaml.safe_dump(
            {
                "environments": [
                    {
                        "name": "nordic",
                        "config": {
                            "plugins": {
                                "extractors": [
                                    {
                                        "name": "tap-qondor",
                                        "config": {
                                            "api_url": q,
                                            "api_key": "sandbox-qondor-key",
                                            "mapping_file": str(drafts),
                                        },
                                    },
                                    {"name": "tap-xero", "config": common},
                                ],
                                "loaders": [
                                    {
                                        "name": "target-xero",
                                        "config": {
                                            **common,
                                            "qondor_api_url": q,
                                            "qondor_api_key": "sandbox-qondor-key",
                                        },
                                    },
                                    {
                                        "name": "target-qondor",
                                        "config": {"api_url": q, "api_key": "sandbox-qondor-key"},
                                    },
                                ],
                            }
                        },
                    }
                ]
            }
        )
    )
    try:
        database = tmp_path / "shared.db"
        project.ok(
            "--environment",
            "sandbox",
            "run",
            "qondor-xero-sync",
            env=sandbox_env(first, database),
        )
        nordic_env = {
            "MELTANO_DATABASE_URI": f"sqlite:///{database}",
            "NORDIC_XERO_SECRET": "sandbox-secret",
        }
        project.ok("--environment", "nordic", "run", "qondor-xero-sync", env=nordic_env)

        # Each customer's mapping decided its own Xero: AUTHORISED in one, DRAFT in the other.
        assert synced_invoice_statuses(first) <= {sandbox_status, "PAID"}
        assert synced_invoice_statuses(second) == {nordic_status}

        # State lives per environment: two ids, two different bookmarks.
        listed = project.ok("state", "list", env=nordic_env)
        assert "sandbox:tap-xero-to-target-qondor" in listed
        assert "nordic:tap-xero-to-target-qondor" in listed
        one = project.meltano("state", "get", "sandbox:tap-xero-to-target-qondor", env=nordic_env)
        two = project.meltano("state", "get", "nordic:tap-xero-to-target-qondor", env=nordic_env)
        assert one.returncode == two.returncode == 0
        assert json.loads(one.stdout) != json.loads(two.stdout)

        # Clearing one customer's state leaves the other's alone.
        project.ok(
            "state",
            "clear",
            "--force",
            "nordic:tap-xero-to-target-qondor",
            env=nordic_env,
        )
        listed = project.ok("state", "list", env=nordic_env)
        assert "sandbox:tap-xero-to-target-qondor" in listed
        assert "nordic:tap-xero-to-target-qondor" not in listed
    finally:
        env_file.unlink()


def test_tap_qondor_composes_with_target_csv_from_pypi(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    out = tmp_path / "csv"
    env["TARGET_CSV_OUTPUT_PATH"] = str(out)

    project.ok("--environment", "sandbox", "run", "tap-qondor", "target-csv", env=env)

    with (out / "invoices.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    numbers = {r["invoiceNumber"] for r in rows}
    expected = {i["invoiceNumber"] for i in queued(box) if i["invoiceType"] != 5}
    assert numbers and numbers <= expected
    assert (out / "customers.csv").exists() and (out / "credit_notes.csv").exists()
    # Reading the queue acknowledges nothing: every item is still queued.
    assert {i["invoiceNumber"] for i in queued(box)} >= numbers


def test_tap_xero_composes_with_target_csv_from_pypi(
    project, start_private_sandbox, sandbox_env, tmp_path
):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    project.ok("--environment", "sandbox", "run", "invoice-sync", env=env)
    out = tmp_path / "csv"
    env["TARGET_CSV_OUTPUT_PATH"] = str(out)

    project.ok("--environment", "sandbox", "run", "tap-xero", "target-csv", env=env)

    with (out / "invoices.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    in_xero = {
        i["InvoiceNumber"]
        for i in box.xero_state()["invoices"]
        if i["Status"] in ("AUTHORISED", "PAID")
    }
    assert rows
    assert {r["InvoiceNumber"] for r in rows} <= in_xero
    assert {"InvoiceID", "Status", "AmountDue"} <= set(rows[0])


def test_config_list_and_config_test_work(project, start_private_sandbox, sandbox_env, tmp_path):
    box = start_private_sandbox()
    env = sandbox_env(box, tmp_path / "meltano.db")
    listed = project.ok("--environment", "sandbox", "config", "list", "target-xero", env=env)
    assert "client_secret" in listed and "sandbox-secret" not in listed  # secrets are redacted
    tested = project.ok("--environment", "sandbox", "config", "test", "tap-qondor", env=env)
    assert "Plugin configuration is valid" in tested
