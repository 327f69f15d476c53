"""Three customers under Dagster on PostgreSQL: sensors ask the partners, runs only when there
is work, one run per customer at a time, a failing customer retried with backoff and alerted.

Real parts only: three sandboxes (one organisation each), a PostgreSQL server (Meltano's system
database and Dagster's storage), Dagster in-process with the shipped dagster.yaml, and Meltano
runs under Dagster Pipes. Each run costs ~15 CPU-seconds, so one scenario carries the checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import Counter

import dagster as dg
import pytest
from dagster_world import (
    Webhook,
    dagster_instance,
    environment_file,
    execute,
    make_project,
    queue,
    run_failure_event,
    run_logs,
    tick,
    wait_for,
)

from qondor_xero.xero.dates import parse_xero_date
from qondor_xero_dagster import Checker, RetryPolicy, build_definitions
from qondor_xero_dagster.sensors import failure_alert

pytestmark = pytest.mark.slow

CUSTOMERS = ("alpha", "bravo", "charlie")  # charlie's Xero client secret is wrong
SECRETS = {c: (f"{c}-qondor-Key-7f3a", f"{c}-xero-Secret-91c2") for c in CUSTOMERS}
WRONG_SECRET = "charlie-wrong-Secret-5d0e"
BACKOFF = RetryPolicy(base_seconds=2.0, max_seconds=8.0)


def status(item: dict) -> int:
    return item["status"]


def books_are_right(box, queued_before: dict[int, dict]) -> None:
    """Every item queued before is acknowledged; Processed/Paid ones name the Xero document with
    their number; no number is twice in Xero."""
    items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    xero = box.xero_state()
    docs = {i["InvoiceID"]: i.get("InvoiceNumber") for i in xero["invoices"]}
    docs.update({c["CreditNoteID"]: c.get("CreditNoteNumber") for c in xero.get("creditNotes", [])})
    for item_id, before in queued_before.items():
        item = items[item_id]
        assert status(item) != 0, f"{before['invoiceNumber']} was left in the queue"
        if status(item) == 2:
            assert item["errorMessage"], f"{before['invoiceNumber']} failed without a reason"
        else:
            assert docs[item["externalReference"]] == before["invoiceNumber"]
    numbers = Counter(i.get("InvoiceNumber") for i in xero["invoices"] if i.get("Type") == "ACCREC")
    assert [n for n, k in numbers.items() if k > 1] == [], "an invoice number is twice in Xero"


def test_three_customers_run_only_when_there_is_work_one_at_a_time_and_failures_back_off(
    tmp_path, start_sandbox, postgres_database, dagster_database_url, monkeypatch
):
    with contextlib.ExitStack() as stack:
        boxes = {
            c: stack.enter_context(
                start_sandbox(
                    scenario="demo", qondor_key=SECRETS[c][0], xero_client_secret=SECRETS[c][1]
                )
            )
            for c in CUSTOMERS
        }
        webhook = Webhook()
        stack.callback(webhook.close)
        for name in [k for k in os.environ if k.startswith(("TAP_", "TARGET_"))]:
            monkeypatch.delenv(name)
        for c in CUSTOMERS:
            monkeypatch.setenv(f"{c.upper()}_QONDOR_API_KEY", SECRETS[c][0])
            monkeypatch.setenv(f"{c.upper()}_XERO_CLIENT_SECRET", SECRETS[c][1])
        monkeypatch.setenv("CHARLIE_XERO_CLIENT_SECRET", WRONG_SECRET)
        monkeypatch.setenv("MELTANO_DATABASE_URI", postgres_database.sqlalchemy_url)
        monkeypatch.setenv("QX_ALERT_WEBHOOK_URL", webhook.url)

        project = make_project(
            tmp_path / "project",
            {c: environment_file(c, boxes[c], c.upper()) for c in CUSTOMERS},
        )
        instance = dagster_instance(tmp_path / "dagster-home", dagster_database_url)
        stack.callback(instance.dispose)
        checker = Checker(project)
        defs = build_definitions(project, checker, BACKOFF)
        assert sorted(j.name for j in defs.jobs) == [f"sync_{c}" for c in CUSTOMERS]
        queued_before = {c: {i["id"]: i for i in queue(boxes[c], SECRETS[c][0])} for c in CUSTOMERS}
        assert all(queued_before.values())

        # Round 1: every customer has queued items, so every sensor requests a full sync.
        requests = {}
        for c in CUSTOMERS:
            result = tick(defs, instance, f"work_{c}")
            assert len(result.run_requests) == 1, (c, result.skip_message)
            requests[c] = result.run_requests[0]
            assert requests[c].tags["customer"] == c
        jobs = {
            c: r.run_config["ops"][f"meltano_run_{c}"]["config"]["meltano_job"]
            for c, r in requests.items()
        }
        assert jobs == dict.fromkeys(CUSTOMERS, "qondor-xero-sync")

        # One run at a time in this process (Dagster's in-process execution is not thread-safe
        # against itself); while a customer's run is going, its sensor requests no second one.
        results: dict[str, dg.ExecuteInProcessResult] = {}
        for c in CUSTOMERS:
            thread = threading.Thread(
                target=lambda c=c: results.__setitem__(
                    c, execute(defs, instance, f"sync_{c}", requests[c])
                )
            )
            thread.start()
            wait_for(
                lambda c=c: instance.get_runs_count(
                    dg.RunsFilter(tags={"customer": c}, statuses=[dg.DagsterRunStatus.STARTED])
                ),
                120,
                f"{c}'s run to start",
            )
            during = tick(defs, instance, f"work_{c}")
            assert not during.run_requests and "in progress" in during.skip_message, c
            thread.join(timeout=600)
        assert results["alpha"].success and results["bravo"].success
        assert not results["charlie"].success

        for c in ("alpha", "bravo"):
            books_are_right(boxes[c], queued_before[c])
        # Charlie's systemic stop marked nothing: its queue and its Xero are as they were.
        charlie_items = {i["id"]: i for i in boxes["charlie"].qondor_state()["invoices"]}
        assert all(status(charlie_items[i]) == 0 for i in queued_before["charlie"])

        # The run's metadata: the target's summary and the failed items' reasons.
        output = next(
            e for e in results["alpha"].all_events if e.event_type_value == "STEP_OUTPUT"
        ).event_specific_data.metadata
        summary = output["target-xero summary"].data
        assert summary["qondor"]["processed"] > 0 and summary["invoices"]["created"] > 0
        assert "not mapped to a Xero account code" in output["failed items"].value

        # Charlie's failure is alerted, with its reason and no secret.
        charlie_run = results["charlie"].dagster_run
        alert = failure_alert(
            dg.build_run_status_sensor_context(
                sensor_name="alert_on_failed_runs",
                dagster_event=run_failure_event(instance, charlie_run.run_id),
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(charlie_run.run_id),
            ).for_run_failure(),
            checker,
        )
        assert webhook.received == [alert]
        assert alert["customer"] == "charlie" and "Xero" in alert["reason"], alert
        texts = json.dumps(webhook.received) + run_logs(instance, charlie_run.run_id)
        texts += run_logs(instance, results["alpha"].run_id)
        for secret in [WRONG_SECRET, *[s for pair in SECRETS.values() for s in pair]]:
            assert secret not in texts

        # Round 2: alpha and bravo are quiet (no run); charlie backs off, then is retried.
        for c in ("alpha", "bravo"):
            quiet = tick(defs, instance, f"work_{c}")
            assert not quiet.run_requests, (c, quiet.skip_message)
        held = tick(defs, instance, "work_charlie")
        assert not held.run_requests and "1 failed run(s) in a row" in held.skip_message
        retry = wait_for(
            lambda: tick(defs, instance, "work_charlie").run_requests, 30, "charlie's retry"
        )
        second = execute(defs, instance, "sync_charlie", retry[0])
        assert not second.success
        failure_alert(
            dg.build_run_status_sensor_context(
                sensor_name="alert_on_failed_runs",
                dagster_event=run_failure_event(instance, second.run_id),
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(second.run_id),
            ).for_run_failure(),
            checker,
        )
        assert [a["customer"] for a in webhook.received] == ["charlie", "charlie"]
        held = tick(defs, instance, "work_charlie")
        assert "2 failed run(s) in a row: next try 4 s" in held.skip_message

        # A customer pays in bravo's Xero: bravo's sensor asks for the payment sync alone.
        paid = next(
            i
            for i in boxes["bravo"].qondor_state()["invoices"]
            if i["status"] == 1 and i["invoiceType"] in (1, 2)
        )
        boxes["bravo"].pay([paid["externalReference"]])
        busy = tick(defs, instance, "work_bravo")
        assert len(busy.run_requests) == 1, busy.skip_message
        assert busy.run_requests[0].run_config["ops"]["meltano_run_bravo"]["config"] == {
            "meltano_job": "payment-sync"
        }
        assert execute(defs, instance, "sync_bravo", busy.run_requests[0]).success
        after = {i["id"]: i for i in boxes["bravo"].qondor_state()["invoices"]}
        assert after[paid["id"]]["status"] == 3
        assert not tick(defs, instance, "work_alpha").run_requests
        assert not tick(defs, instance, "work_bravo").run_requests

        # Each customer's state is its own, in the PostgreSQL system database.
        for c in ("alpha", "bravo"):
            bookmark = checker.payment_bookmark(c)
            newest = max(
                parse_xero_date(i["UpdatedDateUTC"]) for i in boxes[c].xero_state()["invoices"]
            )
            assert bookmark == newest, (c, bookmark, newest)
        assert checker.payment_bookmark("charlie") is None
        assert checker.payment_bookmark("alpha") != checker.payment_bookmark("bravo")

        # No customer ever had two runs at once.
        runs = Counter()
        for c in CUSTOMERS:
            records = instance.get_run_records(dg.RunsFilter(tags={"customer": c}))
            runs[c] = len(records)
            spans = sorted((r.start_time, r.end_time) for r in records)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert end <= start, f"{c} had two runs at once"
        assert runs == {"alpha": 1, "bravo": 2, "charlie": 2}
