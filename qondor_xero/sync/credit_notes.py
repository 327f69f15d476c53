"""Credit notes into Xero: check the credited invoice, create or decide against Xero's copy,
allocate to the credited invoice, acknowledge."""

from __future__ import annotations

import logging
from typing import Any

from qondor_xero.checks import credited_invoice_problem
from qondor_xero.decisions import Decision, credit_note_decision, number_taken, xero_refusal
from qondor_xero.sync.items import WRITE_CHUNK, Ready, checked, failed, undo_wrong_totals
from qondor_xero.sync.memory import Outcome
from qondor_xero.sync.run import SyncRun
from qondor_xero.transform import credit_allocation, credit_note_to_xero, item_label
from qondor_xero.xero.dates import xero_day

logger = logging.getLogger("target-xero")


def send_credit_notes(run: SyncRun, items: list[dict[str, Any]]) -> None:
    """Upsert a batch's credit notes (this run's invoices are in Xero already), allocate them,
    acknowledge each chunk's as soon as it is written."""
    outcomes, ready = checked(run, items, lambda passing: _credited_invoices(run, passing))
    run.acknowledge(outcomes)
    for start in range(0, len(ready), WRITE_CHUNK):
        run.acknowledge(_upsert(run, ready[start : start + WRITE_CHUNK]))


def _credited_invoices(
    run: SyncRun, items: list[dict[str, Any]]
) -> tuple[list[dict], list[Outcome]]:
    """A credit note whose credited invoice is not in Xero (or failed in this run) fails.

    The invoices of this run were written first; the others are looked up by number, one GET
    per chunk, and kept for the allocations.
    """
    memory = run.memory
    credited = {id(i): str(i.get("creditedInvoiceNumber") or "").strip() for i in items}
    lookup = [
        x
        for x in dict.fromkeys(credited.values())
        if x and memory.seen_invoice(x) is None and x not in memory.failed
    ]
    if lookup:
        for invoice in run.xero.iter_invoices(invoice_numbers=lookup, summary_only=True):
            number = invoice.get("InvoiceNumber") or ""
            if (
                invoice.get("Type", "ACCREC") == "ACCREC"
                and invoice.get("Status") != "DELETED"
                and memory.seen_invoice(number) is None
            ):
                memory.remember_invoice(invoice)
        run.tick()
    passing: list[dict[str, Any]] = []
    refused: list[Outcome] = []
    for item in items:
        number = credited[id(item)]
        if not number or memory.seen_invoice(number) is not None:
            passing.append(item)
        else:
            why = memory.failed.get(number)
            refused.append(failed(item, [credited_invoice_problem(item, why)]))
    return passing, refused


def _upsert(run: SyncRun, chunk: list[Ready]) -> list[Outcome]:
    """Save one chunk of credit notes, then allocate.

    New numbers are created (PUT); one Xero already has is decided on against Xero's copy
    (decisions.credit_note_decision).
    """
    taxes, themes = run.account_taxes, run.branding_themes
    items = [r.item for r in chunk]
    payloads = [
        credit_note_to_xero(r.item, run.mapping, r.contact_id, taxes, themes, r.plan) for r in chunk
    ]
    results = run.writer.create_credit_notes(items, payloads)
    outcomes: dict[int, Outcome] = {}
    notes: dict[int, dict[str, Any]] = {}
    taken: dict[int, list[str]] = {}
    for n, (item, result) in enumerate(zip(items, results, strict=True)):
        if result.ok and result.obj:
            _keep(run, n, item, result.obj, "created", outcomes, notes)
        elif number_taken(result):
            taken[n] = result.errors
        else:
            outcomes[n] = Outcome(item, error=xero_refusal(item, result.errors))
    if taken:
        _update_existing(run, items, payloads, taken, outcomes, notes)
    _allocate(run, items, notes)
    return [outcomes[n] for n in sorted(outcomes)]


def _update_existing(
    run: SyncRun,
    items: list[dict],
    payloads: list[dict[str, Any]],
    taken: dict[int, list[str]],
    outcomes: dict[int, Outcome],
    notes: dict[int, dict[str, Any]],
) -> None:
    """Credit notes whose number Xero already has: update only drafts that differ."""
    writer = run.writer
    existing = writer.credit_notes_held([payloads[n]["CreditNoteNumber"] for n in taken])
    send: dict[int, Decision] = {}
    for n, errors in taken.items():
        item, payload = items[n], payloads[n]
        old = existing.get(payload["CreditNoteNumber"])
        if old is None:
            outcomes[n] = Outcome(item, error=xero_refusal(item, errors))
            continue
        decision = credit_note_decision(payload, old)
        if decision.verb == "update":
            payload["CreditNoteID"] = old["CreditNoteID"]
            send[n] = decision
        else:
            writer.leave(item, "credit note", payload["CreditNoteNumber"], decision.reason)
            _keep(run, n, item, old, "unchanged", outcomes, notes)
    if not send:
        return
    results = writer.update_credit_notes(
        [items[n] for n in send], [payloads[n] for n in send], [d.changed for d in send.values()]
    )
    for n, result in zip(send, results, strict=True):
        item = items[n]
        if result.ok and result.obj:
            _keep(run, n, item, result.obj, "updated", outcomes, notes)
        else:
            outcomes[n] = Outcome(item, error=xero_refusal(item, result.errors))


def _keep(
    run: SyncRun,
    n: int,
    item: dict[str, Any],
    note: dict[str, Any],
    how: str,
    outcomes: dict[int, Outcome],
    notes: dict[int, dict[str, Any]],
) -> None:
    """A credit note Xero holds for `item`: kept for allocation when its totals are Qondor's,
    else undone in Xero and failed."""
    undone = None
    if note.get("Status") not in ("PAID", "VOIDED", "DELETED"):
        undone = undo_wrong_totals(item, note, "CreditNoteID", run.writer.undo_credit_note)
    if undone is not None:
        run.report.add("credit_notes", "undone")
        outcomes[n] = undone
        return
    run.report.add("credit_notes", how)
    notes[n] = note
    outcomes[n] = Outcome(item, xero_id=note["CreditNoteID"])


def _allocate(run: SyncRun, items: list[dict], notes: dict[int, dict[str, Any]]) -> None:
    """Allocate each credit note to the invoice it credits when that has an amount due."""
    wanted = {
        n: str(items[n].get("creditedInvoiceNumber") or "").strip()
        for n, note in notes.items()
        if note.get("Status") == "AUTHORISED" and items[n].get("creditedInvoiceNumber")
    }
    for n, number in wanted.items():
        invoice = run.memory.seen_invoice(number)
        note = notes[n]
        if not invoice:
            continue
        note_day = xero_day(note.get("DateString")) or xero_day(items[n]["invoiceDate"]) or ""
        day = max(note_day, invoice["Day"])
        allocation = credit_allocation(note, invoice, day)
        if not allocation:
            continue
        result = run.writer.allocate(note["CreditNoteID"], allocation)
        run.tick()
        if result.ok:
            run.report.add("allocations", "created")
            due = float(invoice["AmountDue"] or 0) - allocation["Amount"]
            run.memory.update_seen(number, amount_due=due, status="PAID" if due <= 0 else None)
            if due <= 0:
                run.settled(number, day)
        else:
            run.report.add("allocations", "failed")
            logger.warning(
                "%s is in Xero but could not be allocated to invoice %s: %s",
                item_label(items[n]),
                number,
                "; ".join(result.errors),
            )
