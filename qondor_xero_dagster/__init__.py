"""Dagster code location for the Qondor ⇄ Xero Meltano project (the `qondor-xero[dagster]` extra).

`build_definitions(project_dir)` makes, for each customer environment in `environments/`, a job,
a work sensor and a plain schedule, plus one run-failure alert sensor. The core (`qondor_xero`)
knows nothing of Dagster; this package only wires the project's clients and Meltano into it.
`qondor_xero_dagster.definitions` holds the `defs` Dagster loads.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from .checks import Checker
from .customers import Customer, find_customers, project_root
from .jobs import build_job
from .sensors import RetryPolicy, build_alert_sensor, build_schedule, build_sensor

__all__ = ["Checker", "Customer", "RetryPolicy", "build_definitions", "find_customers"]


def build_definitions(
    project_dir: str | os.PathLike[str] | None = None,
    checker: Checker | None = None,
    policy: RetryPolicy | None = None,
) -> dg.Definitions:
    """Jobs, sensors and schedules of every customer in the project (default: `project_root()`)."""
    root = Path(project_dir) if project_dir else project_root()
    checker = checker or Checker(root)
    jobs, sensors, schedules = [], [build_alert_sensor(checker)], []
    for customer in find_customers(root):
        job = build_job(customer, root)
        jobs.append(job)
        sensors.append(build_sensor(customer, job, checker, policy))
        schedules.append(build_schedule(customer, job))
    return dg.Definitions(jobs=jobs, sensors=sensors, schedules=schedules)
