"""Client-side pacing per Xero tenant: at most N calls in any sliding window, at most M in flight.

A call holds its window slot from the moment it starts until `window` seconds after its response
arrived, so however the server times its own window (request arrival, fixed or sliding), it never
sees more than N calls in one. Every XeroClient of the process talking to the same tenant shares
one Pacer (`pacer_for`). The server's own counters (`X-MinLimit-Remaining`, `X-DayLimit-Remaining`)
tighten the budget when other processes use the same tenant, and a 429's `Retry-After` holds
every caller of the tenant, not only the one that got it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Below this many calls left for the day, warn once (the day limit itself fails fast).
DAY_LIMIT_WARNING = 100


class _Slot:
    """One call's claim on the window: `end` is inf while in flight, then when it finished."""

    __slots__ = ("end",)

    def __init__(self, end: float = math.inf):
        self.end = end


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
            self._hold_until = max(self._hold_until, self._clock() + max(0.0, seconds))

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
            if minute is None:
                return
            remaining = minute
            now = self._clock()
            self._slots = [s for s in self._slots if s.end + self.window > now]
            ours = self.rate - len(self._slots)
            # Calls the server counted but we did not make (other processes): book them now.
            for _ in range(max(0, ours - remaining)):
                self._slots.append(_Slot(now))


_registry: dict[tuple[str, str], Pacer] = {}
_registry_lock = threading.Lock()


def pacer_for(
    api_origin: str, tenant_id: str, rate: int, concurrency: int, window: float = 60.0
) -> Pacer:
    """Return the process-wide Pacer of one tenant on one API host, creating it on first use."""
    key = (api_origin, tenant_id)
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            pacer = _registry[key] = Pacer(rate, concurrency, window=window, name=tenant_id)
        else:
            pacer.tighten(rate, concurrency, window)
        return pacer


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
