"""The Qondor sandbox's rate limits: 10 calls/s and 100,000/day per key (small ones here)."""

from __future__ import annotations

import time

import requests

from qondor_xero.qondor import contract

KEY = "sandbox-qondor-key"


def call(box, key: str = KEY) -> requests.Response:
    return box.http.get(
        box.qondor_url + contract.OFFICES, headers={contract.AUTH_HEADER: key}, timeout=30
    )


def burst(box, count: int, key: str = KEY) -> list[requests.Response] | None:
    """`count` calls in the first second after a reset (which starts new windows), or None
    when they did not fit in it."""
    box.admin(box.qondor_url, "POST", "reset")
    started = time.monotonic()
    responses = [call(box, key) for _ in range(count)]
    return responses if time.monotonic() - started < 0.9 else None


def test_more_than_the_per_second_limit_gets_429_with_retry_after(start_sandbox):
    with start_sandbox(qondor_rate_per_second=5) as box:
        responses = None
        for _ in range(10):  # a loaded machine may need another try to fit 7 calls in a second
            responses = burst(box, 7)
            if responses:
                break
        assert responses, "could not make 7 calls within one second"
        assert [r.status_code for r in responses] == [200] * 5 + [429] * 2
        refused = responses[-1]
        assert refused.headers["Retry-After"] == "1"
        assert refused.json() == {
            "statusCode": 429,
            "message": "Rate limit is exceeded. Try again in 1 seconds.",
        }
        time.sleep(1)
        assert call(box).status_code == 200
        assert [e["status"] for e in box.qondor_requests()][-3:] == [429, 429, 200]


def test_daily_quota_gets_429_until_the_day_is_up_and_admin_calls_do_not_count(start_sandbox):
    with start_sandbox(qondor_rate_per_second=10_000, qondor_daily_limit=30) as box:
        box.admin(box.qondor_url, "POST", "reset")  # a new 24-hour window starts now
        started = time.monotonic()
        for _ in range(30):
            assert call(box).status_code == 200
            box.qondor_state()  # admin calls are not API calls
        refused = call(box)
        assert refused.status_code == 429
        assert "Out of call volume quota" in refused.json()["message"]
        wait = int(refused.headers["Retry-After"])
        assert 0 <= 86_400 - wait <= time.monotonic() - started + 1
        assert call(box).status_code == 429  # still
        box.admin(box.qondor_url, "POST", "reset")  # forgets the counts
        assert call(box).status_code == 200


def test_unauthorised_calls_are_refused_before_counting(start_sandbox):
    with start_sandbox(qondor_rate_per_second=10_000, qondor_daily_limit=3) as box:
        assert {call(box, "bad").status_code for _ in range(10)} == {401}
        assert [call(box).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_no_limits_lifts_both_limits(start_sandbox):
    with start_sandbox(qondor_rate_per_second=1, qondor_daily_limit=2, no_limits=True) as box:
        assert {call(box).status_code for _ in range(15)} == {200}
