"""Per-customer sensors (run only when there is work), plain schedules, and failure alerts.

A sensor tick, for one customer:
1. a run of this customer still queued or going → no new one (the run queue also limits each
   `customer` tag to one run);
2. the last runs failed → wait: until "resumes at" for a daily limit, else a backoff that
   doubles with each failure in a row (`QX_RETRY_BASE_SECONDS`, `QX_RETRY_MAX_SECONDS`);
3. ask the partners whether there is work (`checks.Checker`); none → skip, no run.
A check that fails systemically (bad credentials, partner down) requests the run anyway, so the
failure is the run's, alerted and backed off like any other; a daily limit is waited out.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import requests

from qondor_xero.qondor.errors import QondorDailyLimit, QondorError
from qondor_xero.xero.errors import XeroDailyLimitReached, XeroError

from .checks import Checker
from .customers import Customer
from .jobs import CUSTOMER_TAG, REASON_TAG, RESUMES_AT_TAG, resumes_at
from .meltano_pipes import redact, secret_values

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
WEBHOOK_VARIABLE = "QX_ALERT_WEBHOOK_URL"


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failing customer waits: base × 2^(failures − 1), at most `max_seconds`."""

    base_seconds: float = 300.0
    max_seconds: float = 3600.0

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        """The operator's settings (`QX_RETRY_BASE_SECONDS`, `QX_RETRY_MAX_SECONDS`)."""
        return cls(
            float(os.environ.get("QX_RETRY_BASE_SECONDS", cls.base_seconds)),
            float(os.environ.get("QX_RETRY_MAX_SECONDS", cls.max_seconds)),
        )

    def wait(self, failures: int) -> float:
        """Seconds to wait after `failures` failed runs in a row."""
        return min(self.max_seconds, self.base_seconds * 2 ** max(0, failures - 1))


def hold_back(instance: dg.DagsterInstance, customer: Customer, policy: RetryPolicy) -> str | None:
    """Why this customer must not get a run now (in progress, backing off), else None."""
    tags = {CUSTOMER_TAG: customer.environment}
    if instance.get_runs_count(dg.RunsFilter(tags=tags, statuses=IN_PROGRESS)):
        return "a run of this customer is still queued or in progress"
    records = instance.get_run_records(dg.RunsFilter(tags=tags, statuses=FINISHED), limit=20)
    failures = 0
    for record in records:  # newest first
        if record.dagster_run.status != dg.DagsterRunStatus.FAILURE:
            break
        failures += 1
    if not failures:
        return None
    last = records[0]
    now = datetime.now(UTC)
    resumes = last.dagster_run.tags.get(RESUMES_AT_TAG)
    if resumes:
        moment = datetime.fromisoformat(resumes)
        return (
            f"daily limit reached: resumes at {moment:%Y-%m-%d %H:%M} UTC" if now < moment else None
        )
    ended = last.end_time or last.create_timestamp.timestamp()
    wait = policy.wait(failures)
    if now.timestamp() < ended + wait:
        return f"{failures} failed run(s) in a row: next try {wait:.0f} s after the last"
    return None


def build_sensor(
    customer: Customer, job: dg.JobDefinition, checker: Checker, policy: RetryPolicy | None = None
) -> dg.SensorDefinition:
    """The customer's work sensor, ticking at its cadence."""

    @dg.sensor(
        name=f"work_{customer.key}",
        job=job,
        minimum_interval_seconds=customer.every_minutes * 60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Runs {customer.environment} when Qondor or Xero has work for it",
    )
    def work(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {}
        now = datetime.now(UTC)
        waiting = cursor.get("resumes_at")
        if waiting and now < datetime.fromisoformat(waiting):
            return dg.SensorResult(skip_reason=f"daily limit reached: resumes at {waiting}")
        why = hold_back(context.instance, customer, policy or RetryPolicy.from_environment())
        if why:
            return dg.SensorResult(skip_reason=why, cursor=json.dumps({}))
        try:
            work = checker.find_work(customer)
        except (QondorDailyLimit, XeroDailyLimitReached) as exc:
            moment = getattr(exc, "resumes_at", None) or resumes_at(str(exc), now)
            state = {"resumes_at": moment.isoformat()} if moment else {}
            return dg.SensorResult(
                skip_reason=_safe(str(exc), checker, customer), cursor=json.dumps(state)
            )
        except (QondorError, XeroError) as exc:
            why = _safe(f"the check failed, the run will say why: {exc}", checker, customer)
            context.log.warning(why)
            return _request(customer, "qondor-xero-sync", why)
        if not work.any:
            return dg.SensorResult(skip_reason=work.why, cursor=json.dumps({}))
        return _request(customer, work.meltano_job, work.why)

    return work


def _request(customer: Customer, meltano_job: str, why: str) -> dg.SensorResult:
    run = dg.RunRequest(
        run_config={
            "ops": {f"meltano_run_{customer.key}": {"config": {"meltano_job": meltano_job}}}
        },
        tags={CUSTOMER_TAG: customer.environment, "qondor-xero/why": why[:250]},
    )
    return dg.SensorResult(run_requests=[run], cursor=json.dumps({}))


def build_schedule(customer: Customer, job: dg.JobDefinition) -> dg.ScheduleDefinition:
    """A plain schedule at the customer's cadence, off until an operator turns it on."""
    return dg.ScheduleDefinition(
        name=f"every_{customer.every_minutes}_minutes_{customer.key}",
        job=job,
        cron_schedule=customer.cron,
        execution_timezone="UTC",
        tags={CUSTOMER_TAG: customer.environment},
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


def failure_alert(context: dg.RunFailureSensorContext, checker: Checker | None = None) -> dict:
    """The alert of one failed run, without secrets; posted to `QX_ALERT_WEBHOOK_URL` when set."""
    run = context.dagster_run
    customer = run.tags.get(CUSTOMER_TAG)
    reason = run.tags.get(REASON_TAG)
    if not reason:
        failures = context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        errors = [e.dagster_event.step_failure_data.error for e in failures if e.dagster_event]
        reason = (
            next((e.message.strip() for e in errors if e), None) or context.failure_event.message
        )
    hidden = secret_values(dict(os.environ)) + (
        checker.secrets(customer) if checker and customer else []
    )
    alert = {
        "text": f"Qondor ⇄ Xero: {customer or run.job_name} failed: {reason}",
        "customer": customer,
        "job": run.job_name,
        "run_id": run.run_id,
        "reason": reason,
        "resumes_at": run.tags.get(RESUMES_AT_TAG),
    }
    alert = json.loads(redact(json.dumps(alert), hidden))
    url = os.environ.get(WEBHOOK_VARIABLE)
    if url:
        response = requests.post(url, json=alert, timeout=15)
        response.raise_for_status()
    context.log.warning(alert["text"])
    return alert


def build_alert_sensor(checker: Checker) -> dg.SensorDefinition:
    """The run-failure sensor: one alert per failed customer run."""

    @dg.run_failure_sensor(
        name="alert_on_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING
    )
    def alert_on_failed_runs(context: dg.RunFailureSensorContext) -> None:
        failure_alert(context, checker)

    return alert_on_failed_runs


def _safe(text: str, checker: Checker, customer: Customer) -> str:
    hidden = secret_values(dict(os.environ)) + checker.secrets(customer.environment)
    return redact(" ".join(text.split()), hidden)[:500]
