"""XeroClient under Xero's limits and faults: pacing, 429 storms, 503s, the daily limit, dropped
responses and expiring tokens, each against a sandbox."""

from __future__ import annotations

import logging
import threading
import time
import types
from datetime import UTC, datetime, timedelta

import pytest
from xero_client_helpers import (
    API,
    FAST,
    api_calls,
    client_for,
    invoice,
    settled_log,
)

from qondor_xero.xero import (
    XeroDailyLimitReached,
    XeroRateLimited,
    XeroServerError,
)
from qondor_xero.xero.client import RetryPolicy


@pytest.fixture
def box(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.clear_faults()
    settled_log(sandbox)  # so no late log entry of this test lands in the next one


def run_in_threads(count, work):
    """Run work(i) in `count` threads; re-raise the first failure."""
    errors = []

    def target(i):
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]


@pytest.fixture
def client_sleeps(monkeypatch) -> list[float]:
    """Every retry wait the Xero client makes from now on (recorded instead of slept)."""
    slept: list[float] = []
    names = {n: getattr(time, n) for n in dir(time) if not n.startswith("_")}
    monkeypatch.setattr(
        "qondor_xero.xero.client.time", types.SimpleNamespace(**{**names, "sleep": slept.append})
    )
    return slept


def test_pacing_holds_under_200_quick_calls_from_two_clients(start_sandbox):
    # Xero's limits scaled down: 25 calls per half-second "minute", 5 in flight.
    limits = {"xero_rate_per_minute": 25, "xero_window_seconds": 0.5, "xero_concurrency": 5}
    with start_sandbox(**limits) as box:
        clients = [
            client_for(box, rate_per_minute=25, window_seconds=0.5, concurrency=5) for _ in range(2)
        ]
        assert clients[0].pacer() is clients[1].pacer()  # one budget per tenant in the process
        started = time.monotonic()
        run_in_threads(8, lambda i: [clients[i % 2].get_currencies() for _ in range(25)])
        elapsed = time.monotonic() - started
        calls = api_calls(box)
        assert len(calls) == 200
        assert [c for c in calls if c["status"] != 200] == []  # not one 429
        assert sum(c.throttled.total() for c in clients) == 0
        # 200 calls at 25 per 0.5 s cannot finish sooner than 7 windows after the first.
        assert elapsed >= 7 * 0.5


def test_a_429_storm_is_ridden_out_waiting_retry_after(box, caplog):
    box.xero_fault({"path": f"{API}/Currencies", "status": 429, "retry_after": 1, "count": 1})
    box.xero_fault(
        {
            "path": f"{API}/Currencies",
            "status": 429,
            "problem": "concurrent",
            "retry_after": 0,
            "count": 12,
        }
    )
    client = client_for(box)
    answers = []
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="qondor_xero"):
        run_in_threads(4, lambda i: answers.append(client.get_currencies()))
    assert len(answers) == 4 and all(a for a in answers)
    assert time.monotonic() - started >= 1.0  # the 1-second Retry-After was honoured
    statuses = [c["status"] for c in api_calls(box, "GET", "/Currencies")]
    assert statuses.count(429) == 13 and statuses.count(200) == 4
    assert client.throttled == {"minute": 1, "concurrent": 12}
    assert any(
        "Xero minute rate limit hit on GET /Currencies: waiting 1.0 s (Retry-After)"
        in r.getMessage()
        for r in caplog.records
    )


def test_endless_429s_give_up_with_a_rate_limit_error(box):
    box.xero_fault({"path": f"{API}/Accounts", "status": 429, "retry_after": 0})
    client = client_for(box, retry=RetryPolicy(rate_limit_retries=3))
    with pytest.raises(XeroRateLimited) as info:
        client.get_accounts()
    assert str(info.value) == (
        "GET /Accounts failed: Xero kept refusing with 429 (minute limit) after 4 waits"
    )


def test_a_minute_limit_asking_for_hours_is_refused_not_slept(box, client_sleeps):
    box.xero_fault({"path": f"{API}/Accounts", "status": 429, "retry_after": 7200, "count": 1})
    client = client_for(box)
    paced = client.pacer().waited  # the tenant's pacer is shared by the whole process
    with pytest.raises(XeroRateLimited, match="asks to wait 7200 s, longer than 300 s"):
        client.get_accounts()
    assert client.get_accounts()  # the next call goes out at once: nothing held the tenant
    assert client_sleeps == [] and client.pacer().waited == paced


def test_503s_are_retried_and_the_write_lands_once(box):
    client = client_for(box)
    (contact,) = client.save_contacts([{"Name": "Fjellheim Kurs AS"}])
    box.xero_fault({"method": "POST", "path": f"{API}/Invoices", "status": 503, "count": 3})
    (result,) = client.save_invoices([invoice("R-1", contact.obj["ContactID"])])
    assert result.ok
    assert [c["status"] for c in api_calls(box, "POST", "/Invoices")] == [503, 503, 503, 200]
    assert [i["InvoiceNumber"] for i in box.xero_state()["invoices"]] == ["R-1"]


def test_xero_down_stops_with_a_server_error_naming_the_call(box):
    box.xero_fault({"path": f"{API}/Accounts", "status": 503})
    client = client_for(box, retry=RetryPolicy(server_retries=2, backoff_factor=0.01))
    with pytest.raises(XeroServerError) as info:
        client.get_accounts()
    assert str(info.value) == (
        "GET /Accounts failed: HTTP 503 The Xero API is currently offline for maintenance "
        "after 3 tries"
    )


def test_the_daily_limit_fails_fast_with_when_it_resumes(start_sandbox, client_sleeps):
    with start_sandbox(xero_daily_limit=3) as box:
        client = client_for(box)
        for _ in range(3):
            client.get_currencies()
        paced = client.pacer().waited
        with pytest.raises(XeroDailyLimitReached) as info:
            client.get_accounts()
        assert client_sleeps == [] and client.pacer().waited == paced  # failed fast
        resumes = info.value.resumes_at
        now = datetime.now(UTC)
        assert resumes.tzinfo is not None
        assert now < resumes <= now + timedelta(days=1, minutes=1)
        assert str(info.value) == (
            "Xero daily API limit reached for tenant 00000000-0000-4000-8000-000000000001; "
            f"resumes at {info.value.resumes_at:%H:%M} UTC (GET /Accounts was refused)"
        )
        assert [c["status"] for c in api_calls(box)] == [200, 200, 200, 429]


def test_a_write_whose_answer_is_dropped_after_commit_is_not_duplicated(box):
    client = client_for(box)
    box.xero_fault({"method": "POST", "path": f"{API}/Contacts", "drop": True, "count": 1})
    (contact,) = client.save_contacts([{"Name": "Havblikk Hotell AS"}])
    assert contact.ok and contact.obj["ContactID"]
    (inv,) = client.save_invoices([invoice("D-1", contact.obj["ContactID"], amount=400)])
    box.xero_fault({"method": "PUT", "path": f"{API}/Payments", "drop": True, "count": 1})
    payment = {
        "Invoice": {"InvoiceID": inv.obj["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-11-21",
        "Amount": 100,
    }
    (paid,) = client.create_payments([payment])
    assert paid.ok, paid.errors
    state = box.xero_state()
    assert [c["Name"] for c in state["contacts"]] == ["Havblikk Hotell AS"]
    assert len(state["payments"]) == 1
    puts = api_calls(box, "PUT", "/Payments")
    assert len(puts) == 2 and puts[0].get("dropped") and puts[1].get("idempotent_replay")


def test_token_expiry_mid_run_is_survived(start_sandbox):
    with start_sandbox(token_ttl=1) as box:
        client = client_for(box, tenant_id=None)
        deadline = time.monotonic() + 60
        reads = 0
        # Read until the client has renewed its token twice (about two seconds when idle).
        while client._auth.token_requests < 3 or reads < 3:
            assert time.monotonic() < deadline, "the 1 s tokens were never renewed twice"
            assert client.get_currencies()
            reads += 1
            time.sleep(0.05)
        # A token that dies between our check and Xero's: 401, one refresh, the call retried.
        box.advance_clock(3600)
        assert client.get_accounts()
        assert api_calls(box, "GET", "/Accounts")[-1]["status"] == 200
        # Each read succeeded; a token that died in flight on a loaded machine shows as a 401
        # answered by a refresh and a 200, never as a failed read.
        statuses = [c["status"] for c in api_calls(box, "GET", "/Currencies")]
        assert statuses.count(200) == reads and set(statuses) <= {200, 401}
        assert reads >= 3


def test_a_401_refreshes_once_and_retries(start_sandbox):
    with start_sandbox() as box:
        client = client_for(box, retry=FAST)
        client.get_currencies()
        box.advance_clock(3600)  # the cached token is now expired at Xero
        assert client.get_currencies()
        assert [c["status"] for c in api_calls(box, "GET", "/Currencies")] == [200, 401, 200]
        assert client._auth.token_requests == 2
