"""The typed error for a call Xero refused and that is not retried: one line, no secret."""

from __future__ import annotations

import requests

from qondor_xero.http import redact

from . import scopes as sc
from .errors import (
    XeroAuthError,
    XeroError,
    XeroHighVolume,
    XeroNotFound,
    XeroScopeError,
    XeroTenantError,
    XeroValidationError,
)
from .writes import element_messages


def scope_refusal(method: str, path: str, what: str, granted: list[str] | None) -> XeroScopeError:
    """A call outside the granted scopes (401 AuthorizationUnsuccessful), naming the scope."""
    scope = sc.for_call(method, path) or "a scope this call needs"
    held = " ".join(granted or []) or "none listed"
    return XeroScopeError(
        f"{what} failed: the Xero app was not granted the scope {scope} "
        f"(HTTP 401 AuthorizationUnsuccessful; granted: {held}); add {scope} to the app "
        "(a standard app: then run `qondor-xero connect` again to consent)",
        scope=scope,
        call=what,
    )


def refusal(
    resp: requests.Response, what: str, tenant: str, reason: str, secrets: list[str]
) -> XeroError:
    """The typed error for a non-retried failure; `reason` is Xero's own words, redacted."""
    status = resp.status_code
    if status == 401:
        return XeroAuthError(
            f"{what} failed: Xero refused the access token even after a refresh "
            f"(HTTP 401 {reason})",
            status=status,
            call=what,
        )
    if status == 403:
        return XeroTenantError(
            f"{what} failed: Xero forbids this app access to tenant {tenant} "
            f"(HTTP 403 {reason}); check tenant_id and the app's connection",
            status=status,
            call=what,
        )
    if status == 404:
        return XeroNotFound(f"{what} failed: not found (HTTP 404)", status=status, call=what)
    if status == 400:
        try:
            body = resp.json()
        except ValueError:
            body = None
        elements = body.get("Elements") if isinstance(body, dict) else None
        elements = [e for e in elements or [] if isinstance(e, dict)]
        messages = [m for e in elements for m in element_messages(e)]
        detail = "; ".join(dict.fromkeys(messages)) or reason
        high_volume = isinstance(body, dict) and body.get("Type") == "HighVolumeException"
        return (XeroHighVolume if high_volume else XeroValidationError)(
            redact(f"{what} failed: {detail}", secrets)[:1000],
            status=status,
            call=what,
            messages=messages or [reason],
            elements=elements,
        )
    return XeroError(f"{what} failed: HTTP {status} {reason}".strip(), status=status, call=what)
