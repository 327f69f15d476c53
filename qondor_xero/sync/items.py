"""A batch's first step: which items can go to Xero, and the contact each goes to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from qondor_xero.checks import checked_item, failure_message
from qondor_xero.money import MoneyPlan, written_mismatch
from qondor_xero.sync.memory import Outcome
from qondor_xero.sync.run import SyncRun
from qondor_xero.transform import CREDIT_NOTE, item_kind, item_label
from qondor_xero.xero import WriteResult

logger = logging.getLogger("target-xero")

WRITE_CHUNK = 50  # Xero's elements per write

# (items passing so far) → (still passing, failed): checks that need Xero's state.
Precheck = Callable[[list[dict[str, Any]]], tuple[list[dict[str, Any]], list[Outcome]]]


class Ready:
    """An item that can go to Xero: its contact and the money plan its checks passed."""

    __slots__ = ("contact_id", "item", "plan")

    def __init__(self, item: dict[str, Any], contact_id: str, plan: MoneyPlan | None) -> None:
        self.item = item
        self.contact_id = contact_id
        self.plan = plan


def failed(item: dict[str, Any], problems: list[str]) -> Outcome:
    """An Outcome for an item that cannot go to Xero."""
    return Outcome(item, error=failure_message(problems))


def checked(
    run: SyncRun, items: list[dict[str, Any]], precheck: Precheck | None = None
) -> tuple[list[Outcome], list[Ready]]:
    """Check items and resolve their contacts: (failed outcomes, items ready for Xero).

    Items failing a check are acknowledged at once, before the contacts are resolved, so
    Qondor's calls start while Xero's are still to come; the outcomes returned are those of
    items whose contact could not be resolved.
    """
    outcomes: list[Outcome] = []
    passing: list[dict[str, Any]] = []
    plans: dict[int, MoneyPlan | None] = {}
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
            logger.info("%s is outside the mapping's offices/projects: skipped", item_label(item))
            run.report.items_skipped += 1
            run.report.items_done += 1
            continue
        try:
            customer = run.memory.customer_of(item)
            problems, plans[id(item)] = checked_item(
                item, run.mapping, currencies, customer, run.account_taxes
            )
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            problems = [
                f"{item_label(item)}: the record could not be read ({type(exc).__name__}: {exc})"
            ]
        duplicate = run.memory.duplicate_of(item)
        if duplicate is not None:
            kind = "credit note" if item_kind(item) == CREDIT_NOTE else "invoice"
            problems.append(
                f"{item_label(item)}: duplicate {kind} number {item.get('invoiceNumber')}: "
                f"Qondor item {duplicate} in this run already has it"
            )
        problems = problems or run.settings_problems(item)
        if problems:
            outcomes.append(failed(item, problems))
        else:
            passing.append(item)
    if precheck is not None:
        passing, refused = precheck(passing)
        outcomes += refused
    run.acknowledge(outcomes)
    outcomes = []
    wanted = {id(i): run.wanted_contact(i) for i in passing}
    # The first batch also resolves every customer received so far: one bulk read and write.
    everyone = run.customer_contacts_once() + [x for x in wanted.values() if x is not None]
    run.contacts.resolve(everyone)
    ready: list[Ready] = []
    for item in passing:
        want = wanted[id(item)]
        contact_id, why = run.contacts.contact_id(want.keys) if want else (None, None)
        if contact_id:
            ready.append(Ready(item, contact_id, plans.get(id(item))))
        else:
            outcomes.append(failed(item, [f"{item_label(item)}: {why or 'no contact'}"]))
    return outcomes, ready


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
    undo_to = {"DRAFT": "DELETED", "SUBMITTED": "DELETED", "AUTHORISED": "VOIDED"}.get(status or "")
    done = bool(undo_to) and undo(stored[id_field], undo_to or "").ok
    if done:
        after = f"so it was {undo_to} in Xero ({stored[id_field]})"
    else:
        after = f"and it could not be undone ({status}): void {stored[id_field]} in Xero by hand"
    logger.error("%s: totals differ from Qondor's after the write, %s", item_label(item), after)
    return Outcome(item, error=failure_message([f"{why}, {after}; nothing was paid"]))


def today() -> str:
    """Today's date (UTC), for a PAID invoice that does not say when it was paid."""
    return datetime.now(UTC).date().isoformat()
