"""Contact resolution against the sandbox's Xero: batched where-lookups, replays, name clashes."""

from __future__ import annotations

from qondor_xero.contacts.resolver import (
    ContactResolver,
    WantedContact,
    chunk_conditions,
    lookup_conditions,
)
from qondor_xero.sync.report import Report
from qondor_xero.transform import customer_keys, customer_to_contact
from qondor_xero.writers import XeroWriter
from qondor_xero.xero import XeroClient


def wanted(customer: dict) -> WantedContact:
    keys = customer_keys(customer)
    return WantedContact(
        keys,
        customer_to_contact(customer),
        customer.get("organisationNumber") or keys.email,
        ("tax_number", "email"),
    )


def resolver(box) -> ContactResolver:
    config = box.xero_config()
    client = XeroClient(
        config["api_url"],
        config["identity_url"],
        config["client_id"],
        config["client_secret"],
        tenant_id=config["tenant_id"],
    )
    return ContactResolver(client, XeroWriter(client), Report())


NORDLYS = {
    "id": 102,
    "name": "Nordlys Konferanse AS",
    "organisationNumber": "914778271",
    "invoiceEmail": "post@nordlyskonferanse.no",
    "countryCode": "NO",
}
HAVBLIKK = {
    "id": 107,
    "name": "Havblikk AS",
    "organisationNumber": "998877665",
    "invoiceEmail": "regnskap@havblikk.no",
}


def contact_reads(box) -> list[dict]:
    return [
        r for r in box.xero_requests() if r["method"] == "GET" and r["path"].endswith("/Contacts")
    ]


def test_few_customers_are_looked_up_with_one_where_call(sandbox):
    sandbox.reset("demo")
    sandbox.xero_requests(clear=True)
    contacts = resolver(sandbox)
    contacts.resolve([wanted(NORDLYS), wanted(HAVBLIKK)])
    reads = contact_reads(sandbox)
    assert len(reads) == 1 and "where" in str(reads[0]), reads
    assert not contacts.complete
    # "914 778 271" in Xero is found by its spaced form, and verified after normalising.
    nordlys, _ = contacts.contact_id(customer_keys(NORDLYS))
    assert nordlys == "c0000000-0000-4000-8000-000000000002"
    # "Havblikk AS" is taken by a contact with other numbers: a new, disambiguated one.
    havblikk, _ = contacts.contact_id(customer_keys(HAVBLIKK))
    created = {c["ContactID"]: c for c in sandbox.xero_state()["contacts"]}[havblikk]
    assert created["Name"] == "Havblikk AS (998877665)"
    assert created["ContactNumber"] == "QONDOR-C-107"


def test_replayed_customer_finds_the_contact_created_before(sandbox):
    sandbox.reset("demo")
    first = resolver(sandbox)
    first.resolve([wanted(HAVBLIKK)])
    again = resolver(sandbox)
    again.resolve([wanted(HAVBLIKK)])
    assert again.contact_id(customer_keys(HAVBLIKK)) == first.contact_id(customer_keys(HAVBLIKK))
    assert again.report.get("contacts", "created") == 0
    numbers = [c.get("ContactNumber") for c in sandbox.xero_state()["contacts"]]
    assert numbers.count("QONDOR-C-107") == 1


def test_two_customers_with_one_tax_number_share_one_new_contact(sandbox):
    sandbox.reset("demo")
    contacts = resolver(sandbox)
    a = {"id": 901, "name": "Twin A AS", "organisationNumber": "911111111"}
    b = {"id": 902, "name": "Twin B AS", "vatNumber": "NO911111111MVA"}
    contacts.resolve([wanted(a), wanted(b)])
    assert contacts.contact_id(customer_keys(a))[0] == contacts.contact_id(customer_keys(b))[0]
    assert contacts.report.get("contacts", "created") == 1


def test_lookup_conditions_and_chunks():
    conditions = lookup_conditions(wanted(NORDLYS))
    assert 'ContactNumber=="QONDOR-C-102"' in conditions
    assert 'TaxNumber.Contains("914778271")' in conditions
    assert 'TaxNumber.Contains("914 778 271")' in conditions
    assert 'EmailAddress=="post@nordlyskonferanse.no"' in conditions
    clauses = chunk_conditions([f'Name=="{n:04d}"' for n in range(200)], limit=300)
    assert all(len(c) <= 300 + 10 for c in clauses) and len(clauses) > 5
    assert sum(c.count("Name==") for c in clauses) == 200
