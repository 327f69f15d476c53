"""Mark Qondor invoices Paid from Xero invoice records, and count what happened."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from qondor_xero import links
from qondor_xero.qondor import QondorClient, QondorNotFound, QondorValidationError
from qondor_xero.qondor.contract import InvoiceStatus
from qondor_xero.xero.dates import xero_day


class Outcome(StrEnum):
    """What one Xero invoice record did to Qondor."""

    MARKED_PAID = "marked_paid"
    ALREADY_PAID = "already_paid"
    UNKNOWN = "unknown"  # not in Qondor (made in Xero by hand): counted and skipped
    UNPAID = "unpaid"  # AUTHORISED or any other non-PAID status: no Qondor call
    NOT_SALES = "not_sales"  # a bill (ACCPAY): never a Qondor invoice, no Qondor call
    REFUSED = "refused"  # Qondor refused SetAsPaid, or the record lacks what it needs


@dataclass
class PaymentSummary:
    """Outcomes per Xero invoice of one run (the last outcome for an invoice seen twice)."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Changes in Xero Qondor cannot show (target_qondor/changes.py), by change key: JSON key.
    changes: dict[tuple[str, ...], str] = field(default_factory=dict)
    change_keys: tuple[str, ...] = (
        "voided_in_xero",
        "deleted_in_xero",
        "part_paid",
        "payment_removed",
    )

    def record(self, invoice_id: str, outcome: Outcome, problem: str | None = None) -> None:
        """Remember `outcome` for the invoice, and the reason when it was refused."""
        self.outcomes[invoice_id] = outcome
        if problem:
            self.problems.append(problem)

    def counts(self) -> dict[str, int]:
        """Invoices per outcome, every outcome present."""
        seen = Counter(self.outcomes.values())
        counts = {outcome.value: seen.get(outcome, 0) for outcome in Outcome}
        reported = Counter(self.changes.values())
        return {**counts, **{key: reported.get(key, 0) for key in self.change_keys}}

    def text(self) -> str:
        """A one-line readable summary."""
        c = self.counts()
        line = (
            f"target-qondor: {c['marked_paid']} marked paid, {c['already_paid']} already paid, "
            f"{c['unknown']} unknown to Qondor, {c['unpaid']} unpaid"
        )
        if c["not_sales"]:
            line += f", {c['not_sales']} bills ignored"
        if c["refused"]:
            line += f", {c['refused']} refused"
        for key in self.change_keys:
            if c[key]:
                line += f", {c[key]} {key.replace('_', ' ')}"
        return line

    def json_line(self, stopped: str | None = None) -> str:
        """The summary as one JSON line (for log scrapers), with why the run stopped if it did."""
        body: dict[str, Any] = {"summary": "target-qondor", **self.counts()}
        if stopped:
            body["stopped"] = stopped
        return json.dumps(body, sort_keys=False)


def paid_date(record: dict[str, Any]) -> str | None:
    """The date part (YYYY-MM-DD) of FullyPaidOnDate, or None when absent or unreadable."""
    return xero_day(record.get("FullyPaidOnDate"))


def describe(record: dict[str, Any]) -> str:
    """How a Xero invoice is named in messages: its number and id."""
    return (
        f"Xero invoice {record.get('InvoiceNumber') or '(no number)'} ({record.get('InvoiceID')})"
    )


def settled_by_credit(record: dict[str, Any]) -> bool:
    """Whether a PAID invoice was settled by credit notes alone (nothing paid in money)."""
    return not record.get("AmountPaid") and bool(record.get("AmountCredited"))


def paid_when_issued(record: dict[str, Any]) -> bool:
    """Whether Xero shows the invoice settled as target-xero settles it in the invoice sync (a
    card payment on the invoice date, or credit notes alone), which then marks it Paid itself."""
    day = xero_day(record.get("Date"))
    return settled_by_credit(record) or (day is not None and paid_date(record) == day)


def apply_payment_status(
    client: QondorClient, record: dict[str, Any], link_template: str | None = None
) -> tuple[Outcome, str | None]:
    """Mark the Qondor invoice for a PAID Xero invoice Paid; return the outcome and any problem.

    Only a PAID sales invoice makes Qondor calls, one in the usual case. With the Qondor id in
    the invoice's Url (links.qondor_id): SetAsPaid; but when Xero shows it settled as the
    invoice sync settles it (`paid_when_issued`, already Paid in Qondor unless target-xero
    stopped between Processed and Paid), one read of the Qondor invoice first, and SetAsPaid
    only if it is not Paid. Without a readable id: one lookup by external reference (the Xero
    InvoiceID), then SetAsPaid unless it is Paid. Systemic Qondor faults (auth, daily limit,
    server down) propagate; a refusal about this one invoice is returned as REFUSED.
    """
    status = record.get("Status")
    if not isinstance(status, str) or not status:
        return Outcome.REFUSED, f"{describe(record)}: Status {status!r} is not a Xero status"
    if status != "PAID":
        return Outcome.UNPAID, None
    if record.get("Type") not in (None, "ACCREC"):
        return Outcome.NOT_SALES, None
    invoice_id = record.get("InvoiceID")
    if not isinstance(invoice_id, str) or not invoice_id:
        return Outcome.REFUSED, f"{describe(record)}: InvoiceID {invoice_id!r} is not a Xero id"
    when = paid_date(record)
    if when is None:
        value = record.get("FullyPaidOnDate")
        problem = "is missing" if value is None else f"{value!r} is not a date"
        return Outcome.REFUSED, f"{describe(record)}: PAID but FullyPaidOnDate {problem}"
    qondor_id = links.qondor_id(record.get("Url"), link_template)
    try:
        if qondor_id is not None and not paid_when_issued(record):
            ack = client.set_as_paid(qondor_id, when)
            return (Outcome.MARKED_PAID if ack.changed else Outcome.ALREADY_PAID), None
        if qondor_id is not None:
            qondor_invoice: dict | None = client.get_invoice(qondor_id)
            if (qondor_invoice or {}).get("externalReference") != invoice_id:
                qondor_invoice = None  # not this invoice's item (or not Processed yet)
        else:
            qondor_invoice = client.get_invoice_by_external_reference(str(invoice_id))
        if qondor_invoice is None:
            return Outcome.UNKNOWN, None
        if qondor_invoice.get("status") == InvoiceStatus.Paid:
            return Outcome.ALREADY_PAID, None
        ack = client.set_as_paid(qondor_invoice["id"], when)
    except (QondorValidationError, QondorNotFound) as refused:
        return Outcome.REFUSED, f"{describe(record)}: Qondor refused it: {refused}"
    return (Outcome.MARKED_PAID if ack.changed else Outcome.ALREADY_PAID), None
