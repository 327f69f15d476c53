"""The floor: the fewest API calls the data of a run needs, the naive count, and time projections.

Pure functions over the sandbox's state snapshots (Qondor's and Xero's `/_sandbox/state`); the
formulas are written out in `benchmarks/README.md`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

WRITE_BATCH = 50  # Xero's recommended elements per write
PAGE_SIZE = 1000  # Xero's largest GET page
WHERE_KEYS_PER_CALL = 50  # about what fits in one URL, as for IDs=
XERO_PER_MINUTE = 60
XERO_PER_DAY = 5000
QONDOR_PER_SECOND = 10
QONDOR_PER_DAY = 100_000

CREDIT_NOTE = 5
CARD_PAYMENT = 4
PROCESSED = 1
FAILED = 2
PAID = 3


@dataclass
class InvoiceSyncData:
    """What the invoice sync had to do, counted from the sandbox's state before and after."""

    queued: int = 0
    customers: int = 0  # distinct Qondor customers named by queued items
    bookers: int = 0  # distinct booker emails on items without a customer
    existing_contacts: int = 0  # active Xero contacts before the run
    match_keys: int = 0  # tax numbers + emails of the contacts needed
    invoices: int = 0  # types 1-4 that ended Processed
    credit_notes: int = 0  # type 5 that ended Processed
    payments: int = 0  # card payments that ended Processed
    allocations: int = 0  # processed credit notes whose invoice is in Xero, authorised
    failed: int = 0
    unprocessed_after: int = 0

    @property
    def contacts_needed(self) -> int:
        """Contacts the run must resolve: one per customer and per booker email."""
        return self.customers + self.bookers


@dataclass
class PaymentSyncData:
    """What the payment sync had to do."""

    xero_invoices: int = 0  # AUTHORISED or PAID ACCREC invoices the lookback window shows
    paid_known: int = 0  # PAID in Xero, known to Qondor: SetAsPaid, or a read if Paid already
    paid_unknown: int = 0  # PAID in Xero, unknown to Qondor: one lookup
    synced_invoices: int = 0  # Qondor invoices with a Xero id (what a naive sync polls)


@dataclass
class Floor:
    """Calls per term of the floor."""

    terms: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """The floor: the sum of its terms."""
        return sum(self.terms.values())

    def formula(self) -> str:
        """The terms and their values, one line."""
        return " + ".join(f"{k} {v}" for k, v in self.terms.items()) + f" = {self.total}"


def batches(n: int, size: int = WRITE_BATCH) -> int:
    """Requests needed to send n elements size at a time."""
    return math.ceil(n / size) if n > 0 else 0


def contact_reads(data: InvoiceSyncData) -> int:
    """Fewest reads to know the contacts needed: all pages, or batched where lookups."""
    if data.contacts_needed == 0:
        return 0
    pages = max(1, math.ceil(data.existing_contacts / PAGE_SIZE))
    lookups = max(1, math.ceil(data.match_keys / WHERE_KEYS_PER_CALL))
    return min(pages, lookups)


def xero_invoice_floor(data: InvoiceSyncData) -> Floor:
    """Xero calls the invoice sync cannot do without (the issue's formula)."""
    return Floor(
        {
            "contact reads": contact_reads(data),
            "contact writes": batches(data.contacts_needed),
            "invoice writes": batches(data.invoices),
            "credit note writes": batches(data.credit_notes),
            "payment writes": batches(data.payments),
            "allocations": data.allocations,
            # The money checks need each account's tax rate: GET /TaxRates once per run.
            "tax rates read": 1 if data.queued else 0,
        }
    )


def qondor_invoice_floor(data: InvoiceSyncData) -> Floor:
    """Qondor calls of the invoice sync: the queue, each customer once, one ack per item."""
    return Floor({"queue": 1, "customers": data.customers, "acks": data.queued})


def xero_payment_floor(data: PaymentSyncData) -> Floor:
    """Xero calls of the payment sync: the changed invoices, a page of 1,000 at a time."""
    return Floor({"invoice pages": max(1, math.ceil(data.xero_invoices / PAGE_SIZE))})


def qondor_payment_floor(data: PaymentSyncData) -> Floor:
    """Qondor calls of the payment sync: one per paid invoice. For one Qondor knows (its id in
    the invoice's link) SetAsPaid, or one read when the invoice sync paid it already (the read
    that finds an item target-xero left Processed); for one it does not know, one lookup."""
    return Floor(
        {
            "SetAsPaid or read (known)": data.paid_known,
            "lookups (unknown)": data.paid_unknown,
        }
    )


def naive_xero_calls(inv: InvoiceSyncData, pay: PaymentSyncData) -> dict[str, int]:
    """A naive integration: one lookup per contact, one write per object, one poll per invoice."""
    return {
        "contact lookups": inv.contacts_needed,
        "contact writes": inv.contacts_needed,
        "invoice writes": inv.invoices,
        "credit note writes": inv.credit_notes,
        "payment writes": inv.payments,
        "allocations": inv.allocations,
        "invoice polls": pay.synced_invoices,
    }


def xero_seconds(calls: int) -> float:
    """Least time Xero's limits allow for so many calls: 60 per minute window, 5,000 a day."""
    if calls <= 0:
        return 0.0
    days, rest = divmod(calls - 1, XERO_PER_DAY)
    return days * 86400.0 + 60.0 * (rest // XERO_PER_MINUTE)


def qondor_seconds(calls: int) -> float:
    """Least time Qondor's limits allow for so many calls: 10 per second, 100,000 a day."""
    if calls <= 0:
        return 0.0
    days, rest = divmod(calls - 1, QONDOR_PER_DAY)
    return days * 86400.0 + float(rest // QONDOR_PER_SECOND)


def limited_seconds(xero_calls: int, qondor_calls: int, own_seconds: float = 0.0) -> float:
    """Time of one flow under the partners' limits: the slower partner, or our own work."""
    return max(xero_seconds(xero_calls), qondor_seconds(qondor_calls), own_seconds)


def as_dict(obj: Any) -> dict[str, Any]:
    """A dataclass as a plain dict, with its computed contacts_needed."""
    out = asdict(obj)
    if isinstance(obj, InvoiceSyncData):
        out["contacts_needed"] = obj.contacts_needed
    return out


def _booker_email(item: dict[str, Any]) -> str | None:
    booker = item.get("booker") or {}
    email = (booker.get("email") or "").strip().lower()
    return email or None


def invoice_sync_data(
    queue: list[dict[str, Any]],
    qondor_after: dict[str, Any],
    xero_before: dict[str, Any],
    xero_after: dict[str, Any],
) -> InvoiceSyncData:
    """Count what the invoice sync had to do from the queue it read and the states around it."""
    data = InvoiceSyncData(queued=len(queue))
    customers: dict[Any, dict[str, Any]] = {}
    bookers: set[str] = set()
    for item in queue:
        if item.get("customerId") is not None:
            customers[item["customerId"]] = item.get("customer") or {}
        elif (email := _booker_email(item)) is not None:
            bookers.add(email)
    data.customers, data.bookers = len(customers), len(bookers)
    data.match_keys = len(bookers) + sum(
        bool(c.get("vatNumber") or c.get("organisationNumber")) + bool(c.get("invoiceEmail"))
        for c in customers.values()
    )
    data.existing_contacts = sum(
        1 for c in xero_before.get("contacts", []) if c.get("ContactStatus", "ACTIVE") == "ACTIVE"
    )

    queued_ids = {item["id"] for item in queue}
    after = {i["id"]: i for i in qondor_after.get("invoices", []) if i["id"] in queued_ids}
    card_numbers = set()
    for item in after.values():
        kind, status = item.get("invoiceType"), item.get("status")
        if status == PROCESSED or status == 3:  # Processed (or already Paid)
            if kind == CREDIT_NOTE:
                data.credit_notes += 1
            else:
                data.invoices += 1
                if kind == CARD_PAYMENT:
                    data.payments += 1
                    card_numbers.add(item.get("invoiceNumber"))
        elif status == FAILED:
            data.failed += 1
        else:
            data.unprocessed_after += 1

    authorised = {
        inv.get("InvoiceNumber")
        for inv in xero_after.get("invoices", [])
        if inv.get("Type", "ACCREC") == "ACCREC" and inv.get("Status") in ("AUTHORISED", "PAID")
    }
    data.allocations = sum(
        1
        for item in after.values()
        if item.get("invoiceType") == CREDIT_NOTE
        and item.get("status") in (PROCESSED, 3)
        and item.get("creditedInvoiceNumber") in authorised
        and item.get("creditedInvoiceNumber") not in card_numbers
    )
    return data


def payment_sync_data(
    qondor_before: dict[str, Any], xero_before: dict[str, Any]
) -> PaymentSyncData:
    """Count what the payment sync had to do from the states just before it ran."""
    by_ref = {
        i.get("externalReference"): i
        for i in qondor_before.get("invoices", [])
        if i.get("externalReference")
    }
    data = PaymentSyncData()
    for inv in xero_before.get("invoices", []):
        if inv.get("Type", "ACCREC") != "ACCREC" or inv.get("Status") not in ("AUTHORISED", "PAID"):
            continue
        data.xero_invoices += 1
        if inv.get("Status") != "PAID":
            continue
        item = by_ref.get(inv.get("InvoiceID"))
        if item is None:
            data.paid_unknown += 1
        elif item.get("status") in (PROCESSED, PAID):
            # One call in the payment sync: SetAsPaid, or the read of one target-xero marked
            # Paid already (card payments, fully credited invoices)
            data.paid_known += 1
    data.synced_invoices = sum(
        1
        for i in by_ref.values()
        if i.get("invoiceType") != CREDIT_NOTE and i.get("status") in (1, 3)
    )
    return data
