"""Typed Qondor API errors: each message is one line saying what was attempted and why it failed."""

from __future__ import annotations

from datetime import datetime


class QondorError(Exception):
    """A Qondor API call failed; `.status` is the HTTP status (None without a response)."""

    def __init__(self, message: str, *, status: int | None = None, call: str | None = None):
        super().__init__(message)
        self.status = status
        self.call = call


class QondorAuthError(QondorError):
    """The subscription key is missing, invalid or not allowed this call (401/403)."""


class QondorNotFound(QondorError):
    """The invoice, customer or path does not exist (404)."""


class QondorValidationError(QondorError):
    """Qondor refused the request (400 ProblemDetails); `.errors` holds the field messages."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 400,
        call: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message, status=status, call=call)
        self.errors = errors or {}


class QondorRateLimited(QondorError):
    """Qondor kept answering 429 after every retry allowed."""


class QondorDailyLimit(QondorRateLimited):
    """The 100,000 calls/24 h quota is used up; `.resumes_at` is when calls work again (UTC)."""

    def __init__(
        self,
        message: str,
        *,
        resumes_at: datetime | None = None,
        status: int | None = 429,
        call: str | None = None,
    ):
        super().__init__(message, status=status, call=call)
        self.resumes_at = resumes_at


class QondorServerError(QondorError):
    """Qondor failed or could not be reached (5xx or connection error) after the retries."""
