"""Rate limiting shared by both fake APIs: fixed windows per key, and concurrent-call caps."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class WindowResult:
    """The outcome of counting one call against a fixed window."""

    allowed: bool
    remaining: int
    retry_after: int  # whole seconds until the window resets (0 when allowed)


class FixedWindowLimiter:
    """At most `limit` calls per key in each fixed window of `window` seconds.

    Windows follow one another from `anchor` (by default the moment the limiter was made or
    last reset), so a fresh server's first window is a whole one. Rejected calls do not count.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.anchor = clock()
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> WindowResult:
        """Count one call for `key` if the window has room."""
        now = self.clock() - self.anchor
        index = int(now // self.window)
        with self._lock:
            start, used = self._counts.get(key, (index, 0))
            if start != index:
                used = 0
            if used >= self.limit:
                self._counts[key] = (index, used)
                wait = (index + 1) * self.window - now
                return WindowResult(False, 0, max(1, math.ceil(wait)))
            used += 1
            self._counts[key] = (index, used)
            return WindowResult(True, self.limit - used, 0)

    def undo(self, key: str) -> None:
        """Take back one counted call (when a later check refused it)."""
        with self._lock:
            start, used = self._counts.get(key, (0, 0))
            if used:
                self._counts[key] = (start, used - 1)

    def remaining(self, key: str) -> int:
        """Calls left for `key` in the current window."""
        index = int((self.clock() - self.anchor) // self.window)
        with self._lock:
            start, used = self._counts.get(key, (index, 0))
        return self.limit - (used if start == index else 0)

    def reset(self) -> None:
        """Forget all counts and start a new window now."""
        with self._lock:
            self._counts.clear()
            self.anchor = self.clock()


class ConcurrencyLimiter:
    """At most `limit` calls in flight per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        """Take a slot for `key`; False when all are in use."""
        with self._lock:
            active = self._active.get(key, 0)
            if active >= self.limit:
                return False
            self._active[key] = active + 1
            return True

    def release(self, key: str) -> None:
        """Give back a slot taken by `acquire`."""
        with self._lock:
            self._active[key] = max(0, self._active.get(key, 0) - 1)
