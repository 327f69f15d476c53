"""tap-qondor's streams: customers, invoices, credit_notes and their line and field rows.

Schemas come from the contract. Every stream is one snapshot of the queue: with
`emit_activate_version_messages` (on by default) a loader's table follows the queue.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from singer_sdk.helpers.types import Context
from typing_extensions import override

from qondor_xero.qondor import contract
from tap_qondor.client import QondorStream
from tap_qondor.records import (
    TIMESTAMP_FIELDS,
    field_records,
    item_record,
    line_records,
    nullable_leaves,
)

InvoiceType = contract.InvoiceType
INVOICE_TYPES = (
    InvoiceType.OfferInvoice,
    InvoiceType.FormInvoice,
    InvoiceType.BookingInvoice,
    InvoiceType.CreditCardPayment,
)
CREDIT_NOTE_TYPES = (InvoiceType.CreditNote,)


def item_schema(types: Iterable[InvoiceType]) -> dict[str, Any]:
    """The contract's invoice schema, limited to `types`, plus `invoiceKind`."""
    types = tuple(types)
    schema = copy.deepcopy(contract.INVOICE_SCHEMA)
    props = schema["properties"]
    for name in TIMESTAMP_FIELDS:  # sent normalised by item_record
        props[name] = {"type": ["string", "null"], "format": "date-time"}
    props["invoiceType"]["enum"] = [t.value for t in types]
    props["invoiceTypeText"]["enum"] = [t.name for t in types]
    props["invoiceKind"] = {
        "type": "string",
        "enum": [contract.INVOICE_KINDS[t] for t in types],
        "description": "The invoice type as a word: "
        + ", ".join(contract.INVOICE_KINDS[t] for t in types),
    }
    props["officeName"] = {
        "type": ["string", "null"],
        "description": "The office's name, when the mapping tracks or brands by office name",
    }
    schema["required"] = [*schema["required"], "invoiceKind"]
    nullable_leaves(schema)
    return schema


class CustomersStream(QondorStream):
    """CustomerDetails of every customer named by an emitted queue item."""

    name = "customers"
    schema = copy.deepcopy(contract.CUSTOMER_SCHEMA)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Each named customer once; a customer Qondor cannot find is left out and logged."""
        yield from self.queue.customers()


class InvoicesStream(QondorStream):
    """Queued offer, form, booking and card-payment invoices."""

    name = "invoices"
    schema = item_schema(INVOICE_TYPES)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The queued items of types 1 to 4, with `invoiceKind`."""
        for item in self.queue.items_of(INVOICE_TYPES):
            yield item_record(item, self.logger)


class CreditNotesStream(QondorStream):
    """Queued credit notes, naming the invoice each cancels."""

    name = "credit_notes"
    schema = item_schema(CREDIT_NOTE_TYPES)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The queued CreditNote items, with `invoiceKind` `credit_note`."""
        for item in self.queue.items_of(CREDIT_NOTE_TYPES):
            yield item_record(item, self.logger)


def child_schema(row: dict[str, Any], *keys: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A child row's schema: the owning item's id and number, `keys`, then the row's fields."""
    schema = copy.deepcopy(row)
    schema["properties"] = {
        "invoiceId": {"type": "integer", "description": "`id` of the invoice or credit note"},
        "invoiceNumber": {"type": "string"},
        **dict(keys),
        **schema["properties"],
    }
    schema["required"] = ["invoiceId", *(name for name, _ in keys), *schema.get("required", [])]
    return schema


class InvoiceLinesStream(QondorStream):
    """The lines of every emitted invoice and credit note, one row each (a credit note's negative)."""

    name = "invoice_lines"
    primary_keys = ("invoiceId", "lineNo")
    schema = child_schema(contract.INVOICE_LINE_SCHEMA)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Each line with its item's id and number, in queue order."""
        for item in self.queue.items_of(ALL_TYPES):
            yield from line_records(item)


class InvoiceFieldsStream(QondorStream):
    """The customer invoice fields (PO number, cost centre, ...) of every emitted item."""

    name = "invoice_fields"
    primary_keys = ("invoiceId", "fieldNo")
    schema = child_schema(
        contract.INVOICE_FIELD_SCHEMA,
        ("fieldNo", {"type": "integer", "description": "Position in the item's list, from 1"}),
    )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Each field with its item's id and number and its position, in queue order."""
        for item in self.queue.items_of(ALL_TYPES):
            yield from field_records(item)


ALL_TYPES = INVOICE_TYPES + CREDIT_NOTE_TYPES
STREAM_TYPES = (
    CustomersStream,
    InvoicesStream,
    CreditNotesStream,
    InvoiceLinesStream,
    InvoiceFieldsStream,
)
