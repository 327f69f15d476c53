"""What target-xero does with a batch: customers are kept, invoices and credit notes go to Xero."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from singer_sdk.sinks import BatchSink

from qondor_xero.decisions import (
    Decision,
    credit_note_decision,
    invoice_decision,
    not_modifiable,
    number_taken,
    xero_refusal,
)
from qondor_xero.money import written_mismatch
from qondor_xero.transform import (
    CARD_PAYMENT,
    CREDIT_NOTE,
    card_payment,
    check_item,
    credit_allocation,
    credit_note_to_xero,
    credited_invoice_problem,
    failure_message,
    invoice_to_xero,
    item_kind,
    item_label,
    paid_day,
    xero_date,
)
from qondor_xero.xero import WriteResult
from target_xero.acknowledge import Outcome
from target_xero.run import SyncRun, failed, stop_on_systemic

logger = logging.getLogger("target-xero")

BATCH_ITEMS = 500  # items per drain: contacts and payments for them are written together
WRITE_CHUNK = 50  # Xero's elements per write


def _date(value: Any) -> str:
    """YYYY-MM-DD from a date, datetime or string."""
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _today() -> str:
    """Today's date (UTC), for a PAID invoice that does not say when it was paid."""
    return datetime.now(UTC).date().isoformat()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """The record with dates as plain strings (the SDK may have parsed them)."""
    return {
        k: _date(v) if k in ("invoiceDate", "dueDate") and v is not None else v
        for k, v in item.items()
    }


def undo_wrong_totals(
    item: dict[str, Any],
    stored: dict[str, Any],
    id_field: str,
    undo: Callable[[str, str], WriteResult],
) -> Outcome | None:
    """After a write: when Xero holds totals Qondor did not charge, undo it and fail the item.

    A draft is deleted and an authorised document voided, so no amount Qondor did not charge
    stays payable in Xero. None when Xero holds exactly what Qondor charged.
    """
    why = written_mismatch(item, stored, item_label(item))
    if why is None:
        return None
    status = stored.get("Status")
    undo_status = {"DRAFT": "DELETED", "SUBMITTED": "DELETED", "AUTHORISED": "VOIDED"}.get(
        status or ""
    )
    done = False
    if undo_status:
        done = undo(stored[id_field], undo_status).ok
    if done:
        after = f"so it was {undo_status} in Xero ({stored[id_field]})"
    else:
        after = f"and it could not be undone ({status}): void {stored[id_field]} in Xero by hand"
    logger.error("%s: totals differ from Qondor's after the write, %s", item_label(item), after)
    return Outcome(item, error=failure_message([f"{why}, {after}; nothing was paid"]))


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
    def validate_schema(self) -> bool:
        """No SDK record validation: one bad record must fail alone (check_item), not the run."""
        return False

    def process_record(self, record: dict, context: dict) -> None:
        """Queue the record for its batch and count it as received."""
        self.run.report.items_received += 1
        super().process_record(record, context)

    def process_batch(self, context: dict) -> None:
        """Send the batch; a systemic fault stops the run cleanly."""
        items = [_plain(r) for r in context.get("records", [])]
        context["records"] = []
        with stop_on_systemic(self.run):
            self.send(items)

    def send(self, items: list[dict[str, Any]]) -> None:
        """Write the items to Xero and acknowledge each in Qondor."""
        raise NotImplementedError

    def checked(self, items: list[dict[str, Any]]) -> tuple[list[Outcome], list[tuple[dict, str]]]:
        """Check items and resolve their contacts: (failed outcomes, [(item, ContactID)])."""
        run = self.run
        outcomes: list[Outcome] = []
        passing: list[dict[str, Any]] = []
        currencies = run.currencies
        run.check_accounts()
        for item in items:
            if not isinstance(item.get("id"), int):
                logger.error("a record without an integer id cannot be acknowledged: skipped")
                run.report.items_skipped += 1
                run.report.items_done += 1
                continue
            if not run.mapping.includes(item.get("officeId"), item.get("projectId")):
                # Outside the mapping's offices/projects: not ours to sync, left queued.
                logger.info(
                    "%s is outside the mapping's offices/projects: skipped", item_label(item)
                )
                run.report.items_skipped += 1
                run.report.items_done += 1
                continue
            try:
                problems = check_item(
                    item, run.mapping, currencies, run.customer_of(item), run.account_taxes
                )
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
                problems = [
                    f"{item_label(item)}: the record could not be read ({type(exc).__name__}: {exc})"
                ]
            duplicate = run.duplicate_of(item)
            if duplicate is not None:
                number, kind = (
                    item.get("invoiceNumber"),
                    "credit note" if item_kind(item) == CREDIT_NOTE else "invoice",
                )
                problems.append(
                    f"{item_label(item)}: duplicate {kind} number {number}: Qondor item "
                    f"{duplicate} in this run already has it"
                )
            problems = problems or run.settings_problems(item)
            if problems:
                outcomes.append(failed(item, problems))
            else:
                passing.append(item)
        passing, refused = self.precheck(passing)
        outcomes += refused
        wanted = {id(i): run.wanted_contact(i) for i in passing}
        # The first batch also resolves every customer received so far: one bulk read and write.
        everyone = run.customer_contacts_once() + [x for x in wanted.values() if x is not None]
        run.contacts.resolve(everyone)
        ready: list[tuple[dict, str]] = []
        for item in passing:
            want = wanted[id(item)]
            contact_id, why = run.contacts.contact_id(want.keys) if want else (None, None)
            if contact_id:
                ready.append((item, contact_id))
            else:
                outcomes.append(failed(item, [f"{item_label(item)}: {why or 'no contact'}"]))
        return outcomes, ready

    def precheck(self, items: list[dict[str, Any]]) -> tuple[list[dict], list[Outcome]]:
        """Checks that need Xero's state, before any write: (passing items, failed outcomes)."""
        return items, []


class CustomersSink(XeroSink):
    """Keeps customers in the run's registry; their contacts are resolved with the first items."""

    def process_record(self, record: dict, context: dict) -> None:
        """Register the customer (nothing is written for a customer alone)."""
        self.run.add_customer(record)

    def process_batch(self, context: dict) -> None:
        """Nothing to do: customers were registered as they arrived."""


class InvoicesSink(XeroSink):
    """Offer, form, booking and card-payment invoices: upsert, pay card payments, acknowledge."""

    def send(self, items: list[dict[str, Any]]) -> None:
        """Upsert the batch's invoices in chunks of 50, pay card payments together, acknowledge."""
        run = self.run
        outcomes, ready = self.checked(items)
        written: list[tuple[Outcome, dict[str, Any] | None]] = []
        for start in range(0, len(ready), WRITE_CHUNK):
            written += self._upsert(ready[start : start + WRITE_CHUNK])
            run.tick()
        self._pay(written)
        run.acknowledge(outcomes + [outcome for outcome, _payment in written])

    def _upsert(self, chunk: list[tuple[dict, str]]) -> list[tuple[Outcome, dict[str, Any] | None]]:
        """Save one chunk of invoices: each item's Outcome and the card payment it still needs.

        New numbers are created (PUT); a number Xero already has is decided on against Xero's
        copy (decisions.invoice_decision), so a rerun writes nothing twice.
        """
        run = self.run
        taxes = run.account_taxes
        themes = run.branding_themes
        items = [item for item, _c in chunk]
        payloads = [invoice_to_xero(item, run.mapping, c, taxes, themes) for item, c in chunk]
        results = run.writer.create_invoices(items, payloads)
        written: dict[int, tuple[Outcome, dict[str, Any] | None]] = {}
        taken: dict[int, list[str]] = {}
        for n, (item, result) in enumerate(zip(items, results, strict=True)):
            if result.ok and result.obj:
                written[n] = self._checked_done(item, result.obj, "created")
            elif number_taken(result):
                taken[n] = result.errors
            else:
                written[n] = (Outcome(item, error=xero_refusal(item, result.errors)), None)
        if taken:
            written.update(self._update_existing(items, payloads, taken))
        return [written[n] for n in sorted(written)]

    def _checked_done(
        self, item: dict[str, Any], invoice: dict[str, Any], how: str
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """`_done` for an invoice just written or found unchanged, once Xero's totals are
        Qondor's; otherwise it is undone in Xero and the item fails."""
        undone = undo_wrong_totals(item, invoice, "InvoiceID", self.run.writer.undo_invoice)
        if undone is not None:
            self.run.report.add("invoices", "undone")
            return undone, None
        return self._done(item, invoice, how)

    def _done(
        self, item: dict[str, Any], invoice: dict[str, Any], how: str
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """An invoice Xero holds for `item`: its Outcome and the card payment still due."""
        run = self.run
        payment = None
        if item.get("invoiceKind") == CARD_PAYMENT:
            account = run.mapping.card_payment_account or ""
            payment, why = card_payment(item, invoice, account, _date(item["invoiceDate"]))
            if why:
                return Outcome(item, error=failure_message([why])), None
        run.remember_invoice(invoice)
        run.report.add("invoices", how)
        paid_on = paid_day(invoice, _today())  # PAID already (by a person): Paid in Qondor too
        return Outcome(item, xero_id=invoice["InvoiceID"], paid_on=paid_on), payment

    def _update_existing(
        self, items: list[dict], payloads: list[dict[str, Any]], taken: dict[int, list]
    ) -> dict[int, tuple[Outcome, dict[str, Any] | None]]:
        """Items whose number Xero already has: leave, fail or update as decided."""
        writer = self.run.writer
        held = writer.invoices_held([payloads[n]["InvoiceNumber"] for n in taken])
        self.run.tick()
        out: dict[int, tuple[Outcome, dict[str, Any] | None]] = {}
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
                    out[n] = self._done(item, invoice, "unchanged")
                else:
                    out[n] = self._checked_done(item, invoice, "unchanged")
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
                out[n] = self._checked_done(item, result.obj, "updated")
            elif not_modifiable(result):
                logger.warning(
                    "%s differs from its copy in Xero (%s), which Xero will not change (%s): "
                    "left as it is",
                    item_label(item),
                    ", ".join(decision.changed),
                    invoice.get("Status"),
                )
                out[n] = self._done(item, invoice, "unchanged")
            else:
                out[n] = (Outcome(item, error=xero_refusal(item, result.errors)), None)
        return out

    def _pay(self, written: list[tuple[Outcome, dict[str, Any] | None]]) -> None:
        """Pay the batch's card-payment invoices together (PUT /Payments, ≤ 50 per call)."""
        run = self.run
        to_pay = [(outcome, payment) for outcome, payment in written if payment]
        if not to_pay:
            return
        payments = [payment for _o, payment in to_pay]
        results = run.writer.create_payments(payments)
        run.tick()
        for (outcome, payment), result in zip(to_pay, results, strict=True):
            number = str(outcome.item["invoiceNumber"]).strip()
            if result.ok:
                run.report.add("payments", "created")
                run.update_seen(number, Status="PAID", AmountDue=0.0)
                # It settles the whole amount due: the invoice is PAID, so the item is Paid.
                outcome.paid_on = xero_date((result.obj or {}).get("Date")) or payment["Date"]
                continue
            run.report.add("payments", "failed")
            why = "; ".join(result.errors)
            outcome.error = xero_refusal(
                outcome.item,
                [
                    f"it is in Xero ({payment['Invoice']['InvoiceID']}) but the card payment was refused: {why}"
                ],
            )
            outcome.xero_id = None


class CreditNotesSink(XeroSink):
    """Credit notes: upsert safely by number, allocate to the credited invoice, acknowledge."""

    def process_batch(self, context: dict) -> None:
        """Write pending invoices first, so credit notes can be allocated to them."""
        self.target.drain_stream("invoices")
        super().process_batch(context)

    def send(self, items: list[dict[str, Any]]) -> None:
        """Upsert the batch's credit notes, allocate them, acknowledge each."""
        run = self.run
        outcomes, ready = self.checked(items)
        for start in range(0, len(ready), WRITE_CHUNK):
            outcomes += self._upsert(ready[start : start + WRITE_CHUNK])
            run.tick()
        run.acknowledge(outcomes)

    def precheck(self, items: list[dict[str, Any]]) -> tuple[list[dict], list[Outcome]]:
        """A credit note whose credited invoice is not in Xero (or failed in this run) fails.

        The invoices of this run were written first (process_batch); the others are looked up
        by number, one GET per chunk, and kept for the allocations.
        """
        run = self.run
        credited = {id(i): str(i.get("creditedInvoiceNumber") or "").strip() for i in items}
        lookup = [
            x
            for x in dict.fromkeys(credited.values())
            if x and run.seen_invoice(x) is None and x not in run.invoices_failed
        ]
        if lookup:
            for invoice in run.xero.iter_invoices(invoice_numbers=lookup, summary_only=True):
                number = invoice.get("InvoiceNumber") or ""
                if (
                    invoice.get("Type", "ACCREC") == "ACCREC"
                    and invoice.get("Status") != "DELETED"
                    and run.seen_invoice(number) is None
                ):
                    run.remember_invoice(invoice)
            run.tick()
        passing: list[dict[str, Any]] = []
        refused: list[Outcome] = []
        for item in items:
            number = credited[id(item)]
            if not number or run.seen_invoice(number) is not None:
                passing.append(item)
            else:
                why = run.invoices_failed.get(number)
                refused.append(failed(item, [credited_invoice_problem(item, why)]))
        return passing, refused

    def _upsert(self, chunk: list[tuple[dict, str]]) -> list[Outcome]:
        """Save one chunk of credit notes, then allocate.

        New numbers are created (PUT); one Xero already has is decided on against Xero's copy
        (decisions.credit_note_decision).
        """
        run = self.run
        taxes = run.account_taxes
        themes = run.branding_themes
        items = [item for item, _c in chunk]
        payloads = [credit_note_to_xero(item, run.mapping, c, taxes, themes) for item, c in chunk]
        results = run.writer.create_credit_notes(items, payloads)
        outcomes: dict[int, Outcome] = {}
        notes: dict[int, dict[str, Any]] = {}
        taken: dict[int, list[str]] = {}
        for n, (item, result) in enumerate(zip(items, results, strict=True)):
            if result.ok and result.obj:
                self._keep(n, item, result.obj, "created", outcomes, notes)
            elif number_taken(result):
                taken[n] = result.errors
            else:
                outcomes[n] = Outcome(item, error=xero_refusal(item, result.errors))
        if taken:
            self._update_existing(items, payloads, taken, outcomes, notes)
        self._allocate(items, notes)
        return [outcomes[n] for n in sorted(outcomes)]

    def _update_existing(
        self,
        items: list[dict],
        payloads: list[dict[str, Any]],
        taken: dict[int, list[str]],
        outcomes: dict[int, Outcome],
        notes: dict[int, dict[str, Any]],
    ) -> None:
        """Credit notes whose number Xero already has: update only drafts that differ."""
        writer = self.run.writer
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
                self._keep(n, item, old, "unchanged", outcomes, notes)
        if not send:
            return
        results = writer.update_credit_notes(
            [items[n] for n in send],
            [payloads[n] for n in send],
            [d.changed for d in send.values()],
        )
        for n, result in zip(send, results, strict=True):
            item = items[n]
            if result.ok and result.obj:
                self._keep(n, item, result.obj, "updated", outcomes, notes)
            else:
                outcomes[n] = Outcome(item, error=xero_refusal(item, result.errors))

    def _keep(
        self,
        n: int,
        item: dict[str, Any],
        note: dict[str, Any],
        how: str,
        outcomes: dict[int, Outcome],
        notes: dict[int, dict[str, Any]],
    ) -> None:
        """A credit note Xero holds for `item`: kept for allocation when its totals are
        Qondor's, else undone in Xero and failed."""
        run = self.run
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

    def _allocate(self, items: list[dict], notes: dict[int, dict[str, Any]]) -> None:
        """Allocate each credit note to the invoice it credits when that has an amount due."""
        run = self.run
        wanted = {
            n: str(items[n].get("creditedInvoiceNumber") or "").strip()
            for n, note in notes.items()
            if note.get("Status") == "AUTHORISED" and items[n].get("creditedInvoiceNumber")
        }
        for n, number in wanted.items():
            invoice = run.seen_invoice(number)
            note = notes[n]
            if not invoice:
                continue
            day = max(_date(note.get("DateString") or items[n]["invoiceDate"]), invoice["Day"])
            allocation = credit_allocation(note, invoice, day)
            if not allocation:
                continue
            result = run.writer.allocate(note["CreditNoteID"], allocation)
            run.tick()
            if result.ok:
                run.report.add("allocations", "created")
                due = float(invoice["AmountDue"] or 0) - allocation["Amount"]
                run.update_seen(number, AmountDue=due, Status="PAID" if due <= 0 else None)
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
