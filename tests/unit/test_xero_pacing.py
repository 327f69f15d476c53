"""The per-tenant pacer: sliding-window call budget, in-flight cap, Retry-After holds, server headers."""

import threading
import time

import pytest

from qondor_xero.xero.pacing import SharedBudget, XeroPacer, budget_file, pacer_for


class FakeClock:
    """A clock that only moves when somebody sleeps."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _most_in_any_window(starts, window):
    return max(sum(1 for t in starts if s <= t < s + window) for s in starts)


def test_never_more_than_rate_calls_in_any_window():
    clock = FakeClock()
    pacer = XeroPacer(rate=5, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(23):
        with pacer.slot():
            starts.append(clock.now)
            clock.now += 0.5  # each call takes half a second
    assert _most_in_any_window(starts, 60) == 5
    # As fast as allowed: the 6th call starts one window after the 1st call *finished*.
    assert starts[5] == pytest.approx(starts[0] + 0.5 + 60)
    assert pacer.waited > 0


def test_a_slot_counts_until_one_window_after_the_response():
    clock = FakeClock()
    pacer = XeroPacer(rate=1, concurrency=1, window=10, clock=clock, sleep=clock.sleep)
    with pacer.slot():
        clock.now += 3  # slow response
    with pacer.slot():
        assert clock.now == pytest.approx(1000 + 3 + 10)


def test_hold_delays_every_caller():
    clock = FakeClock()
    pacer = XeroPacer(rate=100, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    pacer.hold(7)
    with pacer.slot():
        assert clock.now == pytest.approx(1007)
    with pacer.slot():
        assert clock.now == pytest.approx(1007)


def test_server_remaining_header_books_calls_made_elsewhere():
    clock = FakeClock()
    pacer = XeroPacer(rate=10, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    with pacer.slot():
        pass
    # We made 1 call, but the server says only 2 are left: another process used 7.
    pacer.observe({"X-MinLimit-Remaining": "2", "X-DayLimit-Remaining": "4000"})
    starts = []
    for _ in range(3):
        with pacer.slot():
            starts.append(clock.now)
    assert starts[:2] == [1000, 1000]
    assert starts[2] == pytest.approx(1060)


def test_calls_in_flight_when_the_count_came_are_counted_as_spent():
    clock = FakeClock()
    pacer = XeroPacer(rate=60, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    flying = [pacer.acquire() for _ in range(3)]
    done = pacer.acquire()
    pacer.release(done)
    # Xero counted the call that answered and says 2 are left; the 3 in flight may not be
    # counted yet, so none is left until the window has passed.
    pacer.observe({"X-MinLimit-Remaining": "2"})
    for slot in flying:
        pacer.release(slot)
    with pacer.slot():
        assert clock.now == pytest.approx(1060)


def test_the_latest_count_holds_for_a_window_from_when_it_came():
    clock = FakeClock()
    pacer = XeroPacer(rate=60, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    pacer.observe({"X-MinLimit-Remaining": "0"})  # Xero's limit is lower than ours
    starts = []
    for _ in range(3):
        with pacer.slot():
            starts.append(clock.now)
        clock.now += 1
        pacer.observe({"X-MinLimit-Remaining": "0"})  # still none left when it answered
    assert starts == pytest.approx([1060, 1121, 1182])


def test_a_count_from_another_process_holds_here(tmp_path):
    clock = FakeClock()  # the wall clock both processes read

    def process():
        budget = SharedBudget(tmp_path / "t.json", clock=clock)
        return XeroPacer(
            rate=60, concurrency=5, window=60, clock=clock, sleep=clock.sleep, budget=budget
        )

    first = process()
    with first.slot():
        pass
    first.observe({"X-MinLimit-Remaining": "1"})
    later = process()
    starts = []
    for _ in range(2):
        with later.slot():
            starts.append(clock.now)
    assert starts == pytest.approx([1000, 1060])  # the one call Xero still takes, then the window


def test_a_torn_budget_file_means_no_budget(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{not json")
    pacer = XeroPacer(rate=2, concurrency=2, budget=SharedBudget(path))
    with pacer.slot(), pacer.slot():
        assert pacer.waited == 0


def test_the_budget_file_is_per_tenant_and_host_and_names_neither():
    a = budget_file("https://api.xero.com", "tenant-a")
    assert a != budget_file("https://api.xero.com", "tenant-b")
    assert a != budget_file("http://127.0.0.1:9000", "tenant-a")
    assert "tenant" not in a.name and "xero" not in a.name


def test_day_remaining_low_warns_once_and_never_waits_for_the_day(caplog):
    clock = FakeClock()
    pacer = XeroPacer(rate=60, concurrency=5, window=60, clock=clock, sleep=clock.sleep, name="t1")
    with caplog.at_level("WARNING"):
        pacer.observe({"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "1"})
        pacer.observe({"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "0"})
    assert [r.getMessage() for r in caplog.records] == ["Xero tenant t1 has 1 API calls left today"]
    # The next call goes out at once: its 429 says when the quota resumes.
    with pacer.slot():
        assert clock.now == 1000


def test_day_remaining_low_means_one_call_at_a_time():
    reached = threading.Event()
    waiter: threading.Thread | None = None

    def clock():
        if threading.current_thread() is waiter:
            reached.set()  # the waiter is inside acquire(), holding the pacer's lock
        return time.monotonic()

    pacer = XeroPacer(rate=1000, concurrency=5, clock=clock)
    pacer.observe({"X-DayLimit-Remaining": "8"})
    first = pacer.acquire()
    started = []
    waiter = threading.Thread(target=lambda: started.append(pacer.acquire()))
    waiter.start()
    assert reached.wait(10), "the second caller never reached acquire()"
    pacer.hold(0)  # takes the lock: the waiter has now either claimed a slot or is waiting
    assert pacer.in_flight == 1  # blocked behind the call in flight
    pacer.release(first)
    waiter.join(10)
    assert len(started) == 1
    pacer.release(started[0])
    pacer.observe({"X-DayLimit-Remaining": "4000"})  # a new day: full concurrency again
    slots = [pacer.acquire() for _ in range(5)]
    assert pacer.in_flight == 5
    for slot in slots:
        pacer.release(slot)


def test_garbage_headers_are_ignored():
    clock = FakeClock()
    pacer = XeroPacer(rate=5, concurrency=5, window=60, clock=clock, sleep=clock.sleep)
    pacer.observe({"X-MinLimit-Remaining": "lots", "X-DayLimit-Remaining": "few"})
    pacer.observe({})
    # Nothing was booked and nothing serialised: five calls go out at once, side by side.
    slots: list = []
    taker = threading.Thread(target=lambda: slots.extend(pacer.acquire() for _ in range(5)))
    taker.daemon = True  # a serialised pacer would block it for good
    taker.start()
    taker.join(10)
    assert len(slots) == 5 and clock.now == 1000 and pacer.in_flight == 5 and pacer.waited == 0
    for slot in slots:
        pacer.release(slot)


def test_in_flight_cap_holds_across_threads():
    pacer = XeroPacer(rate=1000, concurrency=2)
    lock = threading.Lock()
    peak = [0, 0]  # current, max

    def call():
        with pacer.slot():
            with lock:
                peak[0] += 1
                peak[1] = max(peak[1], peak[0])
            time.sleep(0.03)
            with lock:
                peak[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert peak[1] == 2
    assert pacer.in_flight == 0


def test_threads_share_the_window():
    pacer = XeroPacer(rate=4, concurrency=5, window=0.5)
    starts = []
    lock = threading.Lock()

    def call():
        with pacer.slot(), lock:
            starts.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(starts) == 10
    assert _most_in_any_window(sorted(starts), 0.5) <= 4


def test_one_pacer_per_tenant_and_host_with_the_strictest_limits():
    a = pacer_for("https://api.example", "tenant-a", 60, 5)
    b = pacer_for("https://api.example", "tenant-a", 30, 3)
    c = pacer_for("https://api.example", "tenant-b", 60, 5)
    assert a is b and a is not c
    assert (a.rate, a.concurrency) == (30, 3)


def test_bad_limits_are_refused():
    with pytest.raises(ValueError):
        XeroPacer(rate=0)
