"""Line amounts, tax and totals of invoices and credit notes, as Xero computes them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
UNIT_PLACES = {2: CENT, 4: Decimal("0.0001")}  # `unitdp`: unit amounts to 2 (default) or 4 places
QUANTITY_PLACES = Decimal("0.0001")


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


def settle_line_amounts(line: dict[str, Any], unit_dp: int = 2) -> str | None:
    """Round a line's numbers as Xero stores them and fill the one it may leave out.

    UnitAmount keeps `unit_dp` decimals, Quantity four. Given a LineAmount, Xero calculates a
    missing Quantity or UnitAmount; given all three, they must agree (Xero's own message when
    they do not). Returns that message, or None.
    """
    quantity, unit = as_decimal(line.get("Quantity")), as_decimal(line.get("UnitAmount"))
    amount = as_decimal(line.get("LineAmount"))
    discount = as_decimal(line.get("DiscountRate")) or Decimal(0)
    factor = (Decimal(100) - discount) / Decimal(100)
    places = UNIT_PLACES.get(unit_dp, CENT)
    if quantity is not None:
        quantity = quantity.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
    if unit is not None:
        unit = unit.quantize(places, rounding=ROUND_HALF_UP)
    problem = None
    if amount is not None:
        amount = money(amount)
        if quantity is None and unit is None:
            quantity, unit = Decimal(1), amount.quantize(places)
        elif unit is None:
            divisor = (quantity or 0) * factor
            unit = (amount / divisor).quantize(places, ROUND_HALF_UP) if divisor else Decimal(0)
        elif quantity is None:
            divisor = unit * factor
            quantity = (
                (amount / divisor).quantize(QUANTITY_PLACES, ROUND_HALF_UP)
                if divisor
                else Decimal(1)
            )
        elif money(quantity * unit * factor) != amount:
            expected = money(quantity * unit * factor)
            problem = f"The line total {amount} does not match the expected line total {expected}."
        line["LineAmount"] = float(amount)
    elif unit is not None and quantity is None:
        quantity = Decimal(1)
    if quantity is not None:
        line["Quantity"] = float(quantity)
    if unit is not None:
        line["UnitAmount"] = float(unit)
    return problem


def compute_totals(lines: list[dict[str, Any]], amount_types: str) -> dict[str, float]:
    """Fill each line's LineAmount/TaxAmount and return SubTotal, TotalTax, Total.

    Tax is rounded per line; a TaxAmount the client sent is kept as it is. Each line must
    already carry `_rate` (the tax rate in percent); it is removed here.
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
        override = as_decimal(line.get("TaxAmount"))
        # "This value can be overriden if the calculated TaxAmount is not correct" (OpenAPI)
        tax = money(override) if override is not None else line_tax(amount, rate, amount_types)
        line["LineAmount"] = float(amount)
        line["TaxAmount"] = float(tax)
        total_tax += tax
        sub_total += amount - tax if amount_types == "Inclusive" else amount
    return {
        "SubTotal": float(sub_total),
        "TotalTax": float(total_tax),
        "Total": float(sub_total + total_tax),
    }
