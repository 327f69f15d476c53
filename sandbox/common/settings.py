"""Settings shared by both halves of the sandbox (one object per process)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_XERO_CLIENT_ID = "sandbox-client"
DEFAULT_XERO_CLIENT_SECRET = "sandbox-secret"
DEFAULT_XERO_TENANT_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_XERO_TENANT_NAME = "Sandbox Org"
DEFAULT_QONDOR_KEY = "sandbox-qondor-key"


@dataclass
class Settings:
    """Everything `python -m sandbox serve` can be told on its command line."""

    host: str = "127.0.0.1"
    xero_port: int = 8702
    qondor_port: int = 8701
    db_path: Path = Path(".sandbox/sandbox.db")
    scenario: str = "demo"
    size: int | None = None
    seed: int = 1
    xero_client_id: str = DEFAULT_XERO_CLIENT_ID
    xero_client_secret: str = DEFAULT_XERO_CLIENT_SECRET
    xero_tenant_id: str = DEFAULT_XERO_TENANT_ID
    xero_tenant_name: str = DEFAULT_XERO_TENANT_NAME
    qondor_key: str = DEFAULT_QONDOR_KEY
    # The Xero app: a custom connection, a standard app or ("any") one client id that takes
    # every grant; created before 2 March 2026 ("broad" scopes) or after ("granular"); the
    # scopes it was granted (space-separated; None = all the integration needs).
    xero_app_kind: str = "any"
    xero_app_era: str = "granular"
    xero_scopes: str | None = None
    xero_redirect_uris: str = "http://localhost:8765/callback"  # registered, space-separated
    auto_consent: bool = False  # /identity/connect/authorize redirects back without a page
    xero_rate_per_minute: int = 60
    xero_concurrency: int = 5
    xero_daily_limit: int = 5000
    xero_app_rate_per_minute: int = 10000
    xero_window_seconds: float = 60.0
    qondor_rate_per_second: float = 10.0
    qondor_daily_limit: int = 100000
    token_ttl: int = 1800
    no_limits: bool = False
    openapi_strict: bool = False
    openapi_spec: Path | None = None  # None: sandbox.spec_file.openapi_spec_path()
    # Above this many contacts Xero refuses contact reads it cannot filter efficiently (None: off).
    xero_high_volume_contacts: int | None = None
