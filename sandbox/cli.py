"""Command line of the sandbox: `python -m sandbox serve [flags]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sandbox.common.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `python -m sandbox`."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the Qondor and Xero APIs on 127.0.0.1")
    d = Settings()
    serve.add_argument(
        "--host", default=d.host, help="interface to listen on (default %(default)s)"
    )
    serve.add_argument("--xero-port", type=int, default=d.xero_port)
    serve.add_argument("--qondor-port", type=int, default=d.qondor_port)
    serve.add_argument(
        "--db", type=Path, default=d.db_path, help="SQLite file (default %(default)s)"
    )
    serve.add_argument("--scenario", default=d.scenario, help="seed data when the db is new")
    serve.add_argument("--size", type=int, default=d.size, help="size of generated scenarios")
    serve.add_argument("--seed", type=int, default=d.seed, help="random seed of the scenario")
    serve.add_argument("--xero-client-id", default=d.xero_client_id)
    serve.add_argument("--xero-client-secret", default=d.xero_client_secret)
    serve.add_argument("--xero-tenant-id", default=d.xero_tenant_id)
    serve.add_argument("--xero-tenant-name", default=d.xero_tenant_name)
    serve.add_argument("--qondor-key", default=d.qondor_key)
    serve.add_argument(
        "--xero-app-kind",
        choices=("custom", "standard", "any"),
        default=d.xero_app_kind,
        help="custom connection (client credentials), standard app (authorization code and "
        "refresh tokens) or any (one client id takes every grant; default)",
    )
    serve.add_argument(
        "--xero-app-era",
        choices=("broad", "granular"),
        default=d.xero_app_era,
        help="app created before 2 March 2026 (broad scopes) or after (granular; default)",
    )
    serve.add_argument(
        "--xero-scopes",
        default=d.xero_scopes,
        help="space-separated scopes the app was granted (default: all the integration needs)",
    )
    serve.add_argument(
        "--xero-redirect-uris",
        default=d.xero_redirect_uris,
        help="space-separated redirect URIs registered for the app (default %(default)s)",
    )
    serve.add_argument(
        "--auto-consent",
        action="store_true",
        help="/identity/connect/authorize consents at once and redirects back (no browser)",
    )
    serve.add_argument("--xero-rate-per-minute", type=int, default=d.xero_rate_per_minute)
    serve.add_argument("--xero-concurrency", type=int, default=d.xero_concurrency)
    serve.add_argument("--xero-daily-limit", type=int, default=d.xero_daily_limit)
    serve.add_argument("--xero-app-rate-per-minute", type=int, default=d.xero_app_rate_per_minute)
    serve.add_argument(
        "--xero-window-seconds",
        type=float,
        default=d.xero_window_seconds,
        help="length of Xero's 'minute' window (shorten it to make rate-limit tests fast)",
    )
    serve.add_argument("--qondor-rate-per-second", type=float, default=d.qondor_rate_per_second)
    serve.add_argument("--qondor-daily-limit", type=int, default=d.qondor_daily_limit)
    serve.add_argument(
        "--token-ttl", type=int, default=d.token_ttl, help="access token lifetime (s)"
    )
    serve.add_argument(
        "--no-limits", action="store_true", help="lift every rate limit of both APIs"
    )
    serve.add_argument(
        "--openapi-strict",
        action="store_true",
        help="refuse (400) Xero API requests that do not conform to Xero's OpenAPI description",
    )
    serve.add_argument(
        "--openapi-spec",
        type=Path,
        default=d.openapi_spec,
        help="Xero's accounting OpenAPI file for --openapi-strict "
        "(default: $XERO_OPENAPI_SPEC, else ../shared/reference/xero-openapi/ beside the checkout)",
    )
    serve.add_argument(
        "--xero-high-volume-contacts",
        type=int,
        default=d.xero_high_volume_contacts,
        help="above this many contacts, refuse GET /Contacts that Xero cannot filter "
        "efficiently (HighVolumeException), as Xero does for very large organisations",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level")
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed `serve` arguments."""
    return Settings(
        host=args.host,
        xero_port=args.xero_port,
        qondor_port=args.qondor_port,
        db_path=args.db,
        scenario=args.scenario,
        size=args.size,
        seed=args.seed,
        xero_client_id=args.xero_client_id,
        xero_client_secret=args.xero_client_secret,
        xero_tenant_id=args.xero_tenant_id,
        xero_tenant_name=args.xero_tenant_name,
        qondor_key=args.qondor_key,
        xero_app_kind=args.xero_app_kind,
        xero_app_era=args.xero_app_era,
        xero_scopes=args.xero_scopes,
        xero_redirect_uris=args.xero_redirect_uris,
        auto_consent=args.auto_consent,
        xero_rate_per_minute=args.xero_rate_per_minute,
        xero_concurrency=args.xero_concurrency,
        xero_daily_limit=args.xero_daily_limit,
        xero_app_rate_per_minute=args.xero_app_rate_per_minute,
        xero_window_seconds=args.xero_window_seconds,
        qondor_rate_per_second=args.qondor_rate_per_second,
        qondor_daily_limit=args.qondor_daily_limit,
        token_ttl=args.token_ttl,
        no_limits=args.no_limits,
        openapi_strict=args.openapi_strict,
        openapi_spec=args.openapi_spec,
        xero_high_volume_contacts=args.xero_high_volume_contacts,
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
    if args.command == "serve":
        from sandbox.server import serve
        from sandbox.spec_file import missing_spec_reason, openapi_spec_path

        if args.openapi_strict:
            args.openapi_spec = args.openapi_spec or openapi_spec_path()
            reason = missing_spec_reason(args.openapi_spec)
            if reason:
                print(f"sandbox: --openapi-strict: {reason}", file=sys.stderr)
                return 2
        return serve(settings_from_args(args), log_level=args.log_level)
    return 2
