"""Where an incremental read starts, and a page walk that never skips a changed object.

Pure logic, no HTTP: the stream hands in a `fetch(since)` that pages through Xero.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

# Replayed before every start point: If-Modified-Since has whole seconds and Xero may compare
# with > or >=, so objects updated in the bookmark's own second are read again (`Replays` keeps
# them from being emitted again).
OVERLAP = timedelta(seconds=1)
PAGE_SIZE = 1000  # Xero's largest pageSize, which the client asks for
DEFAULT_LOOKBACK_DAYS = 90
# Most pairs kept in the state for the overlap; any beyond are emitted again (harmless, not free).
MAX_REPLAYS = 2000


def sync_start(
    bookmark: datetime | None,
    *,
    lookback_days: int,
    now: datetime,
    start_date: datetime | None = None,
) -> datetime:
    """The oldest UpdatedDateUTC to read: the bookmark, but never before the lookback floor.

    The floor is `start_date` when set (an explicit override, earlier or later), else
    `lookback_days` before `now`. No bookmark, or one older than the floor, starts at the floor.
    """
    floor = as_utc(start_date) if start_date else as_utc(now) - timedelta(days=lookback_days)
    if bookmark is None or as_utc(bookmark) < floor:
        return floor
    return as_utc(bookmark)


def modified_since(start: datetime) -> datetime:
    """The If-Modified-Since value for `start`: one second of overlap, whole seconds, UTC."""
    return (as_utc(start) - OVERLAP).replace(microsecond=0)


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iter_changed(
    fetch: Callable[[datetime], Iterable[dict[str, Any]]],
    start: datetime,
    *,
    key: Callable[[dict[str, Any]], Hashable],
    updated: Callable[[dict[str, Any]], datetime],
    page_size: int = PAGE_SIZE,
    replays: Replays | None = None,
    nothing_leaves: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield every object changed since `start` once per change, oldest first.

    `fetch(since)` must yield objects with UpdatedDateUTC >= `since` in ascending order, paging
    as it goes. An object updated mid-run moves to the end of the order, so every later one
    shifts back by one and the first of the next page would be skipped. Two walks guard this:

    - `nothing_leaves` (no change takes an object out of the fetch's filter): every page is read
      once, and the mover shows up again at the end; an object read twice in one walk means a
      shift may have skipped another, so the walk is read again from the mover's earlier stamp.
    - otherwise (keyset paging): after each full page a fresh query starts from the last
      UpdatedDateUTC read, which costs re-reading that page's last second or more. When a whole
      page shares one second, the walk falls back to the next page.

    An object read again unchanged (in an overlap, or emitted by the previous run per
    `replays`) is not yielded again.
    """
    since = modified_since(start)
    replays = replays if replays is not None else Replays()
    while True:
        pages = iter(fetch(since))
        walked: dict[Hashable, datetime] = {}
        again: datetime | None = None  # where to read again from, after this walk
        restart: datetime | None = None
        for read, obj in enumerate(pages, start=1):
            stamp, name = updated(obj), key(obj)
            earlier = walked.get(name)
            if earlier is not None:  # moved to the end (or Xero's order among ties shifted)
                again = earlier if again is None else min(again, earlier)
            walked[name] = stamp
            if replays.is_new(name, stamp):
                yield obj
            if not nothing_leaves and read % page_size == 0:
                restart = modified_since(stamp)
                if restart > since:
                    break
                # A full page within one second: keyset paging cannot move on; read the next page.
                restart = None
        _close(pages)
        if restart is not None:
            since = restart
        elif nothing_leaves and again is not None:
            since = modified_since(again)
        else:
            return


class Replays:
    """Which (object, UpdatedDateUTC) pairs were already emitted, so a re-read one is not emitted.

    The one-second overlap re-reads, every run, the objects of the bookmark's last second. The
    previous run's pairs in that overlap come from the state (`from_state`); the pairs to keep for
    the next run go back into it (`to_state`). An object changed since has a new UpdatedDateUTC,
    so it is emitted again, even within the same second.
    """

    def __init__(self, previous: dict[Hashable, datetime] | None = None) -> None:
        self.previous = previous or {}
        self.read: dict[Hashable, datetime] = {}  # each object's latest UpdatedDateUTC this run

    def is_new(self, key: Hashable, stamp: datetime) -> bool:
        """Whether this version of the object is not emitted yet; remembers it either way."""
        known = self.read.get(key, self.previous.get(key))
        self.read[key] = stamp
        return known != stamp

    @classmethod
    def from_state(cls, pairs: Any) -> Replays:
        """Replays from a state's `[[id, ISO date-time], ...]`; anything else is no pair."""
        previous: dict[Hashable, datetime] = {}
        for pair in pairs if isinstance(pairs, list) else []:
            try:
                key, stamp = pair
                previous[key] = as_utc(datetime.fromisoformat(stamp))
            except (TypeError, ValueError):
                continue  # a pair this code cannot read: that object is simply emitted again
        return cls(previous)

    def to_state(self, bookmark: datetime | None) -> list[list[Any]]:
        """The pairs read this run that the next run, starting at `bookmark`, reads again.

        Only pairs at or before the bookmark: one past it (a run's signpost caps the bookmark)
        must come again, so that the bookmark moves past it.
        """
        if bookmark is None:
            return []
        bookmark = as_utc(bookmark)
        since = modified_since(bookmark)
        kept = sorted(
            (stamp, key) for key, stamp in self.read.items() if since <= stamp <= bookmark
        )
        return [[key, stamp.isoformat()] for stamp, key in kept[-MAX_REPLAYS:]]


def _close(pages: Iterator[Any]) -> None:
    close = getattr(pages, "close", None)
    if close:
        close()
