"""The money guarantee, as pure functions: Xero's SubTotal, TotalTax, Total and every LineAmount
equal Qondor's totalExclVat, totalVat, totalInclVat and line amountExclVat to the cent.

Before a write, `plan_money` predicts what Xero will total with Xero's own rules (two-decimal
line amounts, tax rounded per line, each line at its account's tax rate) and says why an item
cannot be written; after it, `written_mismatch` compares what Xero stored. Lines go to Xero as
Quantity + LineAmount (Xero derives the unit amount, so a unit price with many decimals cannot
drift), the verified TaxType, and a TaxAmount override where only rounding separates Xero's tax
from Qondor's VAT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.0001")  # Xero keeps four decimals of a quantity
ROUNDING = CENT  # a line's tax may differ from Xero's by this much and still be rounding


@dataclass(frozen=True)
class AccountTax:
    """A Xero account and the tax rate its lines carry (None when it has no usable one)."""

    code: str
    name: str
    tax_type: str | None
    rate: Decimal | None
    problem: str | None = None  # why lines on this account cannot carry VAT


def account_taxes(accounts: list[dict], tax_rates: list[dict]) -> dict[str, AccountTax]:
    """Account code → its tax type and rate, from `GET /Accounts` and `GET /TaxRates`."""
    rates = {r.get("TaxType"): r for r in tax_rates if r.get("TaxType")}
    found: dict[str, AccountTax] = {}
    for account in accounts:
        code = account.get("Code")
        if not code:
            continue
        code, name, tax_type = str(code), account.get("Name") or "", account.get("TaxType")
        rate_doc = rates.get(tax_type)
        problem = None
        if not tax_type:
            problem = "has no tax type"
        elif rate_doc is None:
            problem = f"has tax type {tax_type}, which Xero does not list under Tax Rates"
        elif rate_doc.get("Status", "ACTIVE") != "ACTIVE":
            problem = f"has tax type {tax_type}, which is {rate_doc['Status']} in Xero"
        rate = None if problem else decimal_or_none(rate_doc.get("EffectiveRate"))
        if rate is None and problem is None:
            problem = f"has tax type {tax_type} without an effective rate"
        found[code] = AccountTax(code, name, tax_type, rate, problem)
    return found


def percent(rate: Decimal) -> str:
    """A rate as people write it: 25 %, 12.5 %."""
    text = format(rate.quantize(Decimal("0.0001")).normalize(), "f")
    return f"{text} %"


def amount(value: Decimal, currency: str = "") -> str:
    """An amount as finance reads it: NOK 1,234.50."""
    return f"{currency} {value:,.2f}".strip()


def xero_line_tax(line_amount: Decimal, rate: Decimal) -> Decimal:
    """The tax Xero computes on an exclusive line: the rate of the line amount, to the cent."""
    return (line_amount * rate / Decimal(100)).quantize(CENT, ROUND_HALF_UP)


def qondor_rate(line: dict[str, Any]) -> Decimal | None:
    """The VAT rate a Qondor line carries: vatPercentage, else vatAmount / amountExclVat."""
    given = decimal_or_none(line.get("vatPercentage"))
    if given is not None:
        return given
    excl, vat = (
        decimal_or_none(line.get("amountExclVat")),
        decimal_or_none(line.get("vatAmount")) or Decimal(0),
    )
    if not excl:
        return None
    return (vat / excl * 100).quantize(CENT, ROUND_HALF_UP)


def rate_agrees(line: dict[str, Any], rate: Decimal) -> bool:
    """Whether a Qondor line carries `rate`: its vatPercentage is it, or (without one) Xero's tax
    at that rate is the line's VAT give or take rounding."""
    given = decimal_or_none(line.get("vatPercentage"))
    if given is not None:
        return given == rate
    excl, vat = abs(cents(line.get("amountExclVat"))), abs(cents(line.get("vatAmount")))
    return abs(vat - xero_line_tax(excl, rate)) <= ROUNDING


@dataclass
class Totals:
    """SubTotal, TotalTax and Total of one document, in its currency."""

    sub_total: Decimal
    total_tax: Decimal
    currency: str = ""

    @property
    def total(self) -> Decimal:
        """SubTotal + TotalTax."""
        return self.sub_total + self.total_tax

    def __str__(self) -> str:
        return (
            f"{amount(self.total, self.currency)} (excl. VAT {amount(self.sub_total)}, "
            f"VAT {amount(self.total_tax)})"
        )

    def matches(self, other: Totals) -> bool:
        """Equal to the cent, all three."""
        return (self.sub_total, self.total_tax, self.total) == (
            other.sub_total,
            other.total_tax,
            other.total,
        )


@dataclass
class MoneyPlan:
    """What Xero will be sent for an item's lines, what it will total, and why it cannot be."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    predicted: Totals | None = None
    problems: list[str] = field(default_factory=list)


def charged(item: dict[str, Any]) -> Totals:
    """What Qondor charged (positive for a credit note, as Xero holds it)."""
    return Totals(
        abs(cents(item.get("totalExclVat"))),
        abs(cents(item.get("totalVat"))),
        str(item.get("currency") or ""),
    )


def plan_money(
    item: dict[str, Any],
    account_code: Callable[[Any], str | None],
    taxes: dict[str, AccountTax],
    label: str,
) -> MoneyPlan:
    """Xero's lines for the item and the totals Xero will compute; problems when any differs.

    `account_code` maps an article number to its account code (the mapping's); `taxes` comes
    from `account_taxes`. One line each, in line order, positive (Xero's credit notes are).
    """
    plan = MoneyPlan()
    currency = str(item.get("currency") or "")
    sub_total = total_tax = Decimal(0)
    for line in sorted(item.get("lines") or [], key=lambda x: x.get("lineNo") or 0):
        article = line.get("articleNumber")
        code = account_code(article)
        where = f"{label}: line {line.get('lineNo')} ({article} {_quoted(line)})"
        line_amount = abs(cents(line.get("amountExclVat")))
        vat = abs(cents(line.get("vatAmount")))
        account = taxes.get(code or "")
        quantity = abs(decimal_or_none(line.get("quantity")) or Decimal(1)).quantize(
            QUANTITY_PLACES
        )
        payload: dict[str, Any] = {
            "Quantity": float(quantity),
            "LineAmount": float(line_amount),
            "AccountCode": code,
        }
        plan.lines.append(payload)
        if account is None:
            continue  # an unmapped article or unknown account: other checks name it
        if account.problem or account.rate is None:
            plan.problems.append(
                f"{where}: Xero account {code} ({account.name}) {account.problem}; give it an "
                f"active tax rate in Xero or map {article} to another account"
            )
            continue
        tax = xero_line_tax(line_amount, account.rate)
        rate = qondor_rate(line)
        if not rate_agrees(line, account.rate):
            shown = percent(rate) if rate is not None else f"{amount(vat)} of"
            plan.problems.append(
                f"{where}: Qondor charges {shown} VAT but Xero account {code} ({account.name}) "
                f"has tax rate {percent(account.rate)} ({account.tax_type}); map {article} to an "
                f"account whose tax rate is {shown}"
            )
            continue
        if abs(vat - tax) > ROUNDING:
            plan.problems.append(
                f"{where}: Qondor's VAT {amount(vat, currency)} is not {percent(account.rate)} of "
                f"{amount(line_amount, currency)} (Xero would charge {amount(tax, currency)}); "
                "correct the line's VAT in Qondor"
            )
            continue
        payload["TaxType"] = account.tax_type
        if vat != tax:  # only rounding separates them: Xero's documented TaxAmount override
            payload["TaxAmount"] = float(vat)
        sub_total += line_amount
        total_tax += vat
    if plan.problems:
        return plan
    plan.predicted = Totals(sub_total, total_tax, currency)
    wanted = charged(item)
    if not plan.predicted.matches(wanted):
        plan.problems.append(
            f"{label}: Xero would total {plan.predicted} but Qondor charged {wanted}; "
            "correct the item's totals in Qondor"
        )
    return plan


def written_mismatch(item: dict[str, Any], stored: dict[str, Any], label: str) -> str | None:
    """Why what Xero stored differs from what Qondor charged (totals, then lines); None if equal."""
    currency = str(item.get("currency") or "")
    held = Totals(cents(stored.get("SubTotal")), cents(stored.get("TotalTax")), currency)
    wanted = charged(item)
    if cents(stored.get("Total")) != wanted.total or not held.matches(wanted):
        return f"{label}: Xero holds {held} but Qondor charged {wanted}"
    ours = sorted(item.get("lines") or [], key=lambda x: x.get("lineNo") or 0)
    theirs = stored.get("LineItems")
    if theirs is None:
        return None  # Xero's answer carries no lines (a summary): the totals were compared
    if len(theirs) != len(ours):
        return f"{label}: Xero holds {len(theirs)} lines but Qondor has {len(ours)}"
    for line, held_line in zip(ours, theirs, strict=True):
        want = abs(cents(line.get("amountExclVat")))
        got = cents(held_line.get("LineAmount"))
        if want != got:
            return (
                f"{label}: line {line.get('lineNo')} is {amount(got, currency)} excl. VAT in Xero "
                f"but {amount(want, currency)} in Qondor"
            )
    return None


def card_charge(
    item: dict[str, Any], invoice: dict[str, Any], label: str
) -> tuple[Decimal, str | None]:
    """What to pay a card-payment invoice: exactly what the card was charged (totalInclVat).

    Returns (amount, None), (0, None) when Xero holds it PAID already, or (0, why) when Xero's
    amount due is not the amount charged, and nothing may be paid.
    """
    charge = abs(cents(item.get("totalInclVat")))
    due = cents(invoice.get("AmountDue"))
    if invoice.get("Status") == "PAID" and due == 0:
        return Decimal(0), None
    if due != charge:
        currency = str(item.get("currency") or "")
        return Decimal(0), (
            f"{label}: the card was charged {amount(charge, currency)} but Xero's invoice has "
            f"{amount(due, currency)} due; nothing was paid, check the invoice in Xero"
        )
    return charge, None


def _quoted(line: dict[str, Any]) -> str:
    """The line's description in quotes, shortened."""
    text = " ".join(str(line.get("description") or "").split())
    return f'"{text[:40]}"' if text else '""'


def decimal_or_none(value: Any) -> Decimal | None:
    """A Decimal from a JSON number, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def cents(value: Any) -> Decimal:
    """An amount to the cent (0 when missing)."""
    return (decimal_or_none(value) or Decimal(0)).quantize(CENT, ROUND_HALF_UP)
