"""Line amounts, tax and totals of invoices and credit notes, as Xero computes them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A two-decimal amount (half up, like Xero)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def as_decimal(value: Any) -> Decimal | None:
    """A number a client sent, or None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def line_tax(line_amount: Decimal, rate: float, amount_types: str) -> Decimal:
    """Tax on one line (rounded per line, Xero's default)."""
    if amount_types == "NoTax" or not rate:
        return Decimal("0.00")
    r = Decimal(str(rate))
    if amount_types == "Inclusive":
        return money(line_amount * r / (Decimal(100) + r))
    return money(line_amount * r / Decimal(100))


def compute_totals(lines: list[dict[str, Any]], amount_types: str) -> dict[str, float]:
    """Fill each line's LineAmount/TaxAmount and return SubTotal, TotalTax, Total.

    Each line must already carry `_rate` (the tax rate in percent); it is removed here.
    """
    sub_total = Decimal("0.00")
    total_tax = Decimal("0.00")
    for line in lines:
        rate = line.pop("_rate", 0.0)
        if line.get("LineAmount") is not None:
            amount = money(line["LineAmount"])
        else:
            qty = as_decimal(line.get("Quantity"))
            unit = as_decimal(line.get("UnitAmount"))
            amount = money((qty if qty is not None else 1) * (unit or 0))
        discount = as_decimal(line.get("DiscountRate"))
        if discount and line.get("LineAmount") is None:
            amount = money(amount * (Decimal(100) - discount) / Decimal(100))
        tax = line_tax(amount, rate, amount_types)
        line["LineAmount"] = float(amount)
        line["TaxAmount"] = float(tax)
        total_tax += tax
        sub_total += amount - tax if amount_types == "Inclusive" else amount
    return {
        "SubTotal": float(sub_total),
        "TotalTax": float(total_tax),
        "Total": float(sub_total + total_tax),
    }
