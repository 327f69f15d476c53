"""Xero Accounting API client: OAuth2, pacing, retries, envelopes, dates and where-clauses. No Singer."""

from . import where
from .client import RetryPolicy, XeroClient
from .dates import document_day, format_if_modified_since, parse_xero_date, xero_day
from .errors import (
    XeroAuthError,
    XeroDailyLimitReached,
    XeroError,
    XeroHighVolume,
    XeroNotFound,
    XeroRateLimited,
    XeroScopeError,
    XeroServerError,
    XeroTenantError,
    XeroValidationError,
)
from .writes import WriteResult

__all__ = [
    "RetryPolicy",
    "WriteResult",
    "XeroAuthError",
    "XeroClient",
    "XeroDailyLimitReached",
    "XeroError",
    "XeroHighVolume",
    "XeroNotFound",
    "XeroRateLimited",
    "XeroScopeError",
    "XeroServerError",
    "XeroTenantError",
    "XeroValidationError",
    "document_day",
    "format_if_modified_since",
    "parse_xero_date",
    "where",
    "xero_day",
]
