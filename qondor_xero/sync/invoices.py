"""Invoices into Xero: check, create or decide against Xero's copy, pay card payments, acknowledge."""

from __future__ import annotations

import logging
from typing import Any

from qondor_xero.checks import failure_message
from qondor_xero.decisions import (
    Decision,
    invoice_decision,
    not_modifiable,
    number_taken,
    xero_refusal,
)
from qondor_xero.sync.items import WRITE_CHUNK, Ready, checked, today, undo_wrong_totals
from qondor_xero.sync.memory import Outcome
from qondor_xero.sync.run import SyncRun
from qondor_xero.transform import CARD_PAYMENT, card_payment, invoice_to_xero, item_label, paid_day
from qondor_xero.xero.dates import xero_day

logger = logging.getLogger("target-xero")

# An item's Outcome and the card payment it still needs.
Written = tuple[Outcome, dict[str, Any] | None]


def send_invoices(run: SyncRun, items: list[dict[str, Any]]) -> None:
    """Upsert a batch's invoices in chunks of 50, pay card payments together, acknowledge.

    Each chunk's items are acknowledged as soon as it is written (card payments once paid), so
    Qondor's calls overlap Xero's writes instead of waiting for the whole batch.
    """
    outcomes, ready = checked(run, items)
    run.acknowledge(outcomes)
    to_pay: list[Written] = []
    for start in range(0, len(ready), WRITE_CHUNK):
        written = _upsert(run, ready[start : start + WRITE_CHUNK])
        run.acknowledge([outcome for outcome, payment in written if payment is None])
        to_pay += [(outcome, payment) for outcome, payment in written if payment is not None]
    _pay(run, to_pay)
    run.acknowledge([outcome for outcome, _payment in to_pay])


def _upsert(run: SyncRun, chunk: list[Ready]) -> list[Written]:
    """Save one chunk of invoices.

    New numbers are created (PUT); a number Xero already has is decided on against Xero's copy
    (decisions.invoice_decision), so a rerun writes nothing twice.
    """
    taxes, themes = run.account_taxes, run.branding_themes
    items = [r.item for r in chunk]
    payloads = [
        invoice_to_xero(r.item, run.mapping, r.contact_id, taxes, themes, r.plan, run.link(r.item))
        for r in chunk
    ]
    results = run.writer.create_invoices(items, payloads)
    written: dict[int, Written] = {}
    taken: dict[int, list[str]] = {}
    for n, (item, result) in enumerate(zip(items, results, strict=True)):
        if result.ok and result.obj:
            written[n] = _checked_done(run, item, result.obj, "created")
        elif number_taken(result):
            taken[n] = result.errors
        else:
            written[n] = (Outcome(item, error=xero_refusal(item, result.errors)), None)
    if taken:
        written.update(_update_existing(run, items, payloads, taken))
    return [written[n] for n in sorted(written)]


def _checked_done(run: SyncRun, item: dict, invoice: dict, how: str) -> Written:
    """`_done` once Xero's totals are Qondor's; otherwise it is undone and the item fails."""
    undone = undo_wrong_totals(item, invoice, "InvoiceID", run.writer.undo_invoice)
    if undone is not None:
        run.report.add("invoices", "undone")
        return undone, None
    return _done(run, item, invoice, how)


def _done(run: SyncRun, item: dict, invoice: dict, how: str) -> Written:
    """An invoice Xero holds for `item`: its Outcome and the card payment still due."""
    payment = None
    if item.get("invoiceKind") == CARD_PAYMENT:
        account = run.mapping.card_payment_account or ""
        day = xero_day(item["invoiceDate"]) or ""
        payment, why = card_payment(item, invoice, account, day)
        if why:
            return Outcome(item, error=failure_message([why])), None
    run.memory.remember_invoice(invoice)
    run.report.add("invoices", how)
    paid_on = paid_day(invoice, today())  # PAID already (by a person): Paid in Qondor too
    return Outcome(item, xero_id=invoice["InvoiceID"], paid_on=paid_on), payment


def _update_existing(
    run: SyncRun, items: list[dict], payloads: list[dict[str, Any]], taken: dict[int, list]
) -> dict[int, Written]:
    """Items whose number Xero already has: leave, fail or update, as decided."""
    writer = run.writer
    held = writer.invoices_held([payloads[n]["InvoiceNumber"] for n in taken])
    run.tick()
    out: dict[int, Written] = {}
    update: dict[int, Decision] = {}
    for n, errors in taken.items():
        item, payload = items[n], payloads[n]
        invoice = held.get(payload["InvoiceNumber"])
        if invoice is None:
            out[n] = (Outcome(item, error=xero_refusal(item, errors)), None)
            continue
        decision = invoice_decision(item, payload, invoice)
        if decision.verb == "fail":
            out[n] = (Outcome(item, error=decision.reason), None)
        elif decision.verb == "update":
            payload["InvoiceID"] = invoice["InvoiceID"]
            update[n] = decision
        else:
            writer.leave(item, "invoice", payload["InvoiceNumber"], decision.reason)
            if decision.reason:  # PAID: Xero's copy stands as it is
                out[n] = _done(run, item, invoice, "unchanged")
            else:
                out[n] = _checked_done(run, item, invoice, "unchanged")
    if not update:
        return out
    results = writer.update_invoices(
        [items[n] for n in update],
        [payloads[n] for n in update],
        [d.changed for d in update.values()],
    )
    for (n, decision), result in zip(update.items(), results, strict=True):
        item, invoice = items[n], decision.held or {}
        if result.ok and result.obj:
            out[n] = _checked_done(run, item, result.obj, "updated")
        elif not_modifiable(result):
            logger.warning(
                "%s differs from its copy in Xero (%s), which Xero will not change (%s): "
                "left as it is",
                item_label(item),
                ", ".join(decision.changed),
                invoice.get("Status"),
            )
            out[n] = _done(run, item, invoice, "unchanged")
        else:
            out[n] = (Outcome(item, error=xero_refusal(item, result.errors)), None)
    return out


def _pay(run: SyncRun, written: list[Written]) -> None:
    """Pay the batch's card-payment invoices together (PUT /Payments, ≤ 50 per call)."""
    to_pay = [(outcome, payment) for outcome, payment in written if payment]
    if not to_pay:
        return
    results = run.writer.create_payments([payment for _o, payment in to_pay])
    run.tick()
    for (outcome, payment), result in zip(to_pay, results, strict=True):
        number = str(outcome.item["invoiceNumber"]).strip()
        if result.ok:
            run.report.add("payments", "created")
            run.memory.update_seen(number, status="PAID", amount_due=0.0)
            # It settles the whole amount due: the invoice is PAID, so the item is Paid.
            outcome.paid_on = xero_day((result.obj or {}).get("Date")) or payment["Date"]
            continue
        run.report.add("payments", "failed")
        invoice_id = payment["Invoice"]["InvoiceID"]
        why = f"it is in Xero ({invoice_id}) but the card payment was refused: "
        outcome.error = xero_refusal(outcome.item, [why + "; ".join(result.errors)])
        outcome.xero_id = None
