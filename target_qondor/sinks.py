"""target-qondor sinks: what happens to each record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import RecordSink

from .payments import Outcome, apply_payment_status, describe

if TYPE_CHECKING:
    from .target import TargetQondor

# Outcomes after which a later record for the same invoice in this run needs no Qondor call.
_SETTLED = frozenset({Outcome.MARKED_PAID, Outcome.ALREADY_PAID})


class PaidInvoiceSink(RecordSink):
    """Marks the Qondor invoice of each PAID Xero invoice record Paid, one record at a time."""

    def __init__(self, target: TargetQondor, *args: Any, **kwargs: Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.qondor_target = target  # owns the Qondor client and the run's summary

    def process_record(self, record: dict[str, Any], context: dict) -> None:
        """Apply one Xero invoice's payment status to Qondor and count the outcome."""
        summary = self.qondor_target.summary
        invoice_id = str(record.get("InvoiceID") or "")
        prior = summary.outcomes.get(invoice_id)
        paid = record.get("Status") == "PAID"
        if prior in _SETTLED or (prior == Outcome.UNKNOWN and paid):
            return  # seen earlier in this run (overlap replay or a second update)
        outcome, problem = apply_payment_status(self.qondor_target.qondor, record)
        if problem:
            self.logger.warning("%s", problem)
        elif outcome == Outcome.MARKED_PAID:
            self.logger.info("%s: marked Paid in Qondor", describe(record))
        summary.record(invoice_id, outcome, problem)


class IgnoredStreamSink(RecordSink):
    """Accepts a stream target-qondor has no use for (e.g. credit_notes) and does nothing."""

    def process_record(self, record: dict[str, Any], context: dict) -> None:
        """Ignore the record."""
