"""The code location's parts that need no partner: customers from environment files, the
cadence, "resumes at" times, what a Meltano JSON log says, and redaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from qondor_xero_dagster import build_definitions
from qondor_xero_dagster.customers import find_customers
from qondor_xero_dagster.jobs import resumes_at
from qondor_xero_dagster.meltano_pipes import Outcome, redact, secret_values
from qondor_xero_dagster.sensors import RetryPolicy


def write_environments(project, **files: str) -> None:
    (project / "environments").mkdir(exist_ok=True)
    for name, text in files.items():
        (project / "environments" / f"{name}.meltano.yml").write_text(text)


def test_each_environment_file_is_a_customer_with_its_cadence(tmp_path):
    write_environments(
        tmp_path,
        acme="environments:\n- name: acme\n  config: {}\n",
        fjord=(
            "environments:\n- name: fjord-events\n  annotations:\n"
            "    qondor-xero: {every_minutes: 15}\n"
        ),
    )
    customers = find_customers(tmp_path)
    assert [(c.environment, c.every_minutes, c.cron) for c in customers] == [
        ("acme", 5, "*/5 * * * *"),
        ("fjord-events", 15, "*/15 * * * *"),
    ]
    defs = build_definitions(tmp_path)
    assert sorted(j.name for j in defs.jobs) == ["sync_acme", "sync_fjord_events"]
    sensors = {s.name: s for s in defs.sensors}
    assert sensors["work_fjord_events"].minimum_interval_seconds == 900
    assert "alert_on_failed_runs" in sensors
    assert {s.cron_schedule for s in defs.schedules} == {"*/5 * * * *", "*/15 * * * *"}


def test_the_shipped_customer_file_gives_acme_a_job():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert [c.environment for c in find_customers(root)] == ["acme"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("environments:\n- config: {}\n", "without a name"),
        ("environments: [\n", "not valid YAML"),
        (
            "environments:\n- name: a\n  annotations: {qondor-xero: {every_minutes: often}}\n",
            "whole number of minutes",
        ),
    ],
)
def test_a_broken_customer_file_stops_loading_naming_the_file(tmp_path, text, problem):
    write_environments(tmp_path, broken=text)
    with pytest.raises(ValueError, match=problem) as caught:
        find_customers(tmp_path)
    assert "broken.meltano.yml" in str(caught.value)


def test_resumes_at_is_the_next_such_time_or_the_named_day():
    now = datetime(2026, 12, 1, 22, 10, tzinfo=UTC)
    xero = "Xero daily API limit reached for tenant t; resumes at 00:00 UTC (GET /Invoices was refused)"
    assert resumes_at(xero, now) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert resumes_at("... resumes at 23:30 UTC", now) == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    qondor = "Qondor daily limit reached; resumes at 2026-12-03 06:15 UTC"
    assert resumes_at(qondor, now) == datetime(2026, 12, 3, 6, 15, tzinfo=UTC)
    assert resumes_at("Xero refused the credentials", now) is None


def test_backoff_doubles_per_failure_up_to_the_cap():
    policy = RetryPolicy(base_seconds=300, max_seconds=3600)
    assert [policy.wait(n) for n in (1, 2, 3, 4, 5, 6)] == [300, 600, 1200, 2400, 3600, 3600]


def test_a_meltano_json_log_gives_summaries_failed_items_and_the_stop_reason():
    summary = {"event": "target-xero summary", "qondor": {"processed": 3, "failed": 1}}
    lines = [
        {"event": "Invoice 100218 failed: MISC not mapped", "name": "target-xero", "level": "info"},
        {"event": json.dumps(summary), "name": "target-xero", "level": "info"},
        {"event": '{"summary": "target-qondor", "marked_paid": 1}', "name": "target-qondor"},
        {
            "event": "target-xero stopped, nothing was marked Failed: Xero refused the credentials",
            "name": "target-xero",
            "level": "error",
        },
        {"event": "Run invocation could not be completed", "level": "error"},
    ]
    outcome = Outcome()
    for line in lines:
        outcome.read(line)
    assert outcome.summaries["target-xero"] == summary
    assert outcome.summaries["target-qondor"]["marked_paid"] == 1
    assert outcome.failed_items == ["MISC not mapped"]
    assert outcome.stop_reason().startswith("target-xero stopped, nothing was marked Failed")


def test_secrets_from_the_environment_and_database_passwords_are_redacted():
    environ = {
        "ACME_XERO_CLIENT_SECRET": "s3cret-value-1",
        "ACME_QONDOR_API_KEY": "key-value-22",
        "PATH": "/usr/bin",
    }
    hidden = secret_values(environ)
    text = "secret s3cret-value-1, key key-value-22 at postgresql+psycopg://qx:pg-pass@db/meltano"
    assert redact(text, hidden) == "secret ***, key *** at postgresql+psycopg://qx:***@db/meltano"
