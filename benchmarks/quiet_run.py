"""CPU-seconds of one quiet `meltano run qondor-xero-sync`, with and without the committed
catalogs (without them Meltano runs discovery for each tap, each run).

    .venv/bin/python benchmarks/quiet_run.py [--runs 2]

Two copies of the project (one with the `catalog:` lines of meltano.yml removed), `meltano
install` in each, one `empty` sandbox, a SQLite system database per copy; one warm-up run each,
then `--runs` runs alternating the copies. CPU = user + system of the whole process tree.
Writes `benchmarks/quiet_run.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "dagster"))

from dagster_fleet import Box, timed_process  # noqa: E402
from dagster_world import environment_file, make_project  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="qx-quiet-"))
    box = Box(work / "sandbox", "empty").start()
    try:
        projects = {}
        for name in ("with_catalogs", "discovery"):
            path = make_project(work / name, {"quiet": environment_file("quiet", box, "QUIET")})
            if name == "discovery":
                yml = path / "meltano.yml"
                yml.write_text(re.sub(r"\n\s+catalog: [^\n]+", "", yml.read_text()))
            projects[name] = path
        meltano = str(Path(sys.executable).with_name("meltano"))
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))
        }
        env.update(
            QUIET_QONDOR_API_KEY="sandbox-qondor-key", QUIET_XERO_CLIENT_SECRET="sandbox-secret"
        )
        command = [meltano, "--environment", "quiet", "run", "qondor-xero-sync"]
        cpu: dict[str, list[float]] = {name: [] for name in projects}
        for round_ in range(args.runs + 1):  # round 0 warms up (first payment sync, caches)
            for name, path in projects.items():
                code, wall, spent = timed_process(command, path, env)
                assert code == 0, f"{name}: meltano run failed"
                if round_:
                    cpu[name].append(round(spent, 2))
                print(f"{name} run {round_}: {spent:.2f} CPU-s, {wall:.1f} s", flush=True)
    finally:
        box.stop()
    result = {name: {"runs": v, "mean_cpu_s": round(sum(v) / len(v), 2)} for name, v in cpu.items()}
    result["load_1m"] = os.getloadavg()[0]
    HERE.joinpath("quiet_run.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
