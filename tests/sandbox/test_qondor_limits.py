"""The Qondor sandbox's rate limits: 10 calls/s and 100,000/day per key (small ones here)."""

from __future__ import annotations

import time

import pytest
import requests

from qondor_xero.demo import Sandbox, free_port
from qondor_xero.qondor import contract

KEY = "sandbox-qondor-key"


def start(tmp_path_factory, *flags: str) -> Sandbox:
    path = tmp_path_factory.mktemp("qondor_limits")
    sandbox = Sandbox(
        free_port(), free_port(), path / "sandbox.db", path / "sandbox.log", list(flags)
    )
    return sandbox.start("empty")


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    sandbox = start(
        tmp_path_factory, "--qondor-rate-per-second", "20", "--qondor-daily-limit", "30"
    )
    yield sandbox
    sandbox.stop()


def call(sandbox: Sandbox, key: str = KEY) -> requests.Response:
    return requests.get(
        sandbox.qondor_url + contract.OFFICES, headers={contract.AUTH_HEADER: key}, timeout=30
    )


def next_second() -> None:
    """Sleep to the start of the next wall-clock second (the windows are aligned to it)."""
    time.sleep(1.02 - time.time() % 1)


def test_more_than_the_per_second_limit_gets_429_with_retry_after(limited):
    limited.admin(limited.qondor_url, "POST", "reset")
    next_second()
    responses = [call(limited) for _ in range(22)]
    assert [r.status_code for r in responses] == [200] * 20 + [429] * 2
    refused = responses[-1]
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["statusCode"] == 429 and "Rate limit" in refused.json()["message"]
    next_second()
    assert call(limited).status_code == 200


def test_daily_quota_gets_429_until_midnight_and_admin_calls_do_not_count(limited):
    limited.admin(limited.qondor_url, "POST", "reset")
    used = 0
    while used < 30:
        next_second()
        for _ in range(min(20, 30 - used)):
            assert call(limited).status_code == 200
            used += 1
        limited.admin(limited.qondor_url, "GET", "state")
    next_second()
    refused = call(limited)
    assert refused.status_code == 429
    assert "quota" in refused.json()["message"]
    wait = int(refused.headers["Retry-After"])
    seconds_to_midnight = 86_400 - time.time() % 86_400
    assert abs(wait - seconds_to_midnight) <= 2
    limited.admin(limited.qondor_url, "POST", "reset")  # forgets the counts
    assert call(limited).status_code == 200


def test_unauthorised_calls_are_refused_before_counting(limited):
    limited.admin(limited.qondor_url, "POST", "reset")
    next_second()
    assert [call(limited, "bad").status_code for _ in range(25)] == [401] * 25
    assert call(limited).status_code == 200


def test_no_limits_lifts_both_limits(tmp_path_factory):
    sandbox = start(
        tmp_path_factory,
        "--qondor-rate-per-second",
        "1",
        "--qondor-daily-limit",
        "2",
        "--no-limits",
    )
    try:
        assert {call(sandbox).status_code for _ in range(15)} == {200}
    finally:
        sandbox.stop()
