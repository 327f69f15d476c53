"""Customers under Dagster in-process: a project copy with one environment file per sandbox,
a Dagster instance on PostgreSQL from the shipped `deploy/dagster/dagster.yaml`, a webhook
receiver for alerts, and helpers to tick sensors and execute the runs they request."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[2]
MELTANO = str(Path(sys.executable).with_name("meltano"))
TENANT = "00000000-0000-4000-8000-000000000001"
NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", ".meltano", ".demo", ".sandbox", "output", "__pycache__", "*.egg-info",
    ".pytest_cache", ".ruff_cache", "benchmarks", "tests", "environments",
)  # fmt: skip


def environment_file(name: str, box: Any, prefix: str, every_minutes: int = 5) -> dict:
    """A customer environment like `environments/acme.meltano.yml`, pointed at `box`; its
    secrets come from `<PREFIX>_QONDOR_API_KEY` and `<PREFIX>_XERO_CLIENT_SECRET`."""
    mapping = "$MELTANO_PROJECT_ROOT/mappings/demo.yml"
    qondor = {"api_url": box.qondor_url, "api_key": f"${{{prefix}_QONDOR_API_KEY}}"}
    xero = {
        "api_url": box.xero_api_url,
        "identity_url": box.identity_url,
        "client_id": "sandbox-client",
        "client_secret": f"${{{prefix}_XERO_CLIENT_SECRET}}",
        "tenant_id": TENANT,
        "mapping_file": mapping,
    }
    target_xero = {
        **xero,
        "qondor_api_url": box.qondor_url,
        "qondor_api_key": qondor["api_key"],
    }
    plugins = {
        "extractors": [
            {"name": "tap-qondor", "config": {**qondor, "mapping_file": mapping}},
            {"name": "tap-xero", "config": xero},
        ],
        "loaders": [
            {"name": "target-xero", "config": target_xero},
            {"name": "target-qondor", "config": qondor},
        ],
    }
    return {
        "environments": [
            {
                "name": name,
                "annotations": {"qondor-xero": {"every_minutes": every_minutes}},
                "config": {"plugins": plugins},
            }
        ]
    }


def make_project(path: Path, environments: dict[str, dict]) -> Path:
    """Copy the project to `path` with these environment files, then `meltano install`."""
    shutil.copytree(ROOT, path, ignore=NOT_COPIED)
    (path / "environments").mkdir()
    for name, data in environments.items():
        (path / "environments" / f"{name}.meltano.yml").write_text(yaml.safe_dump(data))
    result = subprocess.run(
        [MELTANO, "install"], cwd=path, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"meltano install failed:\n{result.stderr[-3000:]}"
    return path


def queue(box: Any, api_key: str) -> list[dict]:
    """What the Qondor queue holds now, read as the integration reads it."""
    from qondor_xero.qondor import QondorClient

    return QondorClient(box.qondor_url, api_key).get_unprocessed_invoices()


def dagster_instance(home: Path, postgres_url: str) -> dg.DagsterInstance:
    """An instance from the shipped dagster.yaml, its storage on `postgres_url`."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "deploy" / "dagster" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_POSTGRES_URL"] = postgres_url
    os.environ.setdefault("DAGSTER_MAX_CONCURRENT_RUNS", "10")
    return dg.DagsterInstance.from_config(str(home))


class Webhook:
    """A local HTTP endpoint that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        received: list[dict] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, sensor: str) -> dg.SensorResult:
    """Evaluate one sensor once, as the daemon would."""
    definition = defs.resolve_sensor_def(sensor)
    context = dg.build_sensor_context(instance=instance, sensor_name=sensor, definitions=defs)
    return definition.evaluate_tick(context)


def execute(
    defs: dg.Definitions, instance: dg.DagsterInstance, job: str, request: dg.RunRequest
) -> dg.ExecuteInProcessResult:
    """Execute a requested run in this process, as a run worker would."""
    return defs.get_job_def(job).execute_in_process(
        instance=instance, run_config=request.run_config, tags=request.tags, raise_on_error=False
    )


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll `condition` until it returns something truthy; fail saying `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(every)


def run_failure_event(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterEvent:
    """The RUN_FAILURE event of a failed run."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert records, f"run {run_id} has no failure event"
    return records[-1].dagster_event


def run_logs(instance: dg.DagsterInstance, run_id: str) -> str:
    """Every log message and event of a run, as one text (to look for secrets)."""
    return "\n".join(
        f"{r.user_message} {r.dagster_event and r.dagster_event.event_specific_data}"
        for r in instance.all_logs(run_id)
    )
