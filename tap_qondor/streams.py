"""tap-qondor's streams: customers, invoices and credit_notes, with schemas from the contract."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from singer_sdk.helpers.types import Context

from qondor_xero.qondor import contract
from tap_qondor.client import QondorStream

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
    props["invoiceType"]["enum"] = [t.value for t in types]
    props["invoiceTypeText"]["enum"] = [t.name for t in types]
    props["invoiceKind"] = {
        "type": "string",
        "enum": [contract.INVOICE_KINDS[t] for t in types],
        "description": "The invoice type as a word: "
        + ", ".join(contract.INVOICE_KINDS[t] for t in types),
    }
    schema["required"] = [*schema["required"], "invoiceKind"]
    return schema


class CustomersStream(QondorStream):
    """CustomerDetails of every customer named by an emitted queue item."""

    name = "customers"
    schema = copy.deepcopy(contract.CUSTOMER_SCHEMA)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Each named customer once; a customer Qondor cannot find is left out and logged."""
        yield from self.queue.customers()


class InvoicesStream(QondorStream):
    """Queued offer, form, booking and card-payment invoices."""

    name = "invoices"
    schema = item_schema(INVOICE_TYPES)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The queued items of types 1 to 4, with `invoiceKind`."""
        yield from self.queue.items_of(INVOICE_TYPES)


class CreditNotesStream(QondorStream):
    """Queued credit notes, naming the invoice each cancels."""

    name = "credit_notes"
    schema = item_schema(CREDIT_NOTE_TYPES)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The queued CreditNote items, with `invoiceKind` `credit_note`."""
        yield from self.queue.items_of(CREDIT_NOTE_TYPES)


STREAM_TYPES = (CustomersStream, InvoicesStream, CreditNotesStream)
