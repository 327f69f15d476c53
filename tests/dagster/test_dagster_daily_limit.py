"""A customer whose Xero daily limit is used up is not retried into it: the run stops, names
when calls resume, is alerted with that time, and the sensor waits until then (not the backoff)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster_world import (
    dagster_instance,
    environment_file,
    execute,
    make_project,
    run_failure_event,
    tick,
)

from qondor_xero_dagster import Checker, RetryPolicy, build_definitions
from qondor_xero_dagster.jobs import RESUMES_AT_TAG
from qondor_xero_dagster.sensors import failure_alert

pytestmark = pytest.mark.slow

QONDOR_KEY, XERO_SECRET = "delta-qondor-Key-0b7e", "delta-xero-Secret-44aa"


def test_a_daily_limit_stop_waits_for_its_resume_time_instead_of_retrying(
    tmp_path, start_sandbox, postgres_database, dagster_database_url, monkeypatch
):
    with start_sandbox(
        scenario="demo", qondor_key=QONDOR_KEY, xero_client_secret=XERO_SECRET, xero_daily_limit=2
    ) as box:
        for name in [k for k in os.environ if k.startswith(("TAP_", "TARGET_", "QX_ALERT"))]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("DELTA_QONDOR_API_KEY", QONDOR_KEY)
        monkeypatch.setenv("DELTA_XERO_CLIENT_SECRET", XERO_SECRET)
        monkeypatch.setenv("MELTANO_DATABASE_URI", postgres_database.sqlalchemy_url)
        project = make_project(
            tmp_path / "project", {"delta": environment_file("delta", box, "DELTA")}
        )
        instance = dagster_instance(tmp_path / "dagster-home", dagster_database_url)
        # The shipped run queue: one run per customer, the operator's cap in all.
        queue = instance.run_coordinator.get_run_queue_config()
        assert queue.tag_concurrency_limits == [
            {"key": "customer", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
        ]
        assert queue.max_concurrent_runs == int(os.environ["DAGSTER_MAX_CONCURRENT_RUNS"])
        checker = Checker(project)
        # A backoff of nothing: only the daily limit can hold the customer back.
        defs = build_definitions(project, checker, RetryPolicy(base_seconds=0, max_seconds=0))

        failed_before = {i["id"] for i in box.qondor_state()["invoices"] if i["status"] == 2}
        first = tick(defs, instance, "work_delta")
        assert len(first.run_requests) == 1, first.skip_message
        result = execute(defs, instance, "sync_delta", first.run_requests[0])
        assert not result.success

        run = instance.get_run_by_id(result.run_id)
        resumes = datetime.fromisoformat(run.tags[RESUMES_AT_TAG])
        assert resumes > datetime.now(UTC)
        held = tick(defs, instance, "work_delta")
        assert not held.run_requests
        assert held.skip_message == f"daily limit reached: resumes at {resumes:%Y-%m-%d %H:%M} UTC"

        alert = failure_alert(
            dg.build_run_status_sensor_context(
                sensor_name="alert_on_failed_runs",
                dagster_event=run_failure_event(instance, result.run_id),
                dagster_instance=instance,
                dagster_run=run,
            ).for_run_failure(),
            checker,
        )
        assert "daily API limit" in alert["reason"] and alert["resumes_at"] == resumes.isoformat()
        # Nothing was marked Failed: the queue waits for the limit to reset.
        failed = {i["id"] for i in box.qondor_state()["invoices"] if i["status"] == 2}
        assert failed == failed_before
