"""target-qondor sinks: what happens to each record."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import RecordSink
from typing_extensions import override

from .changes import check_change
from .payments import Outcome, apply_payment_status, describe, settled_by_credit

if TYPE_CHECKING:
    from .target import TargetQondor

DATE_FORMATS = frozenset({"date-time", "date", "time"})

# Outcomes after which a later record for the same invoice in this run needs no Qondor call.
_SETTLED = frozenset({Outcome.MARKED_PAID, Outcome.ALREADY_PAID})


class _CheckedSink(RecordSink):
    """A sink whose records are checked by its own code, not the SDK: a bad one is refused with
    one line naming the invoice and the field, and the run goes on (the SDK would stop it with a
    traceback)."""

    @override
    def __init__(self, target: TargetQondor, *args: Any, **kwargs: Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.qondor_target = target  # owns the Qondor client and the run's summary
        self.schema = dates_as_text(self.schema)

    @property
    @override
    def validate_schema(self) -> bool:
        """No SDK validation: the sink checks the fields it uses."""
        return False


class PaidInvoiceSink(_CheckedSink):
    """Marks the Qondor invoice of each PAID Xero invoice record Paid, one record at a time
    (`apply_payment_status` checks the fields it uses)."""

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        """Apply one Xero invoice's payment status to Qondor and count the outcome."""
        summary = self.qondor_target.summary
        invoice_id = str(record.get("InvoiceID") or "")
        prior = summary.outcomes.get(invoice_id)
        paid = record.get("Status") == "PAID"
        if prior in _SETTLED or (prior == Outcome.UNKNOWN and paid):
            return  # seen earlier in this run (overlap replay or a second update)
        outcome, problem = apply_payment_status(
            self.qondor_target.qondor, record, self.qondor_target.link_template
        )
        if problem:
            self.logger.warning("%s", problem)
        elif outcome == Outcome.MARKED_PAID:
            how = " (settled by credit note)" if settled_by_credit(record) else ""
            self.logger.info("%s: marked Paid in Qondor%s", describe(record), how)
        summary.record(invoice_id, outcome, problem)


class InvoiceChangeSink(_CheckedSink):
    """Reports each change in Xero that Qondor cannot show (tap-xero's `invoice_changes`) with one
    warning line and a count; Qondor is never changed for these (`check_change` checks the
    fields it uses)."""

    @override
    def __init__(self, target: TargetQondor, *args: Any, **kwargs: Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.seen: set[tuple[str, ...]] = set()  # changes looked at in this run, reported or not

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        """Look the invoice up in Qondor once per change and report what it shows."""
        summary = self.qondor_target.summary
        key = tuple(str(record.get(k) or "") for k in ("InvoiceID", "Change", "PaymentID"))
        if key in self.seen:
            return  # the same change again in this run (an overlap replay)
        self.seen.add(key)
        reported, line, problem = check_change(self.qondor_target.qondor, record)
        if problem:
            self.logger.warning("%s", problem)
            summary.problems.append(problem)
        if reported and line:
            self.logger.warning("%s", line)
            summary.changes[key] = reported.value


class IgnoredStreamSink(RecordSink):
    """Accepts a stream target-qondor has no use for (e.g. credit_notes) and does nothing."""

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        """Ignore the record."""


def dates_as_text(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with date formats dropped, so the SDK hands dates over as the text received."""
    result = copy.deepcopy(schema)
    for prop in (result.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("format") in DATE_FORMATS:
            del prop["format"]
    return result
