"""What Dagster loads: `dagster dev -m qondor_xero_dagster.definitions` in the Meltano project."""

from qondor_xero_dagster import build_definitions

defs = build_definitions()
