"""The request log both fake APIs keep: method, path, query, status, time, caller, and the
response body's size in bytes (what a partner that prices egress would count, uncompressed)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_sandbox"


def mask_secret(secret: str | None) -> str | None:
    """A recognisable but harmless stand-in for a key: its last four characters."""
    if not secret:
        return None
    return "…" + secret[-4:] if len(secret) > 8 else "…"


_FIELDS = ("method", "path", "query", "status", "time", "duration_ms", "tenant", "bytes")


class RequestLog:
    """A bounded, thread-safe log of the API calls a server answered (admin calls excluded).

    Entries are kept as compact tuples (a benchmark makes hundreds of thousands of calls);
    `evicted` counts the oldest ones dropped once `maxlen` is reached.
    """

    def __init__(self, maxlen: int = 1_000_000) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.evicted = 0

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry (a dict with the fields method, path, query, status, time, ...)."""
        extra = {k: v for k, v in entry.items() if k not in _FIELDS} or None
        row = (*(entry.get(f) for f in _FIELDS), extra)
        with self._lock:
            if len(self._entries) == self._entries.maxlen:
                self.evicted += 1
            self._entries.append(row)

    def entries(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every entry, oldest first; optionally emptying the log."""
        with self._lock:
            rows = list(self._entries)
            if clear:
                self._entries.clear()
                self.evicted = 0
        out = []
        for row in rows:
            entry = dict(zip(_FIELDS, row[:-1], strict=True))
            if row[-1]:
                entry.update(row[-1])
            out.append(entry)
        return out

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self.evicted = 0


def header(scope: Scope, name: str) -> str | None:
    """A request header from an ASGI scope (name in lower case)."""
    key = name.lower().encode()
    for k, v in scope.get("headers", []):
        if k == key:
            return v.decode("latin-1")
    return None


class RequestLogMiddleware:
    """Records every non-admin HTTP request with its final status.

    `identify(scope)` names the caller (Xero tenant id, masked Qondor key). Inner middleware may
    add fields to `scope["sandbox"]` (e.g. `dropped`, `tenant`) and they are logged too.
    """

    def __init__(
        self, app: ASGIApp, log: RequestLog, identify: Callable[[Scope], str | None]
    ) -> None:
        self.app = app
        self.log = log
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        notes: dict[str, Any] = scope.setdefault("sandbox", {})
        status = {"code": 0, "bytes": 0}
        recorded = False
        started = time.monotonic()
        when = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            entry = {
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status["code"] or notes.get("status", 500),
                "time": when,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "tenant": notes.get("tenant") or self.identify(scope),
                "bytes": status["bytes"],
            }
            entry.update({k: v for k, v in notes.items() if k not in entry})
            self.log.record(entry)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body":
                status["bytes"] += len(message.get("body", b""))
                if not message.get("more_body"):
                    record()  # before the last byte leaves, so a caller's next look sees it
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            record()
