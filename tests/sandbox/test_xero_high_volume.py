"""A very large organisation refuses contact reads Xero cannot filter efficiently.

Xero answers them with 400 `HighVolumeException`, "Your request is not filtering Contacts
efficiently, given the extremely high volume for this organisation" (XeroAPI/xero-python issue
148: a `ContactNumber` where-clause refused); its optimised Contacts filters are Name,
EmailAddress and AccountNumber, plus IDs, searchTerm and paged reading. The sandbox does so above
`--xero-high-volume-contacts`."""

from __future__ import annotations

import pytest

CONTACTS = [
    {"Name": f"Kunde {n} AS", "EmailAddress": f"post@kunde{n}.no", "TaxNumber": f"NO98765432{n}MVA"}
    for n in range(5)
]


@pytest.fixture
def large_org(start_sandbox):
    with start_sandbox(xero_high_volume_contacts=3) as box:
        box.xero_seed(contacts=CONTACTS)
        yield box


@pytest.mark.parametrize(
    "params",
    [
        {"where": 'TaxNumber.Contains("987654321")', "page": "1"},
        {"where": 'ContactNumber=="QONDOR-C-1" OR Name=="Kunde 1 AS"', "page": "1"},
        {},
    ],
)
def test_a_read_xero_cannot_filter_efficiently_is_refused(large_org, params):
    response = large_org.xero("GET", "/Contacts", params=params)
    assert response.status_code == 400  # not in the OpenAPI's GET /Contacts answers
    body = response.json()
    assert body["Type"] == "HighVolumeException"
    assert body["Message"].startswith("Your request is not filtering Contacts efficiently")


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"where": 'Name=="Kunde 1 AS" OR EmailAddress=="post@kunde2.no"', "page": "1"}, 2),
        ({"searchTerm": "kunde3"}, 1),
        ({"page": "1", "pageSize": "2"}, 2),
    ],
)
def test_optimised_filters_search_terms_and_pages_still_work(large_org, params, found):
    response = large_org.xero("GET", "/Contacts", params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()["Contacts"]) == found


def test_a_small_organisation_answers_any_filter(sandbox):
    sandbox.reset()
    sandbox.xero_seed(contacts=CONTACTS)
    response = sandbox.xero("GET", "/Contacts", params={"where": 'TaxNumber.Contains("98765")'})
    assert response.status_code == 200 and len(response.json()["Contacts"]) == 5
