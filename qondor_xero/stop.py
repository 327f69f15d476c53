"""How a plugin stops on a fault no item can be blamed for: one line, exit status 1."""

from __future__ import annotations


class Stopped(SystemExit):
    """The run stops; the message is the one line the operator reads (exit status 1)."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__
