"""Where an incremental read starts, and a page walk that never skips a changed object.

Pure logic, no HTTP: the stream hands in a `fetch(since)` that pages through Xero.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

# Replayed before every start point: If-Modified-Since has whole seconds and Xero may compare
# with > or >=, so objects updated in the bookmark's own second are read again (replays are harmless).
OVERLAP = timedelta(seconds=1)
PAGE_SIZE = 1000  # Xero's largest pageSize, which the client asks for
DEFAULT_LOOKBACK_DAYS = 90


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
) -> Iterator[dict[str, Any]]:
    """Yield every object changed since `start` once per change, oldest first.

    `fetch(since)` must yield objects with UpdatedDateUTC >= `since` in ascending order, paging
    as it goes. After each full page the walk starts a fresh query from the last UpdatedDateUTC
    read (keyset paging), so an object updated mid-run, which moves to the end of the order,
    cannot shift an unread one onto a page already read. Objects seen twice in the overlap are
    yielded once. When a whole page shares one second, the walk falls back to the next page.
    """
    since = modified_since(start)
    emitted: set[tuple[Hashable, datetime]] = set()
    while True:
        pages = iter(fetch(since))
        while True:
            last: datetime | None = None
            for read, obj in enumerate(pages, start=1):
                last = updated(obj)
                mark = (key(obj), last)
                if mark not in emitted:
                    emitted.add(mark)
                    yield obj
                if read == page_size:
                    break
            else:
                return
            restart = modified_since(last) if last else since
            if restart > since:
                break
            # A full page within one second: keyset paging cannot move on; read the next page.
        _close(pages)
        since = restart


def _close(pages: Iterator[Any]) -> None:
    close = getattr(pages, "close", None)
    if close:
        close()
