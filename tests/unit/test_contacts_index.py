"""The contact index keeps every Xero contact packed small, and gives back what matching needs."""

from __future__ import annotations

from qondor_xero.contacts import (
    ContactIndex,
    ContactKeys,
    pack_contact,
    slim_contact,
    unpack_contact,
)
from qondor_xero.transform import contact_update, customer_keys, customer_to_contact

FULL = {
    "ContactID": "c0000000-0000-4000-8000-000000000001",
    "ContactStatus": "ACTIVE",
    "Name": "Fjord Events AS",
    "FirstName": "Kari",
    "LastName": "Nordmann",
    "EmailAddress": "Faktura@FjordEvents.no ",
    "TaxNumber": "NO923456789MVA",
    "DefaultCurrency": "NOK",
    "ContactNumber": "FINANCE-1",
    "Addresses": [
        {"AddressType": "STREET", "City": "Bergen"},
        {"AddressType": "POBOX", "AddressLine1": "Kaigaten 1", "City": "Oslo", "Country": "NO"},
    ],
    "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "+47 22 00 00 00"}],
    "UpdatedDateUTC": "/Date(1700000000000+0000)/",
}


def test_unpacked_contact_is_the_slim_contact():
    assert unpack_contact(FULL["ContactID"], pack_contact(FULL)) == slim_contact(FULL)
    bare = {"ContactID": "b", "Name": "Bare"}
    assert unpack_contact("b", pack_contact(bare)) == slim_contact(bare)


def test_a_field_holding_the_separator_survives():
    odd = {**FULL, "Name": "Odd\x1fName"}
    assert unpack_contact(FULL["ContactID"], pack_contact(odd))["Name"] == "Odd\x1fName"


def test_packed_contact_gives_the_same_update_as_the_full_one():
    customer = {
        "id": 101,
        "name": "Fjord Events AS",
        "organisationNumber": "923456789",
        "invoiceEmail": "ap@fjordevents.no",
        "invoiceCity": "Bergen",
    }
    wanted = customer_to_contact(customer)
    index = ContactIndex()
    index.add(FULL)
    found, rule = index.match(customer_keys(customer), ["tax_number", "email"])
    assert rule == "tax_number"
    assert contact_update(found, wanted) == contact_update(FULL, wanted)
    assert contact_update(found, wanted)["EmailAddress"] == "ap@fjordevents.no"


def test_each_rule_finds_the_first_contact_that_has_the_key():
    index = ContactIndex()
    index.add({"ContactID": "a", "Name": "A", "EmailAddress": "post@a.no"})
    index.add({"ContactID": "b", "Name": "B", "EmailAddress": "POST@a.no"})
    index.add({"ContactID": "c", "Name": "C", "ContactNumber": "QONDOR-C-7"})
    index.add({"ContactID": "d", "Name": "D", "ContactNumber": "FINANCE-7"})
    by_email = ContactKeys("QONDOR-C-1", email="post@a.no")
    assert index.match(by_email, ["email"]) == (index.by_id["a"], "email")
    assert index.match(ContactKeys("QONDOR-C-7"), ["email"])[0]["ContactID"] == "c"
    assert index.match(ContactKeys("FINANCE-7"), ["email"]) is None  # only our numbers
    assert len(index) == 4 and set(index.by_id) == {"a", "b", "c", "d"}


def test_tax_number_in_another_country_is_skipped_for_the_next():
    index = ContactIndex()
    index.add({"ContactID": "se", "Name": "Svensk", "TaxNumber": "SE923456789001"})
    index.add({"ContactID": "no", "Name": "Norsk", "TaxNumber": "NO 923456789 MVA"})
    index.add({"ContactID": "bare", "Name": "Bare", "TaxNumber": "923456789"})
    norwegian = ContactKeys("QONDOR-C-1", tax_keys=("923456789",), country="NO")
    unknown = ContactKeys("QONDOR-C-2", tax_keys=("923456789",))
    assert index.match(norwegian, ["tax_number"])[0]["ContactID"] == "no"
    assert index.match(unknown, ["tax_number"])[0]["ContactID"] == "no"
    index.forget("no")
    assert index.match(norwegian, ["tax_number"])[0]["ContactID"] == "bare"


def test_renamed_contact_frees_its_old_name_and_archived_ones_are_left_out():
    index = ContactIndex()
    index.add({"ContactID": "a", "Name": "Old Name AS"})
    index.add({"ContactID": "a", "Name": "New Name AS"})
    index.add({"ContactID": "x", "Name": "Gone AS", "ContactStatus": "ARCHIVED"})
    assert index.name_owner("old name as") is None
    assert index.name_owner("NEW  name AS") == "a"
    assert index.by_id["a"]["Name"] == "New Name AS"
    assert index.name_owner("Gone AS") is None and "x" not in index.by_id


def test_placeholder_is_forgotten_when_the_created_contact_arrives():
    index = ContactIndex()
    index.add({"ContactID": "pending:1", "Name": "Ny Kunde AS", "EmailAddress": "ny@kunde.no"})
    keys = ContactKeys("QONDOR-C-9", email="ny@kunde.no")
    assert index.match(keys, ["email"])[0]["ContactID"] == "pending:1"
    index.forget("pending:1")
    assert index.match(keys, ["email"]) is None and "pending:1" not in index.by_id
