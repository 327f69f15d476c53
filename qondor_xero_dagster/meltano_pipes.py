"""Run `meltano ...` under Dagster Pipes: its log lines become Dagster logs, and its outcome
(exit code, target summaries, failed items' reasons, the stop reason) one custom message.

Started by the op as `python -m qondor_xero_dagster.meltano_pipes MELTANO_ARGS...`; imports only
dagster-pipes and the standard library, so it costs little beside Meltano itself. Meltano is run
with `--log-format=json`: each line is an event, the plugins' own lines inside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

from dagster_pipes import open_dagster_pipes

SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEY$|API_KEY)", re.IGNORECASE)
URI_PASSWORD = re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)")
MAX_FAILED_ITEMS = 200  # a huge backlog's failures stay in the logs, not all in run metadata


def secret_values(environ: dict[str, str]) -> list[str]:
    """Values of env vars whose names say they hold a secret (customers' keys come that way)."""
    values = [v for k, v in environ.items() if SECRET_NAME.search(k) and len(v) >= 6]
    return sorted(set(values), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """`text` without any of `secrets`, nor a password inside a database URI."""
    for value in secrets:
        text = text.replace(value, "***")
    return URI_PASSWORD.sub(r"\1***\3", text)


class Outcome:
    """What one `meltano run` said, gathered line by line."""

    def __init__(self) -> None:
        self.summaries: dict[str, Any] = {}
        self.failed_items: list[str] = []
        self.errors: list[str] = []

    def read(self, event: dict[str, Any]) -> None:
        """Take what matters from one Meltano JSON log event."""
        text = str(event.get("event", ""))
        plugin = event.get("name") or ""
        if text.startswith("{"):
            try:
                inner = json.loads(text)
            except ValueError:
                inner = None
            if isinstance(inner, dict):
                label = inner.get("event") or inner.get("summary")
                if label in ("target-xero summary", "target-qondor"):
                    self.summaries[str(plugin or label)] = inner
                    return
        failed = plugin == "target-xero" and " failed: " in text
        if failed and len(self.failed_items) < MAX_FAILED_ITEMS:
            self.failed_items.append(text.split(" failed: ", 1)[1])
        if event.get("level") in ("error", "critical") or " stopped, nothing was marked" in text:
            self.errors.append(text)

    def stop_reason(self) -> str | None:
        """The plugin's own one-line stop message when there is one, else Meltano's last error."""
        for text in self.errors:
            if " stopped" in text or "limit" in text.lower():
                return text
        return self.errors[-1] if self.errors else None


def main(argv: list[str]) -> int:
    """Run Meltano with `argv`, report to Dagster, exit 0 (the op decides on Meltano's code)."""
    secrets = secret_values(dict(os.environ))
    outcome = Outcome()
    with open_dagster_pipes() as pipes:
        process = subprocess.Popen(
            [*argv[:1], "--log-format=json", *argv[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert process.stdout is not None
        for raw in process.stdout:
            line = redact(raw.rstrip("\n"), secrets)
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": line, "level": "info"}
            if not isinstance(event, dict):
                event = {"event": line, "level": "info"}
            outcome.read(event)
            where = event.get("name") or "meltano"
            message = f"{where}: {event.get('event', '')}"
            if event.get("level") in ("error", "critical"):
                pipes.log.error(message)
            elif event.get("level") == "warning":
                pipes.log.warning(message)
            elif event.get("level") != "debug":
                pipes.log.info(message)
        code = process.wait()
        pipes.report_custom_message(
            {
                "exit_code": code,
                "summaries": outcome.summaries,
                "failed_items": outcome.failed_items,
                "stop_reason": outcome.stop_reason(),
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
