"""Xero's date forms: `/Date(ms+0000)/` out, `YYYY-MM-DD` (or ISO or /Date()/) in."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def msdate(ms: int) -> str:
    """`/Date(ms+0000)/`, as Xero writes dates and timestamps."""
    return f"/Date({ms}+0000)/"


def ms_to_datetime(ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


def date_string(ms: int) -> str:
    """`2026-11-20T00:00:00`, the `...DateString` companion fields."""
    return ms_to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S")


def iso_utc(ms: int) -> str:
    """ISO 8601 with milliseconds, as `/connections` writes dates."""
    return ms_to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}0000"


def day_ms(d: date) -> int:
    """Epoch milliseconds of midnight UTC on a day."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


def parse_request_date(value: object) -> int | None:
    """Epoch ms (midnight UTC) of a date a client sent; None when it is not a date.

    Accepts `2026-11-20`, `2026-11-20T08:00:00` (time dropped) and `/Date(ms+0000)/`.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _MSDATE.match(text)
    if m:
        ms = int(m.group(1))
        return day_ms(ms_to_datetime(ms).date())
    try:
        parsed = datetime.fromisoformat(text[:19] if "T" in text else text[:10])
    except ValueError:
        return None
    if len(text) < 10:
        return None
    return day_ms(parsed.date())


def parse_modified_since(value: str) -> int | None:
    """Epoch ms of an `If-Modified-Since` header (`2026-11-20T08:00:00`, UTC, or an HTTP date)."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
