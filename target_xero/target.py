"""target-xero: settings and sink routing (what a batch becomes is in sinks.py)."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target
from typing_extensions import override

from qondor_xero.stop import Stopped
from qondor_xero.sync.report import Report
from qondor_xero.sync.run import SyncRun
from qondor_xero.xero.settings import XERO_REQUIRED, XERO_SETTINGS
from target_xero.acknowledge import acknowledger_for
from target_xero.sinks import CreditNotesSink, CustomersSink, IgnoredSink, InvoicesSink

SINKS: dict[str, type[Sink]] = {
    "customers": CustomersSink,
    "invoices": InvoicesSink,
    "credit_notes": CreditNotesSink,
    "invoice_lines": IgnoredSink,
    "invoice_fields": IgnoredSink,
}


_OWN_SETTINGS = th.PropertiesList(
    th.Property(
        "mapping_file",
        th.StringType,
        required=True,
        description="The customer's YAML mapping file (see mappings/README.md).",
    ),
    th.Property(
        "qondor_api_url",
        th.StringType,
        default="https://qondor.azure-api.net/Prod",
        description="Qondor API base URL, for acknowledging each item.",
    ),
    th.Property(
        "qondor_api_key",
        th.StringType,
        secret=True,
        description="Qondor API subscription key, for acknowledging each item.",
    ),
    th.Property(
        "qondor_invoice_link",
        th.StringType,
        description="The link each Xero invoice carries to its Qondor item (Xero's Url, shown as 'Go to' in Xero); {id} is the Qondor invoice id. Default {qondor_api_url}/Invoicing/v1/Invoice/{id}; \"\" writes no link. target-qondor reads the id back from it (same setting there).",
    ),
    th.Property(
        "acknowledge",
        th.BooleanType,
        default=True,
        description="Mark each item Processed or Failed in Qondor; off for composed pipelines.",
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        description="Plan only: print what would be created, updated, paid, allocated or failed, and what Qondor would be told; write nothing.",
    ),
).to_dict()


class TargetXero(Target):
    """Upserts Qondor's customers, invoices and credit notes into Xero and acknowledges each in Qondor."""

    name = "target-xero"
    package_name = "qondor-xero"  # the distribution: --about and --version know its version
    # One paced Xero client and ordered streams: drain one sink at a time.
    max_parallelism = 1

    config_jsonschema = {
        "type": "object",
        "properties": {**XERO_SETTINGS, **_OWN_SETTINGS["properties"]},
        "required": [*XERO_REQUIRED, *_OWN_SETTINGS["required"]],
        "$schema": _OWN_SETTINGS["$schema"],
    }

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """customers, invoices and credit_notes each have their sink; line and field rows are
        ignored; other streams are refused."""
        try:
            return SINKS[stream_name]
        except KeyError:
            raise Stopped(
                f"target-xero: unknown stream {stream_name!r}; expected one of {', '.join(SINKS)}"
            ) from None

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._run: SyncRun | None = None
        _ = self.run  # a bad mapping file stops the run before any input is read

    @property
    def run(self) -> SyncRun:
        """The run shared by the sinks (mapping loaded, clients created on first use)."""
        if self._run is None:
            config = dict(self.config)
            report = Report(dry_run=bool(config.get("dry_run", False)))
            self._run = SyncRun(config, report, acknowledger_for)
        return self._run

    @override
    def _process_activate_version_message(self, message_dict: dict) -> None:
        """Ignore ACTIVATE_VERSION (tap-qondor's, for warehouses): each item is acknowledged alone."""

    def drain_stream(self, stream_name: str) -> None:
        """Drain one stream's pending records now (credit notes wait for their invoices)."""
        sink = self._sinks_active.get(stream_name)
        if sink is not None and sink.current_size:
            self.drain_one(sink)

    @override
    def process_endofpipe(self) -> None:
        """Drain every sink, then print the run's summary."""
        run = self.run  # a bad mapping stops the run even when the input was empty
        super().process_endofpipe()
        run.finish()


if __name__ == "__main__":
    TargetXero.cli()
