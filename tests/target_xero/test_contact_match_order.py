"""The mapping's `contact_match` order decides which Xero contact a customer's invoice gets."""

from __future__ import annotations

import pytest
from target_xero_pipeline import DEMO_MAPPING, by, queued, sync

NORDLYS_BY_TAX = "c0000000-0000-4000-8000-000000000002"  # 914 778 271, booking@ address
NORDLYS_BY_EMAIL = "c0000000-0000-4000-8000-000000009102"  # Qondor's invoice email, no tax no.


@pytest.mark.parametrize(
    ("order", "expected"),
    [("[tax_number, email]", NORDLYS_BY_TAX), ("[email, tax_number]", NORDLYS_BY_EMAIL)],
)
def test_contact_match_order_picks_the_contact(sandbox, tmp_path, order, expected):
    sandbox.reset("demo")
    # Customer 102 (Nordlys Konferanse AS, 914778271, post@nordlyskonferanse.no): its tax
    # number matches one contact, its invoice email another.
    sandbox.xero_seed(
        contacts=[
            {
                "ContactID": NORDLYS_BY_EMAIL,
                "Name": "Nordlys Konferanse, regnskap",
                "EmailAddress": "post@nordlyskonferanse.no",
            }
        ]
    )
    mapping = tmp_path / "order.yml"
    mapping.write_text(
        DEMO_MAPPING.read_text()
        .replace("projects: []", "projects: [883]")
        .replace("contact_match: [tax_number, email]", f"contact_match: {order}")
    )

    run = sync(sandbox, tmp_path, mapping)

    assert run.returncode == 0, run.stderr[-3000:]
    assert queued(sandbox.qondor_state())["100203"]["statusText"] == "Processed"
    invoice = by(sandbox.xero_state()["invoices"], "InvoiceNumber")["100203"]
    assert invoice["Contact"]["ContactID"] == expected
