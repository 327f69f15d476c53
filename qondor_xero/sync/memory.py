"""What one invoice sync remembers between batches, as named types (a large queue keeps tens of
thousands of customers, so each is one slotted object of short shared strings)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from qondor_xero.transform import CREDIT_NOTE
from qondor_xero.xero.dates import document_day

# Qondor's customer fields a Xero contact is made of (transform.customer_to_contact), and the
# ones item checks still read once the contact is resolved.
CUSTOMER_FIELDS = (
    "id",
    "name",
    "organisationNumber",
    "vatNumber",
    "invoiceEmail",
    "countryCode",
    "address",
    "address2",
    "zipCode",
    "city",
    "country",
    "invoiceAddressEnabled",
    "invoiceAddress",
    "invoiceAddress2",
    "invoiceZipCode",
    "invoiceCity",
    "invoiceCountry",
    "invoiceCountryCode",
    "phoneNumber",
    "invoiceCurrency",
)
CHECKED_FIELDS = frozenset(
    ("id", "name", "organisationNumber", "vatNumber", "invoiceEmail", "countryCode")
)


@dataclass
class Outcome:
    """How one Qondor item ended: processed with a Xero id, or failed with a message.

    `paid_on` (YYYY-MM-DD) is set when the Xero invoice is already PAID: the item is then marked
    Paid right after Processed, since tap-xero will not see that invoice change again.
    `paid_only`: the item was acknowledged earlier in the run; only SetAsPaid is sent.
    """

    item: dict[str, Any]
    xero_id: str | None = None
    error: str | None = None
    paid_on: str | None = None
    paid_only: bool = False


class KeptCustomer:
    """A Qondor customer kept until the items naming it arrive: CUSTOMER_FIELDS' values."""

    __slots__ = ("values",)

    def __init__(self, record: dict[str, Any]) -> None:
        self.values = tuple(_interned(record.get(k)) for k in CUSTOMER_FIELDS)

    def record(self) -> dict[str, Any]:
        """The customer as a record (the fields it has)."""
        return {k: v for k, v in zip(CUSTOMER_FIELDS, self.values, strict=True) if v is not None}

    def slim(self) -> None:
        """Keep only what the item checks read (its contact is resolved)."""
        self.values = tuple(
            v if k in CHECKED_FIELDS else None
            for k, v in zip(CUSTOMER_FIELDS, self.values, strict=True)
        )


@dataclass(slots=True)
class SeenInvoice:
    """What credit notes need of an invoice in Xero: its id, status, amount due, currency, day."""

    invoice_id: str | None
    status: str | None
    amount_due: float | None
    currency: str | None
    day: str

    @classmethod
    def of(cls, invoice: dict[str, Any]) -> SeenInvoice:
        """From a Xero invoice."""
        due = invoice.get("AmountDue")
        return cls(
            invoice.get("InvoiceID"),
            _interned(invoice.get("Status")),
            float(due) if due is not None else None,
            _interned(invoice.get("CurrencyCode")),
            sys.intern(document_day(invoice) or ""),  # few distinct days: one string each
        )

    def as_xero(self, number: str) -> dict[str, Any]:
        """As Xero names the fields (what transform.credit_allocation reads), with `Day`."""
        return {
            "InvoiceNumber": number,
            "InvoiceID": self.invoice_id,
            "Status": self.status,
            "AmountDue": self.amount_due,
            "CurrencyCode": self.currency,
            "Day": self.day,
        }


class RunMemory:
    """Customers, the invoices this run saw in Xero, and how this run's numbers ended."""

    def __init__(self) -> None:
        self.customers: dict[int, KeptCustomer] = {}
        self.invoices: dict[str, SeenInvoice] = {}  # InvoiceNumber → what Xero holds
        # InvoiceNumber → why it failed in this run (credit notes that cancel it fail too).
        self.failed: dict[str, str] = {}
        # InvoiceNumber → Qondor id of this run's items acknowledged Processed, not yet Paid.
        self.processed: dict[str, int] = {}
        # Invoice and credit note numbers of this run → the Qondor id that had them first.
        self.numbers: dict[bool, dict[str, int]] = {False: {}, True: {}}

    def add_customer(self, record: dict[str, Any]) -> None:
        """Keep a customer record."""
        self.customers[int(record["id"])] = KeptCustomer(record)

    def customer_of(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The full customer record of an item, else the short one embedded in it."""
        customer_id = item.get("customerId") or (item.get("customer") or {}).get("id")
        if customer_id is not None and int(customer_id) in self.customers:
            return self.customers[int(customer_id)].record()
        return item.get("customer")

    def duplicate_of(self, item: dict[str, Any]) -> int | None:
        """The Qondor id of an earlier item of this run with the same number, if any."""
        numbers = self.numbers[item.get("invoiceKind") == CREDIT_NOTE]
        first = numbers.setdefault(str(item.get("invoiceNumber") or "").strip(), int(item["id"]))
        return first if first != int(item["id"]) else None

    def remember_invoice(self, invoice: dict[str, Any]) -> None:
        """Keep what credit notes need to know about an invoice in Xero."""
        self.invoices[invoice.get("InvoiceNumber") or ""] = SeenInvoice.of(invoice)

    def seen_invoice(self, number: str) -> dict[str, Any] | None:
        """What this run knows of the invoice with this number in Xero, or None."""
        seen = self.invoices.get(number)
        return seen.as_xero(number) if seen is not None else None

    def update_seen(
        self, number: str, status: str | None = None, amount_due: float | None = None
    ) -> None:
        """Record a change this run made to an invoice (a payment, an allocation)."""
        seen = self.invoices.get(number)
        if seen is not None:
            seen.status = _interned(status) if status is not None else seen.status
            seen.amount_due = amount_due if amount_due is not None else seen.amount_due

    def note_outcome(self, outcome: Outcome) -> None:
        """Remember how this run's invoice ended, for the credit notes that follow it."""
        if outcome.item.get("invoiceKind") == CREDIT_NOTE:
            return
        number = str(outcome.item.get("invoiceNumber") or "").strip()
        if outcome.error is not None:
            self.failed.setdefault(number, outcome.error)
        elif not outcome.paid_on:
            self.processed[number] = int(outcome.item["id"])


def _interned(value: Any) -> Any:
    """The one shared copy of a short string (a status, a currency, a country, a town)."""
    return sys.intern(value) if isinstance(value, str) and len(value) <= 24 else value
