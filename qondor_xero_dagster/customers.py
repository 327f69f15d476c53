"""The customers Dagster runs: one per Meltano environment file in `environments/`.

Each `environments/<customer>.meltano.yml` names its environment(s); the cadence is the
environment's `annotations: {qondor-xero: {every_minutes: 5}}` (Meltano keeps annotations for
tools and ignores them), 5 minutes when unset.
Reading these files is plain YAML: no Meltano start-up, so the code location loads in a blink.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from qondor_xero.stop import one_line

DEFAULT_EVERY_MINUTES = 5
ANNOTATION = "qondor-xero"


@dataclass(frozen=True)
class Customer:
    """One customer: its Meltano environment, where it is defined and how often it syncs."""

    environment: str
    source: Path  # the environment file
    every_minutes: int = DEFAULT_EVERY_MINUTES

    @property
    def key(self) -> str:
        """The environment as a Dagster name (letters, digits, underscores)."""
        return re.sub(r"[^A-Za-z0-9_]", "_", self.environment)

    @property
    def cron(self) -> str:
        """The cadence as a cron expression, for the plain schedule."""
        if self.every_minutes < 60 and 60 % self.every_minutes == 0:
            return f"*/{self.every_minutes} * * * *"
        hours = max(1, self.every_minutes // 60)
        return f"0 */{hours} * * *" if hours < 24 else "0 0 * * *"


def project_root() -> Path:
    """The Meltano project the code location serves: `MELTANO_PROJECT_ROOT`, else the cwd."""
    return Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd()).resolve()


def find_customers(project_dir: str | os.PathLike[str]) -> list[Customer]:
    """Every environment defined in `environments/*.meltano.yml`, sorted by name.

    A file that is not valid YAML, or an environment without a name, raises ValueError naming
    the file: a broken customer file should stop the code location loading, not hide a customer.
    """
    customers: dict[str, Customer] = {}
    for path in sorted(Path(project_dir, "environments").glob("*.meltano.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path.name}: not valid YAML ({one_line(exc)})") from None
        for environment in data.get("environments") or []:
            name = (environment or {}).get("name")
            if not name:
                raise ValueError(f"{path.name}: an environment without a name")
            if name in customers:
                raise ValueError(f"{path.name}: environment {name!r} is defined twice")
            ours = (environment.get("annotations") or {}).get(ANNOTATION) or {}
            every = ours.get("every_minutes") or DEFAULT_EVERY_MINUTES
            try:
                minutes = int(every)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{path.name}: {name}: annotations.{ANNOTATION}.every_minutes must be a whole number of minutes"
                ) from None
            if minutes < 1:
                raise ValueError(
                    f"{path.name}: {name}: annotations.{ANNOTATION}.every_minutes must be at least 1"
                )
            customers[name] = Customer(name, path, minutes)
    keys = [c.key for c in customers.values()]
    if len(set(keys)) != len(keys):
        raise ValueError("two environments differ only in punctuation; rename one")
    return sorted(customers.values(), key=lambda c: c.environment)
