"""The Xero settings every plugin and `validate` share, and the one client built from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qondor_xero.xero.client import XeroClient

XERO_API_URL = "https://api.xero.com/api.xro/2.0"
XERO_IDENTITY_URL = "https://identity.xero.com"

# JSON Schema properties of the Xero settings (singer-sdk merges them into each plugin's schema).
XERO_SETTINGS: dict[str, dict[str, Any]] = {
    "api_url": {
        "type": ["string", "null"],
        "default": XERO_API_URL,
        "description": "Xero Accounting API base URL.",
    },
    "identity_url": {
        "type": ["string", "null"],
        "default": XERO_IDENTITY_URL,
        "description": "Xero identity server; tokens come from {identity_url}/connect/token.",
    },
    "client_id": {"type": ["string"], "description": "Xero app client ID."},
    "client_secret": {
        "type": ["string"],
        "description": "Xero app client secret.",
        "secret": True,
        "writeOnly": True,
    },
    "tenant_id": {
        "type": ["string", "null"],
        "description": "Xero organisation (tenant) ID; empty = the single connected one.",
    },
    "refresh_token": {
        "type": ["string", "null"],
        "description": "First refresh token of a standard app; empty = client credentials.",
        "secret": True,
        "writeOnly": True,
    },
    "token_store": {
        "type": ["string", "null"],
        "description": "File or database URL (postgresql+psycopg://, sqlite:///) keeping a "
        "standard app's rotating tokens",
    },
    "scopes": {
        "type": ["string", "null"],
        "description": "Scopes to ask Xero for (space-separated): at each custom-connection "
        "token and at `qondor-xero connect`; empty = the granular ones needed",
    },
}
XERO_REQUIRED = ("client_id", "client_secret")


def xero_client(
    settings: Mapping[str, Any], wanted_scopes: list[str] | None = None, keep_tokens: bool = False
) -> XeroClient:
    """The Xero client for these settings; `wanted_scopes`: what to ask for when the `scopes`
    setting is empty, falling back to what the connection holds.

    `keep_tokens`: spend the refresh token only with a store to keep its successor (a check
    that must not lose the token).
    """
    refresh = settings.get("refresh_token") or None
    if keep_tokens and not settings.get("token_store"):
        refresh = None
    return XeroClient(
        settings.get("api_url") or XERO_API_URL,
        settings.get("identity_url") or XERO_IDENTITY_URL,
        settings["client_id"],
        settings["client_secret"],
        tenant_id=settings.get("tenant_id") or None,
        token_store=settings.get("token_store") or None,
        refresh_token=refresh,
        scopes=settings.get("scopes") or None,
        wanted_scopes=wanted_scopes,
    )
