"""Writers over the Xero client: what the target sends, and a recording twin for the dry run.

The target decides once (decisions.py) and hands each write to a writer. `XeroWriter` sends it;
`RecordingWriter` logs it as a plan and answers as Xero would for what the run reads next (ids,
status, totals, amount due), so a dry run takes every later step a real run takes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qondor_xero.money import charged
from qondor_xero.tracking import Category
from qondor_xero.transform import item_label
from qondor_xero.xero import WriteResult, XeroClient, XeroNotFound, XeroValidationError
from qondor_xero.xero import where as w

logger = logging.getLogger("target-xero")

Write = Callable[[list[dict[str, Any]]], list[WriteResult]]


def each_result(write: Write, elements: list[dict[str, Any]]) -> list[WriteResult]:
    """One WriteResult per element; Xero refusing the whole request refuses each element."""
    try:
        return write(elements)
    except XeroValidationError as exc:
        return [WriteResult(False, None, exc.messages or [str(exc)], e) for e in elements]


class XeroWriter:
    """Every write the target makes to Xero, and the reads that decide them."""

    dry_run = False

    def __init__(self, xero: XeroClient, on_call: Callable[[], None] | None = None) -> None:
        self.xero = xero
        self.on_call = on_call or (lambda: None)

    # ---------------------------------------------------------------- what Xero holds

    def invoices_held(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """Xero's copies of these invoice numbers, with their lines (a live one before DELETED)."""
        held: dict[str, dict[str, Any]] = {}
        for invoice in self.xero.iter_invoices(invoice_numbers=numbers):
            number = invoice.get("InvoiceNumber") or ""
            if invoice.get("Type", "ACCREC") == "ACCREC" and (
                number not in held or held[number].get("Status") == "DELETED"
            ):
                held[number] = invoice
        self.on_call()
        return held

    def credit_notes_held(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """Credit notes already in Xero with these numbers (one GET per ~40 numbers)."""
        found: dict[str, dict[str, Any]] = {}
        conditions = [w.eq("CreditNoteNumber", n) for n in numbers]
        for start in range(0, len(conditions), 40):
            clause = w.and_(w.eq("Type", "ACCRECCREDIT"), w.or_(*conditions[start : start + 40]))
            for note in self.xero.iter_credit_notes(where=clause):
                if note.get("Status") != "DELETED":
                    found.setdefault(note.get("CreditNoteNumber"), note)
        return found

    # ---------------------------------------------------------------- writes

    def create_invoices(self, items: list[dict], payloads: list[dict]) -> list[WriteResult]:
        """Create (PUT): a number Xero already has is refused, never overwritten."""
        return each_result(self.xero.create_invoices, payloads)

    def update_invoices(
        self, items: list[dict], payloads: list[dict], changed: list[list[str]]
    ) -> list[WriteResult]:
        """Update (POST by InvoiceID) the fields that differ."""
        results = each_result(self.xero.save_invoices, payloads)
        for item, fields, result in zip(items, changed, results, strict=True):
            if result.ok and result.obj:
                logger.info("%s updated in Xero: %s", item_label(item), ", ".join(fields))
        return results

    def undo_invoice(self, invoice_id: str, status: str) -> WriteResult:
        """Void or delete an invoice this run wrote with totals Qondor did not charge."""
        [result] = each_result(
            self.xero.save_invoices, [{"InvoiceID": invoice_id, "Status": status}]
        )
        return result

    def create_credit_notes(self, items: list[dict], payloads: list[dict]) -> list[WriteResult]:
        """Create (PUT): a number Xero already has is refused."""
        return each_result(self.xero.create_credit_notes, payloads)

    def update_credit_notes(
        self, items: list[dict], payloads: list[dict], changed: list[list[str]]
    ) -> list[WriteResult]:
        """Update (POST by CreditNoteID) a draft that differs."""
        return each_result(self.xero.save_credit_notes, payloads)

    def undo_credit_note(self, note_id: str, status: str) -> WriteResult:
        """Void or delete a credit note this run wrote with totals Qondor did not charge."""
        sent = [{"CreditNoteID": note_id, "Status": status}]
        [result] = each_result(self.xero.save_credit_notes, sent)
        return result

    def create_payments(self, payments: list[dict]) -> list[WriteResult]:
        """Pay card-payment invoices (PUT /Payments, ≤ 50 per call)."""
        return each_result(self.xero.create_payments, payments)

    def allocate(self, note_id: str, allocation: dict[str, Any]) -> WriteResult:
        """Allocate a credit note to the invoice it credits."""
        try:
            return self.xero.allocate_credit_note(note_id, [allocation])
        except (XeroValidationError, XeroNotFound) as exc:
            return WriteResult(False, None, [str(exc)], allocation)

    def save_contacts(self, payloads: list[dict]) -> list[WriteResult]:
        """Create or update contacts (POST; update when ContactID is given)."""
        return self.xero.save_contacts(payloads)

    def create_tracking_option(self, category: Category, option: str) -> WriteResult:
        """Add an option to a tracking category."""
        result = self.xero.create_tracking_option(category.category_id, option)
        if result.ok and result.obj:
            logger.info("created option %r in tracking category %s", option, category.name)
        return result

    def leave(self, item: dict[str, Any], what: str, number: str, reason: str | None) -> None:
        """A document Xero holds that is left as it is (nothing is sent)."""
        if reason:
            logger.info("%s is %s: left as it is", item_label(item), reason)


class RecordingWriter(XeroWriter):
    """The dry run's writer: reads Xero, logs each write as `plan: ...`, sends none.

    Its answers are what Xero would store: a new number is created, a number Xero holds is
    refused as taken (like PUT), and a written document totals what Qondor charged (the item
    checks made sure Xero will compute the same).
    """

    dry_run = True

    def __init__(self, xero: XeroClient, on_call: Callable[[], None] | None = None) -> None:
        super().__init__(xero, on_call)
        self._invoices: dict[str, dict[str, Any] | None] = {}
        self._notes: dict[str, dict[str, Any] | None] = {}

    def invoices_held(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """As XeroWriter, each number read once (the create already asked)."""
        return _cached(self._invoices, numbers, super().invoices_held)

    def credit_notes_held(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """As XeroWriter, each number read once."""
        return _cached(self._notes, numbers, super().credit_notes_held)

    def create_invoices(self, items: list[dict], payloads: list[dict]) -> list[WriteResult]:
        """Plan the creates; a number Xero holds is refused, as PUT refuses it."""
        held = self.invoices_held([p["InvoiceNumber"] for p in payloads])
        return [
            _planned_create(item, payload, held, "Invoice", "InvoiceNumber", "InvoiceID")
            for item, payload in zip(items, payloads, strict=True)
        ]

    def update_invoices(
        self, items: list[dict], payloads: list[dict], changed: list[list[str]]
    ) -> list[WriteResult]:
        """Plan the updates."""
        for item, payload, fields in zip(items, payloads, changed, strict=True):
            _plan_invoice("update", item, payload, fields)
        return [
            _stored(i, p, "InvoiceID", p["InvoiceID"]) for i, p in zip(items, payloads, strict=True)
        ]

    def undo_invoice(self, invoice_id: str, status: str) -> WriteResult:
        """Plan an undo."""
        logger.info("plan: set invoice %s %s", invoice_id, status)
        return WriteResult(True, {"InvoiceID": invoice_id, "Status": status})

    def create_credit_notes(self, items: list[dict], payloads: list[dict]) -> list[WriteResult]:
        """Plan the creates; a number Xero holds is refused, as PUT refuses it."""
        held = self.credit_notes_held([p["CreditNoteNumber"] for p in payloads])
        return [
            _planned_create(item, payload, held, "Credit Note", "CreditNoteNumber", "CreditNoteID")
            for item, payload in zip(items, payloads, strict=True)
        ]

    def update_credit_notes(
        self, items: list[dict], payloads: list[dict], changed: list[list[str]]
    ) -> list[WriteResult]:
        """Plan the updates."""
        for item, payload in zip(items, payloads, strict=True):
            _plan_note("update", item, payload)
        return [
            _stored(i, p, "CreditNoteID", p["CreditNoteID"])
            for i, p in zip(items, payloads, strict=True)
        ]

    def undo_credit_note(self, note_id: str, status: str) -> WriteResult:
        """Plan an undo."""
        logger.info("plan: set credit note %s %s", note_id, status)
        return WriteResult(True, {"CreditNoteID": note_id, "Status": status})

    def create_payments(self, payments: list[dict]) -> list[WriteResult]:
        """Plan the card payments."""
        for payment in payments:
            logger.info(
                "plan: pay %s into account %s on %s",
                payment["Amount"],
                payment["Account"]["Code"],
                payment["Date"],
            )
        return [WriteResult(True, {**p, "PaymentID": "dry-run"}, [], p) for p in payments]

    def allocate(self, note_id: str, allocation: dict[str, Any]) -> WriteResult:
        """Plan an allocation."""
        logger.info("plan: allocate %s of credit note %s", allocation["Amount"], note_id)
        return WriteResult(True, {"Allocations": [allocation]}, [], allocation)

    def save_contacts(self, payloads: list[dict]) -> list[WriteResult]:
        """Plan creates and updates; an update's answer carries nothing new to index."""
        results = []
        for payload in payloads:
            key = payload.get("ContactNumber")
            if payload.get("ContactID"):
                changed = ", ".join(sorted(k for k in payload if k != "ContactID"))
                logger.info("plan: update contact %s: %s", payload["ContactID"], changed)
                results.append(WriteResult(True, None, [], payload))
            else:
                logger.info("plan: create contact %r (%s)", payload.get("Name"), key)
                stored = {**payload, "ContactID": f"dry-run:{key}", "ContactStatus": "ACTIVE"}
                results.append(WriteResult(True, stored, [], payload))
        return results

    def create_tracking_option(self, category: Category, option: str) -> WriteResult:
        """Plan an option."""
        logger.info("plan: create option %r in tracking category %s", option, category.name)
        return WriteResult(True, {"Name": option, "TrackingOptionID": "dry-run"})

    def leave(self, item: dict[str, Any], what: str, number: str, reason: str | None) -> None:
        """Say the document is left as it is."""
        logger.info("plan: leave %s %s%s", what, number, f" ({reason})" if reason else "")


def _cached(
    cache: dict[str, dict[str, Any] | None],
    numbers: list[str],
    read: Callable[[list[str]], dict[str, dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """`read` for the numbers not in `cache` yet; every number's copy from the cache."""
    todo = [n for n in dict.fromkeys(numbers) if n not in cache]
    if todo:
        found = read(todo)
        cache.update({n: found.get(n) for n in todo})
    return {n: held for n in numbers if (held := cache.get(n)) is not None}


def _planned_create(
    item: dict[str, Any],
    payload: dict[str, Any],
    held: dict[str, dict[str, Any]],
    kind: str,
    number_field: str,
    id_field: str,
) -> WriteResult:
    """A PUT's answer: refused when Xero holds the number (a DELETED copy frees it), else the
    document Xero would store."""
    number = payload[number_field]
    if held.get(number, {"Status": "DELETED"}).get("Status") != "DELETED":
        return _taken(kind, payload)
    if kind == "Invoice":
        _plan_invoice("create", item, payload, [])
    else:
        _plan_note("create", item, payload)
    return _stored(item, payload, id_field, f"dry-run:{number}")


def _taken(kind: str, payload: dict[str, Any]) -> WriteResult:
    """Xero's refusal of a PUT naming a number it holds."""
    return WriteResult(False, None, [f"{kind} # must be unique."], payload)


def _stored(
    item: dict[str, Any], payload: dict[str, Any], id_field: str, doc_id: str
) -> WriteResult:
    """What Xero would store for a written document: the payload, its id and Qondor's totals."""
    totals = charged(item)
    total = float(totals.total)
    stored = {
        **payload,
        id_field: doc_id,
        "SubTotal": float(totals.sub_total),
        "TotalTax": float(totals.total_tax),
        "Total": total,
        "AmountDue" if id_field == "InvoiceID" else "RemainingCredit": total,
    }
    return WriteResult(True, stored, [], payload)


def _plan_invoice(verb: str, item: dict, payload: dict, changed: list[str]) -> None:
    logger.info(
        "plan: %s invoice %s (%s, %s %s, %d lines) for contact %s%s",
        verb,
        payload["InvoiceNumber"],
        payload["Status"],
        payload["CurrencyCode"],
        item.get("totalInclVat"),
        len(payload["LineItems"]),
        payload["Contact"]["ContactID"],
        f", changing {', '.join(changed)}" if changed else "",
    )


def _plan_note(verb: str, item: dict, payload: dict) -> None:
    logger.info(
        "plan: %s credit note %s (%s %s) crediting %s",
        verb,
        payload["CreditNoteNumber"],
        payload["CurrencyCode"],
        item.get("totalInclVat"),
        item.get("creditedInvoiceNumber") or "no invoice",
    )
