"""`python -m target_xero`: the same as the `target-xero` command."""

from target_xero.target import TargetXero

TargetXero.cli()
