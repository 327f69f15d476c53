"""`qondor-xero`: the operator's commands around the Meltano project (validate, demo)."""

from __future__ import annotations

import argparse
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

    demo = commands.add_parser(
        "demo", help="run the whole integration against a private sandbox and report"
    )
    demo.add_argument("--project-dir", default=".", help="the Meltano project (default: .)")
    demo.add_argument("--keep", action="store_true", help="leave the sandbox running at the end")

    args = parser.parse_args(argv)
    if args.command == "validate":
        return run_validate(args.environment, args.config, args.mapping, args.project_dir)
    from qondor_xero import demo as demo_runner

    return demo_runner.main(project_dir=args.project_dir, keep=args.keep)


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


if __name__ == "__main__":
    sys.exit(main())
