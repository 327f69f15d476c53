"""Admin-route helpers under /_sandbox/ shared by both fake APIs."""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.common.faults import FaultError, FaultRule, FaultSet
from sandbox.common.requestlog import RequestLog

log = logging.getLogger("sandbox")


class AdminError(Exception):
    """A bad admin request; becomes a 400 with `{"error": message}`."""


@dataclass
class Scenario:
    """Seed data for both APIs: `.xero` and `.qondor` dicts of object lists."""

    name: str
    xero: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    qondor: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class ScenarioError(ValueError):
    """An unknown scenario or unusable scenario arguments."""


_scenario_lock = threading.Lock()
_scenario_cache: dict[tuple[str, int, int | None], Any] = {}
SCENARIO_CACHE_SECONDS = 120.0


def load_scenario(name: str, seed: int = 1, size: int | None = None) -> Any:
    """Build a scenario via `sandbox.scenarios.build`, cached so both halves share one build.

    Without the `sandbox.scenarios` module only "empty" exists (no objects: each half then
    seeds its built-in defaults, e.g. Xero's chart of accounts and currencies).
    """
    key = (name, seed, size)
    with _scenario_lock:
        if key in _scenario_cache:
            return _scenario_cache[key]
        try:
            scenarios = importlib.import_module("sandbox.scenarios")
        except ModuleNotFoundError as exc:
            if exc.name not in ("sandbox.scenarios",):
                raise
            scenarios = None
        if scenarios is None:
            if name != "empty":
                raise ScenarioError(
                    f"scenario {name!r}: not available (no sandbox.scenarios module); use 'empty'"
                )
            built: Any = Scenario("empty")
        else:
            try:
                built = scenarios.build(name, seed=seed, size=size)
            except (KeyError, ValueError) as exc:
                raise ScenarioError(f"scenario {name!r}: {exc}") from exc
        _scenario_cache.clear()  # keep only the latest build (they can be large)
        _scenario_cache[key] = built
        # long enough for the other half to seed from the same build, then free the memory
        timer = threading.Timer(SCENARIO_CACHE_SECONDS, _forget_scenario, (key,))
        timer.daemon = True
        timer.start()
        return built


def _forget_scenario(key: tuple[str, int, int | None]) -> None:
    with _scenario_lock:
        _scenario_cache.pop(key, None)


async def read_json(request: Request, default: Any = None) -> Any:
    """The request's JSON body (`default` when empty); AdminError when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise AdminError(f"request body: not valid JSON ({exc.msg})") from exc


def admin_error(message: str, status: int = 400) -> JSONResponse:
    """The admin API's error answer."""
    return JSONResponse({"error": message}, status_code=status)


def admin_endpoint(func: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Wrap an async admin handler so AdminError/ScenarioError/FaultError become 400s."""

    async def endpoint(request: Request) -> Response:
        try:
            return await func(request)
        except (AdminError, ScenarioError, FaultError) as exc:
            return admin_error(str(exc))

    endpoint.__name__ = func.__name__
    endpoint.__doc__ = func.__doc__
    return endpoint


def health_route(api: str) -> Route:
    """GET /_sandbox/health → `{"status": "ok", "api": api, "pid": ...}`: which server answers."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "api": api, "pid": os.getpid()})

    return Route("/_sandbox/health", health, methods=["GET"])


def request_log_routes(request_log: RequestLog) -> list[Route]:
    """GET /_sandbox/requests (`?clear=true` empties it after reading) and DELETE to clear."""

    async def list_requests(request: Request) -> Response:
        clear = request.query_params.get("clear", "").lower() in ("1", "true", "yes")
        evicted = request_log.evicted
        entries = await run_in_threadpool(request_log.entries, clear)
        return JSONResponse({"requests": entries, "evicted": evicted})

    async def clear_requests(request: Request) -> Response:
        request_log.clear()
        return JSONResponse({"requests": []})

    return [
        Route("/_sandbox/requests", list_requests, methods=["GET"]),
        Route("/_sandbox/requests", clear_requests, methods=["DELETE"]),
    ]


def fault_routes(faults: FaultSet) -> list[Route]:
    """GET/POST/DELETE /_sandbox/faults: list, add (one rule or a list), clear."""

    @admin_endpoint
    async def add_faults(request: Request) -> Response:
        body = await read_json(request)
        items = body if isinstance(body, list) else [body]
        rules = [FaultRule.from_json(item) for item in items]
        for rule in rules:
            faults.add(rule)
        return JSONResponse({"faults": faults.rules()})

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": faults.rules()})

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return JSONResponse({"faults": []})

    return [
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/faults", add_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    ]
