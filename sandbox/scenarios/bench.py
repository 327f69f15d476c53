"""The `bench` scenario: `size` queued items over ~size/3 customers, ~5 x as many Xero contacts.

Generated from one `random.Random(seed)`; 100,000 items take a few seconds.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from qondor_xero.qondor.contract import InvoiceType as T

from .common import credit_lines as cancel
from .common import (
    make_booker,
    make_customer,
    make_invoice,
    make_line,
    org_numbers,
    po_field,
    seeded_uuid,
    xero_accounts,
    xero_contact,
    xero_currencies,
)
from .demo import PROJECTS, offices, xero_settings

FIRST_ITEM_ID = 1_000_001
FIRST_CUSTOMER_ID = 200_001
SHARE_IN_XERO = 0.4  # of Qondor customers, an existing Xero contact matches

PLACES = [
    "Fjord",
    "Nordlys",
    "Fjell",
    "Havblikk",
    "Skog",
    "Bre",
    "Vidde",
    "Kyst",
    "Elve",
    "Foss",
    "Midnattsol",
    "Polar",
    "Viking",
    "Bjørke",
    "Furu",
    "Lyng",
    "Tind",
    "Vik",
    "Øy",
    "Sjø",
    "Stjerne",
    "Nord",
    "Sør",
    "Vest",
    "Øst",
    "Bølge",
    "Måke",
    "Ørn",
    "Rein",
    "Ulv",
    "Bjørn",
    "Gaupe",
    "Mjøs",
    "Lofot",
    "Trolltind",
    "Geiranger",
    "Hardanger",
    "Sogn",
    "Romsdal",
    "Telemark",
    "Valdres",
    "Hallingdal",
    "Gudbrand",
    "Nidaros",
    "Bryggen",
    "Akershus",
    "Frogner",
    "Aker",
    "Holmenkollen",
    "Sognsvann",
    "Jotun",
    "Rondane",
    "Dovre",
    "Finnskog",
    "Senja",
    "Vesterål",
    "Helgeland",
    "Namdal",
    "Setesdal",
]
TRADES = [
    "Event",
    "Konferanse",
    "Reiser",
    "Kurs",
    "Møter",
    "Catering",
    "Arrangement",
    "Opplevelser",
    "Selskapslokaler",
    "Teknikk",
    "Lyd og Lys",
    "Incentive",
    "Kommunikasjon",
    "Rådgivning",
    "Bygg",
    "Eiendom",
    "Shipping",
    "Fiskeri",
    "Energi",
    "Helse",
    "Data",
    "Regnskap",
    "Advokatfirma",
    "Arkitekter",
    "Media",
    "Design",
    "Transport",
    "Logistikk",
    "Hotelldrift",
    "Sport",
]
FORMS = ("AS",) * 8 + ("ASA", "ANS", "DA", "SA", "Stiftelse", "BA")
TOWNS = [
    "Oslo",
    "Bergen",
    "Trondheim",
    "Stavanger",
    "Tromsø",
    "Bodø",
    "Ålesund",
    "Drammen",
    "Kristiansand",
    "Fredrikstad",
    "Hamar",
    "Lillehammer",
    "Molde",
    "Harstad",
    "Narvik",
    "Alta",
    "Gjøvik",
    "Larvik",
    "Sandefjord",
    "Tønsberg",
    "Arendal",
]
FIRST_NAMES = [
    "Ola",
    "Kari",
    "Per",
    "Ingrid",
    "Lars",
    "Siri",
    "Nils",
    "Marte",
    "Jon",
    "Anne",
    "Ole",
    "Hilde",
    "Knut",
    "Liv",
    "Erik",
    "Solveig",
    "Håkon",
    "Åse",
    "Øystein",
    "Bjørg",
    "Sigrid",
    "Magnus",
    "Thea",
    "Emil",
    "Nora",
    "Jonas",
    "Ida",
    "Aksel",
    "Maja",
    "Zoë",
    "José",
    "Renée",
]
LAST_NAMES = [
    "Nordmann",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Berg",
    "Haugen",
    "Hagen",
    "Bakken",
    "Dahl",
    "Lie",
    "Strand",
    "Ødegård",
    "Bø",
    "Aasen",
    "Sæther",
    "Løken",
    "Mørk",
    "Brænd",
    "Øverland",
]
ARTICLES = [  # (article, description, unit price in øre), weighted by repetition
    ("VAT25", "Konferansepakke dag", 84500),
    ("VAT25", "Prosjektledelse, timer", 115000),
    ("VAT25", "Lydteknikk og scene", 2450000),
    ("VAT25", "Aktivitet", 79000),
    ("VAT25", "Møtelokale", 750000),
    ("VAT15", "Lunsjbuffet", 24500),
    ("VAT15", "Middag, 3 retter", 69500),
    ("VAT15", "Kaffepause", 8900),
    ("VAT12", "Hotellrom, 1 natt", 139000),
    ("VAT12", "Bussreise", 640000),
    ("VAT12", "Billett", 29000),
    ("VAT0", "Kursavgift", 35000),
    ("VAT0", "Utlegg", 124000),
]
KINDS = [T.OfferInvoice] * 40 + [T.FormInvoice] * 20 + [T.BookingInvoice] * 15
KINDS += [T.CreditCardPayment] * 15 + [T.CreditNote] * 10
LINE_COUNTS = [1] * 6 + [2] * 6 + [3] * 5 + [4] * 4 + [5] * 3 + list(range(6, 16))
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ë": "e", "é": "e", "è": "e", " ": "-"})


def ascii_slug(text: str) -> str:
    """`Bjørke Event AS` -> `bjorke-event-as`, for made-up e-mail addresses."""
    return text.lower().translate(_ASCII).replace("&", "og")


def company_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct plausible Norwegian company names."""
    seen: set[str] = set()
    result: list[str] = []
    while len(result) < count:
        name = f"{rng.choice(PLACES)} {rng.choice(TRADES)} {rng.choice(FORMS)}"
        if name in seen:
            name = (
                f"{rng.choice(PLACES)} {rng.choice(TRADES)} {rng.choice(TOWNS)} {rng.choice(FORMS)}"
            )
        n = 2
        base = name
        while name in seen:
            name, n = f"{base} {n}", n + 1
        seen.add(name)
        result.append(name)
    return result


def tax_number_variant(rng: random.Random, org: str) -> str:
    """The same organisation number in one of the formats people type into Xero."""
    return rng.choice((f"NO{org}MVA", f"{org[:3]} {org[3:6]} {org[6:]}", org))


def build_bench(today: date, seed: int, size: int) -> tuple[dict[str, list], dict[str, list]]:
    """The bench's (xero, qondor) data."""
    rng = random.Random(seed)
    n_customers = max(1, size // 3)
    n_others = 5 * n_customers - int(n_customers * SHARE_IN_XERO)
    names = company_names(rng, n_customers + n_others)
    orgs = org_numbers(rng, n_customers + n_others)
    taken = set(names)

    customers: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    for i in range(n_customers):
        name, org = names[i], orgs[i]
        office_id = rng.choices((1, 2, 3), (65, 15, 20))[0]
        slug = ascii_slug(name)
        email = f"faktura@{slug}.no"
        roll = rng.random()
        cust_org, cust_vat, cust_email = org, f"NO{org}MVA", email
        if roll < 0.35:
            cust_vat = None
        elif roll < 0.45:
            cust_org = cust_vat = None  # only an e-mail
        elif roll < 0.455:
            cust_org = cust_vat = cust_email = None  # nothing to match on
        currency = (
            "SEK"
            if office_id == 3
            else rng.choices(("NOK", "EUR", "GBP", "USD", "DKK"), (880, 60, 30, 28, 2))[0]
        )
        customers.append(
            make_customer(
                FIRST_CUSTOMER_ID + i, office_id, name, org=cust_org, vat=cust_vat,
                email=cust_email, city=rng.choice(TOWNS), currency=currency,
                zip_code=f"{rng.randrange(1, 9999):04d}", address=f"{rng.choice(PLACES)}veien {i % 97 + 1}",
            )
        )  # fmt: skip
        if rng.random() < SHARE_IN_XERO:
            if cust_org and rng.random() < 0.7:
                contacts.append(
                    xero_contact(seeded_uuid(rng), name, tax_number=tax_number_variant(rng, org))
                )
            elif cust_email:
                # Typed into Xero without the legal form, unless that name is taken.
                short = name.rsplit(" ", 1)[0]
                short = name if short in taken else short
                taken.add(short)
                contacts.append(xero_contact(seeded_uuid(rng), short, email=email))
    for j in range(n_customers, n_customers + n_others):
        status = "ARCHIVED" if rng.random() < 0.05 else "ACTIVE"
        tax = tax_number_variant(rng, orgs[j]) if rng.random() < 0.8 else None
        email = f"post@{ascii_slug(names[j])}.no" if rng.random() < 0.6 else None
        contacts.append(
            xero_contact(seeded_uuid(rng), names[j], tax_number=tax, email=email, status=status)
        )

    invoices: list[dict[str, Any]] = []
    creditable: list[dict[str, Any]] = []
    office_start = {1: 200, 2: 19, 3: 200}
    for k in range(size):
        item_id = FIRST_ITEM_ID + k
        kind = rng.choice(KINDS)
        if kind is T.CreditNote and creditable:
            credited = creditable.pop(rng.randrange(len(creditable)))
            lines = cancel(credited)
            who = {"customer": None, "booker": credited["booker"]}
            if credited["customerId"]:
                who["customer"] = customers[credited["customerId"] - FIRST_CUSTOMER_ID]
            office_id, currency = credited["officeId"], credited["currency"]
            days_ago = rng.randrange(
                0, (today - date.fromisoformat(credited["invoiceDate"])).days + 1
            )
        else:
            if kind is T.CreditNote:
                kind = T.OfferInvoice
            credited = None
            lines = [
                make_line(n, *article_line(rng)) for n in range(1, rng.choice(LINE_COUNTS) + 1)
            ]
            if kind is T.BookingInvoice or (kind is T.CreditCardPayment and rng.random() < 0.8):
                who = {"customer": None, "booker": random_booker(rng, k)}
                office_id = rng.choices((1, 2, 3), (65, 15, 20))[0]
                currency = "SEK" if office_id == 3 else "NOK"
            else:
                customer = customers[rng.randrange(n_customers)]
                who = {"customer": customer, "booker": None}
                office_id, currency = customer["officeId"], customer["invoiceCurrency"]
            days_ago = rng.randrange(0, office_start[office_id])
        project = PROJECTS[rng.choice((881, 882, 883, 884, 885, 886, 887))]
        fields = [po_field(str(4_500_000 + k))] if rng.random() < 0.5 else []
        invoice = make_invoice(
            item_id, str(200_000 + k), kind, invoice_date=today - timedelta(days=days_ago),
            office_id=office_id, lines=lines, currency=currency, project=project,
            credited=credited, fields=fields, created_seconds=8 * 3600 + k % 36000, **who,
        )  # fmt: skip
        invoices.append(invoice)
        if kind is not T.CreditNote:
            creditable.append(invoice)

    qondor = {"offices": offices(today), "customers": customers, "invoices": invoices}
    xero = {
        "accounts": xero_accounts(),
        "currencies": xero_currencies(),
        "contacts": contacts,
        "invoices": [],
        **xero_settings(qondor["offices"]),  # so demo.yml's tracking and branding work here too
    }
    return xero, qondor


def article_line(rng: random.Random) -> tuple[str, str, int, int]:
    """A random line spec (article, description, quantity in hundredths, unit price in øre)."""
    article, description, price = rng.choice(ARTICLES)
    if rng.random() < 0.002:
        article, description = "MISC", "Diverse"
    qty = rng.randrange(1, 40) * 100 if rng.random() < 0.9 else rng.randrange(50, 2000, 50)
    return article, description, qty, price


def random_booker(rng: random.Random, k: int) -> dict[str, Any]:
    """A booker; about 1 in 100 has no e-mail address."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = None
    if rng.random() >= 0.01:
        email = f"{ascii_slug(first)}.{ascii_slug(last)}{k % 5000}@example.no"
    return make_booker(first, last, email, city=rng.choice(TOWNS))
