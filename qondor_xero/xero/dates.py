"""Xero's date forms, the one place they are read: `/Date(ms±hhmm)/` and ISO strings in,
`If-Modified-Since`, `/Date()/` and days (YYYY-MM-DD) out."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_PREFIX = re.compile(r"/Date\((-?\d+)")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_xero_date(value: str | datetime | date | None) -> datetime | None:
    """Return an aware datetime for a Xero date (`/Date(...)/`, ISO string, date); None stays None.

    `/Date(ms+hhmm)/` is milliseconds since the epoch in UTC; the offset only says which local
    time to show, so the result is that instant expressed in the offset. Naive ISO strings are UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a Xero date: {value!r}")
    text = value.strip()
    match = _MS_JSON.match(text)
    if match:
        instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
        offset = match.group(2)
        if offset is None:
            return instant
        sign = -1 if offset[0] == "-" else 1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return instant.astimezone(timezone(sign * delta))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"not a Xero date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def xero_datetime(value: str | datetime | date | None) -> datetime:
    """Any Xero date form as an aware UTC datetime; ValueError when there is none."""
    moment = parse_xero_date(value)
    if moment is None:
        raise ValueError("no date")
    return moment.astimezone(UTC)


def format_if_modified_since(value: datetime | date | str) -> str:
    """Format a moment for `If-Modified-Since`: `2026-11-20T08:00:00Z`, UTC, no ms.

    The trailing Z makes it an RFC 3339 date-time, as Xero's OpenAPI description requires.
    """
    moment = parse_xero_date(value)
    if moment is None:
        raise ValueError("If-Modified-Since needs a date")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_xero_timestamp(value: datetime) -> str:
    """Format an aware datetime as `/Date(ms+0000)/` (the form Xero answers with)."""
    moment = parse_xero_date(value)
    assert moment is not None
    ms = (moment - _EPOCH) // timedelta(milliseconds=1)
    return f"/Date({ms}+0000)/"


def xero_day(value: object) -> str | None:
    """YYYY-MM-DD of any date Xero or a record carries: `/Date(ms±hhmm)/` (a UTC instant: its
    UTC day), an ISO string, a date or a datetime; None for anything else."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    if found := _MS_PREFIX.match(value):
        return (_EPOCH + timedelta(milliseconds=int(found[1]))).date().isoformat()
    if not _DAY.match(value):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:  # 2026-13-45
        return None


def document_day(obj: dict, name: str = "Date") -> str | None:
    """A Xero object's date as YYYY-MM-DD: its `{name}String` form, else `{name}`."""
    return xero_day(obj.get(f"{name}String")) or xero_day(obj.get(name))
