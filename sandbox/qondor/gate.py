"""What Azure API Management does before a Qondor call: the subscription key and the rate limits."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from qondor_xero.qondor import contract
from sandbox.common import ADMIN_PREFIX, FixedWindowLimiter, Settings, header

DAY_SECONDS = 86_400
UNAUTHORIZED_MESSAGE = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)


def apim_body(status: int, message: str) -> dict[str, Any]:
    """APIM's own error body (401, 429, unknown path)."""
    return {"statusCode": status, "message": message}


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    """Send a whole JSON response from ASGI middleware."""
    data = json.dumps(body).encode()
    raw = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
    ]
    raw += [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def per_second_limiter(rate: float) -> FixedWindowLimiter:
    """`rate` calls per second as a fixed window (a rate below 1 becomes 1 call per 1/rate s)."""
    if rate >= 1:
        return FixedWindowLimiter(int(rate), 1.0)
    return FixedWindowLimiter(1, 1.0 / rate)


class QondorGate:
    """Checks the subscription key, then counts the call against the per-key limits."""

    def __init__(self, settings: Settings) -> None:
        self.key = settings.qondor_key
        self.limited = not settings.no_limits
        self.second = per_second_limiter(settings.qondor_rate_per_second)
        self.day = FixedWindowLimiter(settings.qondor_daily_limit, DAY_SECONDS)

    def reset(self) -> None:
        """Forget every count (the admin reset)."""
        self.second.reset()
        self.day.reset()

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """`app` behind this gate (admin paths pass straight through)."""

        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
                await app(scope, receive, send)
                return
            key = header(scope, contract.AUTH_HEADER) or _query_key(scope)
            if key != self.key:
                await send_json(send, 401, apim_body(401, UNAUTHORIZED_MESSAGE))
                return
            if self.limited:
                refusal = self._count(key)
                if refusal is not None:
                    scope.setdefault("sandbox", {})["rate_limited"] = refusal[0]
                    await send_json(send, 429, refusal[1], {"Retry-After": str(refusal[2])})
                    return
            await app(scope, receive, send)

        return gated

    def _count(self, key: str) -> tuple[str, dict[str, Any], int] | None:
        """None when the call may go on, else (which limit, body, Retry-After seconds)."""
        second = self.second.hit(key)
        if not second.allowed:
            wait = second.retry_after
            return (
                "second",
                apim_body(429, f"Rate limit is exceeded. Try again in {wait} seconds."),
                wait,
            )
        day = self.day.hit(key)
        if not day.allowed:
            self.second.undo(key)  # a refused call counts against neither limit
            wait = day.retry_after
            hours, rest = divmod(wait, 3600)
            clock = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
            body = apim_body(
                429, f"Out of call volume quota. Quota will be replenished in {clock}."
            )
            return "day", body, wait
        return None


def _query_key(scope: Scope) -> str | None:
    """APIM also accepts the key as the `subscription-key` query parameter."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("subscription-key")
    return values[0] if values else None
