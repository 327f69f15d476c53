"""tap-qondor and target-xero share one Qondor key: piped together they stay within 10 calls/s."""

from __future__ import annotations

import subprocess

from target_xero_pipeline import DEMO_MAPPING, TAP, TARGET, target_config, write_json


def test_piped_tap_and_target_never_draw_a_qondor_429(start_sandbox, tmp_path):
    # Qondor's real limit (10/s); the tap's last reads and the target's first acknowledgements
    # fall in the same second unless each process leaves the key's previous window alone.
    with start_sandbox(scenario="demo", qondor_rate_per_second=10) as box:
        tap = write_json(
            tmp_path / "tap.json", {**box.qondor_config(), "mapping_file": str(DEMO_MAPPING)}
        )
        target = write_json(tmp_path / "target.json", target_config(box))
        done = subprocess.run(
            f"'{TAP}' --config '{tap}' | '{TARGET}' --config '{target}'",
            shell=True,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        statuses = [entry["status"] for entry in box.qondor_requests()]
        assert statuses.count(429) == 0
        assert len(statuses) > 40  # the queue, the customers and one acknowledgement per item
