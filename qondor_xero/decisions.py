"""What becomes of an item in Xero, decided once for the real run and the dry run alike.

Pure functions: given what Qondor sent (as a Xero payload) and what Xero holds for its number,
they say create, update (with the fields that differ), leave as it is, or fail with a reason.
Paying and allocating follow from what Xero then holds (transform.card_payment,
transform.credit_allocation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qondor_xero.checks import failure_message
from qondor_xero.compare import differences
from qondor_xero.transform import item_label
from qondor_xero.xero import WriteResult

# Xero's words for an invoice it will not change (PAID, VOIDED, or with payments allocated).
NOT_MODIFIABLE = ("not of valid status for modification", "cannot be edited", "allocated to it")
# Xero's words when a create (PUT) names a number it already has ("Invoice # must be unique.").
NUMBER_TAKEN = "# must be unique"

Verb = Literal["create", "update", "leave", "fail"]


@dataclass(frozen=True)
class Decision:
    """What to do with one document: its verb, the fields an update changes, why it fails or
    is left, and Xero's copy (None for a create)."""

    verb: Verb
    held: dict[str, Any] | None = None
    changed: list[str] = field(default_factory=list)
    reason: str | None = None


def invoice_decision(item: dict[str, Any], payload: dict[str, Any], held: dict | None) -> Decision:
    """An invoice: create a new number; leave a PAID copy (a person settled it) or an identical
    one; fail a VOIDED or DELETED one (not ours to revive); update the rest.

    A copy that differs only in its link back to Qondor (`Url`: one written before the link
    existed, or under another link setting) counts as identical: what the customer is billed is
    unchanged, so it is not rewritten (and read again by the payment sync) for the link alone;
    an update for any other field carries the link along.
    """
    if held is None:
        return Decision("create")
    status = held.get("Status")
    if status in ("VOIDED", "DELETED"):
        return Decision("fail", held, reason=cancelled_in_xero(item, held))
    if status == "PAID":
        return Decision("leave", held, reason="PAID in Xero")
    changed = differences(payload, held)
    if [name for name in changed if name != "Url"]:
        return Decision("update", held, changed)
    return Decision("leave", held)


def credit_note_decision(payload: dict[str, Any], held: dict | None) -> Decision:
    """A credit note: create a new number; update a draft that differs; leave the rest (no
    longer a draft, or identical)."""
    if held is None:
        return Decision("create")
    if held.get("Status") in ("DRAFT", "SUBMITTED") and (changed := differences(payload, held)):
        return Decision("update", held, changed)
    return Decision("leave", held)


def cancelled_in_xero(item: dict[str, Any], invoice: dict[str, Any]) -> str:
    """Why an item fails whose Xero copy a person VOIDED or DELETED: not ours to revive."""
    return failure_message(
        [
            f"{item_label(item)}: its copy in Xero ({invoice['InvoiceID']}) is "
            f"{invoice.get('Status')} and was left as it is; issue it again under a new number "
            "if it is still owed"
        ]
    )


def number_taken(result: WriteResult) -> bool:
    """Xero refused a create because the number is already in Xero."""
    return any(NUMBER_TAKEN in e for e in result.errors)


def not_modifiable(result: WriteResult) -> bool:
    """Xero refused an update because the document can no longer change."""
    return any(phrase in e for e in result.errors for phrase in NOT_MODIFIABLE)


def xero_refusal(item: dict[str, Any], errors: list[str]) -> str:
    """The failure message for an item Xero refused, in Xero's own words."""
    text = "; ".join(dict.fromkeys(" ".join(e.split()) for e in errors)) or "no reason given"
    return failure_message([f"{item_label(item)}: Xero refused it: {text}"])
