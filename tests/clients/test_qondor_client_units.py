"""Pure parts of the Qondor client: pacing, URL rule, error-message trimming, ProblemDetails text."""

import json
import threading
import time

import pytest
import requests

from qondor_xero.pacing import Pacer
from qondor_xero.qondor import QondorClient, check_api_url, describe_problem, trim_error_message


def response(status: int, body, content_type: str = "application/json") -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = (json.dumps(body) if not isinstance(body, str) else body).encode()
    r.headers["Content-Type"] = content_type
    return r


def test_pacer_never_lets_eleven_calls_into_one_second_from_many_threads():
    pacer = Pacer.per_second(10.0)
    sent: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(6):
            slot = pacer.wait()  # the time it was let through, whatever the scheduler does next
            with lock:
                sent.append(slot)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 30
    sent.sort()
    assert all(later - earlier >= 1.0 for earlier, later in zip(sent, sent[10:], strict=False))
    assert time.monotonic() - started >= 2.0  # 30 calls at 10 a window: two waits at least


class FakeTime:
    """Stands in for the client module's `time`: a clock that moves only when it sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr("qondor_xero.qondor.client.time", fake)
    return fake


def test_pacer_lets_a_first_burst_through_at_once_then_waits_one_window(fake_time):
    pacer = Pacer.per_second(10.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    slots = [pacer.wait() for _ in range(30)]
    window = pacer.window
    assert 1.0 < window <= 1.05  # a second and a small margin, not a tenth of the rate
    assert slots[:10] == [1000.0] * 10 and fake_time.sleeps[:1] == [pytest.approx(window)]
    # As fast as allowed: each further ten start exactly one window after the ten before.
    assert slots[10:] == [pytest.approx(1000 + window * (1 + i // 10)) for i in range(20)]
    assert fake_time.now == pytest.approx(1000 + 2 * window)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8701",
        "http://localhost:8701/Prod/",
        "http://[::1]:1",
        "https://qondor.azure-api.net/Prod",
    ],
)
def test_api_url_accepts_https_and_loopback_http(url):
    assert check_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://qondor.azure-api.net/Prod", "ftp://127.0.0.1", "qondor.azure-api.net"]
)
def test_api_url_refuses_plain_http_to_other_hosts(url):
    with pytest.raises(ValueError, match="api_url"):
        check_api_url(url)


def test_client_refuses_an_empty_key():
    with pytest.raises(ValueError, match="api_key"):
        QondorClient("http://127.0.0.1:1", "")


def test_error_message_is_trimmed_to_one_line_of_1000_characters():
    long = "Unmapped article numbers:\n" + "X" * 1500
    trimmed = trim_error_message(long)
    assert len(trimmed) == 1000
    assert trimmed.endswith("…")
    assert "\n" not in trimmed
    assert trim_error_message("  short\n reason ") == "short reason"


def test_problem_details_become_one_readable_line():
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {
            "InvoiceId": ["Invoice 5012 is Processed, not Unprocessed."],
            "PaidDate": ["bad", "worse"],
        },
        "traceId": "00-abc-01",
    }
    text = describe_problem(response(400, body))
    assert text == (
        "One or more validation errors occurred. InvoiceId: Invoice 5012 is Processed, "
        "not Unprocessed. PaidDate: bad; worse (traceId 00-abc-01)"
    )


def test_apim_401_and_plain_text_bodies_are_described():
    apim = {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
    assert describe_problem(response(401, apim)) == "Access denied due to invalid subscription key."
    assert (
        describe_problem(response(502, "<html>\n Bad gateway </html>", "text/html"))
        == "<html> Bad gateway </html>"
    )


def test_a_call_counts_until_one_window_after_its_response(fake_time):
    # A slow answer (or a request that reached Qondor late) must not let the next call crowd
    # the window the server counted it in.
    pacer = Pacer.per_second(1.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    with pacer.slot():
        fake_time.now += 3  # the response takes three seconds
    assert pacer.wait() == pytest.approx(1000 + 3 + pacer.window)


def test_a_pacer_that_starts_full_waits_one_window_before_its_first_call():
    pacer = Pacer.per_second(10.0, start_full=True)
    time.sleep(pacer.window)  # created long before its first use, as in target-xero
    started = time.monotonic()
    pacer.wait()
    assert time.monotonic() - started >= pacer.window - 0.01
