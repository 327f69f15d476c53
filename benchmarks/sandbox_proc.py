"""A private sandbox for one benchmark run: free ports, a temporary database, its admin API."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from sandbox.process import SandboxProcess, call_json

XERO_CLIENT_ID = "sandbox-client"
XERO_CLIENT_SECRET = "sandbox-secret"
XERO_TENANT_ID = "00000000-0000-4000-8000-000000000001"
QONDOR_KEY = "sandbox-qondor-key"

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"/\d+(?=/|$)")
_PREFIXES = ("/api.xro/2.0", "/Prod", "/Test", "/Dev")


def endpoint(method: str, path: str) -> str:
    """`GET /Invoices/{id}` from a logged call: API prefix dropped, ids templated."""
    for prefix in _PREFIXES:
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    path = _NUMBER.sub("/{id}", _GUID.sub("{id}", path))
    return f"{method.upper()} {path}"


class Sandbox(SandboxProcess):
    """`python -m sandbox serve` on free ports with its own database, until stopped."""

    def __init__(self, workdir: Path, scenario: str, size: int, limits: bool, extra: list[str]):
        self.workdir = workdir
        args = ["--scenario", scenario, "--size", str(size), *([] if limits else ["--no-limits"])]
        super().__init__(workdir / "sandbox.sqlite", workdir / "sandbox.log", args=[*args, *extra])

    def origin(self, api: str) -> str:
        """Base URL of `xero` or `qondor`."""
        return self.xero_url if api == "xero" else self.qondor_url

    def start(self, *, timeout: float = 900.0, fresh: bool = True) -> Sandbox:
        """Start on a fresh database (the scenario seeded anew) and wait until both halves answer;
        seeding 100,000 items takes minutes. `start_seconds` is how long it took."""
        super().start(timeout=timeout, fresh=fresh)
        return self

    def call(self, api: str, method: str, path: str, body: Any = None, **options: Any) -> Any:
        """One JSON call to a half of the sandbox (options `headers`, `timeout`: 10 min unless
        given, for states of 100,000 items); the decoded answer, None when empty."""
        return call_json(method, self.origin(api) + path, body, **{"timeout": 600.0, **options})

    def state(self, api: str) -> dict[str, Any]:
        """Every stored object of one half."""
        return self.call(api, "GET", "/_sandbox/state")

    def requests(self, api: str) -> list[dict[str, Any]]:
        """The whole call log of one half."""
        out = self.call(api, "GET", "/_sandbox/requests")
        if isinstance(out, dict) and out.get("evicted"):
            raise RuntimeError(
                f"{api} request log dropped {out['evicted']} calls: counts would be low"
            )
        if isinstance(out, dict):
            for key in ("requests", "items", "log", "entries"):
                if isinstance(out.get(key), list):
                    return out[key]
        return out or []

    def mark_logs(self) -> None:
        """Empty both call logs (they hold at most 200,000 entries), so counts start here."""
        for api in ("xero", "qondor"):
            self.call(api, "DELETE", "/_sandbox/requests")

    def calls_since_mark(self, api: str) -> list[dict[str, Any]]:
        """Logged calls of one half since the last mark, admin calls left out."""
        log = self.requests(api)
        return [r for r in log if not str(r.get("path", "")).startswith("/_sandbox")]

    def queue(self) -> list[dict[str, Any]]:
        """Qondor's queue of unprocessed items, as the tap will read it."""
        return self.call(
            "qondor",
            "GET",
            "/Invoicing/v1/Invoice/GetAllUnprocessedInvoices",
            headers={"Ocp-Apim-Subscription-Key": QONDOR_KEY},
        )


def count_calls(log: list[dict[str, Any]]) -> tuple[Counter[str], int]:
    """Calls by endpoint and the number of 429 answers in a call log."""
    by_endpoint: Counter[str] = Counter()
    throttled = 0
    for r in log:
        by_endpoint[endpoint(str(r.get("method", "GET")), str(r.get("path", "")))] += 1
        throttled += int(r.get("status") or r.get("status_code") or 0) == 429
    return by_endpoint, throttled


def is_api_call(key: str) -> bool:
    """Whether an endpoint counts against Xero's per-organisation limit (not token/connections)."""
    return not any(part in key for part in ("/connect/token", "/connections"))
