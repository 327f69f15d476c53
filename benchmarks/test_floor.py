"""Unit tests of the floor, naive count and time projections (run: pytest benchmarks/test_floor.py)."""

from __future__ import annotations

import floor
from sandbox_proc import endpoint


def _item(i, kind=1, customer=None, booker=None, status=1, credited=None, number=None):
    return {
        "id": i,
        "invoiceNumber": number or str(1000 + i),
        "invoiceType": kind,
        "status": status,
        "customerId": customer,
        "customer": {"id": customer, "vatNumber": "NO923456789MVA", "invoiceEmail": "a@b.no"}
        if customer
        else None,
        "booker": booker,
        "creditedInvoiceNumber": credited,
    }


def test_floor_counts_contacts_batches_and_allocations():
    queue = [_item(i, customer=i % 3 + 1) for i in range(1, 101)]
    queue.append(_item(101, kind=3, booker={"email": "Kari@Ex.no"}))
    queue.append(_item(102, kind=4, booker={"email": "kari@ex.no"}))
    queue.append(_item(103, kind=5, customer=1, credited="1001"))
    queue.append(_item(104, kind=1, customer=1, status=2))
    after = {"invoices": queue}
    xero_before = {
        "contacts": [{"ContactStatus": "ACTIVE"}] * 1500 + [{"ContactStatus": "ARCHIVED"}]
    }
    xero_after = {"invoices": [{"InvoiceNumber": "1001", "Status": "AUTHORISED"}]}

    data = floor.invoice_sync_data(queue, after, xero_before, xero_after)

    assert (data.customers, data.bookers, data.contacts_needed) == (3, 1, 4)
    assert (data.invoices, data.credit_notes, data.payments, data.failed) == (102, 1, 1, 1)
    assert data.allocations == 1
    assert data.existing_contacts == 1500
    terms = floor.xero_invoice_floor(data).terms
    # 7 match keys fit one where lookup, fewer than the 2 pages of all contacts
    assert terms == {
        "contact reads": 1,
        "contact writes": 1,
        "invoice writes": 3,
        "credit note writes": 1,
        "payment writes": 1,
        "allocations": 1,
        "tax rates read": 1,
    }
    assert floor.qondor_invoice_floor(data).total == 1 + 3 + 104


def test_contact_reads_take_pages_when_fewer_than_lookups():
    data = floor.InvoiceSyncData(customers=300, existing_contacts=1500, match_keys=600)
    assert floor.contact_reads(data) == 2


def test_payment_floor_and_naive_polls():
    qondor = {
        "invoices": [
            {"id": 1, "externalReference": "x1", "status": 1, "invoiceType": 1},
            {"id": 2, "externalReference": "x2", "status": 1, "invoiceType": 1},
            {"id": 3, "externalReference": "c3", "status": 1, "invoiceType": 5},
        ]
    }
    xero = {
        "invoices": [
            {"InvoiceID": "x1", "Status": "PAID"},
            {"InvoiceID": "x2", "Status": "AUTHORISED"},
            {"InvoiceID": "hand", "Status": "PAID"},
            {"InvoiceID": "d", "Status": "DRAFT"},
        ]
    }
    data = floor.payment_sync_data(qondor, xero)
    assert (data.xero_invoices, data.paid_known, data.paid_unknown, data.synced_invoices) == (
        3,
        1,
        1,
        2,
    )
    # one call per paid invoice: x1's SetAsPaid (its id in its link), the hand-made one's lookup
    assert floor.qondor_payment_floor(data).terms == {
        "SetAsPaid or read (known)": 1,
        "lookups (unknown)": 1,
    }
    assert floor.xero_payment_floor(data).total == 1


def test_time_under_limits():
    assert floor.xero_seconds(60) == 0
    assert floor.xero_seconds(61) == 60
    assert floor.xero_seconds(5001) == 86400
    assert floor.qondor_seconds(1334) == 133
    assert floor.limited_seconds(30, 1334, own_seconds=5) == 133


def test_endpoint_templates_ids():
    assert endpoint("get", "/api.xro/2.0/Invoices") == "GET /Invoices"
    assert (
        endpoint("PUT", "/api.xro/2.0/CreditNotes/0a1b2c3d-0000-4000-8000-000000000001/Allocations")
        == "PUT /CreditNotes/{id}/Allocations"
    )
    assert endpoint("GET", "/Prod/Customer/v1/Customer/77") == "GET /Customer/v1/Customer/{id}"
