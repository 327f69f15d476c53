"""One Dagster job per customer: its Meltano job, run as `meltano --environment X run JOB`.

The op starts Meltano under Dagster Pipes (`meltano_pipes`), turns the target summaries and the
failed items' reasons into output metadata, and fails the run on a systemic stop. A stop on a
daily limit ("resumes at HH:MM UTC") tags the run with that moment, so the sensor waits for it.
"""

# No `from __future__ import annotations` here: Dagster reads the op's config annotation at runtime.
import os
import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg

from .customers import Customer

CUSTOMER_TAG = "customer"  # the tag the run queue limits to one run per value
RESUMES_AT_TAG = "qondor-xero/resumes_at"
REASON_TAG = "qondor-xero/reason"
MELTANO_JOBS = ("qondor-xero-sync", "invoice-sync", "payment-sync")
RESUMES = re.compile(r"resumes at (?:(\d{4}-\d{2}-\d{2}) )?(\d{1,2}):(\d{2}) UTC")
# Settings that must not leak from the Dagster process into a customer's run.
NOT_PASSED = ("TAP_", "TARGET_", "MELTANO_ENVIRONMENT", "DAGSTER_PIPES_")


class SyncConfig(dg.Config):
    """Which Meltano job the run executes (the sensor picks the cheapest that does the work)."""

    meltano_job: str = "qondor-xero-sync"


def resumes_at(reason: str | None, now: datetime) -> datetime | None:
    """The moment a daily-limit stop names ("resumes at 07:00 UTC": the next such time)."""
    match = RESUMES.search(reason or "")
    if not match:
        return None
    day, hour, minute = match.groups()
    if day:
        return datetime.fromisoformat(f"{day}T{int(hour):02d}:{minute}:00+00:00")
    moment = now.astimezone(UTC).replace(
        hour=int(hour), minute=int(minute), second=0, microsecond=0
    )
    return moment if moment > now else moment + timedelta(days=1)


def meltano_executable() -> str:
    """The `meltano` beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    return str(beside) if beside.exists() else (shutil.which("meltano") or "meltano")


def run_environment() -> dict[str, str]:
    """The Dagster process's environment, less plugin overrides that would reach every customer."""
    return {k: v for k, v in os.environ.items() if not k.startswith(NOT_PASSED)}


def build_job(customer: Customer, project_dir: Path) -> dg.JobDefinition:
    """The customer's job: one op that runs its Meltano job and reports what it did."""

    @dg.op(name=f"meltano_run_{customer.key}", tags={"kind": "meltano"})
    def meltano_run(context: dg.OpExecutionContext, config: SyncConfig) -> dg.Output:
        if config.meltano_job not in MELTANO_JOBS:
            raise dg.Failure(f"unknown Meltano job {config.meltano_job!r}; one of {MELTANO_JOBS}")
        command = [
            sys.executable,
            "-m",
            "qondor_xero_dagster.meltano_pipes",
            meltano_executable(),
            "--environment",
            customer.environment,
            "run",
            config.meltano_job,
        ]
        client = dg.PipesSubprocessClient(cwd=str(project_dir), forward_stdio=False)
        invocation = client.run(context=context, command=command, env=run_environment())
        messages = invocation.get_custom_messages()
        outcome: dict[str, Any] = messages[-1] if messages else {"exit_code": -1}
        metadata = _metadata(customer, config.meltano_job, outcome)
        if outcome.get("exit_code") != 0:
            reason = outcome.get("stop_reason") or "meltano run failed; see the run's logs"
            tags = {REASON_TAG: reason[:250]}
            moment = resumes_at(reason, datetime.now(UTC))
            if moment:
                tags[RESUMES_AT_TAG] = moment.isoformat()
            context.instance.add_run_tags(context.run_id, tags)
            raise dg.Failure(description=reason, metadata=metadata, allow_retries=False)
        return dg.Output(outcome.get("summaries") or {}, metadata=metadata)

    @dg.job(
        name=f"sync_{customer.key}",
        description=f"Meltano environment {customer.environment}: Qondor ⇄ Xero",
        tags={CUSTOMER_TAG: customer.environment},
    )
    def sync() -> None:
        meltano_run()

    return sync


def _metadata(customer: Customer, meltano_job: str, outcome: dict[str, Any]) -> dict[str, Any]:
    """Run metadata: what ran, the targets' JSON summaries and the failed items' reasons."""
    metadata: dict[str, Any] = {
        "environment": customer.environment,
        "meltano_job": meltano_job,
        "exit_code": outcome.get("exit_code"),
    }
    summaries = outcome.get("summaries") or {}
    for plugin, summary in summaries.items():
        metadata[f"{plugin} summary"] = dg.MetadataValue.json(summary)
    xero = summaries.get("target-xero") or {}
    if xero:
        metadata["qondor processed"] = (xero.get("qondor") or {}).get("processed", 0)
        metadata["qondor failed"] = (xero.get("qondor") or {}).get("failed", 0)
    failed = outcome.get("failed_items") or []
    if failed:
        metadata["failed items"] = dg.MetadataValue.md("\n".join(f"- {r}" for r in failed))
    if outcome.get("stop_reason"):
        metadata["stop reason"] = outcome["stop_reason"]
    return metadata
