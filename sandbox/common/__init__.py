"""Machinery both fake APIs share: settings, request log, faults, rate limits, admin helpers."""

from sandbox.common.admin import (
    AdminError,
    Scenario,
    ScenarioError,
    admin_endpoint,
    admin_error,
    fault_routes,
    health_route,
    load_scenario,
    read_json,
    request_log_routes,
)
from sandbox.common.faults import ConnectionDropped, FaultMiddleware, FaultRule, FaultSet
from sandbox.common.limits import ConcurrencyLimiter, FixedWindowLimiter, WindowResult
from sandbox.common.requestlog import (
    ADMIN_PREFIX,
    RequestLog,
    RequestLogMiddleware,
    header,
    mask_secret,
)
from sandbox.common.settings import Settings

__all__ = [
    "ADMIN_PREFIX",
    "AdminError",
    "ConcurrencyLimiter",
    "ConnectionDropped",
    "FaultMiddleware",
    "FaultRule",
    "FaultSet",
    "FixedWindowLimiter",
    "RequestLog",
    "RequestLogMiddleware",
    "Scenario",
    "ScenarioError",
    "Settings",
    "WindowResult",
    "admin_endpoint",
    "admin_error",
    "fault_routes",
    "header",
    "health_route",
    "load_scenario",
    "mask_secret",
    "read_json",
    "request_log_routes",
]
