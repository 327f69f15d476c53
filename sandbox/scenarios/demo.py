"""The `demo` scenario: ~40 queued items over every type and edge case, and a matching Xero org.

Every id here is fixed (README.md lists which item exercises what); only dates move with `today`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from qondor_xero.qondor.contract import InvoiceStatus as S
from qondor_xero.qondor.contract import InvoiceType as T

from .common import credit_lines as cancel
from .common import (
    make_booker,
    make_customer,
    make_invoice,
    make_line,
    make_office,
    po_field,
    xero_accounts,
    xero_contact,
    xero_currencies,
    xero_invoice_for,
)

PROJECTS = {
    881: (881, "P-881", "Oslo kick-off 2027"),
    882: (882, "P-882", "Bergen fagdager"),
    883: (883, "P-883", "Nordlysseminar Tromsø"),
    884: (884, "P-884", "Stockholm Tech Summit"),
    885: (885, "P-885", "Sommerfest på Bygdøy"),
    886: (886, "P-886", "Julebord på Grand Hotel"),
    887: (887, "P-887", "Fjellkonferanse Geilo"),
    888: (888, "P-888", "Trondheim Kulturnatt"),
}

LONG_NAME = (
    "Østlandske Åpnings- og Kulturarrangementer for Næringsliv, Kommuner og Frivillige "
    "Organisasjoner i Sør-Øst – Événements Spéciaux & Kulturformidling AS"
)


def contact_id(n: int) -> str:
    """The fixed ContactID of demo contact `n`."""
    return f"c0000000-0000-4000-8000-{n:012d}"


def xero_invoice_id(qondor_id: int) -> str:
    """The fixed InvoiceID of the Xero copy of Qondor item `qondor_id`."""
    return f"e0000000-0000-4000-8000-{qondor_id:012d}"


def L(article: str, description: str, qty: float, price: str) -> tuple:  # noqa: N802
    """A line spec: article, description, quantity, unit price excl. VAT as text."""
    return article, description, round(qty * 100), int(Decimal(price) * 100)


def lines(*specs: tuple) -> list[dict[str, Any]]:
    """Numbered contract lines from `L(...)` specs."""
    return [make_line(i, *spec) for i, spec in enumerate(specs, start=1)]


def offices(today: date) -> list[dict[str, Any]]:
    """Four offices: Oslo and Stockholm process everything, Bergen from a recent date, Trondheim off."""
    year_ago = today - timedelta(days=365)
    return [
        make_office(1, "Nordic Events Oslo", "Oslo", "0150", start_date=year_ago),
        make_office(2, "Nordic Events Bergen", "Bergen", "5003", start_date=today - timedelta(20)),
        make_office(
            3,
            "Nordic Events Stockholm",
            "Stockholm",
            "111 52",
            country="Sweden",
            country_code="SE",
            start_date=year_ago,
        ),
        make_office(4, "Nordic Events Trondheim", "Trondheim", "7011", use_api=False),
    ]


def customers() -> dict[int, dict[str, Any]]:
    """Qondor customers 101-118, each there for a matching rule (see README.md)."""
    c = make_customer
    person = {
        "id": 9001,
        "externalReference": None,
        "firstName": "Marte",
        "lastName": "Kirkerud",
        "email": "marte@fjordevents.no",
        "phoneNumber": "+47 912 34 567",
        "isActive": True,
    }
    items = [
        c(101, 1, "Fjord Events AS", org="923456789", vat="NO923456789MVA",
          email="faktura@fjordevents.no", address="Karl Johans gate 12", zip_code="0154",
          city="Oslo", phone="+47 22 33 44 55", external_reference="CRM-0101",
          contact_persons=[person]),
        c(102, 1, "Nordlys Konferanse AS", org="914778271", email="post@nordlyskonferanse.no",
          address="Storgata 88", zip_code="9008", city="Tromsø"),
        c(103, 1, "Bølgen & Moi Catering AS", org="987654321", vat="NO 987 654 321 MVA",
          email="regnskap@bolgenmoi.no", address="Brygga 3", zip_code="4006", city="Stavanger"),
        c(104, 1, "Ålesund Kommune", org="964979111", email="postmottak@alesund.kommune.no",
          address="Keiser Wilhelms gate 11", zip_code="6003", city="Ålesund"),
        c(105, 3, "Scandinavian Tech Summit AB", org="556677-8899", vat="SE556677889901",
          email="invoice@techsummit.se", city="Stockholm", zip_code="111 43", country="Sweden",
          country_code="SE", currency="SEK"),
        c(106, 1, "Polar Shipping ASA", org="912345678", vat="NO912345678MVA",
          email="ap@polarshipping.no", city="Oslo", zip_code="0250"),
        c(107, 1, "Havblikk AS", org="998877665", email="regnskap@havblikk.no", city="Bodø",
          zip_code="8006"),
        c(108, 1, "Kari Nordmann Consulting", email="kari@nordmannconsulting.no", city="Oslo"),
        c(109, 2, "Styrkeprøven Idrettslag", city="Bergen", remarks="Mangler org.nr og e-post"),
        c(110, 1, LONG_NAME, org="933444555", vat="NO933444555MVA",
          email="faktura@ostlandske-arrangementer.no", city="Fredrikstad", zip_code="1606"),
        c(111, 1, "Gammel Gård Selskapslokaler AS", org="945612378",
          email="post@gammelgard.no", city="Hamar", zip_code="2317"),
        c(112, 1, "Berliner Messe GmbH", vat="DE123456789", email="rechnung@berliner-messe.de",
          city="Berlin", zip_code="10117", country="Germany", country_code="DE", currency="EUR"),
        c(113, 1, "Thames Incentive Travel Ltd", vat="GB123456789",
          email="accounts@thamesincentive.co.uk", city="London", zip_code="SE1 9SG",
          country="United Kingdom", country_code="GB", currency="GBP"),
        c(114, 1, "Københavns Eventbureau ApS", vat="DK12345678", email="faktura@kbh-event.dk",
          city="København", zip_code="1050", country="Denmark", country_code="DK",
          currency="DKK"),
        c(115, 4, "Trondheim Kulturhus AS", org="919191919", email="post@tkh.no",
          city="Trondheim"),
        c(116, 2, "Bryggen Hotelldrift AS", org="976543210", vat="NO976543210MVA",
          email="faktura@bryggenhotell.no", city="Bergen", zip_code="5003"),
        c(117, 1, "Sjøsprøyt Seilforening", email="kasserer@sjosproyt.no", city="Tønsberg"),
        c(118, 1, "Mjøsa Møter & Mat AS", org="920202020", vat="NO920202020MVA",
          email="okonomi@mjosa-moter.no", city="Lillehammer", external_reference="CRM-0118"),
    ]  # fmt: skip
    return {item["id"]: item for item in items}


BOOKERS = {
    "ola": make_booker("Ola", "Nordmann", "ola.nordmann@example.no", phone="+47 900 11 222",
                       address="Thereses gate 5", zip_code="0358", city="Oslo"),
    "ingrid": make_booker("Ingrid", "Bø", "ingrid.bo@example.no", city="Bergen"),
    "no_email": make_booker("Per", "Utenepost", None, phone="+47 411 22 333", city="Drammen"),
    "zoe": make_booker("Zoë", "Saldaña-Øverland", "zoe.overland@example.com", country_code="ES"),
    "ola_other": make_booker("Ola", "Nordmann", "ola.nordmann@bedrift.no", city="Skien"),
    "lars": make_booker("Lars", "Ødegård", "lars.odegard@example.no", city="Lillehammer"),
    "siri": make_booker("Siri", "Aasen", "siri.aasen@example.no", city="Kristiansand"),
}  # fmt: skip


def qondor_invoices(today: date, cust: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """History (40xx), not-queued Unprocessed (41xx) and queued (50xx) items, by id."""
    inv: dict[int, dict[str, Any]] = {}

    def add(item_id: int, kind: T, days_ago: int, item_lines: list, **kw: Any) -> None:
        series = {40: "1001", 41: "1003", 50: "1002"}[item_id // 100]
        kw.setdefault("office_id", 1)
        who = kw.pop("who", None)
        if isinstance(who, int):
            kw["customer"] = cust[who]
        elif isinstance(who, str):
            kw["booker"] = BOOKERS[who]
        if "project" in kw:
            kw["project"] = PROJECTS[kw["project"]]
        inv[item_id] = make_invoice(
            item_id,
            f"{series}{item_id % 100:02d}",
            kind,
            invoice_date=today - timedelta(days=days_ago),
            lines=item_lines,
            **kw,
        )

    po = po_field
    # History: already acknowledged before this run; some have Xero copies (see xero_invoices).
    add(
        4001,
        T.OfferInvoice,
        60,
        lines(
            L("VAT25", "Konferansepakke dag", 40, "845.00"),
            L("VAT15", "Lunsjbuffet", 40, "245.00"),
            L("VAT12", "Hotellrom, 1 natt", 20, "1390.00"),
        ),
        who=101,
        project=881,
        fields=[po("4500001")],
        status=S.Processed,
        external_reference=xero_invoice_id(4001),
    )
    add(
        4002,
        T.OfferInvoice,
        45,
        lines(L("VAT25", "Foredragsholder", 1, "18500.00")),
        who=102,
        project=883,
        status=S.Processed,
        external_reference=xero_invoice_id(4002),
    )
    add(
        4003,
        T.OfferInvoice,
        70,
        lines(
            L("VAT25", "Leie av scene og lyd", 1, "32000.00"),
            L("VAT15", "Middag, 3 retter", 60, "695.00"),
        ),
        who=106,
        project=885,
        status=S.Paid,
        external_reference=xero_invoice_id(4003),
    )
    add(
        4004,
        T.FormInvoice,
        30,
        lines(L("MISC", "Diverse", 1, "500.00")),
        who=104,
        project=882,
        office_id=1,
        status=S.Failed,
        error_message="Line 1: article number MISC has no account code in the mapping.",
    )
    add(
        4005,
        T.OfferInvoice,
        35,
        lines(L("VAT25", "Prosjektledelse, timer", 12.5, "1150.00")),
        who=103,
        project=886,
        status=S.Processed,
        external_reference=xero_invoice_id(4005),
    )
    add(
        4006,
        T.BookingInvoice,
        120,
        lines(L("VAT12", "Bussreise Oslo–Geilo", 1, "890.00")),
        who="lars",
        project=887,
        status=S.Processed,
        external_reference="VISMA-2026-0881",
    )
    add(
        4007,
        T.OfferInvoice,
        25,
        lines(L("VAT0", "Kursavgift", 10, "2500.00")),
        who=101,
        project=881,
        status=S.Processed,
        external_reference=xero_invoice_id(4007),
    )

    # Unprocessed but NOT queued: office 4 has API processing off; office 2 starts 20 days ago.
    add(
        4101,
        T.OfferInvoice,
        5,
        lines(L("VAT25", "Scenerigg", 1, "12000.00")),
        who=115,
        office_id=4,
        project=888,
    )
    add(
        4102,
        T.BookingInvoice,
        4,
        lines(L("VAT12", "Billett Kulturnatt", 2, "350.00")),
        who="ingrid",
        office_id=4,
        project=888,
    )
    add(
        4103,
        T.OfferInvoice,
        30,
        lines(L("VAT25", "Møtelokale", 1, "7500.00")),
        who=116,
        office_id=2,
        project=882,
    )
    add(
        4104,
        T.FormInvoice,
        25,
        lines(L("VAT15", "Kaffepause", 80, "89.00")),
        who=116,
        office_id=2,
        project=882,
    )

    # The queue (5001-5042).
    add(
        5001,
        T.OfferInvoice,
        14,
        lines(
            L("VAT25", "Konferansepakke dag", 2, "1500.00"),
            L("VAT12", "Hotellrom, 2 netter", 4, "1450.00"),
            L("VAT15", "Middag, 3 retter", 2, "695.00"),
        ),
        who=101,
        project=881,
        fields=[po("4500012")],
    )
    add(
        5002,
        T.OfferInvoice,
        13,
        lines(
            L("VAT25", "Prosjektledelse, timer", 18, "1150.00"),
            L("VAT25", "Lydteknikk og scene", 1, "24500.00"),
            L("VAT25", "Dekorasjon og blomster", 1, "6890.50"),
            L("VAT25", "Aktivitet: RIB-tur i Oslofjorden", 35, "790.00"),
            L("VAT15", "Lunsjbuffet", 120, "245.00"),
            L("VAT15", "Kaffepause med frukt", 240, "89.00"),
            L("VAT15", "Middag, 3 retter", 118, "695.00"),
            L("VAT15", "Alkoholfri drikkepakke", 118, "129.00"),
            L("VAT12", "Hotellrom, enkeltrom", 95, "1390.00"),
            L("VAT12", "Hotellrom, dobbeltrom", 12, "1690.00"),
            L("VAT12", "Bussreise Gardermoen–hotell", 3, "6400.00"),
            L("VAT12", "Billett Nasjonalmuseet", 120, "180.00"),
            L("VAT0", "Utlegg: parkering", 1, "1240.00"),
            L("VAT0", "Kursavgift", 120, "350.00"),
            L("VAT25", "Fotograf", 6, "1350.00"),
        ),
        who=101,
        project=881,
        fields=[po("4500013")],
    )
    add(
        5003,
        T.OfferInvoice,
        12,
        lines(
            L("VAT25", "Foredragsholder", 1, "18500.00"),
            L("VAT12", "Flybillett OSL–TOS", 2, "2150.00"),
        ),
        who=102,
        project=883,
    )
    add(
        5004,
        T.FormInvoice,
        12,
        lines(
            L("VAT15", "Lunsj", 45, "215.00"),
            L("VAT15", "Middag", 45, "545.00"),
            L("VAT25", "Servering, personale timer", 16, "485.00"),
            L("VAT25", "Leie av utstyr", 1, "3200.00"),
        ),
        who=103,
        project=886,
        fields=[po("PO-77812")],
    )
    add(
        5005,
        T.OfferInvoice,
        11,
        lines(L("VAT0", "Deltakeravgift, kommunale ansatte", 25, "1200.00")),
        who=104,
        project=882,
        fields=[po(""), {"heading": "Ansvarssted", "externalReference": "dept", "value": "4410"}],
    )
    add(
        5006,
        T.OfferInvoice,
        11,
        lines(
            L("VAT25", "Konferenslokal", 1, "42000.00"),
            L("VAT15", "Lunch", 300, "145.00"),
            L("VAT12", "Hotellrum", 40, "1290.00"),
        ),
        who=105,
        project=884,
        office_id=3,
        currency="SEK",
        fields=[po("STS-2027-01")],
    )
    add(
        5007,
        T.FormInvoice,
        10,
        lines(L("VAT25", "Utställarplats", 4, "8500.00")),
        who=105,
        project=884,
        office_id=3,
        currency="SEK",
    )
    add(
        5008,
        T.OfferInvoice,
        10,
        lines(
            L("VAT25", "Båtcharter, dag", 1, "45000.00"), L("VAT15", "Sjømatbuffet", 50, "495.00")
        ),
        who=106,
        project=885,
        fields=[po("PS-99123")],
    )
    add(
        5009,
        T.OfferInvoice,
        9,
        lines(L("VAT25", "Teambuilding", 22, "950.00")),
        who=107,
        project=883,
    )
    add(
        5010,
        T.OfferInvoice,
        9,
        lines(
            L("VAT25", "Rådgivning, timer", 7.5, "1250.00"),
            L("VAT12", "Togbillett Oslo–Bergen", 2, "949.00"),
        ),
        who=108,
        project=882,
    )
    add(
        5011,
        T.FormInvoice,
        8,
        lines(L("VAT15", "Kaffepause", 30, "89.00")),
        who=108,
        project=882,
        fields=None,
    )
    add(
        5012,
        T.OfferInvoice,
        8,
        lines(L("VAT25", "Premieutdeling, lyd", 1, "6500.00")),
        who=109,
        office_id=2,
        project=882,
    )
    add(
        5013,
        T.OfferInvoice,
        8,
        lines(
            L("VAT25", "Åpningsseremoni – scene, lys og lyd", 1, "38500.00"),
            L("VAT15", "Smørbrød og kaffe, «Søndagsformiddag»", 150, "165.00"),
            L("VAT12", "Fergebillett Moss–Horten", 150, "78.00"),
            L("VAT25", "Crème brûlée-workshop med kokk", 1, "9800.00"),
            L("VAT0", "Utlegg: tillatelser fra kommunen", 1, "2750.00"),
        ),
        who=110,
        project=885,
        fields=[po("ØST-ÅPN-2027/æøå")],
    )
    add(
        5014,
        T.OfferInvoice,
        7,
        lines(L("VAT25", "Leie av låve", 1, "15000.00")),
        who=111,
        project=886,
    )
    add(
        5015,
        T.OfferInvoice,
        7,
        lines(
            L("VAT25", "Standbau", 1, "12500.00"),
            L("VAT0", "Messegebühr (utenlandsk)", 1, "3200.00"),
        ),
        who=112,
        project=881,
        currency="EUR",
        fields=[po("BM-4711")],
    )
    add(
        5016,
        T.OfferInvoice,
        7,
        lines(
            L("VAT12", "Hotel rooms, Bergen", 16, "145.00"), L("VAT15", "Fjord dinner", 16, "72.50")
        ),
        who=113,
        project=882,
        currency="GBP",
        fields=[po("TIT-PO-5521")],
    )
    add(
        5017,
        T.OfferInvoice,
        6,
        lines(L("VAT25", "Koordinering", 1, "9500.00")),
        who=114,
        project=881,
        currency="DKK",
    )
    add(
        5018,
        T.OfferInvoice,
        6,
        lines(
            L("VAT25", "Prosjektledelse, timer", 4, "1150.00"),
            L("VAT15", "Lunsj", 20, "215.00"),
            L("MISC", "Diverse tillegg", 1, "750.00"),
        ),
        who=101,
        project=881,
        fields=[po("4500019")],
    )
    add(
        5019,
        T.FormInvoice,
        6,
        lines(
            L("VAT25", "Servering, personale timer", 6, "485.00"),
            L("GIFT", "Gavekort til foredragsholdere", 3, "500.00"),
            L("VAT15", "Lunsj", 30, "215.00"),
            L("MISC", "Gebyr", 1, "99.00"),
        ),
        who=103,
        project=886,
    )
    add(
        5020,
        T.OfferInvoice,
        5,
        lines(L("VAT25", "Regattaarrangement", 1, "14000.00")),
        who=117,
        project=885,
    )
    add(
        5021,
        T.OfferInvoice,
        10,
        lines(L("VAT25", "Møtelokale", 2, "7500.00"), L("VAT15", "Kaffepause", 80, "89.00")),
        who=116,
        office_id=2,
        project=882,
        fields=[po("BH-2201")],
    )
    add(
        5022,
        T.OfferInvoice,
        5,
        lines(
            L("VAT25", "Parkering (avrunding 0,025)", 1, "100.10"),
            L("VAT12", "Transport, 3 turer", 3, "333.33"),
            L("VAT15", "Catering, 2,5 timer", 2.5, "1234.57"),
            L("VAT25", "Garderobe", 7, "33.33"),
        ),
        who=101,
        project=881,
        fields=[po("4500014")],
    )
    add(
        5023,
        T.BookingInvoice,
        5,
        lines(
            L("VAT12", "Hotellrom, 2 netter", 2, "1450.00"),
            L("VAT12", "Billett Nordlysseminar", 1, "2900.00"),
        ),
        who="ola",
        project=883,
    )
    add(
        5024,
        T.BookingInvoice,
        5,
        lines(
            L("VAT12", "Billett Nordlysseminar", 1, "2900.00"), L("VAT15", "Middag", 1, "545.00")
        ),
        who="ingrid",
        project=883,
    )
    add(
        5025,
        T.BookingInvoice,
        4,
        lines(L("VAT12", "Billett Nordlysseminar", 1, "2900.00")),
        who="no_email",
        project=883,
    )
    add(
        5026,
        T.BookingInvoice,
        4,
        lines(L("VAT12", "Hotellrom, 3 netter", 3, "1390.00")),
        who="zoe",
        project=887,
    )
    add(
        5027,
        T.BookingInvoice,
        4,
        lines(L("VAT12", "Billett Nordlysseminar", 1, "2900.00")),
        who="ola_other",
        project=883,
    )
    add(
        5028,
        T.BookingInvoice,
        3,
        lines(L("VAT12", "Flybillett BGO–TOS", 1, "1890.00")),
        who="ingrid",
        project=883,
    )
    add(
        5029,
        T.CreditCardPayment,
        3,
        lines(
            L("VAT12", "Hotellrom, 2 netter", 2, "1390.00"), L("VAT25", "Skiutleie", 2, "450.00")
        ),
        who="lars",
        project=887,
    )
    add(
        5030,
        T.CreditCardPayment,
        3,
        lines(L("VAT12", "Billett Nordlysseminar", 1, "2900.00")),
        who="siri",
        project=883,
    )
    add(
        5031,
        T.CreditCardPayment,
        2,
        lines(L("VAT25", "Påmeldingsavgift", 3, "1500.00")),
        who=101,
        project=881,
        fields=[po("4500015")],
    )
    add(
        5032,
        T.CreditCardPayment,
        2,
        lines(L("VAT12", "Hotel room", 2, "139.00")),
        who="zoe",
        project=887,
        currency="EUR",
    )
    add(
        5033,
        T.CreditNote,
        2,
        cancel(inv[5001]),
        who=101,
        project=881,
        credited=inv[5001],
        fields=[po("4500012")],
    )
    add(5034, T.CreditNote, 2, cancel(inv[5003], [1]), who=102, project=883, credited=inv[5003])
    add(
        5035,
        T.CreditNote,
        2,
        cancel(inv[4001], [2]),
        who=101,
        project=881,
        credited=inv[4001],
        fields=[po("4500001")],
    )
    add(5036, T.CreditNote, 2, cancel(inv[4006]), who="lars", project=887, credited=inv[4006])
    add(5037, T.CreditNote, 1, cancel(inv[5024]), who="ingrid", project=883, credited=inv[5024])
    add(5038, T.CreditNote, 1, cancel(inv[4003], [2]), who=106, project=885, credited=inv[4003])
    add(
        5039,
        T.OfferInvoice,
        9,
        lines(
            L("VAT25", "Båtcharter, halv dag", 1, "25000.00"),
            L("VAT15", "Sjømatbuffet", 40, "495.00"),
            L("VAT0", "Utlegg: havneavgift", 1, "1800.00"),
        ),
        who=106,
        project=885,
        fields=[po("PS-99124")],
    )
    add(
        5040,
        T.OfferInvoice,
        9,
        lines(L("VAT25", "Nordlyssafari", 12, "1650.00")),
        who=102,
        project=883,
    )
    add(
        5041,
        T.FormInvoice,
        3,
        lines(
            L("VAT15", "Julebord, 5 retter", 120, "845.00"),
            L("VAT25", "Underholdning", 1, "35000.00"),
        ),
        who=110,
        project=886,
        fields=[po("ØST-JUL")],
    )
    add(
        5042,
        T.OfferInvoice,
        2,
        lines(L("VAT25", "Speaker fee", 1, "2500.00")),
        who=112,
        project=884,
        currency="USD",
    )
    add(5043, T.OfferInvoice, 1, lines(
        L("VAT25", "Møterom", 1, "4200.00"),
        L("VAT15", "Lunsj", 12, "215.00")),
        who=118, project=887, fields=[po("MM-100")])  # fmt: skip
    return inv


def xero_contacts() -> dict[int, dict[str, Any]]:
    """The Xero org's contacts 1-18 (ContactID `contact_id(n)`)."""
    x = xero_contact
    items = {
        1: x(contact_id(1), "Fjord Events AS", tax_number="NO923456789MVA",
             email="faktura@fjordevents.no", city="Oslo", zip_code="0154"),
        2: x(contact_id(2), "Nordlys Konferanse AS", tax_number="914 778 271",
             email="booking@nordlyskonferanse.no", city="Tromsø"),
        3: x(contact_id(3), "Bølgen og Moi Catering", tax_number="987654321", city="Stavanger"),
        4: x(contact_id(4), "Scandinavian Tech Summit", email="invoice@techsummit.se",
             country="Sweden", currency="SEK"),
        5: x(contact_id(5), "Polar Shipping ASA", tax_number="912345678", city="Oslo"),
        6: x(contact_id(6), "Polar Shipping Holding ASA", tax_number="NO912345678MVA",
             city="Oslo"),
        7: x(contact_id(7), "Havblikk AS", tax_number="NO911222333MVA",
             email="post@havblikk-tromso.no", city="Tromsø"),
        8: x(contact_id(8), "Gammel Gård Selskapslokaler AS", tax_number="945612378",
             status="ARCHIVED", city="Hamar"),
        9: x(contact_id(9), "Thames Incentive Travel Ltd", tax_number="GB 123 4567 89",
             country="United Kingdom", currency="GBP"),
        10: x(contact_id(10), "Sjøsprøyt Seilforening", email="kasserer@sjosproyt.no",
              city="Tønsberg"),
        11: x(contact_id(11), "Ola Nordmann", first="Ola", last="Nordmann",
              email="ola.nordmann@example.no", city="Oslo"),
        12: x(contact_id(12), "Siri Aasen", first="Siri", last="Aasen",
              email="siri.aasen@example.no", city="Kristiansand"),
        13: x(contact_id(13), "Telenor Norge AS", tax_number="NO976967631MVA",
              email="faktura@telenor.no", city="Fornebu"),
        14: x(contact_id(14), "Hurtigruten Kystreiser AS", tax_number="NO912000111MVA"),
        15: x(contact_id(15), "Gamle Selskapet AS", tax_number="NO955000222MVA",
              status="ARCHIVED"),
        16: x(contact_id(16), "Equinor Events", email="events@equinor.example", city="Stavanger"),
        17: x(contact_id(17), "Mjøsa Møter og Mat", email="okonomi@mjosa-moter.no",
              tax_number="920 202 020", city="Lillehammer"),
        18: x(contact_id(18), "Mjøsa Møter & Mat AS (gammel)", email="post@mjosa-moter.no",
              status="ARCHIVED"),
    }  # fmt: skip
    return items


def xero_invoices(
    today: date, inv: dict[int, dict[str, Any]], contacts: dict[int, dict]
) -> list[dict]:
    """Xero copies of processed history items, and of two queued numbers (a replay case)."""
    older_5039 = dict(inv[5039], lines=inv[5039]["lines"][:2])
    return [
        xero_invoice_for(inv[4001], xero_invoice_id(4001), contacts[1], reference="4500001"),
        xero_invoice_for(inv[4002], xero_invoice_id(4002), contacts[2], status="PAID",
                         paid_on=today - timedelta(days=3)),
        xero_invoice_for(inv[4003], xero_invoice_id(4003), contacts[5], status="PAID",
                         paid_on=today - timedelta(days=50)),
        xero_invoice_for(inv[4005], xero_invoice_id(4005), contacts[3]),
        xero_invoice_for(inv[4007], xero_invoice_id(4007), contacts[1], status="DRAFT"),
        xero_invoice_for(older_5039, xero_invoice_id(5039), contacts[5], reference="PS-99124"),
        xero_invoice_for(inv[5040], xero_invoice_id(5040), contacts[2], status="PAID",
                         paid_on=today - timedelta(days=2)),
    ]  # fmt: skip


def build_demo(today: date) -> tuple[dict[str, list], dict[str, list]]:
    """The demo's (xero, qondor) data."""
    cust = customers()
    inv = qondor_invoices(today, cust)
    contacts = xero_contacts()
    qondor = {
        "offices": offices(today),
        "customers": list(cust.values()),
        "invoices": [inv[k] for k in sorted(inv)],
    }
    xero = {
        "accounts": xero_accounts(),
        "currencies": xero_currencies(),
        "contacts": list(contacts.values()),
        "invoices": xero_invoices(today, inv, contacts),
        **xero_settings(qondor["offices"]),
    }
    return xero, qondor


def xero_settings(office_list: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Tracking categories and branding themes of the demo (and bench) organisation: an Office
    option per office, Project options for two projects (demo.yml creates the others), and
    Stockholm's own invoice layout beside Xero's Standard one."""
    return {
        "trackingCategories": [
            {"Name": "Office", "Options": [o["name"] for o in office_list]},
            {"Name": "Project", "Options": ["P-881", "P-882"]},
        ],
        "brandingThemes": [
            {"Name": "Standard", "SortOrder": 0},
            {"Name": "Nordic Events Sverige", "SortOrder": 1},
        ],
    }
