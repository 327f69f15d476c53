"""Xero contacts in the sandbox: create/update, uniqueness, filters, paging, archived contacts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

NAME_TAKEN = (
    "The contact name Fjord Events AS is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


@pytest.fixture
def contacts(sandbox):
    """A reset sandbox with a few contacts, their tax numbers in several formats."""
    sandbox.reset()
    sandbox.xero_seed(
        contacts=[
            {
                "Name": "Fjord Events AS",
                "EmailAddress": "faktura@fjordevents.no",
                "TaxNumber": "NO923456789MVA",
                "ContactNumber": "Q-77",
            },
            {
                "Name": "Fjord Events Bergen",
                "EmailAddress": "bergen@fjordevents.no",
                "TaxNumber": "923 456 789",
            },
            {
                "Name": "Nordlys Reiser AS",
                "EmailAddress": "post@nordlys.no",
                "TaxNumber": "987654321",
                "AccountNumber": "K-1",
            },
            {"Name": "Gamle Kunde AS", "EmailAddress": "old@kunde.no", "ContactStatus": "ARCHIVED"},
            {"Name": 'Quote "Q" & Co', "EmailAddress": "q@co.no"},
        ]
    )
    return sandbox


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(c["Name"] for c in response.json()["Contacts"])


def test_put_creates_a_contact_in_xeros_shape(sandbox, xero_openapi):
    sandbox.reset()
    response = sandbox.xero(
        "PUT",
        "/Contacts?summarizeErrors=false",
        json={
            "Contacts": [
                {
                    "Name": "Ny Kunde AS",
                    "EmailAddress": "a@ny.no",
                    "TaxNumber": "NO911111111MVA",
                    "ContactNumber": "Q-1",
                    "Addresses": [{"AddressType": "POBOX", "City": "Oslo"}],
                }
            ]
        },
    )
    body = xero_openapi.check(response)
    [contact] = body["Contacts"]
    assert contact["StatusAttributeString"] == "OK"
    assert contact["ContactStatus"] == "ACTIVE"
    assert contact["UpdatedDateUTC"].startswith("/Date(")
    assert body["Status"] == "OK" and body["ProviderName"]
    [stored] = sandbox.xero_state()["contacts"]
    assert stored["ContactID"] == contact["ContactID"]
    assert stored["Addresses"][0]["City"] == "Oslo"


def test_post_updates_by_contact_id_and_put_refuses_an_existing_id(contacts):
    fjord = contacts.xero("GET", '/Contacts?where=ContactNumber=="Q-77"').json()["Contacts"][0]
    update = {"ContactID": fjord["ContactID"], "EmailAddress": "ny@fjordevents.no"}
    response = contacts.xero("POST", "/Contacts", json={"Contacts": [update]})
    assert response.status_code == 200
    [updated] = response.json()["Contacts"]
    assert updated["EmailAddress"] == "ny@fjordevents.no"
    assert updated["Name"] == "Fjord Events AS"  # fields not sent are kept
    again = contacts.xero("PUT", "/Contacts", json={"Contacts": [update]})
    assert again.status_code == 400


def test_contact_name_must_be_unique_among_active_contacts(contacts):
    response = contacts.xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Fjord Events AS"}]})
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "ValidationException"
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": NAME_TAKEN}]
    # an archived contact's name may be reused
    reuse = contacts.xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Gamle Kunde AS"}]})
    assert reuse.status_code == 200


def test_contact_rules_name_required_email_valid_number_length(contacts):
    response = contacts.xero(
        "PUT",
        "/Contacts?summarizeErrors=false",
        json={
            "Contacts": [
                {"EmailAddress": "x@y.no"},
                {"Name": "E", "EmailAddress": "not-mail"},
                {"Name": "N", "ContactNumber": "x" * 51},
            ]
        },
    )
    assert response.status_code == 200  # (an over-long echo cannot fit the spec: not checked)
    body = response.json()
    messages = [[e["Message"] for e in c["ValidationErrors"]] for c in body["Contacts"]]
    assert messages == [
        ["The contact name must be specified."],
        ["Email address must be valid."],
        ["The Contact Number must not be longer than 50 characters."],
    ]
    assert all(c["HasValidationErrors"] for c in body["Contacts"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ('EmailAddress=="faktura@fjordevents.no"', ["Fjord Events AS"]),
        ('EmailAddress=="FAKTURA@FJORDEVENTS.NO"', ["Fjord Events AS"]),
        ('TaxNumber=="923 456 789"', ["Fjord Events Bergen"]),
        ('Name.Contains("Fjord")', ["Fjord Events AS", "Fjord Events Bergen"]),
        ('Name.StartsWith("Nord")', ["Nordlys Reiser AS"]),
        ('Name.EndsWith("Bergen")', ["Fjord Events Bergen"]),
        ('Name.ToLower().Contains("nordlys")', ["Nordlys Reiser AS"]),
        ('AccountNumber=="K-1" OR ContactNumber=="Q-77"', ["Fjord Events AS", "Nordlys Reiser AS"]),
        ('Name.Contains("Fjord") AND TaxNumber!="923 456 789"', ["Fjord Events AS"]),
        ('(Name=="X" OR Name.Contains("Nord")) && EmailAddress!=null', ["Nordlys Reiser AS"]),
        ('Name=="Quote \\"Q\\" & Co"', ['Quote "Q" & Co']),
        ('Name.Contains("%")', []),
        ('ContactStatus=="ACTIVE" AND TaxNumber==null', ['Quote "Q" & Co']),
    ],
)
def test_where_filters_contacts(contacts, where, expected):
    assert names(contacts.xero("GET", "/Contacts", params={"where": where})) == expected


def test_where_by_guid_and_by_updated_date(contacts):
    fjord = contacts.xero("GET", "/Contacts", params={"where": 'ContactNumber=="Q-77"'}).json()
    contact_id = fjord["Contacts"][0]["ContactID"]
    by_id = contacts.xero("GET", "/Contacts", params={"where": f'ContactID==Guid("{contact_id}")'})
    assert names(by_id) == ["Fjord Events AS"]
    year = datetime.now(UTC).year
    later = contacts.xero(
        "GET", "/Contacts", params={"where": f"UpdatedDateUTC>DateTime({year + 1}, 1, 1)"}
    )
    assert names(later) == []
    earlier = contacts.xero(
        "GET", "/Contacts", params={"where": f"UpdatedDateUTC>=DateTime({year - 1},01,01)"}
    )
    assert len(names(earlier)) == 4


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ('Foo=="x"', "No property or field 'Foo'"),
        ('Name=="x" XOR Name=="y"', "unexpected"),
        ('Name.Matches("x")', "not supported"),
        ('Name=="unterminated', "unexpected character"),
        ("Name==5", "incompatible"),
        ('UpdatedDateUTC>="2026-01-01"', "incompatible"),
        ('ContactID==Guid("nope")', "not a valid GUID"),
        ("DateTime(2026,1,1)", "No property or field 'DateTime'"),
        ('Name=="a" AND', "expected"),
        ('(Name=="a"', "expected"),
        ('Name=="a" Name=="b"', "unexpected"),
    ],
)
def test_unsupported_where_is_a_400_never_ignored(contacts, where, why):
    response = contacts.xero("GET", "/Contacts", params={"where": where})
    assert response.status_code == 400
    assert why in response.json()["Message"]


def test_archived_contacts_only_with_include_archived(contacts):
    assert "Gamle Kunde AS" not in names(contacts.xero("GET", "/Contacts"))
    assert "Gamle Kunde AS" in names(contacts.xero("GET", "/Contacts?includeArchived=true"))


def test_paging_and_order(sandbox, xero_openapi):
    sandbox.reset()
    sandbox.xero_seed(contacts=[{"Name": f"Kunde {i:03d}"} for i in range(250)])
    first = xero_openapi.check(sandbox.xero("GET", "/Contacts?page=1&pageSize=100&order=Name DESC"))
    assert first["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 3, "itemCount": 250}
    assert first["Contacts"][0]["Name"] == "Kunde 249"
    third = sandbox.xero("GET", "/Contacts?page=3&pageSize=100&order=Name DESC").json()
    assert [c["Name"] for c in third["Contacts"]][-1] == "Kunde 000"
    assert len(third["Contacts"]) == 50
    beyond = sandbox.xero("GET", "/Contacts?page=4&pageSize=100").json()
    assert beyond["Contacts"] == []
    capped = sandbox.xero("GET", "/Contacts?pageSize=5000").json()
    assert capped["pagination"]["pageSize"] == 1000
    assert len(capped["Contacts"]) == 250
    default = sandbox.xero("GET", "/Contacts").json()
    assert len(default["Contacts"]) == 100
    assert sandbox.xero("GET", "/Contacts?order=Nope").status_code == 400
    assert sandbox.xero("GET", "/Contacts?page=zero").status_code == 400


def test_ids_if_modified_since_and_summary_only(contacts):
    everyone = contacts.xero("GET", "/Contacts").json()["Contacts"]
    ids = [c["ContactID"] for c in everyone[:2]]
    by_ids = contacts.xero("GET", "/Contacts", params={"IDs": ",".join(ids)})
    assert sorted(c["ContactID"] for c in by_ids.json()["Contacts"]) == sorted(ids)
    assert contacts.xero("GET", "/Contacts", params={"IDs": "nope"}).status_code == 400

    time.sleep(1.1)  # If-Modified-Since has whole seconds
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    time.sleep(0.05)
    contacts.xero(
        "POST", "/Contacts", json={"Contacts": [{"ContactID": ids[0], "Website": "https://x.no"}]}
    )
    changed = contacts.xero("GET", "/Contacts", headers={"If-Modified-Since": since})
    assert [c["ContactID"] for c in changed.json()["Contacts"]] == [ids[0]]


def test_summary_only_leaves_out_what_xero_leaves_out(contacts):
    """Reported of real Xero: no addresses, phones, tax number or customer/supplier roles; the
    email, bank details and ContactNumber stay, and a where on the tax number still filters."""
    where = {"where": 'ContactNumber=="Q-77"'}
    (fjord,) = contacts.xero("GET", "/Contacts", params=where).json()["Contacts"]
    updated = contacts.xero(
        "POST",
        "/Contacts",
        json={
            "Contacts": [
                {
                    "ContactID": fjord["ContactID"],
                    "BankAccountDetails": "1503.12.34567",
                    "Addresses": [{"AddressType": "POBOX", "City": "Oslo"}],
                    "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "22 00 00 00"}],
                    "ContactPersons": [{"FirstName": "Kari", "EmailAddress": "kari@fjord.no"}],
                }
            ]
        },
    )
    assert updated.status_code == 200, updated.text
    (whole,) = contacts.xero("GET", "/Contacts", params=where).json()["Contacts"]
    assert whole["Addresses"] and whole["Phones"] and whole["TaxNumber"] == "NO923456789MVA"
    assert {"IsCustomer", "IsSupplier"} <= whole.keys()
    summary = contacts.xero(
        "GET", "/Contacts", params={"summaryOnly": "true", "where": 'TaxNumber.Contains("923")'}
    )
    assert summary.status_code == 200, summary.text
    by_number = {c.get("ContactNumber"): c for c in summary.json()["Contacts"]}
    assert len(by_number) == 2  # both Fjord contacts, found by the tax number it leaves out
    light = by_number["Q-77"]
    left_out = {"Addresses", "Phones", "TaxNumber", "IsCustomer", "IsSupplier", "ContactPersons"}
    assert not left_out & light.keys()
    assert light["EmailAddress"] == "faktura@fjordevents.no"
    assert light["BankAccountDetails"] == "1503.12.34567"
    assert {"ContactID", "Name", "ContactStatus", "UpdatedDateUTC"} <= light.keys()


def test_get_one_contact_and_plain_text_404(contacts, xero_openapi):
    contact_id = contacts.xero("GET", "/Contacts").json()["Contacts"][0]["ContactID"]
    one = xero_openapi.check(contacts.xero("GET", f"/Contacts/{contact_id}"))
    assert one["Contacts"][0]["ContactID"] == contact_id
    missing = contacts.xero("GET", "/Contacts/00000000-0000-4000-8000-00000000dead")
    assert missing.status_code == 404
    assert missing.text == "The resource you're looking for cannot be found"


def test_search_term_matches_names_and_emails(contacts):
    assert names(contacts.xero("GET", "/Contacts?searchTerm=fjord")) == [
        "Fjord Events AS",
        "Fjord Events Bergen",
    ]
    assert names(contacts.xero("GET", "/Contacts?searchTerm=post@nordlys")) == ["Nordlys Reiser AS"]


def test_too_many_ids_overflow_the_url_into_a_404(contacts):
    ids = ",".join(f"c0000000-0000-4000-8000-{i:012d}" for i in range(60))
    response = contacts.xero("GET", "/Contacts", params={"IDs": ids})
    assert response.status_code == 404
    assert response.text == "The resource you're looking for cannot be found"
    fifty = ",".join(f"c0000000-0000-4000-8000-{i:012d}" for i in range(50))
    assert contacts.xero("GET", "/Contacts", params={"IDs": fifty}).status_code == 200


def test_resource_names_are_case_insensitive(contacts):
    assert names(contacts.xero("GET", "/contacts?includeArchived=true")) == names(
        contacts.xero("GET", "/Contacts?includeArchived=true")
    )
