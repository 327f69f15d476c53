"""The one pacing and retry policy of both API clients: a Pacer, a Backoff and one retry loop.

A Pacer lets at most `rate` calls into any sliding window of `window` seconds and `concurrency`
calls in flight. A call holds its window slot from the moment it starts until one window after
its response arrived, so however the server times its own window (request arrival, fixed or
sliding, a loaded machine sending late), it never sees more than `rate` calls in one. `hold`
stops every caller for a while (a 429's Retry-After); a Budget is what the server last said it
still takes (Xero's `X-MinLimit-Remaining`, shared between processes by `xero.pacing`).

`send_paced` is the one retry loop: each attempt inside a pacing slot, the client's `decide`
hook turning the answer (or the dropped connection) into the result, a `Retry`, or an error.
Qondor configures it with 10 calls per 1.005 s, Xero with a per-tenant Pacer (`xero.pacing`).
"""

from __future__ import annotations

import itertools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


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
            self.left -= 1  # type: ignore[operator]

    def set(self, left: int, now: float, holds_for: float) -> None:
        """The server's count just came: `left` more calls for the next `holds_for` seconds."""
        self.left, self.until = left, now + holds_for


class Pacer:
    """Thread-safe limiter: `rate` calls per `window` seconds and `concurrency` calls in flight.

    `start_full`: the first call waits one window, as if `rate` calls had just ended, so another
    process's last calls on the same key (tap → target) are not crowded.
    """

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
        start_full: bool = False,
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
        self._start_full = start_full
        self._serial = False  # one call at a time (Xero: the day's quota runs out)
        self._budget = budget or Budget()
        self.waited = 0.0  # seconds callers spent waiting for the window or a hold

    @classmethod
    def per_second(
        cls, rate_per_second: float, margin: float = 0.005, *, start_full: bool = False, **kwargs
    ) -> Pacer:
        """`rate_per_second` calls per second, as whole calls per window of the matching length
        plus `margin` (10/s: 10 calls per 1.005 s); no separate cap on calls in flight. A call
        counts until a window after its response, so the next call in its slot reaches the
        server a whole window after it did: that alone keeps any sliding or fixed window of the
        server's within the rate, and the margin is only for timer granularity (0.1 s cost a
        tenth of Qondor's rate, 0.02 s a fiftieth)."""
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        capacity = max(1, int(rate_per_second))
        window = capacity / rate_per_second + margin
        return cls(capacity, capacity, window=window, start_full=start_full, **kwargs)

    def tighten(self, rate: int, concurrency: int, window: float) -> None:
        """Adopt stricter limits asked for by another client of the same key."""
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
            if self._start_full:
                self._start_full = False
                self._slots = [_Slot(self._clock()) for _ in range(self.rate)]
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
                log.debug("pacing %s: next call in %.2f s", self.name, wait)
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

    def wait(self) -> float:
        """Block until a call may start, for a call over at once; return when it started."""
        with self.slot():
            return self._clock()

    def hold(self, seconds: float) -> None:
        """Start no new call for `seconds` (a 429's Retry-After applies to every caller)."""
        with self._cond:
            now = self._clock()
            self._hold_until = max(self._hold_until, now + max(0.0, seconds))
            # Once the hold ends, the server's window has moved on: its last count no longer holds.
            self._budget.set(0, now, max(0.0, seconds))

    def server_left(self, left: int) -> None:
        """The server just said it takes `left` more calls this window; calls still in flight
        may not be in its count yet, so they count as spent."""
        with self._cond:
            self._budget.set(left - self._in_flight, self._clock(), self.window)

    def serial(self, on: bool) -> None:
        """One call at a time (`on`), or back to `concurrency`."""
        with self._cond:
            if self._serial and not on:
                self._cond.notify_all()
            self._serial = on


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry of a failure: `factor`·2ⁿ⁻¹ seconds, at most `most`;
    with `jitter`, a random point in the upper half of that."""

    factor: float = 1.0
    most: float = math.inf
    jitter: bool = False

    def delay(self, n: int) -> float:
        """Seconds to wait before retry number `n` (from 1)."""
        delay = min(self.factor * 2 ** (n - 1), self.most)
        return delay / 2 + random.uniform(0, delay / 2) if self.jitter else delay  # noqa: S311


@dataclass(frozen=True)
class Retry:
    """A `decide` hook's verdict: try again after `wait` seconds (None: at once); `hold`: the
    wait is a rate limit's, which holds every caller of the pacer, not only this one."""

    wait: float | None = None
    hold: bool = False


def send_paced(
    attempt: Callable[[], R],
    decide: Callable[[R | None, BaseException | None, int], T | Retry],
    *,
    pacer: Pacer | None,
    dropped: tuple[type[BaseException], ...],
    sleep: Callable[[float], None],
) -> T:
    """The one retry loop of both clients: run `attempt` inside a pacing slot; `decide` (the
    client's hook) gets its result, or None and the `dropped` exception it raised, and the
    attempt's number, and returns the call's result, a Retry, or raises."""
    for number in itertools.count(1):
        try:
            with pacer.slot() if pacer is not None else nullcontext():
                result: R | None = attempt()
            failure: BaseException | None = None
        except dropped as exc:
            result, failure = None, exc
        verdict = decide(result, failure, number)
        if not isinstance(verdict, Retry):
            return verdict
        if verdict.wait is None:
            continue
        if verdict.hold and pacer is not None:
            pacer.hold(verdict.wait)
        else:
            sleep(verdict.wait)
    raise AssertionError("unreachable")  # pragma: no cover
