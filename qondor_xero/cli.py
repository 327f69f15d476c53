"""`qondor-xero`: the operator's commands around the Meltano project (validate, connect, demo)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from qondor_xero import validate


def main(argv: list[str] | None = None) -> int:
    """Run `qondor-xero <command>` and return its exit code."""
    parser = argparse.ArgumentParser(
        prog="qondor-xero", description="Qondor ⇄ Xero integration: operator commands."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser(
        "validate",
        help="check a customer's setup before go-live",
        description=(
            "Check a customer's setup: mapping file valid, Xero reachable, every mapped account "
            "code ACTIVE in Xero, the card payment account accepts payments, every queued "
            "currency enabled and every queued article number mapped. Exit 1 when a check fails."
        ),
    )
    source = check.add_mutually_exclusive_group()
    source.add_argument(
        "--environment", "-e", help="Meltano environment to read target-xero's settings from"
    )
    source.add_argument("--config", help="a target-xero config JSON file instead of Meltano")
    check.add_argument("--mapping", help="mapping file to check instead of the configured one")
    check.add_argument("--project-dir", default=".", help="the Meltano project (default: .)")

    link = commands.add_parser(
        "connect",
        help="connect a standard Xero app (sign in, consent) and store its refresh token",
        description=(
            "Connect a standard Xero app to the customer's organisation: prints Xero's sign-in "
            "address (and opens a browser), receives Xero's redirect on a loopback port, stores "
            "the refresh token in the token store (replacing any stored one) and prints the "
            "tenant id to put in the environment. Run it again after changing scopes."
        ),
    )
    where = link.add_mutually_exclusive_group()
    where.add_argument("--environment", "-e", help="Meltano environment to read settings from")
    where.add_argument("--config", help="a target-xero config JSON file instead of Meltano")
    link.add_argument("--tenant", help="the organisation (tenant id) to use when several connect")
    link.add_argument(
        "--port", type=int, help="loopback port for the redirect (default: the redirect URI's)"
    )
    link.add_argument(
        "--redirect-uri",
        help="the redirect URI registered for the app (default http://localhost:PORT/callback)",
    )
    link.add_argument(
        "--no-browser", action="store_true", help="only print the address (on a server)"
    )
    link.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for Xero (default 300)"
    )
    link.add_argument("--project-dir", default=".", help="the Meltano project (default: .)")

    demo = commands.add_parser(
        "demo", help="run the whole integration against a private sandbox and report"
    )
    demo.add_argument("--project-dir", default=".", help="the Meltano project (default: .)")
    demo.add_argument("--keep", action="store_true", help="leave the sandbox running at the end")

    args = parser.parse_args(argv)
    if args.command == "validate":
        return run_validate(args.environment, args.config, args.mapping, args.project_dir)
    if args.command == "connect":
        return run_connect(args)
    # The demo lives beside the sandbox it drives (sandbox/demo.py): the core never imports it.
    command = [sys.executable, "-m", "sandbox.demo", "--project-dir", args.project_dir]
    return subprocess.run([*command, "--keep"] if args.keep else command, check=False).returncode


def run_validate(
    environment: str | None, config: str | None, mapping: str | None, project_dir: str
) -> int:
    """Print one line per check; return 1 when any failed or the settings could not be read."""
    try:
        if config:
            settings = validate.settings_from_file(config)
        else:
            settings = validate.settings_from_environment(environment or "sandbox", project_dir)
    except validate.SettingsError as exc:
        print(f"FAIL settings: {exc}")
        return 1
    checks = validate.validate_setup(settings, mapping)
    for result in checks:
        print(result.line(), flush=True)
    failed = [c for c in checks if c.ok is False]
    print(
        f"{len(checks) - len(failed)} of {len(checks)} checks passed"
        if not failed
        else f"{len(failed)} of {len(checks)} checks failed: fix them before going live"
    )
    return 1 if failed else 0


def run_connect(args: argparse.Namespace) -> int:
    """Connect the app; print the tenant to configure. 1 with one line when it fails."""
    from qondor_xero import connect

    try:
        if args.config:
            settings = validate.settings_from_file(args.config)
        else:
            settings = validate.settings_from_environment(
                args.environment or "sandbox", args.project_dir
            )
        done = connect.connect(
            settings,
            tenant=args.tenant,
            port=args.port,
            redirect_uri=args.redirect_uri,
            open_browser=not args.no_browser,
            timeout=args.timeout,
            say=lambda line: print(line, flush=True),
            choose=_choose_tenant if sys.stdin.isatty() else None,
        )
    except (validate.SettingsError, connect.ConnectError, OSError, ValueError) as exc:
        print(f"FAIL connect: {' '.join(str(exc).split())}", flush=True)
        return 1
    except Exception as exc:  # a store or HTTP failure: one line, never a traceback with tokens
        print(f"FAIL connect: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return 1
    print(
        f"Connected {done.tenant_name} (tenant {done.tenant_id}); granted: {' '.join(done.granted)}"
    )
    print(f"The refresh token is stored in {done.store}; every run rotates it there.")
    print("Put in the environment's settings of tap-xero and target-xero:")
    print(f"  tenant_id: {done.tenant_id}")
    if settings.get("refresh_token"):
        print("  and remove refresh_token: the token store now holds the connection")
    return 0


def _choose_tenant(orgs: list[dict]) -> int:
    """Ask the person at the terminal which organisation to use; its index."""
    for number, org in enumerate(orgs, 1):
        print(f"  {number}. {org.get('tenantName')} ({org.get('tenantId')})")
    while True:
        answer = input(f"Which organisation (1-{len(orgs)})? ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(orgs):
            return int(answer) - 1


if __name__ == "__main__":
    sys.exit(main())
