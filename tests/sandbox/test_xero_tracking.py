"""The sandbox's tracking categories and branding themes, as Xero's OpenAPI describes them.

`GET /TrackingCategories` lists categories with their options (archived ones with
`includeArchived`), `PUT /TrackingCategories/{id}/Options` adds an option, `GET /BrandingThemes`
lists themes; a line's `Tracking` must name an existing, active category and option, and a
document's `BrandingThemeID` an existing theme."""

from __future__ import annotations

import pytest

CONTACT = "c0000000-0000-4000-8000-000000000001"


@pytest.fixture
def org(sandbox):
    sandbox.reset()
    sandbox.xero_seed(
        contacts=[{"ContactID": CONTACT, "Name": "Fjord Events AS"}],
        trackingCategories=[
            {
                "Name": "Office",
                "Options": ["Oslo", {"Name": "Bergen", "Status": "ARCHIVED"}],
            },
            {"Name": "Region", "Status": "ARCHIVED", "Options": ["North"]},
        ],
        brandingThemes=[{"Name": "Oslo layout", "SortOrder": 1}],
    )
    return sandbox


def categories(box, openapi, **params):
    response = box.xero("GET", "/TrackingCategories", params=params)
    return {c["Name"]: c for c in openapi.check(response)["TrackingCategories"]}


def put_invoice(box, tracking=None, **header):
    line = {"Description": "Hotel", "AccountCode": "3020", "Quantity": 1, "LineAmount": 100}
    if tracking is not None:
        line["Tracking"] = tracking
    doc = {
        "Type": "ACCREC",
        "Contact": {"ContactID": CONTACT},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": "AUTHORISED",
        "LineItems": [line],
        **header,
    }
    params = {"summarizeErrors": "false"}
    return box.xero("PUT", "/Invoices", params=params, json={"Invoices": [doc]})


def test_tracking_categories_list_active_options_and_archived_ones_on_request(org, xero_openapi):
    active = categories(org, xero_openapi)
    assert set(active) == {"Office"}
    assert [o["Name"] for o in active["Office"]["Options"]] == ["Oslo"]
    everything = categories(org, xero_openapi, includeArchived="true")
    assert everything["Region"]["Status"] == "ARCHIVED"
    options = {o["Name"]: o["Status"] for o in everything["Office"]["Options"]}
    assert options == {"Oslo": "ACTIVE", "Bergen": "ARCHIVED"}


def test_an_option_is_added_once_and_a_second_of_the_same_name_is_refused(org, xero_openapi):
    office = categories(org, xero_openapi)["Office"]
    path = f"/TrackingCategories/{office['TrackingCategoryID']}/Options"
    added = xero_openapi.check(org.xero("PUT", path, json={"Name": "Stockholm"}))
    assert added["Options"][0]["Name"] == "Stockholm" and added["Options"][0]["IsActive"]
    again = org.xero("PUT", path, json={"Name": "stockholm"})
    assert again.status_code == 400
    assert "the name must be unique" in again.text
    assert [o["Name"] for o in categories(org, xero_openapi)["Office"]["Options"]] == [
        "Oslo",
        "Stockholm",
    ]
    unknown = "/TrackingCategories/00000000-0000-4000-8000-00000000abcd/Options"
    assert org.xero("PUT", unknown, json={"Name": "X"}).status_code == 404


def test_a_line_is_tracked_by_name_and_stored_with_xeros_ids(org, xero_openapi):
    office = categories(org, xero_openapi)["Office"]
    [invoice] = xero_openapi.check(put_invoice(org, [{"Name": "office", "Option": "OSLO"}]))[
        "Invoices"
    ]
    [tracked] = invoice["LineItems"][0]["Tracking"]
    assert tracked == {
        "TrackingCategoryID": office["TrackingCategoryID"],
        "TrackingOptionID": office["Options"][0]["TrackingOptionID"],
        "Name": "Office",
        "Option": "Oslo",
    }


@pytest.mark.parametrize(
    ("tracking", "message"),
    [
        ([{"Name": "Project", "Option": "P-1"}], "The tracking category 'Project' is not valid."),
        (
            [{"Name": "Region", "Option": "North"}],
            "The tracking category 'Region' has been archived.",
        ),
        (
            [{"Name": "Office", "Option": "Tromsø"}],
            "The tracking option 'Tromsø' is not valid for tracking category 'Office'.",
        ),
        (
            [{"Name": "Office", "Option": "Bergen"}],
            "The tracking option 'Bergen' of tracking category 'Office' has been archived.",
        ),
    ],
)
def test_a_line_tracked_by_an_unknown_or_archived_category_or_option_is_refused(
    org, tracking, message
):
    [refused] = put_invoice(org, tracking).json()["Invoices"]
    assert [e["Message"] for e in refused["ValidationErrors"]] == [message]
    assert org.xero_state()["invoices"] == []


def test_branding_themes_are_listed_and_an_invoice_carries_one(org, xero_openapi):
    themes = xero_openapi.check(org.xero("GET", "/BrandingThemes"))["BrandingThemes"]
    by_name = {t["Name"]: t["BrandingThemeID"] for t in themes}
    assert set(by_name) == {"Standard", "Oslo layout"}
    [invoice] = put_invoice(org, BrandingThemeID=by_name["Oslo layout"]).json()["Invoices"]
    assert invoice["BrandingThemeID"] == by_name["Oslo layout"]
    [refused] = put_invoice(org, BrandingThemeID=CONTACT).json()["Invoices"]
    assert refused["ValidationErrors"] == [
        {"Message": f"The BrandingThemeID '{CONTACT}' is not valid."}
    ]
