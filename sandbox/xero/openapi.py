"""Strict mode (`--openapi-strict`): every Accounting API request is checked against Xero's
OpenAPI description, and one that does not conform gets a 400 naming what did not conform."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.xero.gate import API_PREFIX, read_body, replay_body, send_json

log = logging.getLogger("sandbox")

SPEC_HOST = "https://api.xero.com"
MAX_REASON_CHARS = 1000


class _SpecRequest:
    """One sandbox request in the shape openapi-core validates (as if sent to api.xero.com)."""

    host_url = SPEC_HOST

    def __init__(self, scope: Scope, body: bytes) -> None:
        from openapi_core.datatypes import RequestParameters

        headers = Headers(scope=scope)
        self.method = scope["method"].lower()
        self.path = scope["path"]
        self.body = body or None
        self.content_type = headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=QueryParams(scope.get("query_string", b"")), header=headers, cookie={}
        )


class OpenAPISpec:
    """Xero's accounting OpenAPI description, loaded once, and the request check against it."""

    def __init__(self, path: Path) -> None:
        from openapi_core import Config, OpenAPI

        from sandbox.spec_file import missing_spec_reason

        reason = missing_spec_reason(path)
        if reason:
            raise SystemExit(f"sandbox: --openapi-strict: {reason}")

        # The published spec fails openapi-core's own spec check (examples of the wrong type):
        # validate requests against it without checking the spec itself.
        self.spec = OpenAPI.from_file_path(str(path), config=Config(spec_validator_cls=None))

    def request_problem(self, scope: Scope, body: bytes) -> str | None:
        """Why a request does not conform to the spec, in one line; None when it conforms."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unsupported scheme type": OAuth2 is the gate's job
            try:
                self.spec.validate_request(_SpecRequest(scope, body))
            except Exception as exc:  # openapi-core raises one error naming the first problem
                return explain(exc)
        return None


def explain(error: BaseException) -> str:
    """One line naming what did not conform: the error, then each schema error with its path."""
    headline = " ".join(str(error).split()).split(": Value ", 1)[0]
    details: list[str] = []
    cause: BaseException | None = error
    while cause is not None:
        for e in getattr(cause, "schema_errors", None) or []:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.path)
            details.append(f"{where.lstrip('.') or '(value)'}: {' '.join(e.message.split())}")
        cause = cause.__cause__
    if not details and error.__cause__ is not None:  # e.g. "Failed to cast value to integer"
        details.append(" ".join(str(error.__cause__).split()))
    text = f"{headline} ({'; '.join(details)})" if details else headline
    return text[:MAX_REASON_CHARS]


class OpenAPIStrict:
    """ASGI middleware: a non-conforming Accounting API request is refused with a 400 and its
    reason is recorded in the request log as `openapi_error`."""

    def __init__(self, app: ASGIApp, spec: OpenAPISpec) -> None:
        self.app = app
        self.spec = spec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        problem = await run_in_threadpool(self.spec.request_problem, scope, body)
        if problem is None:
            await self.app(scope, replay_body(body), send)
            return
        scope.setdefault("sandbox", {})["openapi_error"] = problem
        log.warning("OpenAPI: %s %s refused: %s", scope["method"], scope["path"], problem)
        await send_json(
            send,
            400,
            {
                "ErrorNumber": 10,
                "Type": "OpenAPIValidationException",
                "Message": f"Request does not conform to Xero's OpenAPI description: {problem}",
            },
        )
