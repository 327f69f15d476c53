"""`python -m target_qondor`: the same as the `target-qondor` command."""

from target_qondor.target import TargetQondor

TargetQondor.cli()
