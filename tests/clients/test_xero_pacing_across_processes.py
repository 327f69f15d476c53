"""Two processes on one Xero tenant, one after the other: the second starts from the minute
budget the first was told about, so it waits for Xero's window instead of drawing a 429."""

from __future__ import annotations

import json
import subprocess
import sys

from xero_client_helpers import API, settled_log

WINDOW = 30  # seconds: Xero's is 60; both processes start well inside one window

# One process of the integration: a client on the tenant making `calls` reads, then exiting.
CALLS = """
import json, sys
from qondor_xero.xero import XeroClient
config, calls, window = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
client = XeroClient(config["api_url"], config["identity_url"], config["client_id"],
                    config["client_secret"], tenant_id=config["tenant_id"], window_seconds=window)
for _ in range(calls):
    client.get_currencies()
"""


def run_process(box, calls: int) -> None:
    args = [json.dumps(box.xero_config()), str(calls), str(WINDOW)]
    done = subprocess.run(
        [sys.executable, "-c", CALLS, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_next_process_waits_for_the_window_the_last_one_used_up(start_sandbox):
    with start_sandbox(xero_rate_per_minute=3, xero_window_seconds=WINDOW) as box:
        box.reset()  # Xero's window starts now
        run_process(box, 3)  # spends the window: Xero says 0 left
        run_process(box, 2)  # a new process, nothing in its memory

        api = [e for e in settled_log(box) if e["path"].startswith(API)]
        assert [e["status"] for e in api] == [200] * 5
