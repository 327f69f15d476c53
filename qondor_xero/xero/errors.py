"""Typed Xero API errors: one line each, saying what was attempted and why it failed, never a secret."""

from __future__ import annotations

from datetime import datetime


class XeroError(Exception):
    """A Xero call failed; `.status` is the HTTP status (None without a response), `.call` what was tried."""

    def __init__(self, message: str, *, status: int | None = None, call: str | None = None):
        super().__init__(message)
        self.status = status
        self.call = call


class XeroAuthError(XeroError):
    """The client id/secret, refresh token or access token was refused (401, invalid_grant);
    `.error` is the token endpoint's OAuth error code when it gave one."""

    error = ""


class XeroScopeError(XeroAuthError):
    """A call outside the scopes granted to the app (401 AuthorizationUnsuccessful); `.scope` is
    the scope the call needs."""

    def __init__(self, message: str, *, scope: str, call: str | None = None):
        super().__init__(message, status=401, call=call)
        self.scope = scope


class XeroTenantError(XeroError):
    """No usable tenant: none or several connected, or this one is forbidden (403)."""


class XeroValidationError(XeroError):
    """Xero refused the request (400); `.messages` are Xero's messages, `.elements` the elements."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 400,
        call: str | None = None,
        messages: list[str] | None = None,
        elements: list[dict] | None = None,
    ):
        super().__init__(message, status=status, call=call)
        self.messages = messages or []
        self.elements = elements or []


class XeroHighVolume(XeroValidationError):
    """A very large organisation refused a read it cannot filter efficiently (400
    HighVolumeException): read it another way (optimised filters, IDs, searchTerm, paging)."""


class XeroNotFound(XeroError):
    """The resource does not exist (404)."""


class XeroRateLimited(XeroError):
    """Xero kept answering 429 (minute or concurrent limit) after every retry allowed."""


class XeroDailyLimitReached(XeroRateLimited):
    """The tenant's daily call quota is used up; `.resumes_at` (aware UTC) is when calls work again."""

    def __init__(
        self,
        tenant_id: str,
        resumes_at: datetime,
        *,
        call: str | None = None,
    ):
        message = (
            f"Xero daily API limit reached for tenant {tenant_id}; "
            f"resumes at {resumes_at:%H:%M} UTC"
        )
        if call:
            message += f" ({call} was refused)"
        super().__init__(message, status=429, call=call)
        self.tenant_id = tenant_id
        self.resumes_at = resumes_at


class XeroServerError(XeroError):
    """Xero failed or could not be reached (5xx or connection error) after the retries."""
