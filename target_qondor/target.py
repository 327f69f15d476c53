"""target-qondor: marks Qondor invoices Paid when their Xero invoice is PAID, and reports what
changed in Xero that Qondor cannot show."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.sinks import Sink
from typing_extensions import override

from qondor_xero.links import link_template
from qondor_xero.qondor import QondorClient, QondorError
from qondor_xero.qondor.contract import DEFAULT_API_URL
from qondor_xero.stop import SettingError, stops_in_one_line

from .payments import PaymentSummary
from .sinks import IgnoredStreamSink, InvoiceChangeSink, PaidInvoiceSink

PAYMENT_STREAM = "invoices"
CHANGE_STREAM = "invoice_changes"


class TargetQondor(Target):
    """Reads tap-xero's `invoices` stream and calls Qondor's SetAsPaid for the PAID ones."""

    name = "target-qondor"
    package_name = "qondor-xero"  # the distribution: --about and --version know its version

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            description="Qondor API base, e.g. https://qondor.azure-api.net/Prod",
        ),
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            description="Qondor subscription key (Ocp-Apim-Subscription-Key)",
        ),
        th.Property(
            "qondor_invoice_link",
            th.StringType,
            description="The link target-xero writes on each Xero invoice (its Url; set both the same); {id} is the Qondor invoice id, read back to mark it Paid with no lookup. Default {api_url}/Invoicing/v1/Invoice/{id}.",
        ),
    ).to_dict()

    default_sink_class = PaidInvoiceSink

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.summary = PaymentSummary()
        _ = self.qondor  # checks api_url and api_key before any input is read
        try:
            self.link_template = link_template(
                self.config.get("qondor_invoice_link"),
                self.config.get("api_url") or DEFAULT_API_URL,
            )
        except ValueError as bad:
            raise SettingError(str(bad)) from None

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """The payment sink for `invoices`, the report of `invoice_changes`; other streams are
        accepted and ignored."""
        if stream_name == PAYMENT_STREAM:
            return PaidInvoiceSink
        if stream_name == CHANGE_STREAM:
            return InvoiceChangeSink
        self.logger.info("Stream '%s' is not used by target-qondor; ignoring it", stream_name)
        return IgnoredStreamSink

    @cached_property
    def qondor(self) -> QondorClient:
        """One Qondor client for the whole run (its pacing is shared)."""
        try:
            return QondorClient(
                self.config.get("api_url") or DEFAULT_API_URL, self.config["api_key"]
            )
        except ValueError as bad:  # plain http to a remote host, an empty key
            raise SettingError(f"setting {bad}") from None

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the target; a setting it cannot use stops it with one line before any input."""
        with stops_in_one_line(cls.logger, "target-qondor stopped: ", {SettingError: str}):
            super().invoke(*args, **kwargs)

    @override
    def _process_record_message(self, message_dict: dict) -> None:
        """Process one record (its Qondor call is made now: the sinks are RecordSinks)."""
        with self._stops_on_qondor_fault():
            super()._process_record_message(message_dict)

    @override
    def process_endofpipe(self) -> None:
        """Drain as usual, then write the summary."""
        with self._stops_on_qondor_fault():
            super().process_endofpipe()
        self.report_summary()

    @contextmanager
    def _stops_on_qondor_fault(self) -> Iterator[None]:
        """A systemic Qondor fault stops the run: the summary so far, why, exit status 1."""
        try:
            yield
        except QondorError as fault:
            self.report_summary(stopped=str(fault))
            sys.exit(1)

    def report_summary(self, stopped: str | None = None) -> None:
        """Write the readable summary, why the run stopped, and the JSON line to stderr."""
        lines = [self.summary.text()]
        if stopped:
            lines.append(f"target-qondor stopped: {stopped}")
        lines.append(self.summary.json_line(stopped))
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()


if __name__ == "__main__":
    TargetQondor.cli()
