"""Build Xero `where` filter expressions with safe quoting.

Strings are written as double-quoted literals with backslash escapes (`\\"`, `\\\\`, control
characters), so a value such as `" OR Name!=""` stays one literal and cannot change the filter.
Field names are checked against a plain identifier pattern for the same reason.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from datetime import datetime as _datetime
from decimal import Decimal

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def field(name: str) -> str:
    """Return a field path (`Name`, `Contact.ContactID`) or raise ValueError for anything else."""
    if not isinstance(name, str) or not _FIELD.match(name):
        raise ValueError(f"not a Xero field name: {name!r}")
    return name


def string(value: str) -> str:
    """Return `value` as a double-quoted filter literal with quotes and backslashes escaped."""
    if not isinstance(value, str):
        raise TypeError(f"a where string must be str, got {type(value).__name__}")
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def guid(value: str | uuid.UUID) -> str:
    """Return `Guid("…")` for a GUID; anything that is not one raises ValueError."""
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"not a GUID: {value!r}") from None
    return f'Guid("{parsed}")'


def datetime(value: date | _datetime) -> str:
    """Return `DateTime(yyyy, mm, dd)` (with time when given a datetime with one)."""
    if isinstance(value, _datetime):
        if (value.hour, value.minute, value.second) != (0, 0, 0):
            return (
                f"DateTime({value.year}, {value.month:02d}, {value.day:02d}, "
                f"{value.hour:02d}, {value.minute:02d}, {value.second:02d})"
            )
    elif not isinstance(value, date):
        raise TypeError(f"a where date must be date or datetime, got {type(value).__name__}")
    return f"DateTime({value.year}, {value.month:02d}, {value.day:02d})"


def literal(value: object) -> str:
    """Return the filter literal for a str, bool, number, None, date, datetime or UUID."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, uuid.UUID):
        return guid(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return datetime(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no where literal for {type(value).__name__}")


def _compare(name: str, op: str, value: object) -> str:
    return f"{field(name)}{op}{literal(value)}"


def eq(name: str, value: object) -> str:
    """`Name=="value"`: equality with a safely quoted literal."""
    return _compare(name, "==", value)


def ne(name: str, value: object) -> str:
    """`Name!="value"`."""
    return _compare(name, "!=", value)


def gt(name: str, value: object) -> str:
    """`Field>value`."""
    return _compare(name, ">", value)


def ge(name: str, value: object) -> str:
    """`Field>=value`."""
    return _compare(name, ">=", value)


def lt(name: str, value: object) -> str:
    """`Field<value`."""
    return _compare(name, "<", value)


def le(name: str, value: object) -> str:
    """`Field<=value`."""
    return _compare(name, "<=", value)


def contains(name: str, value: str) -> str:
    """`Name.Contains("value")`."""
    return f"{field(name)}.Contains({string(value)})"


def starts_with(name: str, value: str) -> str:
    """`Name.StartsWith("value")`."""
    return f"{field(name)}.StartsWith({string(value)})"


def guid_eq(name: str, value: str | uuid.UUID) -> str:
    """`ContactID==Guid("…")`."""
    return f"{field(name)}=={guid(value)}"


def _join(op: str, parts: tuple[str | None, ...]) -> str:
    kept = [p for p in parts if p]
    if not kept:
        raise ValueError(f"{op.strip()} needs at least one expression")
    if len(kept) == 1:
        return kept[0]
    return op.join(f"({p})" for p in kept)


def and_(*parts: str | None) -> str:
    """Join expressions with AND, each parenthesised; None/empty parts are skipped."""
    return _join(" AND ", parts)


def or_(*parts: str | None) -> str:
    """Join expressions with OR, each parenthesised; None/empty parts are skipped."""
    return _join(" OR ", parts)
