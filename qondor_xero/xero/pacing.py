"""Client-side pacing per Xero tenant: at most N calls in any sliding window, at most M in flight.

A call holds its window slot from the moment it starts until `window` seconds after its response
arrived, so however the server times its own window (request arrival, fixed or sliding), it never
sees more than N calls in one. Every XeroClient of the process talking to the same tenant shares
one Pacer (`pacer_for`). A 429's `Retry-After` holds every caller of the tenant, not only the one
that got it.

The server's own counters (`X-MinLimit-Remaining`, `X-DayLimit-Remaining`) are the budget when
they are tighter than ours: other processes use the tenant, or its limit is lower than we think.
The last count Xero gave, less the calls started since and those still in flight, holds for one
window from when it came. That budget lives in a file per tenant (`SharedBudget`), so the next
process on the machine, the payment sync straight after the invoice sync, starts from it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# Below this many calls left for the day, warn once (the day limit itself fails fast).
DAY_LIMIT_WARNING = 100


class _Slot:
    """One call's claim on the window: `end` is inf while in flight, then when it finished."""

    __slots__ = ("end",)

    def __init__(self, end: float = math.inf):
        self.end = end


class Budget:
    """What the server last said it will still take: `left` calls until `until` (pacer's clock)."""

    def __init__(self) -> None:
        self.left: int | None = None
        self.until = 0.0

    def read(self, now: float) -> tuple[int, float] | None:
        """(calls the server still takes, seconds that holds); None when nothing it said holds."""
        if self.left is None or now >= self.until:
            return None
        return self.left, self.until - now

    def take(self, now: float) -> None:
        """Count one call started now against the budget."""
        if self.read(now) is not None:
            self.left -= 1

    def set(self, left: int, now: float, holds_for: float) -> None:
        """The server's count just came: `left` more calls for the next `holds_for` seconds."""
        self.left, self.until = left, now + holds_for


class SharedBudget(Budget):
    """A Budget kept in a file under an exclusive lock, shared by every process on this machine
    that talks to the tenant. Processes share no monotonic clock: it keeps wall-clock time."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.path = path
        self._clock = clock

    @contextmanager
    def _state(self) -> Iterator[dict]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            try:
                state = json.loads(handle.read() or "{}")
            except ValueError:
                state = {}  # a torn or foreign file: no budget is known
            if not isinstance(state, dict):
                state = {}
            before = dict(state)
            yield state
            if state != before:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state))

    def _left(self, state: dict) -> tuple[int, float] | None:
        left, until, now = state.get("left"), state.get("until"), self._clock()
        if not isinstance(left, int) or not isinstance(until, int | float) or now >= until:
            return None
        return left, until - now

    def read(self, now: float) -> tuple[int, float] | None:
        with self._state() as state:
            return self._left(state)

    def take(self, now: float) -> None:
        with self._state() as state:
            if self._left(state) is not None:
                state["left"] -= 1

    def set(self, left: int, now: float, holds_for: float) -> None:
        with self._state() as state:
            state.update(left=left, until=self._clock() + holds_for)


class Pacer:
    """Thread-safe limiter: `rate` calls per `window` seconds and `concurrency` calls in flight."""

    def __init__(
        self,
        rate: int = 60,
        concurrency: int = 5,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        name: str = "",
        budget: Budget | None = None,
    ):
        if rate < 1 or concurrency < 1 or window <= 0:
            raise ValueError("pacing needs rate ≥ 1, concurrency ≥ 1 and a positive window")
        self.rate = rate
        self.concurrency = concurrency
        self.window = window
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._slots: list[_Slot] = []
        self._in_flight = 0
        self._hold_until = 0.0
        self._day_warned = False
        self._serial = False  # one call at a time while the day's quota runs out
        self._budget = budget or Budget()
        self.waited = 0.0  # seconds callers spent waiting for the window or a hold

    def tighten(self, rate: int, concurrency: int, window: float) -> None:
        """Adopt stricter limits asked for by another client of the same tenant."""
        with self._cond:
            self.rate = min(self.rate, rate)
            self.concurrency = min(self.concurrency, concurrency)
            self.window = max(self.window, window)

    @property
    def in_flight(self) -> int:
        """Number of calls currently between `acquire` and `release`."""
        return self._in_flight

    def _window_wait(self, now: float) -> float:
        """Seconds until a new call may start (0 = now); inf = wait for a call to finish."""
        self._slots = [s for s in self._slots if s.end + self.window > now]
        wait = max(0.0, self._hold_until - now)
        if len(self._slots) >= self.rate:
            # The (len - rate + 1)-th earliest finished slot must expire first.
            ends = sorted(s.end for s in self._slots)
            wait = max(wait, ends[len(self._slots) - self.rate] + self.window - now)
        server = self._budget.read(now)
        if server is not None and server[0] <= 0:
            wait = max(wait, server[1])
        return wait

    def acquire(self) -> _Slot:
        """Block until a call may start within both limits; return its slot for `release`."""
        with self._cond:
            while True:
                now = self._clock()
                if self._in_flight >= (1 if self._serial else self.concurrency):
                    self._cond.wait()
                    continue
                wait = self._window_wait(now)
                if wait <= 0:
                    slot = _Slot()
                    self._slots.append(slot)
                    self._in_flight += 1
                    self._budget.take(now)
                    return slot
                if math.isinf(wait):
                    self._cond.wait()
                    continue
                self.waited += wait
                log.debug("pacing Xero tenant %s: next call in %.2f s", self.name, wait)
                # Sleep outside the lock so finishing calls can still release.
                self._cond.release()
                try:
                    self._sleep(wait)
                finally:
                    self._cond.acquire()

    def release(self, slot: _Slot) -> None:
        """Mark a call finished now: its slot expires one window from now."""
        with self._cond:
            slot.end = self._clock()
            self._in_flight -= 1
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[_Slot]:
        """Context manager around one call: acquire before, release after."""
        claimed = self.acquire()
        try:
            yield claimed
        finally:
            self.release(claimed)

    def hold(self, seconds: float) -> None:
        """Start no new call for `seconds` (a 429's Retry-After applies to every caller)."""
        with self._cond:
            now = self._clock()
            self._hold_until = max(self._hold_until, now + max(0.0, seconds))
            # Once the hold ends, Xero's window has moved on: its last count no longer holds.
            self._budget.set(0, now, max(0.0, seconds))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Align the budget with the server's remaining-call headers of a response just received."""
        minute = _int_header(headers, "X-MinLimit-Remaining")
        day = _int_header(headers, "X-DayLimit-Remaining")
        if day is not None and day <= DAY_LIMIT_WARNING and not self._day_warned:
            self._day_warned = True
            log.warning("Xero tenant %s has %d API calls left today", self.name, day)
        if minute is None and day is None:
            return
        with self._cond:
            if day is not None:
                # Few calls left today: one at a time, so no burst of calls all get the daily
                # 429. Never wait for the day itself: the next call's 429 says when it resumes.
                serial = day <= 2 * self.concurrency
                if self._serial and not serial:
                    self._cond.notify_all()
                self._serial = serial
            if minute is not None:
                # Calls still in flight may not be in Xero's count yet: count them as spent.
                self._budget.set(minute - self._in_flight, self._clock(), self.window)


_registry: dict[tuple[str, str], Pacer] = {}
_registry_lock = threading.Lock()


def budget_file(api_origin: str, tenant_id: str) -> Path:
    """Where processes on this machine share a tenant's budget: `QX_PACING_DIR`, else the
    system's temporary directory. The name is a hash, so it says nothing of the tenant."""
    root = os.environ.get("QX_PACING_DIR") or Path(tempfile.gettempdir()) / "qondor-xero-pacing"
    digest = hashlib.sha256(f"{api_origin} {tenant_id}".encode()).hexdigest()[:32]
    return Path(root) / f"{digest}.json"


def pacer_for(
    api_origin: str, tenant_id: str, rate: int, concurrency: int, window: float = 60.0
) -> Pacer:
    """Return the process-wide Pacer of one tenant on one API host, creating it on first use."""
    key = (api_origin, tenant_id)
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            budget = SharedBudget(budget_file(api_origin, tenant_id))
            pacer = _registry[key] = Pacer(
                rate, concurrency, window=window, name=tenant_id, budget=budget
            )
        else:
            pacer.tighten(rate, concurrency, window)
        return pacer


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
