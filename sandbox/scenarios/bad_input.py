"""The `bad_input` scenario: the demo plus queued items 6001-6008, each with one defect the
demo does not carry (for the reliability suite: each must fail alone, the rest go through)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from qondor_xero.qondor.contract import InvoiceType as T

from .common import make_customer, make_invoice, make_line, xero_contact, xero_invoice_for
from .demo import PROJECTS, build_demo, contact_id, xero_invoice_id

LONG_NAME = "Arrangementsbyrået " + "Nordlys og Midnattssol " * 12 + "AS"  # 300 characters


def build_bad_input(today: date) -> tuple[dict[str, list], dict[str, list]]:
    """The bad_input scenario's (xero, qondor) data."""
    xero, qondor = build_demo(today)
    fjord = next(c for c in qondor["customers"] if c["id"] == 101)
    long_name = make_customer(
        119, 1, LONG_NAME[:300], org="921000111", email="post@nordlys-midnattssol.no"
    )
    control = make_customer(
        120, 1, "Kontroll\x07tegn\tEvent AS\n", org="921000222", email="post@kontroll.no"
    )
    qondor["customers"] += [long_name, control]

    def item(
        item_id: int, lines: list[dict[str, Any]], customer: dict, **kw: Any
    ) -> dict[str, Any]:
        kw.setdefault("number", f"1004{item_id % 100:02d}")
        return make_invoice(item_id, kw.pop("number"), T.OfferInvoice, invoice_date=today - timedelta(days=3),
                            office_id=1, lines=lines, customer=customer, project=PROJECTS[881], **kw)  # fmt: skip

    hall = ("VAT25", "Møtelokale", 100, 750000)
    bad = [
        item(6001, [make_line(1, *hall)], long_name),
        item(6002, [make_line(1, *hall)], control),
        item(6003, [make_line(1, *hall), make_line(2, "VAT15", "Lunsj", 0, 21500)], fjord),
        item(6004, [make_line(1, *hall), make_line(2, "VAT25", "Rabatt", -100, 50000)], fjord),
        item(6005, [make_line(1, *hall)], fjord),
        item(6006, [make_line(1, "VAT12", "Hotellrom", 200, 139000)], fjord),
        item(6007, [make_line(1, "VAT12", "Hotellrom", 300, 139000)], fjord, number="100406"),
        item(6008, [make_line(1, "VAT25", "Fotograf", 400, 135000)], fjord),
    ]
    bad[4]["totalInclVat"] = round(bad[4]["totalInclVat"] + 1, 2)  # totals do not add up
    qondor["invoices"] += bad
    fjord_contact = xero_contact(contact_id(1), "Fjord Events AS")
    xero["invoices"].append(
        xero_invoice_for(bad[7], xero_invoice_id(6008), fjord_contact, status="VOIDED")
    )
    return xero, qondor
