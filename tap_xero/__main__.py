"""`python -m tap_xero`: the same as the `tap-xero` command."""

from tap_xero.tap import TapXero

TapXero.cli()
