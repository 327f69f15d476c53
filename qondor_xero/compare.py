"""Does Xero already hold what we would send? Pure comparison of a payload with Xero's copy."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from qondor_xero.xero.dates import document_day

# Header fields compared as text; a missing or empty value is the same as "".
_TEXT_FIELDS = (
    "Type",
    "Status",
    "CurrencyCode",
    "LineAmountTypes",
    "Reference",
    "Url",
    "BrandingThemeID",
)
_DATE_FIELDS = ("Date", "DueDate")
_LINE_TEXT = ("Description", "AccountCode", "TaxType", "ItemCode")
_LINE_NUMBERS = ("Quantity", "UnitAmount", "LineAmount", "TaxAmount", "DiscountRate")


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _number(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return None


def differences(sent: dict[str, Any], held: dict[str, Any]) -> list[str]:
    """What would change if `sent` (an invoice or credit note payload) were written over `held`.

    Only the fields we send are compared, so what Xero adds (totals, tax, ids) never counts.
    An empty list means Xero already holds it: writing it again would change nothing.
    """
    found: list[str] = []
    for name in _TEXT_FIELDS:
        if name in sent and _text(sent[name]) != _text(held.get(name)):
            found.append(name)
    for name in _DATE_FIELDS:
        if name in sent and str(sent[name])[:10] != document_day(held, name):
            found.append(name)
    contact_id = (held.get("Contact") or {}).get("ContactID")
    if "Contact" in sent and (sent["Contact"] or {}).get("ContactID") != contact_id:
        found.append("Contact")
    if "LineItems" in sent:
        found += _line_differences(sent["LineItems"] or [], held.get("LineItems"))
    return found


def _line_differences(sent: list[dict[str, Any]], held: list[dict[str, Any]] | None) -> list[str]:
    """The line fields that differ, named by line (`LineItems[2].UnitAmount`)."""
    if held is None:
        return ["LineItems"]  # Xero's answer did not include lines: cannot tell
    if len(sent) != len(held):
        return [f"LineItems (count {len(held)} → {len(sent)})"]
    found = []
    for n, (mine, theirs) in enumerate(zip(sent, held, strict=True), start=1):
        for name in _LINE_TEXT:
            if name in mine and _text(mine[name]) != _text(theirs.get(name)):
                found.append(f"LineItems[{n}].{name}")
        for name in _LINE_NUMBERS:
            if name in mine and _number(mine[name]) != _number(theirs.get(name)):
                found.append(f"LineItems[{n}].{name}")
        if _tracking(mine.get("Tracking")) != _tracking(theirs.get("Tracking")):
            found.append(f"LineItems[{n}].Tracking")
    return found


def _tracking(tracking: list[dict[str, Any]] | None) -> set[tuple[str, str]]:
    """A line's tracking as (category, option) names, case aside."""
    return {
        (_text(t.get("Name")).casefold(), _text(t.get("Option")).casefold()) for t in tracking or []
    }
