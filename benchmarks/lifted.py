"""Run an installed plugin with the API clients' own pacing switched off (limits-lifted runs only).

    python benchmarks/lifted.py tap-qondor --config c.json

With the sandbox's limits lifted, the clients would still space their calls to 10/s (Qondor) and
60/min (Xero) and the run would measure those waits, not our code. This wrapper makes each
client's pacer a no-op, then runs the plugin's console script in this same process, so the
harness's rusage (CPU, peak RSS) is the plugin's. Runs under real limits never use it.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

# (module, class) of every client-side pacer; a missing one is skipped.
PACERS = [
    ("qondor_xero.pacing", "Pacer"),
    ("qondor_xero.qondor.client", "Pacer"),
    ("qondor_xero.xero.pacing", "Pacer"),
    ("qondor_xero.xero.pacing", "XeroPacer"),
    ("qondor_xero.xero.client", "Pacer"),
    ("qondor_xero.xero.rate", "RateLimiter"),
]


def lift_pacing() -> list[str]:
    """Make every known pacer's wait a no-op; the names of those lifted."""
    lifted = []
    for module_name, class_name in PACERS:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        for method in ("wait", "acquire"):
            if hasattr(cls, method):
                setattr(cls, method, _no_wait)
                lifted.append(f"{module_name}.{class_name}.{method}")
        if hasattr(cls, "release"):
            cls.release = _no_wait
    return lifted


def _no_wait(*_args: object, **_kwargs: object) -> None:
    return None


def main() -> None:
    """Run the console script named by the first argument with the rest as its arguments."""
    script = sys.argv[1]
    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == script]
    lift_pacing()
    sys.argv = [script, *sys.argv[2:]]
    sys.exit(ep.load()())


if __name__ == "__main__":
    main()
