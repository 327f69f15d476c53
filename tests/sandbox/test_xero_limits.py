"""Xero's rate limits, Idempotency-Key replays, injected faults and the request log."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

TENANT = "00000000-0000-4000-8000-000000000001"
LIMIT_HEADERS = ("X-MinLimit-Remaining", "X-DayLimit-Remaining", "X-AppMinLimit-Remaining")


def remaining(response) -> tuple[int, int]:
    return int(response.headers["X-MinLimit-Remaining"]), int(
        response.headers["X-DayLimit-Remaining"]
    )


def burst(box, count: int, window: float, path: str = "/Accounts") -> list | None:
    """`count` calls right after a reset (which starts new windows), or None when they did not
    all fit in the first window (a loaded machine: try again)."""
    box.admin(box.xero_url, "POST", "reset")
    started = time.monotonic()
    responses = [box.xero("GET", path) for _ in range(count)]
    return responses if time.monotonic() - started < window else None


def first_burst(box, count: int, window: float, path: str = "/Accounts") -> list:
    """A burst of `count` calls that fitted in one window (up to ten tries)."""
    box.xero_token()
    for _ in range(10):
        if responses := burst(box, count, window, path):
            return responses
    raise AssertionError(f"could not make {count} calls within {window} s")


def test_minute_and_day_limits_answer_429_with_retry_after(start_sandbox):
    with start_sandbox(xero_rate_per_minute=3, xero_window_seconds=3, xero_daily_limit=5) as box:
        *calls, refused = first_burst(box, 4, 3)
        assert [remaining(r) for r in calls] == [(2, 4), (1, 3), (0, 2)]
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 3
        assert all(h in refused.headers for h in LIMIT_HEADERS)

        time.sleep(wait)  # what Retry-After asks for: the next window is open then
        assert box.xero("GET", "/Nope").status_code == 404  # counts, and carries the headers
        last = box.xero("GET", "/Accounts")
        assert last.status_code == 200 and remaining(last)[1] == 0
        over = box.xero("GET", "/Accounts")
        assert over.status_code == 429
        assert over.headers["X-Rate-Limit-Problem"] == "day"
        assert int(over.headers["Retry-After"]) > 3
        # tokens and /connections are not Accounting API calls
        token = box.xero_token(fresh=True)
        assert requests.get(
            f"{box.xero_url}/connections", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).ok


def test_the_apps_own_minute_limit_is_reported_as_appminute(start_sandbox):
    with start_sandbox(xero_app_rate_per_minute=2, xero_rate_per_minute=50) as box:
        *calls, refused = first_burst(box, 3, 60, "/Currencies")
        assert [r.status_code for r in calls] == [200, 200]
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
        assert refused.headers["X-AppMinLimit-Remaining"] == "0"
        assert refused.headers["X-MinLimit-Remaining"] == "48"  # the refused call did not count


def armed(box) -> list[dict]:
    """The Xero fault rules still armed (one with a count is gone once it has fired)."""
    return box.admin(box.xero_url, "GET", "faults")["faults"]


def test_concurrent_calls_over_the_limit_get_429_concurrent(start_sandbox):
    with start_sandbox(xero_concurrency=2, xero_rate_per_minute=100) as box:
        box.xero_token()
        # The first two calls are held long enough for the third to find both slots taken.
        box.xero_fault({"method": "GET", "path": "/api.xro/2.0/Accounts", "delay": 5, "count": 2})
        results: list[requests.Response] = []
        threads = [
            threading.Thread(target=lambda: results.append(box.xero("GET", "/Accounts")))
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while armed(box):  # both held (the rule fires as a call enters, inside its slot)
            assert time.monotonic() < deadline, "the two calls never reached the sandbox"
            time.sleep(0.02)
        third = box.xero("GET", "/Accounts")
        for t in threads:
            t.join()
        assert third.status_code == 429
        assert third.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert sorted(r.status_code for r in results) == [200, 200]
        assert box.xero("GET", "/Accounts").status_code == 200


def test_no_limits_still_sends_the_headers(sandbox):
    response = sandbox.xero("GET", "/Currencies")
    assert response.status_code == 200
    assert all(int(response.headers[h]) > 1000 for h in LIMIT_HEADERS)


INVOICE = {
    "Type": "ACCREC",
    "InvoiceNumber": "IDEM-1",
    "Contact": {"Name": "Idem AS"},
    "Date": "2026-11-20",
    "DueDate": "2026-12-04",
    "Status": "AUTHORISED",
    "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}],
}


def put_invoice(box, key: str, invoice: dict = INVOICE) -> requests.Response:
    return box.xero(
        "PUT",
        "/Invoices?summarizeErrors=false",
        json={"Invoices": [invoice]},
        headers={"Idempotency-Key": key},
    )


def test_idempotency_key_replays_the_first_answer(start_sandbox):
    with start_sandbox() as box:
        first = put_invoice(box, "key-1")
        again = put_invoice(box, "key-1")
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert len(box.xero_state()["invoices"]) == 1

        different = put_invoice(box, "key-1", {**INVOICE, "InvoiceNumber": "IDEM-2"})
        assert different.status_code == 400
        assert "different request" in different.json()["Message"]
        assert put_invoice(box, "k" * 129).status_code == 400

        box.advance_clock(7 * 60)  # the key is forgotten after about 6 minutes
        box.xero_token(fresh=True)
        late = put_invoice(box, "key-1")
        assert late.json()["Invoices"][0]["ValidationErrors"] == [
            {"Message": "Invoice # must be unique."}
        ]


def test_concurrent_repeats_of_one_key_do_the_work_once(sandbox):
    sandbox.reset()
    sandbox.xero_fault({"method": "PUT", "path": "/api.xro/2.0/Invoices", "delay": 0.5, "count": 1})
    results: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(put_invoice(sandbox, "same")))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200, 200, 200]
    assert len({r.json()["Invoices"][0]["InvoiceID"] for r in results}) == 1
    assert len(sandbox.xero_state()["invoices"]) == 1


def test_fault_503_is_xeros_plain_text_and_counts_down(sandbox, xero_openapi):
    sandbox.reset()
    sandbox.xero_fault(
        {"method": "GET", "path": "/api.xro/2.0/Accounts", "status": 503, "count": 1}
    )
    down = sandbox.xero("GET", "/Accounts")
    assert down.status_code == 503
    assert down.text == "The Xero API is currently offline for maintenance"
    assert sandbox.xero("GET", "/Currencies").status_code == 200  # other paths untouched
    xero_openapi.check(sandbox.xero("GET", "/Accounts"))


def test_fault_429_carries_retry_after_and_problem(sandbox):
    sandbox.reset()
    sandbox.xero_fault(
        {"path": "/api.xro/2.0/*", "status": 429, "retry_after": 7, "problem": "day", "count": 2}
    )
    for _ in range(2):
        response = sandbox.xero("GET", "/Contacts")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.headers["X-Rate-Limit-Problem"] == "day"
    assert sandbox.xero("GET", "/Contacts").status_code == 200


def test_fault_500_and_delay(sandbox):
    sandbox.reset()
    sandbox.xero_fault(
        [
            {"method": "POST", "path": "/api.xro/2.0/Contacts", "status": 500, "count": 1},
            {"method": "GET", "path": "/api.xro/2.0/Currencies", "delay": 0.4, "count": 1},
        ]
    )
    assert sandbox.xero("POST", "/Contacts", json={"Contacts": [{"Name": "X"}]}).status_code == 500
    assert sandbox.xero_state()["contacts"] == []
    started = time.monotonic()
    assert sandbox.xero("GET", "/Currencies").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_drop_commits_the_write_then_closes_the_connection(sandbox):
    sandbox.reset()
    sandbox.xero_requests(clear=True)
    sandbox.xero_fault({"method": "PUT", "path": "/api.xro/2.0/Invoices", "drop": True, "count": 1})
    with pytest.raises(requests.ConnectionError):
        put_invoice(sandbox, "dropped-1")
    [stored] = sandbox.xero_state()["invoices"]
    assert stored["InvoiceNumber"] == "IDEM-1"
    # the retry with the same key gets the answer that was lost
    retry = put_invoice(sandbox, "dropped-1")
    assert retry.json()["Invoices"][0]["InvoiceID"] == stored["InvoiceID"]
    log = [e for e in sandbox.xero_requests() if e["path"] == "/api.xro/2.0/Invoices"]
    assert log[0].get("dropped") is True


def test_bad_fault_rules_are_refused_naming_the_field(sandbox):
    for rule, field in [
        ({"path": "/x", "status": 99}, "status"),
        ({"path": "/x"}, "status"),
        ({"path": "/x", "status": 500, "colour": 1}, "colour"),
        ({"path": "/x", "status": 500, "probability": 2}, "probability"),
    ]:
        response = requests.post(f"{sandbox.xero_url}/_sandbox/faults", json=rule, timeout=30)
        assert response.status_code == 400
        assert field in response.json()["error"]


def test_probability_zero_never_fires(sandbox):
    sandbox.reset()
    sandbox.xero_fault({"path": "/api.xro/2.0/Accounts", "status": 500, "probability": 0})
    assert all(sandbox.xero("GET", "/Accounts").ok for _ in range(5))
    sandbox.clear_faults()


def test_request_log_records_each_call_and_clears(sandbox):
    sandbox.reset()
    sandbox.xero("GET", "/Contacts", params={"where": 'Name=="x"'})
    sandbox.xero("GET", "/Nope")
    log = sandbox.xero_requests(clear=True)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/api.xro/2.0/Contacts", 200),
        ("GET", "/api.xro/2.0/Nope", 404),
    ]
    assert "where=" in log[0]["query"]
    assert log[0]["tenant"] == TENANT
    assert log[0]["time"].endswith("Z")
    assert sandbox.xero_requests() == []
    # secrets never reach the log
    assert "sandbox-secret" not in str(log) and "Bearer" not in str(log)


def test_errors_are_remembered_under_their_key_too(sandbox):
    sandbox.reset()
    bad = {**INVOICE, "InvoiceNumber": "IDEM-ERR", "CurrencyCode": "JPY"}
    send = lambda: sandbox.xero(  # noqa: E731
        "PUT", "/Invoices", json={"Invoices": [bad]}, headers={"Idempotency-Key": "err-1"}
    )
    first = send()
    assert first.status_code == 400
    sandbox.xero_seed(currencies=[{"Code": "JPY", "Description": "Yen"}])
    again = send()
    assert again.status_code == 400 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert sandbox.xero_state()["invoices"] == []


def test_a_body_over_3_5_mb_is_refused(sandbox):
    sandbox.reset()
    big = [{"Name": f"Kunde {i}", "Website": "https://x.no/" + "a" * 3500} for i in range(1000)]
    response = sandbox.xero("POST", "/Contacts", json={"Contacts": big})
    assert response.status_code == 413
    assert sandbox.xero_state()["contacts"] == []


@pytest.mark.parametrize("invoices", [1, 60], ids=["small-body", "body-past-the-read-buffer"])
def test_a_held_write_whose_client_is_gone_is_never_committed(sandbox, invoices):
    # A client killed while Xero holds its write: nothing happens, however large the body
    # (60 invoices with long descriptions are well past the server's 64 KB read buffer).
    sandbox.reset()
    line = {"Description": "x" * 1500, "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}
    body = json.dumps(
        {
            "Invoices": [
                {**INVOICE, "InvoiceNumber": f"GONE-{n}", "LineItems": [line]}
                for n in range(invoices)
            ]
        }  # fmt: skip
    ).encode()
    sandbox.xero_fault({"method": "PUT", "path": "/api.xro/2.0/Invoices", "delay": 1, "count": 1})
    url = urlsplit(sandbox.xero_api_url)
    head = (
        f"PUT {url.path}/Invoices HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {sandbox.xero_token()}\r\nxero-tenant-id: {sandbox.xero_config()['tenant_id']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as client:
        client.sendall(head.encode() + body)
        time.sleep(0.3)  # the server holds it; the client goes away
    time.sleep(1.5)
    assert sandbox.xero_state()["invoices"] == []
    [logged] = [r for r in sandbox.xero_requests() if r["path"].endswith("/Invoices")]
    assert (logged["fault"], logged["status"]) == ("delay", 499)
