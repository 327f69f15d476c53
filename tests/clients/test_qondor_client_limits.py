"""The Qondor client under the sandbox's real limits: 10 calls/s is never exceeded; the daily quota fails fast."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from qondor_xero.qondor import QondorClient, QondorDailyLimit, contract


def test_pacing_holds_under_200_quick_calls_from_several_threads(start_sandbox):
    with start_sandbox(scenario="demo", qondor_rate_per_second=10) as box:
        config = box.qondor_config()
        qondor = QondorClient(config["api_url"], config["api_key"])
        started = time.monotonic()
        # 100 sequential reads and 100 more from four threads sharing the client.
        for _ in range(50):
            qondor.get_offices()
            qondor.get_invoice(5001)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: qondor.get_customer(101 + i % 18), range(100)))
        elapsed = time.monotonic() - started
        log = box.qondor_requests()
    assert sum(qondor.calls.values()) == 200
    assert Counter(r["status"] for r in log) == {200: 200}
    # 10 per second at most: 200 calls cannot take less than 19 s (a loaded machine only adds).
    assert elapsed >= 19.0
    per_second = Counter(r["time"][:19] for r in log)
    assert max(per_second.values()) <= 10


def test_daily_limit_fails_fast_with_its_message(start_sandbox):
    with start_sandbox(scenario="demo", qondor_daily_limit=3) as box:
        config = box.qondor_config()
        qondor = QondorClient(config["api_url"], config["api_key"])
        for _ in range(3):
            qondor.get_offices()
        retry_waits: list[float] = []
        qondor._sleep = retry_waits.append  # the client's only wait between attempts
        with pytest.raises(QondorDailyLimit) as stopped:
            qondor.get_unprocessed_invoices()
        assert retry_waits == []  # failed fast: no wait, no retry
        statuses = [r["status"] for r in box.qondor_requests()]
    message = str(stopped.value)
    assert message.startswith(
        f"GET {contract.UNPROCESSED_INVOICES}: Qondor daily API limit reached"
    )
    assert "resumes at" in message and "UTC" in message
    assert stopped.value.resumes_at is not None
    assert statuses == [200, 200, 200, 429]
