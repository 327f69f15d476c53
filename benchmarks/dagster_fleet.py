"""CPU of many customers under Dagster sensors against plain schedules, on this machine.

    .venv/bin/python benchmarks/dagster_fleet.py [--quiet 20] [--busy 2] [--seconds 120]
        [--tick 20] [--plain-runs 2] [--postgres postgresql://…]   # default QX_TEST_POSTGRES_URL

Sandboxes: quiet customers share `empty` sandboxes (five to one, so their Xero pacers stay
apart), each busy customer has a `demo` one (43 queued items). A project copy gets one
environment file per customer and `meltano install`; Meltano's system database and Dagster's
storage are two fresh PostgreSQL databases. Quiet customers get a payment bookmark of "now".

1. **Plain schedule**: `meltano --environment q00 run qondor-xero-sync` on a quiet customer,
   `--plain-runs` times; CPU = user + system of the process tree (`os.wait4`).
2. **Busy alone**: one more busy customer's run, alone, as a run worker executes it.
3. **Fleet**: for `--seconds`, every `--tick` seconds every sensor ticks (a tick stands for the
   customer's 5-minute cadence); runs they request start at once, each in its own run-worker
   process, as Dagster's default run launcher does. A quiet check's CPU is the sensor's thread
   CPU (HTTP, parsing, Dagster's run queries); the first tick of each customer, which reads its
   settings from Meltano once (a subprocess), is reported apart.

CPU-seconds per customer-day = per check (or per plain run) × 288. Writes
`benchmarks/dagster_fleet.json` and prints a table (`benchmarks/dagster_fleet.md` keeps one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dagster"))

from dagster_world import environment_file, make_project  # noqa: E402

from sandbox.process import SandboxProcess  # noqa: E402

TENANT = "00000000-0000-4000-8000-000000000001"
PER_DAY = 288  # 5-minute cadence
QUIET_PER_SANDBOX = 5


class Box(SandboxProcess):
    """A sandbox on free ports with the attributes `environment_file` reads."""

    def __init__(self, workdir: Path, scenario: str) -> None:
        workdir.mkdir(parents=True)
        args = ["--scenario", scenario, "--no-limits", "--qondor-key", "sandbox-qondor-key"]
        super().__init__(workdir / "sandbox.db", workdir / "sandbox.log", args=args)

    @property
    def identity_url(self) -> str:
        """Xero's identity server is the Xero half's origin."""
        return self.xero_url


def child_cpu() -> float:
    """User + system CPU-seconds of finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, float]:
    """Run a process to its end: (exit code, wall seconds, CPU-seconds of its whole tree)."""
    started, cpu = time.monotonic(), child_cpu()
    code = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False).returncode
    return code, time.monotonic() - started, child_cpu() - cpu


def create_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_bookmarks(meltano_uri: str, environments: list[str], project: Path, env: dict) -> None:
    """Give quiet customers a payment bookmark of now (the first through Meltano, which makes
    the system database, the others straight into its state table)."""
    value = json.dumps(
        {
            "singer_state": {
                "bookmarks": {
                    "invoices": {
                        "replication_key": "UpdatedDateUTC",
                        "replication_key_value": datetime.now(UTC).isoformat(),
                    }
                }
            }
        }
    )
    meltano = str(Path(sys.executable).with_name("meltano"))
    first = f"{environments[0]}:tap-xero-to-target-qondor"
    subprocess.run(
        [meltano, "state", "set", "--force", first, value], cwd=project, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    from sqlalchemy import create_engine, text

    with create_engine(meltano_uri).begin() as connection:
        for environment in environments[1:]:
            connection.execute(
                text(
                    "INSERT INTO state (state_id, partial_state, completed_state, updated_at) "
                    "VALUES (:id, '{}', :state, now())"
                ),
                {"id": f"{environment}:tap-xero-to-target-qondor", "state": value},
            )


def worker(project: Path, dagster_home: Path, customer: str, meltano_job: str) -> int:
    """A run worker: execute one customer's run in this process (`--worker`)."""
    import dagster as dg

    from qondor_xero_dagster import build_definitions

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    defs = build_definitions(project)
    run_config = {"ops": {f"meltano_run_{customer}": {"config": {"meltano_job": meltano_job}}}}
    result = defs.get_job_def(f"sync_{customer}").execute_in_process(
        instance=instance, run_config=run_config, tags={"customer": customer}, raise_on_error=False
    )
    return 0 if result.success else 1


def main(argv: list[str] | None = None) -> int:  # noqa: C901
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quiet", type=int, default=20)
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--tick", type=float, default=20)
    parser.add_argument("--plain-runs", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("QX_TEST_POSTGRES_URL"))
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        project, home, customer, job = args.worker
        return worker(Path(project), Path(home), customer, job)
    if not args.postgres:
        parser.error("a PostgreSQL server is needed: --postgres URL or QX_TEST_POSTGRES_URL")

    import dagster as dg

    from qondor_xero_dagster import Checker, build_definitions

    work = Path(tempfile.mkdtemp(prefix="qx-fleet-"))
    tag = uuid.uuid4().hex[:8]
    names = {"meltano": f"qx_fleet_meltano_{tag}", "dagster": f"qx_fleet_dagster_{tag}"}
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    with ExitStack() as stack:
        urls = {k: create_database(args.postgres, n) for k, n in names.items()}
        for n in names.values():
            stack.callback(drop_database, args.postgres, n)
        quiet = [f"q{i:02d}" for i in range(args.quiet)]
        busy = [f"b{i}" for i in range(args.busy + 1)]  # b0 runs alone first
        boxes: dict[str, Box] = {}
        shared = None
        for i, customer in enumerate(quiet):
            if i % QUIET_PER_SANDBOX == 0:
                shared = Box(work / f"empty{i}", "empty").start()
                stack.callback(shared.stop)
            boxes[customer] = shared
        for customer in busy:
            boxes[customer] = Box(work / customer, "demo").start()
            stack.callback(boxes[customer].stop)
        project = make_project(
            work / "project",
            {c: environment_file(c, boxes[c], "FLEET") for c in [*quiet, *busy]},
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_"))}
        env.update(
            FLEET_QONDOR_API_KEY="sandbox-qondor-key",
            FLEET_XERO_CLIENT_SECRET="sandbox-secret",
            MELTANO_DATABASE_URI=urls["meltano"].replace("postgresql://", "postgresql+psycopg://"),
            DAGSTER_POSTGRES_URL=urls["dagster"],
            DAGSTER_MAX_CONCURRENT_RUNS="10",
        )
        os.environ.clear()
        os.environ.update(env)
        seed_bookmarks(env["MELTANO_DATABASE_URI"], quiet, project, env)
        home = work / "dagster-home"
        home.mkdir()
        (home / "dagster.yaml").write_text((ROOT / "deploy/dagster/dagster.yaml").read_text())
        meltano = str(Path(sys.executable).with_name("meltano"))

        # 1. Plain schedule: a quiet customer's scheduled run.
        plain = []
        for _ in range(args.plain_runs):
            code, wall, cpu = timed_process(
                [meltano, "--environment", quiet[0], "run", "qondor-xero-sync"], project, env
            )
            assert code == 0, "the plain quiet run failed"
            plain.append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
        plain_cpu = sum(p["cpu_s"] for p in plain) / len(plain)
        print(f"plain quiet run: {plain_cpu:.2f} CPU-s ({plain})", flush=True)

        me = [sys.executable, str(Path(__file__).resolve()), "--worker", str(project), str(home)]
        # 2. One busy customer alone.
        code, wall, cpu = timed_process([*me, busy[0], "qondor-xero-sync"], project, env)
        alone = {"ok": code == 0, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        print(f"busy run alone: {alone}", flush=True)

        # 3. The fleet: sensors tick, requested runs start as run workers.
        instance = dg.DagsterInstance.from_config(str(home))
        checker = Checker(project)
        defs = build_definitions(project, checker)
        fleet = [*quiet, *busy[1:]]
        first: dict[str, float] = {}
        first_children = 0.0
        checks: list[float] = []
        launched: dict[str, tuple[subprocess.Popen, float]] = {}
        busy_runs: dict[str, dict[str, Any]] = {}
        started = None  # the clock starts after the first round, which reads every setting
        rounds = 0
        while started is None or time.monotonic() - started < args.seconds:
            round_start = time.monotonic()
            for customer in fleet:
                if customer in launched:
                    # The daemon records a requested run as QUEUED before launching it, so the
                    # sensor sees it in progress; here the worker records it only on starting.
                    continue
                sensor = defs.resolve_sensor_def(f"work_{customer}")
                children, thread = child_cpu(), time.thread_time()
                context = dg.build_sensor_context(instance=instance, definitions=defs)
                result = sensor.evaluate_tick(context)
                spent = time.thread_time() - thread
                if customer not in first:
                    first[customer] = spent
                    first_children += child_cpu() - children
                elif customer in quiet:
                    checks.append(spent)
                for request in result.run_requests:
                    job = request.run_config["ops"][f"meltano_run_{customer}"]["config"]
                    process = subprocess.Popen(
                        [*me, customer, job["meltano_job"]], cwd=project, env=env
                    )
                    launched[customer] = (process, time.monotonic())
            rounds += 1
            started = started or time.monotonic()
            for customer, (process, at) in list(launched.items()):
                if process.poll() is not None:
                    busy_runs[customer] = {
                        "ok": process.returncode == 0,
                        "wall_s": round(time.monotonic() - at, 2),
                    }
                    del launched[customer]
            time.sleep(max(0.0, args.tick - (time.monotonic() - round_start)))
        for customer, (process, at) in launched.items():
            process.wait()
            busy_runs[customer] = {
                "ok": process.returncode == 0,
                "wall_s": round(time.monotonic() - at, 2),
            }
        instance.dispose()

    per_check = sum(checks) / len(checks) if checks else None
    results.update(
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1m": os.getloadavg()[0],
        },
        settings={k: v for k, v in vars(args).items() if k not in ("postgres", "worker")},
        plain_quiet_runs=plain,
        plain_cpu_s_per_quiet_run=round(plain_cpu, 2),
        plain_cpu_s_per_customer_day=round(plain_cpu * PER_DAY),
        sensor_quiet_checks=len(checks),
        sensor_cpu_s_per_quiet_check=round(per_check, 4) if per_check else None,
        sensor_cpu_s_per_customer_day=round(per_check * PER_DAY, 1) if per_check else None,
        sensor_first_tick_cpu_s={
            "thread_mean": round(sum(first.values()) / len(first), 3),
            "meltano_settings_subprocesses_per_customer": round(first_children / len(first), 2),
        },
        idle_cpu_ratio=round(plain_cpu / per_check, 1) if per_check else None,
        rounds=rounds,
        busy_alone=alone,
        busy_in_fleet=busy_runs,
    )
    out = Path(__file__).with_name("dagster_fleet.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
