"""What target-xero does with a batch: hand it to the invoice sync (qondor_xero/sync/)."""

from __future__ import annotations

from typing import Any

from singer_sdk.sinks import BatchSink
from typing_extensions import override

from qondor_xero.sync.credit_notes import send_credit_notes
from qondor_xero.sync.invoices import send_invoices
from qondor_xero.sync.run import SyncRun, stop_on_systemic
from qondor_xero.xero.dates import xero_day

BATCH_ITEMS = 500  # items per drain: contacts and payments for them are written together


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its days as plain strings (the SDK may have parsed them)."""
    return {
        k: xero_day(v) if k in ("invoiceDate", "dueDate") and v is not None else v
        for k, v in record.items()
    }


class XeroSink(BatchSink):
    """Base of the target's sinks: one shared run, batches of BATCH_ITEMS."""

    MAX_SIZE_DEFAULT = BATCH_ITEMS

    def __init__(self, target: Any, *args: Any, **kwargs: Any) -> None:
        self.target = target
        super().__init__(target, *args, **kwargs)

    @property
    def run(self) -> SyncRun:
        """The run shared by every sink of this target."""
        return self.target.run

    @property
    @override
    def validate_schema(self) -> bool:
        """No SDK record validation: one bad record must fail alone (the item checks), not the run."""
        return False

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Queue the record for its batch and count it as received."""
        self.run.report.items_received += 1
        super().process_record(record, context)

    @override
    def process_batch(self, context: dict) -> None:
        """Send the batch; a systemic fault stops the run cleanly."""
        items = [_plain(r) for r in context.get("records", [])]
        context["records"] = []
        with stop_on_systemic(self.run):
            self.send(items)

    def send(self, items: list[dict[str, Any]]) -> None:
        """Write the items to Xero and acknowledge each in Qondor."""
        raise NotImplementedError


class CustomersSink(XeroSink):
    """Keeps customers in the run's memory; their contacts are resolved with the first items."""

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Keep the customer (nothing is written for a customer alone)."""
        self.run.memory.add_customer(record)

    @override
    def process_batch(self, context: dict) -> None:
        """Nothing to do: customers were kept as they arrived."""


class InvoicesSink(XeroSink):
    """Offer, form, booking and card-payment invoices."""

    @override
    def send(self, items: list[dict[str, Any]]) -> None:
        """Upsert, pay card payments, acknowledge (qondor_xero/sync/invoices.py)."""
        send_invoices(self.run, items)


class CreditNotesSink(XeroSink):
    """Credit notes, after the invoices they credit."""

    @override
    def send(self, items: list[dict[str, Any]]) -> None:
        """Upsert, allocate, acknowledge (qondor_xero/sync/credit_notes.py)."""
        send_credit_notes(self.run, items)

    @override
    def process_batch(self, context: dict) -> None:
        """Write pending invoices first, so credit notes can be allocated to them."""
        self.target.drain_stream("invoices")
        super().process_batch(context)


class IgnoredSink(XeroSink):
    """tap-qondor's rows for warehouses (invoice_lines, invoice_fields): the invoice carries them.

    A XeroSink so that they are not validated either: a bad line fails with its invoice.
    """

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Nothing: the lines and fields reach Xero inside their invoice."""

    @override
    def process_batch(self, context: dict) -> None:
        """Nothing to write."""
