"""What stands before every Accounting API call: the bearer token, the tenant, the rate limits,
and the Idempotency-Key replay store."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.common.limits import ConcurrencyLimiter, FixedWindowLimiter
from sandbox.common.requestlog import header
from sandbox.common.settings import Settings
from sandbox.db import Database
from sandbox.xero import scopes
from sandbox.xero.auth import AuthProblem, Identity

API_PREFIX = "/api.xro/2.0"
UNLIMITED = 10**9
IDEMPOTENCY_WINDOW_SECONDS = 6 * 60
DAY_SECONDS = 86_400
MAX_QUERY_BYTES = 2048
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


_CANONICAL = {
    name.lower(): name
    for name in (
        "Contacts",
        "Invoices",
        "CreditNotes",
        "Payments",
        "Accounts",
        "Currencies",
        "Allocations",
    )
}


def canonical_path(path: str) -> str:
    """Xero's resource names are case-insensitive: `/invoices` is `/Invoices`."""
    parts = path.split("/")
    return "/".join(_CANONICAL.get(p.lower(), p) for p in parts)


async def send_json(
    send: Send, status: int, body: Any, headers: list[tuple[str, str]] = ()
) -> None:
    """Send a whole JSON response from ASGI middleware."""
    data = json.dumps(body).encode()
    raw = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
    ]
    raw += [(k.lower().encode(), str(v).encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class RateLimits:
    """Xero's limits per tenant (minute, day, concurrent) and per app (minute)."""

    def __init__(self, settings: Settings) -> None:
        lift = settings.no_limits
        window = settings.xero_window_seconds
        self.minute = FixedWindowLimiter(
            UNLIMITED if lift else settings.xero_rate_per_minute, window
        )
        self.day = FixedWindowLimiter(UNLIMITED if lift else settings.xero_daily_limit, DAY_SECONDS)
        self.app_minute = FixedWindowLimiter(
            UNLIMITED if lift else settings.xero_app_rate_per_minute, window
        )
        self.concurrent = ConcurrencyLimiter(UNLIMITED if lift else settings.xero_concurrency)

    def reset(self) -> None:
        """Forget every count (admin reset)."""
        for limiter in (self.minute, self.day, self.app_minute):
            limiter.reset()

    def headers(self, tenant: str) -> list[tuple[str, str]]:
        """The remaining-calls headers Xero puts on every response."""
        return [
            ("X-MinLimit-Remaining", str(self.minute.remaining(tenant))),
            ("X-DayLimit-Remaining", str(self.day.remaining(tenant))),
            ("X-AppMinLimit-Remaining", str(self.app_minute.remaining("app"))),
        ]

    def admit(self, tenant: str) -> tuple[str, int] | None:
        """Count one call; (problem, retry_after) when it must be refused with a 429."""
        day = self.day.hit(tenant)
        if not day.allowed:
            return "day", day.retry_after
        minute = self.minute.hit(tenant)
        if not minute.allowed:
            self.day.undo(tenant)
            return "minute", minute.retry_after
        app = self.app_minute.hit("app")
        if not app.allowed:
            self.day.undo(tenant)
            self.minute.undo(tenant)
            return "appminute", app.retry_after
        if not self.concurrent.acquire(tenant):
            self.day.undo(tenant)
            self.minute.undo(tenant)
            self.app_minute.undo("app")
            return "concurrent", 1
        return None


class XeroGate:
    """ASGI middleware: 401/403 for bad tokens or tenants, 429s, rate-limit headers."""

    def __init__(self, app: ASGIApp, identity: Identity, limits: RateLimits) -> None:
        self.app = app
        self.identity = identity
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (
            path.startswith(API_PREFIX) or path.rstrip("/") == "/connections"
        ):
            await self.app(scope, receive, send)
            return
        notes = scope.setdefault("sandbox", {})
        scope["path"] = canonical_path(path)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            # Xero's front end refuses over-long URLs (e.g. ~50+ GUIDs in IDs=) with its 404
            data = NOT_FOUND_TEXT.encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(data)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": data})
            return
        try:
            info = self.identity.check_bearer(header(scope, "authorization"))
            if path.rstrip("/") == "/connections":
                await self.app(scope, receive, send)
                return
            tenant = self.identity.tenant_for(info, header(scope, "xero-tenant-id"))
            resource = scopes.resource_of(scope["path"], API_PREFIX)
            self.identity.check_scope(info, scope["method"], resource)
        except AuthProblem as problem:
            notes["tenant"] = header(scope, "xero-tenant-id")
            await send_json(
                send,
                problem.status,
                problem.body(),
                [("WWW-Authenticate", 'Bearer error="invalid_token"')],
            )
            return
        notes["tenant"] = tenant
        scope["xero_tenant"] = tenant
        refused = self.limits.admit(tenant)
        if refused:
            problem, retry_after = refused
            headers = self.limits.headers(tenant) + [
                ("Retry-After", str(retry_after)),
                ("X-Rate-Limit-Problem", problem),
            ]
            await send_json(
                send,
                429,
                {
                    "Title": "Too Many Requests",
                    "Status": 429,
                    "Detail": f"Rate limit exceeded: {problem}",
                },
                headers,
            )
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in self.limits.headers(tenant)]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        try:
            await self.app(scope, receive, send_with_limits)
        finally:
            self.limits.concurrent.release(tenant)


class IdempotencyStore:
    """ASGI middleware: a write with an `Idempotency-Key` seen in the last 6 minutes replays
    the first answer (same body) or is refused with 400 (different body)."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.clock = time.time

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, "idempotency-key") if scope["type"] == "http" else None
        if (
            key is None
            or scope["method"] not in ("POST", "PUT")
            or not scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        if len(key) > 128 or not key.strip():
            await send_json(
                send,
                400,
                _idempotency_error(
                    "The Idempotency-Key header must be between 1 and 128 characters."
                ),
            )
            return
        body = await read_body(receive)
        tenant = scope.get("xero_tenant", "")
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        lock = self._locks.setdefault((tenant, key), asyncio.Lock())
        async with lock:  # a concurrent repeat waits for the first
            row = await run_in_threadpool(
                self.db.query_one,
                "SELECT * FROM xero_idempotency WHERE tenant = ? AND key = ?",
                (tenant, key),
            )
            if row is not None and self.clock() - row["created"] <= IDEMPOTENCY_WINDOW_SECONDS:
                scope.setdefault("sandbox", {})["idempotent_replay"] = True
                if row["fingerprint"] != fingerprint:
                    await send_json(
                        send,
                        400,
                        _idempotency_error(
                            "The Idempotency-Key has already been used with a different request."
                        ),
                    )
                    return
                await send(
                    {
                        "type": "http.response.start",
                        "status": row["status"],
                        "headers": [
                            (b"content-type", row["content_type"].encode()),
                            (b"content-length", str(len(row["body"])).encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": bytes(row["body"])})
                return
            captured: dict[str, Any] = {"body": b""}

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    captured["status"] = message["status"]
                    for k, val in message.get("headers", []):
                        if k == b"content-type":
                            captured["content_type"] = val.decode()
                elif message["type"] == "http.response.body":
                    captured["body"] += message.get("body", b"")
                await send(message)

            await self.app(scope, replay_body(body), capture)
            if "status" in captured and captured["status"] < 500:
                await run_in_threadpool(
                    self._remember, tenant, key, fingerprint, captured, self.clock()
                )
        if not lock.locked():
            self._locks.pop((tenant, key), None)

    def _remember(
        self, tenant: str, key: str, fingerprint: str, captured: dict[str, Any], now: float
    ) -> None:
        """Store the answer given to a keyed write (in a worker thread: writes may wait)."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO xero_idempotency "
                "(tenant, key, fingerprint, status, body, content_type, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant,
                    key,
                    fingerprint,
                    captured["status"],
                    captured["body"],
                    captured.get("content_type", "application/json"),
                    now,
                ),
            )


def _idempotency_error(message: str) -> dict[str, Any]:
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": message}


async def read_body(receive: Receive) -> bytes:
    """The whole request body from an ASGI receive channel."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replay_body(body: bytes) -> Receive:
    """A receive channel that hands the app a body already read."""
    sent = {"done": False}

    async def receive() -> Message:
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive
