"""What a target-xero run did: counters, progress lines while paced, the end-of-run table and JSON line."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

PROGRESS_EVERY_SECONDS = 5.0
_LOCK = threading.Lock()

# (group, outcome) rows of the summary table, in print order. "undone": written, but Xero
# totalled it other than Qondor, so it was voided or deleted again (and failed in Qondor).
ROWS = (
    ("contacts", ("matched", "created", "updated", "failed")),
    ("invoices", ("created", "updated", "unchanged", "undone", "failed")),
    ("credit_notes", ("created", "updated", "unchanged", "undone", "failed")),
    ("payments", ("created", "failed")),
    ("allocations", ("created", "failed")),
    ("tracking_options", ("created", "failed")),
    ("qondor", ("processed", "paid", "failed", "refused")),
)


@dataclass
class Report:
    """Counters of one run and the clock it started on."""

    dry_run: bool = False
    started: float = field(default_factory=time.monotonic)
    counts: Counter[str] = field(default_factory=Counter)
    items_received: int = 0
    items_done: int = 0
    items_skipped: int = 0  # outside the mapping's offices/projects
    _last_progress: float = field(default_factory=time.monotonic)
    _rate_from: tuple[float, int] | None = None  # (time, items done) when items began to finish

    def add(self, group: str, outcome: str, n: int = 1) -> None:
        """Count `n` objects of `group` (contacts, invoices, ...) ending in `outcome`."""
        if n:
            with _LOCK:  # the acknowledging thread counts too
                self.counts[f"{group}.{outcome}"] += n

    def get(self, group: str, outcome: str) -> int:
        """The count of `group` objects ending in `outcome`."""
        return self.counts[f"{group}.{outcome}"]

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def progress_line(self, xero_calls: int, qondor_calls: int) -> str:
        """One line: items done of received, calls used, estimated time left."""
        elapsed = self.elapsed()
        done, left = self.items_done, self.items_received - self.items_done
        if self._rate_from is None and done:
            self._rate_from = (self.started, 0) if elapsed < 1 else (time.monotonic(), done)
        eta = ""
        if self._rate_from and done > self._rate_from[1] and left > 0:
            since, done_then = self._rate_from
            per_item = (time.monotonic() - since) / (done - done_then)
            eta = f", about {_duration(per_item * left)} left"
        return (
            f"progress: {self.items_done}/{self.items_received} items done, "
            f"Xero calls {xero_calls}, Qondor calls {qondor_calls}, "
            f"elapsed {_duration(elapsed)}{eta}"
        )

    def progress_due(self) -> bool:
        """Whether a progress line is due (every few seconds)."""
        with _LOCK:
            now = time.monotonic()
            if now - self._last_progress >= PROGRESS_EVERY_SECONDS:
                self._last_progress = now
                return True
            return False

    def summary(self, xero_calls: Counter[str], qondor_calls: Counter[str]) -> dict[str, Any]:
        """The run's outcome as one JSON-ready dict."""
        result: dict[str, Any] = {"event": "target-xero summary", "dry_run": self.dry_run}
        for group, outcomes in ROWS:
            result[group] = {o: self.get(group, o) for o in outcomes}
        result["items"] = {
            "received": self.items_received,
            "done": self.items_done,
            "skipped": self.items_skipped,
        }
        result["api_calls"] = {
            "xero": sum(xero_calls.values()),
            "qondor": sum(qondor_calls.values()),
            "xero_by_endpoint": dict(sorted(xero_calls.items())),
            "qondor_by_endpoint": dict(sorted(qondor_calls.items())),
        }
        result["elapsed_s"] = round(self.elapsed(), 2)
        return result

    def write_summary(self, out: TextIO, summary: dict[str, Any]) -> None:
        """Print the summary as a table, then as one JSON line."""
        title = "target-xero summary" + (" (dry run: nothing was written)" if self.dry_run else "")
        verb = "would be " if self.dry_run else ""
        lines = [title]
        for group, outcomes in ROWS:
            cells = ", ".join(f"{verb}{o} {summary[group][o]}" for o in outcomes)
            lines.append(f"  {group.replace('_', ' '):<13} {cells}")
        calls = summary["api_calls"]
        lines.append(f"  {'API calls':<13} Xero {calls['xero']}, Qondor {calls['qondor']}")
        for name, count in calls["xero_by_endpoint"].items():
            lines.append(f"  {'':<13}   {name}: {count}")
        lines.append(f"  {'elapsed':<13} {_duration(summary['elapsed_s'])}")
        out.write("\n".join(lines) + "\n")
        out.write(json.dumps(summary, sort_keys=False) + "\n")
        out.flush()


def _duration(seconds: float) -> str:
    """`75.2` → `1m15s`."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
