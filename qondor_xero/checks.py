"""Item checks: every reason a Qondor item cannot go to Xero, in words a project manager acts on.

Pure: the mapping (transform.py) builds what Xero is sent; these say why it cannot be.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qondor_xero.contacts import NAME_MAX, email_key
from qondor_xero.mapping import Mapping
from qondor_xero.money import AccountTax, MoneyPlan, decimal_or_none, plan_money
from qondor_xero.transform import (
    CARD_PAYMENT,
    CENT,
    CREDIT_NOTE,
    NUMBER_MAX,
    _clean,
    booker_name,
    customer_keys,
    is_booker_item,
    item_kind,
    item_label,
)


def _name_problem(what: str, name: str | None) -> str | None:
    """Why a contact name cannot go to Xero, or None."""
    if not name:
        return f"{what} has no name"
    if len(name) > NAME_MAX:
        return f"{what} name is {len(name)} characters long; Xero allows {NAME_MAX}"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"{what} name {name[:60]!r} contains control characters"
    return None


def unmapped_articles(item: dict[str, Any], mapping: Mapping) -> dict[str, list[int]]:
    """Return unmapped article number → its line numbers, in line order."""
    unmapped: dict[str, list[int]] = defaultdict(list)
    for line in item.get("lines") or []:
        article = line.get("articleNumber")
        if mapping.account_code(article) is None:
            unmapped[str(article) if article not in (None, "") else "(none)"].append(
                line.get("lineNo")
            )
    return dict(unmapped)


def check_item(
    item: dict[str, Any],
    mapping: Mapping,
    currencies: set[str] | None = None,
    customer: dict[str, Any] | None = None,
    taxes: dict[str, AccountTax] | None = None,
) -> list[str]:
    """Return every reason the item cannot go to Xero (empty when it can), one line each."""
    return checked_item(item, mapping, currencies, customer, taxes)[0]


def checked_item(
    item: dict[str, Any],
    mapping: Mapping,
    currencies: set[str] | None = None,
    customer: dict[str, Any] | None = None,
    taxes: dict[str, AccountTax] | None = None,
) -> tuple[list[str], MoneyPlan | None]:
    """Every reason the item cannot go to Xero, and its money plan (None when not planned), so
    the payload is built from the plan these checks passed.

    `currencies` are the codes enabled in Xero (None skips that check); `customer` is the full
    CustomerDetails when the tap sent it, else the invoice's embedded customer is used; `taxes`
    (money.account_taxes) checks that Xero will total what Qondor charged (None skips it).
    """
    label = item_label(item)
    problems: list[str] = []
    kind = item_kind(item)
    credit = kind == CREDIT_NOTE

    number = item.get("invoiceNumber") or ""
    if not str(number).strip():
        problems.append(f"{label}: invoiceNumber is empty")
    elif len(str(number)) > NUMBER_MAX:
        problems.append(f"{label}: invoiceNumber is longer than Xero's {NUMBER_MAX} characters")

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(item.get("invoiceDate") or "")[:10]):
        problems.append(
            f"{label}: invoiceDate {item.get('invoiceDate')!r} is not a date (YYYY-MM-DD)"
        )
    if not re.fullmatch(r"[A-Z]{3}", str(item.get("currency") or "")):
        problems.append(f"{label}: currency {item.get('currency')!r} is not a currency code")
        currency_ok = False
    else:
        currency_ok = True
    if not isinstance(item.get("lines"), list):
        return [*problems, f"{label}: has no lines"], None

    unmapped = unmapped_articles(item, mapping)
    if unmapped:
        listed = ", ".join(
            f"{article} (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})"
            for article, lines in unmapped.items()
        )
        problems.append(
            f"{label}: article number{'s' if len(unmapped) > 1 else ''} not mapped to a Xero "
            f"account code: {listed}; add {'them' if len(unmapped) > 1 else 'it'} to account_codes "
            f"in {mapping.path.name}"
        )

    currency = item.get("currency")
    if currency_ok and currencies is not None and currency not in currencies:
        problems.append(
            f"{label}: currency {currency} is not enabled in Xero; enable it under Settings → Currencies"
        )

    if kind == CARD_PAYMENT and not mapping.card_payment_account:
        problems.append(
            f"{label}: card payment, but {mapping.path.name} has no card_payment_account to pay it into"
        )

    problems.extend(_contact_problems(item, customer, label))
    amount_problems = _amount_problems(item, label, credit)
    problems.extend(amount_problems)
    plan = None
    if taxes is not None and not amount_problems and not unmapped:
        plan = plan_money(item, mapping.account_code, taxes, label)
        problems.extend(plan.problems)
    return problems, plan


def _contact_problems(
    item: dict[str, Any], customer: dict[str, Any] | None, label: str
) -> list[str]:
    """Why the item's contact cannot be resolved, if it cannot."""
    if is_booker_item(item):
        booker = item.get("booker")
        if not booker:
            return [f"{label}: has neither a customer nor a booker"]
        who = f"booker {booker_name(booker) or '(no name)'}"
        problems = []
        if not email_key(booker.get("email")):
            problems.append(
                f"{label}: {who} has no email address; add one in Qondor so the Xero contact can be matched"
            )
        name_problem = _name_problem(who, booker_name(booker))
        if name_problem and email_key(booker.get("email")):
            problems.append(f"{label}: {name_problem}")
        return problems
    customer = customer or item.get("customer") or {}
    who = f"customer {customer.get('name') or ''} (id {customer.get('id', item.get('customerId'))})"
    who = " ".join(who.split())
    problems = []
    if "id" not in customer:
        return [f"{label}: {who} was not found in Qondor"]
    keys = customer_keys(customer)
    if not keys.tax_keys and not keys.email:
        problems.append(
            f"{label}: {who} has neither a VAT/organisation number nor an invoice email; "
            "add one in Qondor so the Xero contact can be matched"
        )
    name_problem = _name_problem(who, _clean(customer.get("name")))
    if name_problem:
        problems.append(f"{label}: {name_problem}")
    return problems


def _amount_problems(item: dict[str, Any], label: str, credit: bool) -> list[str]:
    """Lines with impossible quantities and totals that do not add up."""
    problems: list[str] = []
    lines = item.get("lines") or []
    if not lines:
        return [f"{label}: has no lines"]
    sum_excl = sum_vat = Decimal(0)
    for line in lines:
        where = f"{label}: line {line.get('lineNo')}"
        quantity, price = (
            decimal_or_none(line.get("quantity")),
            decimal_or_none(line.get("unitPriceExclVat")),
        )
        amount, vat = (
            decimal_or_none(line.get("amountExclVat")),
            decimal_or_none(line.get("vatAmount")) or Decimal(0),
        )
        if quantity is None or price is None or amount is None:
            problems.append(f"{where}: quantity, unitPriceExclVat and amountExclVat are required")
            continue
        if not credit and quantity <= 0:
            problems.append(f"{where}: quantity {quantity} must be above zero on an invoice")
        elif credit and (quantity == 0 or amount > 0):
            problems.append(
                f"{where}: a credit note line must have a non-zero quantity and a negative amount "
                f"(quantity {quantity}, amountExclVat {amount})"
            )
        elif (quantity * price).quantize(CENT, ROUND_HALF_UP) != amount.quantize(
            CENT, ROUND_HALF_UP
        ):
            problems.append(
                f"{where}: quantity {quantity} × unitPriceExclVat {price} is "
                f"{(quantity * price).quantize(CENT, ROUND_HALF_UP)}, not amountExclVat {amount}"
            )
        sum_excl += amount
        sum_vat += vat
    total_excl, total_vat = (
        decimal_or_none(item.get("totalExclVat")),
        decimal_or_none(item.get("totalVat")),
    )
    total_incl = decimal_or_none(item.get("totalInclVat"))
    if None in (total_excl, total_vat, total_incl):
        return [*problems, f"{label}: totalExclVat, totalVat and totalInclVat are required"]
    if sum_excl.quantize(CENT, ROUND_HALF_UP) != total_excl.quantize(CENT, ROUND_HALF_UP):
        problems.append(
            f"{label}: lines add up to {sum_excl} excl. VAT, but totalExclVat is {total_excl}"
        )
    if sum_vat.quantize(CENT, ROUND_HALF_UP) != total_vat.quantize(CENT, ROUND_HALF_UP):
        problems.append(f"{label}: line VAT adds up to {sum_vat}, but totalVat is {total_vat}")
    if (total_excl + total_vat).quantize(CENT, ROUND_HALF_UP) != total_incl.quantize(
        CENT, ROUND_HALF_UP
    ):
        problems.append(
            f"{label}: totalExclVat {total_excl} + totalVat {total_vat} is not totalInclVat {total_incl}"
        )
    if not credit and total_incl < 0:
        problems.append(
            f"{label}: totalInclVat {total_incl} is negative; issue a credit note instead"
        )
    return problems


def failure_message(problems: list[str], limit: int = 1000) -> str:
    """Join an item's problems into the one message Qondor shows, within Qondor's limit."""
    text = " | ".join(" ".join(p.split()) for p in problems)
    text = "".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def credited_invoice_problem(item: dict[str, Any], failed_reason: str | None = None) -> str:
    """Why a credit note cannot go to Xero: the invoice it cancels is not there (or failed)."""
    number = str(item.get("creditedInvoiceNumber") or "").strip()
    label = item_label(item)
    if failed_reason is not None:
        return (
            f"{label}: the invoice it cancels, {number}, failed in this run ({failed_reason}); "
            "fix and sync that invoice first, then issue the credit note again"
        )
    return (
        f"{label}: the invoice it cancels, {number}, is not in Xero; sync that invoice (or enter "
        "it in Xero) first, then issue the credit note again"
    )
