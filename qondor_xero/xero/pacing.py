"""Xero's pacing per tenant: the shared Pacer (`qondor_xero.pacing`) configured for one tenant.

Every XeroClient of the process talking to the same tenant shares one Pacer (`pacer_for`). A
429's `Retry-After` holds every caller of the tenant, not only the one that got it.

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
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from qondor_xero.pacing import Budget, Pacer

log = logging.getLogger(__name__)

# Below this many calls left for the day, warn once (the day limit itself fails fast).
DAY_LIMIT_WARNING = 100


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


class XeroPacer(Pacer):
    """A tenant's Pacer, which also reads Xero's remaining-call headers."""

    _day_warned = False

    def observe(self, headers: Mapping[str, str]) -> None:
        """Align the budget with the server's remaining-call headers of a response just received."""
        minute = _int_header(headers, "X-MinLimit-Remaining")
        day = _int_header(headers, "X-DayLimit-Remaining")
        if day is not None and day <= DAY_LIMIT_WARNING and not self._day_warned:
            self._day_warned = True
            log.warning("Xero tenant %s has %d API calls left today", self.name, day)
        if day is not None:
            # Few calls left today: one at a time, so no burst of calls all get the daily
            # 429. Never wait for the day itself: the next call's 429 says when it resumes.
            self.serial(day <= 2 * self.concurrency)
        if minute is not None:
            self.server_left(minute)


_registry: dict[tuple[str, str], XeroPacer] = {}
_registry_lock = threading.Lock()


def budget_file(api_origin: str, tenant_id: str) -> Path:
    """Where processes on this machine share a tenant's budget: `QX_PACING_DIR`, else the
    system's temporary directory. The name is a hash, so it says nothing of the tenant."""
    root = os.environ.get("QX_PACING_DIR") or Path(tempfile.gettempdir()) / "qondor-xero-pacing"
    digest = hashlib.sha256(f"{api_origin} {tenant_id}".encode()).hexdigest()[:32]
    return Path(root) / f"{digest}.json"


def pacer_for(
    api_origin: str, tenant_id: str, rate: int, concurrency: int, window: float = 60.0
) -> XeroPacer:
    """Return the process-wide Pacer of one tenant on one API host, creating it on first use."""
    key = (api_origin, tenant_id)
    with _registry_lock:
        pacer = _registry.get(key)
        if pacer is None:
            budget = SharedBudget(budget_file(api_origin, tenant_id))
            pacer = _registry[key] = XeroPacer(
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
