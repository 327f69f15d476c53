"""Fault injection shared by both fake APIs: error statuses, delays, commit-then-drop."""

from __future__ import annotations

import asyncio
import fnmatch
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.common.requestlog import ADMIN_PREFIX


class ConnectionDropped(Exception):
    """Raised after a response has started so that uvicorn closes the socket unanswered."""


class FaultError(ValueError):
    """A fault rule that cannot be used; the message names the field."""


@dataclass
class FaultRule:
    """One fault: which requests it hits and what it does to them.

    `path` is a glob (`/api.xro/2.0/Invoices*`); `method` is `*` or a verb. Actions: `status`
    (answer with that status instead; 429 gets `Retry-After`/`X-Rate-Limit-Problem`), `delay`
    (seconds to wait first; alone it only slows the request), `drop` (run the request, commit it,
    then close the connection without a response), `tax_skew` (Xero only: store the write with
    its first line's tax off by that amount, a defect a post-write check must catch). `count` limits how many requests it hits
    (None = until cleared); `probability` makes it fire at random.
    """

    path: str = "*"
    method: str = "*"
    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    count: int | None = None
    probability: float = 1.0
    retry_after: int = 1
    problem: str = "minute"
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    tax_skew: float | None = None
    hits: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from an admin request body, with one-line errors naming the field."""
        if not isinstance(data, dict):
            raise FaultError("fault rule: must be a JSON object")
        known = {f for f in cls.__dataclass_fields__ if f != "hits"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultError(f"fault rule: unknown field {unknown[0]!r}")
        rule = cls(**data)
        if rule.status is not None and not (
            isinstance(rule.status, int) and 100 <= rule.status < 600
        ):
            raise FaultError("fault rule: field 'status' must be an HTTP status code")
        if rule.status is None and not rule.drop and not rule.delay and not rule.tax_skew:
            raise FaultError(
                "fault rule: give at least one of 'status', 'delay', 'drop', 'tax_skew'"
            )
        if rule.tax_skew is not None and (
            isinstance(rule.tax_skew, bool) or not isinstance(rule.tax_skew, int | float)
        ):
            raise FaultError("fault rule: field 'tax_skew' must be a number")
        if rule.status is not None and rule.drop:
            raise FaultError("fault rule: 'status' and 'drop' cannot be combined")
        if not 0 <= float(rule.probability) <= 1:
            raise FaultError("fault rule: field 'probability' must be between 0 and 1")
        if rule.count is not None and (not isinstance(rule.count, int) or rule.count < 1):
            raise FaultError("fault rule: field 'count' must be a positive integer")
        rule.method = rule.method.upper()
        return rule

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        """The rule as the admin API shows it."""
        return asdict(self)


class FaultSet:
    """The active fault rules of one API (first matching rule wins)."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        """Activate a rule."""
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        """The active rules as JSON."""
        with self._lock:
            return [r.to_json() for r in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, counting it; exhausted rules are removed."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.count is not None and rule.hits >= rule.count:
                    self._rules.remove(rule)
                return rule
        return None


class FaultMiddleware:
    """Applies the active fault rules to non-admin requests.

    `render(rule)` builds the response for a `status` rule in the API's own style.
    """

    def __init__(
        self, app: ASGIApp, faults: FaultSet, render: Callable[[FaultRule], Response]
    ) -> None:
        self.app = app
        self.faults = faults
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        rule = self.faults.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        notes = scope.setdefault("sandbox", {})
        notes["fault"] = rule.status or ("drop" if rule.drop else "delay")
        if rule.tax_skew:
            notes["fault"] = "tax_skew"
            notes["tax_skew"] = rule.tax_skew
        if rule.delay:
            # Held before it is handled: the request is read in full first, as a server reads it
            # before acting; a client gone meanwhile means it is never handled (never committed),
            # however large its body (the server would otherwise stop reading at its buffer's
            # high-water mark and see the body, not the disconnect, after the wait).
            read = await _read_whole(receive)
            await asyncio.sleep(float(rule.delay))
            if await _gone(receive):
                notes["status"] = 499  # logged as the client closing the request
                return
            receive = _replay(read, receive)
        if rule.status is not None:
            await self.render(rule)(scope, receive, send)
            return
        if not rule.drop:
            await self.app(scope, receive, send)
            return
        started: dict[str, Any] = {}

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)

        await self.app(scope, receive, swallow)  # the write happens and is committed
        notes["dropped"] = True
        notes["status"] = started.get("status", 0)
        # uvicorn's `receive` is a method of the request cycle, which holds the socket: close it
        # so the client sees the connection end before any byte of a response.
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is not None:
            transport.close()
            await asyncio.sleep(0)  # let uvicorn notice the disconnect before we return
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionDropped(f"{scope['method']} {scope['path']}: dropped by a fault rule")


async def _read_whole(receive: Receive) -> list[Message]:
    """The request's messages up to its complete body (or the disconnect)."""
    read: list[Message] = []
    while True:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            return read


def _replay(read: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out the messages read already, then the connection's own."""

    async def replay() -> Message:
        return read.pop(0) if read else await receive()

    return replay


async def _gone(receive: Receive) -> bool:
    """Whether the client disconnected; with the body read, `receive` waits while it is there."""
    try:
        message = await asyncio.wait_for(receive(), timeout=0.05)
    except TimeoutError:
        return False
    return message["type"] == "http.disconnect"
