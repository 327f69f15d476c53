"""Qondor items with the unit prices people really enter (3–6 decimals, prices incl. VAT turned
into excl.), for the money-guarantee tests: built here, seeded into a sandbox, synced for real."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from qondor_xero.qondor.contract import InvoiceType
from sandbox.scenarios.common import make_customer, make_invoice, make_office

CENT = Decimal("0.01")
DAY = date(2026, 11, 20)
ACCOUNTS = {"VAT25": "3000", "VAT15": "3010", "VAT12": "3020", "VAT0": "3050", "EXEMPT": "3100"}
RATES = {"VAT25": 25, "VAT15": 15, "VAT12": 12, "VAT0": 0, "EXEMPT": 0}
OFFICE = make_office(1, "Qondor Events Oslo", "Oslo", "0150", start_date=date(2026, 1, 1))
CUSTOMER = make_customer(
    900, 1, "Presis Reiser AS", org="987654321", vat="NO987654321MVA", email="faktura@presis.no"
)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def precise_line(no: int, article: str, quantity: Any, unit: Any, description: str = "") -> dict:
    """A Qondor line whose VAT Qondor computed on the unrounded amount (as it does for prices
    entered including VAT), so Xero's per-line tax may differ from it by a cent."""
    q, u, rate = Decimal(str(quantity)), Decimal(str(unit)), RATES[article]
    excl, vat = cents(q * u), cents(q * u * rate / 100)
    return {
        "lineNo": no,
        "articleNumber": article,
        "description": description or f"{article} line {no}",
        "quantity": float(q),
        "unitPriceExclVat": float(u),
        "vatPercentage": rate,
        "amountExclVat": float(excl),
        "vatAmount": float(vat),
        "amountInclVat": float(excl + vat),
        "_ore": (int(excl * 100), int(vat * 100)),
    }


def item(
    item_id: int, kind: InvoiceType, lines: list[dict], currency: str = "NOK", **extra: Any
) -> dict:
    """A queued Qondor item for CUSTOMER (number = str(item_id))."""
    return make_invoice(
        item_id,
        str(item_id),
        kind,
        invoice_date=DAY,
        office_id=1,
        lines=lines,
        currency=currency,
        customer=CUSTOMER,
        **extra,
    )


def random_unit(rng: random.Random, rate: int) -> Decimal:
    """A unit price excl. VAT with 3–6 decimals: a price incl. VAT divided out, or typed so."""
    if rng.random() < 0.5 and rate:
        incl = Decimal(rng.randint(100, 500_000)) / 100
        return (incl / (1 + Decimal(rate) / 100)).quantize(Decimal(10) ** -rng.randint(3, 6))
    places = rng.randint(3, 6)
    return Decimal(rng.randint(10**places, 2000 * 10**places)) / (10**places)


# (article, quantity, unit price): lines whose amount or tax lands on a half cent, and lines whose
# VAT on the unrounded amount is a cent away from Xero's tax on the rounded one.
HALF_CASES = [
    ("VAT25", 1, "0.02"),
    ("VAT25", 3, "11.1111"),
    ("VAT25", 7, "1.4286"),
    ("VAT15", 1, "33.30"),
    ("VAT15", 9, "11.1111"),
    ("VAT15", 3, "0.0337"),
    ("VAT12", 3, "892.8571"),
    ("VAT12", 7, "892.857143"),
    ("VAT25", 6, "0.8333"),
    ("VAT25", 2, "100.0025"),
    ("VAT25", 2, "0.0125"),
    ("VAT25", 3, "3.335"),
    ("VAT25", 1, "40.026"),
    ("VAT25", 2, "20.0113"),
    ("VAT15", 2, "16.6833"),
    ("VAT25", 9, "71.4686"),
    ("VAT25", 3, "14.2857"),
    ("VAT15", 11, "62.2632"),
    ("VAT15", 7, "4.7762"),
    ("VAT12", 11, "6.3448"),
    ("VAT12", 9, "73.8937"),
    ("VAT0", 4, "12.345678"),
    ("EXEMPT", 3, "99.999999"),
]


def precise_queue(seed: int = 14) -> list[dict]:
    """Invoices, card payments and credit notes in NOK and EUR at 25/15/12/0 % and exempt."""
    rng = random.Random(seed)
    items: list[dict] = []
    next_id = 7000
    for n, (article, qty, unit) in enumerate(HALF_CASES):
        items.append(
            item(
                next_id,
                InvoiceType.OfferInvoice,
                [precise_line(1, article, qty, unit)],
                "EUR" if n % 3 == 0 else "NOK",
            )
        )
        next_id += 1
    for n in range(24):
        lines = []
        for no in range(1, rng.randint(2, 5)):
            article = rng.choice(list(RATES))
            quantity = rng.choice([1, 2, 3, 7, 9, 12, 2.5, 1000])
            lines.append(precise_line(no, article, quantity, random_unit(rng, RATES[article])))
        kind = InvoiceType.CreditCardPayment if n % 4 == 0 else InvoiceType.OfferInvoice
        items.append(item(next_id, kind, lines, "EUR" if n % 5 == 1 else "NOK"))
        next_id += 1
    invoices = [i for i in items if i["invoiceType"] == InvoiceType.OfferInvoice][:8]
    for credited in invoices:
        lines = [
            precise_line(x["lineNo"], x["articleNumber"], -x["quantity"], x["unitPriceExclVat"])
            for x in credited["lines"]
        ]
        items.append(
            item(next_id, InvoiceType.CreditNote, lines, credited["currency"], credited=credited)
        )
        next_id += 1
    return items


def seed(box: Any, items: list[dict]) -> None:
    """Put CUSTOMER, its office and `items` into the sandbox's Qondor queue."""
    box.admin(
        box.qondor_url,
        "POST",
        "seed",
        {"offices": [OFFICE], "customers": [CUSTOMER], "invoices": items},
    )


def write_mapping(path: Path, **changes: Any) -> Path:
    """A mapping with one account per VAT rate (and exempt), plus `changes`."""
    mapping = {
        "invoice_status": "AUTHORISED",
        "account_codes": dict(ACCOUNTS),
        "card_payment_account": "090",
        "payment_lookback_days": 90,
        **changes,
    }
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return path


def money(value: Any) -> Decimal:
    """An amount from either API, to the cent."""
    return cents(Decimal(str(value)))
