"""A large Xero organisation (20,000 contacts) that refuses contact lookups it cannot filter
efficiently: tap-qondor → target-xero still matches each customer as a small one would (tax
number whatever its format, else email), creates no duplicate, and stays within a call budget
(issue 21, part 3)."""

from __future__ import annotations

import math

import pytest
from money_world import CUSTOMER, DAY, OFFICE, InvoiceType, precise_line, write_mapping
from target_xero_pipeline import by, sync

from sandbox.scenarios.common import make_customer, make_invoice

CROWD = 20_000
BY_EMAIL = make_customer(901, 1, "Fjellvind AS", email="post@fjellvind.no")
NEW = make_customer(902, 1, "Nyhet Events AS", org="912345675", email="faktura@nyhet.no")
# In Xero: CUSTOMER under another name, its tax number spaced and another email; BY_EMAIL's
# contact by its email only.
PRESIS_ID = "c0000000-0000-4000-8000-000000900000"
FJELLVIND_ID = "c0000000-0000-4000-8000-000000900001"
KNOWN = [
    {
        "ContactID": PRESIS_ID,
        "Name": "Presis Reiser (Oslo)",
        "TaxNumber": "987 654 321",
        "EmailAddress": "regnskap@presis.no",
    },
    {"ContactID": FJELLVIND_ID, "Name": "Fjellvind Eventbyrå", "EmailAddress": "post@fjellvind.no"},
]


def crowd(n: int) -> list[dict]:
    return [
        {
            "Name": f"Kunde {i:05d} AS",
            "TaxNumber": f"NO{800000000 + i}MVA",
            "EmailAddress": f"post@kunde{i:05d}.no",
        }
        for i in range(n)
    ]


@pytest.fixture
def large_sync(start_sandbox, tmp_path):
    with start_sandbox(xero_high_volume_contacts=10_000) as box:
        box.xero_seed(contacts=crowd(CROWD) + KNOWN)

        def invoice(number: int, customer: dict) -> dict:
            lines = [precise_line(1, "VAT25", 1, "1000")]
            return make_invoice(number, str(number), InvoiceType.OfferInvoice, invoice_date=DAY,
                                office_id=1, lines=lines, customer=customer)  # fmt: skip

        items = [invoice(9001, CUSTOMER), invoice(9002, BY_EMAIL), invoice(9003, NEW)]
        box.admin(
            box.qondor_url,
            "POST",
            "seed",
            {"offices": [OFFICE], "customers": [CUSTOMER, BY_EMAIL, NEW], "invoices": items},
        )
        box.xero_requests(clear=True)
        run = sync(box, tmp_path, write_mapping(tmp_path / "mapping.yml"))
        yield run, box.xero_state(), box.qondor_state(), box.xero_requests()


def test_each_customer_matches_among_20000_contacts_within_the_call_budget(large_sync):
    """Matched as in a small organisation; the refused lookup falls back to paged reading."""
    run, xero, qondor, requests = large_sync
    assert run.returncode == 0, run.stderr[-3000:]
    items = {i["invoiceNumber"]: i for i in qondor["invoices"]}
    assert {items[n]["statusText"] for n in ("9001", "9002", "9003")} == {"Processed"}
    invoices = by(xero["invoices"], "InvoiceNumber")
    assert invoices["9001"]["Contact"]["ContactID"] == PRESIS_ID  # tax number, other format
    assert invoices["9002"]["Contact"]["ContactID"] == FJELLVIND_ID  # email
    created = [c for c in xero["contacts"] if c["ContactID"] not in {PRESIS_ID, FJELLVIND_ID}]
    assert len(created) == CROWD + 1  # only Nyhet Events AS is new
    assert invoices["9003"]["Contact"]["Name"] == "Nyhet Events AS"
    contacts = run.summary["contacts"]  # the two matched ones are brought up to date
    assert (contacts["matched"] + contacts["updated"], contacts["created"]) == (2, 1), contacts
    contact_reads = [
        r for r in requests if r["method"] == "GET" and r["path"].endswith("/Contacts")
    ]
    refused = [r for r in contact_reads if r["status"] == 400]
    pages = math.ceil((CROWD + len(KNOWN)) / 1000)
    assert len(refused) == 1  # Xero said HighVolumeException once, and was not asked so again
    assert len(contact_reads) == 1 + pages, [r.get("query") for r in contact_reads]
    assert run.summary["api_calls"]["xero"] <= pages + 10, run.summary["api_calls"]
    assert "reading all its contacts page by page instead" in run.stderr
