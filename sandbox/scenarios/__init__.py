"""Scenario data for both sandbox APIs: `empty`, `demo`, `bench`, `bad_input` (see README.md)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .bad_input import build_bad_input
from .bench import build_bench
from .demo import build_demo

SCENARIOS = ("empty", "demo", "bench", "bad_input")
DEFAULT_BENCH_SIZE = 1000


@dataclass
class Scenario:
    """One scenario's data: `xero` in Xero's shapes, `qondor` in the Qondor contract's shapes."""

    name: str
    seed: int
    size: int | None
    today: date
    xero: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    qondor: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def build(name: str, seed: int = 0, size: int | None = None, today: date | None = None) -> Scenario:
    """Generate scenario `name`; the same arguments always give the same data."""
    today = today or datetime.now(UTC).date()
    if name == "empty":
        from .common import xero_accounts, xero_currencies

        xero = {
            "accounts": xero_accounts(),
            "currencies": xero_currencies(),
            "contacts": [],
            "invoices": [],
        }
        qondor = {"offices": [], "customers": [], "invoices": []}
    elif name == "demo":
        xero, qondor = build_demo(today)
    elif name == "bad_input":
        xero, qondor = build_bad_input(today)
    elif name == "bench":
        size = DEFAULT_BENCH_SIZE if size is None else size
        if size < 0:
            raise ValueError(f"scenario bench: size must be 0 or more, got {size}")
        gc.disable()  # millions of small dicts: the cyclic collector only slows this down
        try:
            xero, qondor = build_bench(today, seed, size)
        finally:
            gc.enable()
    else:
        raise ValueError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")
    return Scenario(name, seed, size, today, xero, qondor)


__all__ = ["SCENARIOS", "Scenario", "build"]
