"""`python -m tap_qondor`: the same as the `tap-qondor` command."""

from tap_qondor.tap import TapQondor

TapQondor.cli()
