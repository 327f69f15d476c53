"""Which Xero OAuth scopes this integration needs, and which an access token was granted.

Apps created on or after 2 March 2026 hold granular scopes (`accounting.invoices`, ...); older
apps may still hold the broad `accounting.transactions`, which covers invoices, credit notes and
payments. A scope covers its own `.read` variant. Xero's access tokens are JWTs whose `scope`
claim lists what was granted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable

OFFLINE_ACCESS = "offline_access"

# What each plugin calls needs (granular names, as apps created in 2026 are granted them).
NEEDS = {
    "target-xero": (
        "accounting.contacts",
        "accounting.invoices",
        "accounting.payments",
        "accounting.settings.read",
    ),
    "tap-xero": ("accounting.invoices.read",),
}

# Accounting resource (first path segment) → the granular scope its writes need.
RESOURCE_SCOPES = {
    "Contacts": "accounting.contacts",
    "Invoices": "accounting.invoices",
    "CreditNotes": "accounting.invoices",
    "Payments": "accounting.payments",
    "Accounts": "accounting.settings",
    "Currencies": "accounting.settings",
    "TaxRates": "accounting.settings",
    "TrackingCategories": "accounting.settings",  # PUT .../Options: create_options
    "BrandingThemes": "accounting.settings",
}

# A broad scope of an older app and the granular ones it stands for.
BROAD = {"accounting.transactions": ("accounting.invoices", "accounting.payments")}


def parse(text: str | Iterable[str] | None) -> list[str]:
    """Scopes from a space-separated string or a list, in order, without repeats."""
    items = text.split() if isinstance(text, str) else list(text or ())
    return list(dict.fromkeys(s for s in items if s))


def default_request(standard_app: bool, creates_options: bool = False) -> list[str]:
    """What the clients ask for: every scope both plugins need (+ offline_access for a standard
    app, without which Xero sends no refresh token)."""
    wanted = [s for plugin in needs(creates_options).values() for s in plugin]
    # A write scope covers its read: ask only for the wider one.
    wanted = [s for s in wanted if not (s.endswith(".read") and s[: -len(".read")] in wanted)]
    return parse([*wanted, *([OFFLINE_ACCESS] if standard_app else [])])


def needs(creates_options: bool = False) -> dict[str, tuple[str, ...]]:
    """What each plugin needs; with a mapping's `create_options`, target-xero also writes
    settings (`PUT /TrackingCategories/{id}/Options`)."""
    if not creates_options:
        return dict(NEEDS)
    target = tuple(s for s in NEEDS["target-xero"] if s != "accounting.settings.read")
    return {**NEEDS, "target-xero": (*target, "accounting.settings")}


def request_for(creates_options: bool, standard_app: bool) -> list[str] | None:
    """The scopes to ask for where the default does not do: None, unless the mapping creates
    tracking options, which needs accounting.settings (write) instead of its read."""
    return default_request(standard_app, creates_options=True) if creates_options else None


def for_call(method: str, path: str) -> str | None:
    """The scope a call needs, e.g. `PUT /Payments` → `accounting.payments`, `GET /Accounts` →
    `accounting.settings.read`; None for calls outside the Accounting API."""
    resource = path.strip("/").split("/", 1)[0]
    scope = RESOURCE_SCOPES.get(resource)
    if scope is None:
        return None
    return f"{scope}.read" if method.upper() == "GET" else scope


def covers(granted: Iterable[str], needed: str) -> bool:
    """Whether `granted` allows what `needed` allows (its write scope or a broad one counts)."""
    base = needed.removesuffix(".read")
    for scope in granted:
        if scope.endswith(".read") and not needed.endswith(".read"):
            continue  # a read scope never allows a write
        held = scope.removesuffix(".read")
        if held == base or base in BROAD.get(held, ()):
            return True
    return False


def missing(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The needed scopes `granted` does not cover."""
    granted = list(granted)
    return [s for s in needed if not covers(granted, s)]


def granted_by(access_token: str) -> list[str] | None:
    """The `scope` claim of a Xero access token (a JWT); None when it is not a JWT.

    Not a signature check: the token came straight from Xero over TLS and is only read here, so
    the payload is decoded directly (RFC 7519: base64url JSON between the first two dots) rather
    than through PyJWT, whose import loads `cryptography` (about 11 MB per plugin process).
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(claims, dict):
        return None
    scope = claims.get("scope")
    return parse(scope) if isinstance(scope, str | list) else None
