"""A private sandbox for one benchmark run: free ports, a temporary database, its admin API."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
XERO_CLIENT_ID = "sandbox-client"
XERO_CLIENT_SECRET = "sandbox-secret"
XERO_TENANT_ID = "00000000-0000-4000-8000-000000000001"
QONDOR_KEY = "sandbox-qondor-key"

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"/\d+(?=/|$)")
_PREFIXES = ("/api.xro/2.0", "/Prod", "/Test", "/Dev")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint(method: str, path: str) -> str:
    """`GET /Invoices/{id}` from a logged call: API prefix dropped, ids templated."""
    for prefix in _PREFIXES:
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    path = _NUMBER.sub("/{id}", _GUID.sub("{id}", path))
    return f"{method.upper()} {path}"


class Sandbox:
    """`python -m sandbox serve` on free ports with its own database, until stopped."""

    def __init__(self, workdir: Path, scenario: str, size: int, limits: bool, extra: list[str]):
        self.workdir = workdir
        self.xero_port, self.qondor_port = free_port(), free_port()
        self.args = [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--scenario",
            scenario,
            "--size",
            str(size),
            "--xero-port",
            str(self.xero_port),
            "--qondor-port",
            str(self.qondor_port),
            "--db",
            str(workdir / "sandbox.sqlite"),
            *([] if limits else ["--no-limits"]),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def xero_origin(self) -> str:
        """Base of the Xero half (identity and admin)."""
        return f"http://127.0.0.1:{self.xero_port}"

    @property
    def qondor_origin(self) -> str:
        """Base of the Qondor half."""
        return f"http://127.0.0.1:{self.qondor_port}"

    def origin(self, api: str) -> str:
        """Base URL of `xero` or `qondor`."""
        return self.xero_origin if api == "xero" else self.qondor_origin

    def start(self, timeout: float = 900.0) -> float:
        """Start the server and wait until both halves answer health; returns seconds taken."""
        for stale in self.workdir.glob("sandbox.sqlite*"):
            stale.unlink()  # a fresh database, so the scenario is seeded anew
        started = time.monotonic()
        log = open(self.workdir / "sandbox.log", "wb")  # noqa: SIM115 - held for the process
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                tail = (self.workdir / "sandbox.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}: {tail}")
            if all(self._healthy(api) for api in ("xero", "qondor")):
                return time.monotonic() - started
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"sandbox not healthy after {timeout:.0f} s")

    def _healthy(self, api: str) -> bool:
        try:
            with urllib.request.urlopen(f"{self.origin(api)}/_sandbox/health", timeout=5) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        """Stop the server this object started."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def call(
        self,
        api: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 600.0,
    ) -> Any:
        """One JSON call to a half of the sandbox; the decoded answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.origin(api) + path, data=data, method=method, headers=headers or {}
        )
        if data is not None:
            req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw.strip() else None

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
