"""How a plugin stops on a fault no item can be blamed for: one line, exit status 1."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

Faults = type[BaseException] | tuple[type[BaseException], ...]
Describe = Callable[[Any], str] | None  # a fault's one line; None: one_line


class Stopped(SystemExit):
    """The run stops; the message is the one line the operator reads (exit status 1)."""


class SettingError(ValueError):
    """A plugin setting that cannot be used; the message is one line naming the setting."""


@contextmanager
def stops_in_one_line(
    log: logging.Logger,
    prefix: str,
    faults: Mapping[Faults, Describe],
) -> Iterator[None]:
    """Run a plugin's body; a fault of a type (or tuple of types) in `faults` is logged as
    `prefix` and one line (that key's describer, else `one_line`), and the plugin exits 1."""
    caught = tuple(t for key in faults for t in (key if isinstance(key, tuple) else (key,)))
    try:
        yield
    except caught as fault:
        describe = next(d for key, d in faults.items() if isinstance(fault, key)) or one_line
        log.error("%s%s", prefix, describe(fault))  # noqa: TRY400 - the line is the message
        raise SystemExit(1) from None


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__
