"""Xero invoices in the sandbox: totals from tax rates, every validation rule, upserts, batches,
filters and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest


@pytest.fixture
def org(sandbox):
    """A reset sandbox with two contacts; `.contact_id` is the active one."""
    sandbox.reset()
    sandbox.xero_seed(
        contacts=[
            {"ContactID": "c0000000-0000-4000-8000-000000000001", "Name": "Fjord Events AS"},
            {
                "ContactID": "c0000000-0000-4000-8000-000000000002",
                "Name": "Arkivert AS",
                "ContactStatus": "ARCHIVED",
            },
        ]
    )
    sandbox.contact_id = "c0000000-0000-4000-8000-000000000001"
    return sandbox


def invoice(number: str | None = "Q-1001", **changes) -> dict:
    """An AUTHORISED ACCREC invoice with one 1,000 NOK line on account 200 (25 %)."""
    doc = {
        "Type": "ACCREC",
        "Contact": {"ContactID": "c0000000-0000-4000-8000-000000000001"},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Hotel", "Quantity": 2, "UnitAmount": 500, "AccountCode": "200"}
        ],
    }
    if number:
        doc["InvoiceNumber"] = number
    doc.update(changes)
    return doc


def put(box, *invoices, summarize: bool = False, method: str = "PUT"):
    query = "" if summarize else "?summarizeErrors=false"
    return box.xero(method, f"/Invoices{query}", json={"Invoices": list(invoices)})


def errors_of(response) -> list[list[str]]:
    return [
        [e["Message"] for e in i.get("ValidationErrors", [])] for i in response.json()["Invoices"]
    ]


@pytest.mark.parametrize(
    ("code", "amount_types", "sub", "tax", "total"),
    [
        ("200", "Exclusive", 1000.00, 250.00, 1250.00),
        ("3010", "Exclusive", 1000.00, 150.00, 1150.00),
        ("3020", "Exclusive", 1000.00, 120.00, 1120.00),
        ("3050", "Exclusive", 1000.00, 0.00, 1000.00),
        ("260", "Exclusive", 1000.00, 0.00, 1000.00),
        ("200", "Inclusive", 800.00, 200.00, 1000.00),
        ("3020", "Inclusive", 892.86, 107.14, 1000.00),
        ("200", "NoTax", 1000.00, 0.00, 1000.00),
    ],
)
def test_totals_come_from_the_accounts_tax_rate(
    org, xero_openapi, code, amount_types, sub, tax, total
):
    line = {"Description": "x", "Quantity": 2, "UnitAmount": 500, "AccountCode": code}
    response = put(org, invoice(LineAmountTypes=amount_types, LineItems=[line]))
    [stored] = xero_openapi.check(response)["Invoices"]
    assert (stored["SubTotal"], stored["TotalTax"], stored["Total"]) == (sub, tax, total)
    assert stored["AmountDue"] == total
    assert stored["AmountPaid"] == 0


def test_line_tax_type_overrides_the_accounts_and_lines_round_to_the_ore(org):
    lines = [
        {"Description": "a", "Quantity": 3, "UnitAmount": 33.33, "AccountCode": "200"},
        {
            "Description": "b",
            "Quantity": 1,
            "UnitAmount": 99.99,
            "AccountCode": "200",
            "TaxType": "OUTPUT12",
        },
        {"Description": "c", "LineAmount": 10.01, "AccountCode": "3010"},
    ]
    [stored] = put(org, invoice(LineItems=lines)).json()["Invoices"]
    assert [li["LineAmount"] for li in stored["LineItems"]] == [99.99, 99.99, 10.01]
    assert [li["TaxAmount"] for li in stored["LineItems"]] == [25.00, 12.00, 1.50]
    assert [li["TaxType"] for li in stored["LineItems"]] == ["OUTPUT", "OUTPUT12", "OUTPUT15"]
    assert stored["Total"] == 248.49  # 209.99 + 38.50 tax


def test_dates_come_back_as_msdate_with_date_strings(org):
    [stored] = put(org, invoice()).json()["Invoices"]
    assert stored["Date"] == "/Date(1795132800000+0000)/"
    assert stored["DateString"] == "2026-11-20T00:00:00"
    assert stored["DueDateString"] == "2026-12-04T00:00:00"
    ms = int(re.match(r"/Date\((\d+)\+0000\)/", stored["UpdatedDateUTC"]).group(1))
    assert abs(datetime.now(UTC).timestamp() - ms / 1000) < 60


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Contact": None}, "A Contact must be specified for this type of transaction"),
        (
            {"Contact": {"ContactID": "c0000000-0000-4000-8000-000000000009"}},
            "The contact with ContactID c0000000-0000-4000-8000-000000000009 could not be found.",
        ),
        (
            {"Contact": {"ContactID": "c0000000-0000-4000-8000-000000000002"}},
            "The contact Arkivert AS has been archived. Archived contacts cannot be used.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "999"}]},
            "Account code '999' is not a valid code for this document.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "090"}]},
            "Account code '090' is not a valid code for this document.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "610"}]},
            "Account code '610' is not a valid code for this document.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "3900"}]},
            "Account code '3900' has been archived, or has been deleted. Each line item must reference a valid account.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": 1}]},
            "The account code or ID must be specified",
        ),
        (
            {
                "LineItems": [
                    {"Description": "x", "UnitAmount": 1, "AccountCode": "200", "TaxType": "VAT99"}
                ]
            },
            "The TaxType code 'VAT99' does not exist or cannot be used for this type of transaction.",
        ),
        (
            {"LineItems": [{"UnitAmount": 1, "AccountCode": "200"}]},
            "The description field is mandatory for each line item.",
        ),
        (
            {"LineItems": [{"Description": "x", "UnitAmount": "lots", "AccountCode": "200"}]},
            "UnitAmount must be a number.",
        ),
        ({"LineItems": []}, "A invoice must have at least one line item to be AUTHORISED."),
        ({"CurrencyCode": "JPY"}, "Organisation is not subscribed to currency JPY"),
        (
            {"Status": "PAID"},
            "The status 'PAID' cannot be set through the API; use DRAFT, SUBMITTED or AUTHORISED.",
        ),
        ({"Type": "ACCXXX"}, "Invoice Type must be one of ACCREC or ACCPAY."),
        ({"DueDate": None}, "Due Date is required for a document with status AUTHORISED."),
        ({"Date": "20/11/2026"}, "'20/11/2026' is not a valid date for Date."),
        ({"LineAmountTypes": "Gross"}, "LineAmountTypes must be Exclusive, Inclusive or NoTax."),
        ({"Url": "not a url"}, "The Url 'not a url' is not a valid absolute URL."),
        (
            {
                "LineItems": [
                    {"Description": "x", "Quantity": 1, "UnitAmount": -5, "AccountCode": "200"}
                ]
            },
            "Invoice total must not be negative.",
        ),
    ],
)
def test_each_validation_rule_in_xeros_words(org, changes, message):
    response = put(org, invoice(**changes))
    assert response.status_code == 200
    [element] = response.json()["Invoices"]
    assert element["StatusAttributeString"] == "ERROR"
    assert element["HasErrors"] is True
    assert message in [e["Message"] for e in element["ValidationErrors"]]
    assert org.xero_state()["invoices"] == []


def test_invoice_number_is_unique_for_accrec_and_put_never_updates(org, xero_openapi):
    assert put(org, invoice()).json()["Invoices"][0]["StatusAttributeString"] == "OK"
    refused = put(org, invoice())
    xero_openapi.check(refused)  # target-xero reads this answer on every rerun
    assert errors_of(refused) == [["Invoice # must be unique."]]
    assert len(org.xero_state()["invoices"]) == 1


def test_post_upserts_by_invoice_number_and_by_invoice_id(org, xero_openapi):
    [first] = put(org, invoice(Status="DRAFT", Reference="PO 1")).json()["Invoices"]
    lines = [{"Description": "Hotel", "Quantity": 3, "UnitAmount": 500, "AccountCode": "200"}]
    response = put(org, invoice(Status="AUTHORISED", LineItems=lines), method="POST")
    [updated] = xero_openapi.check(response)["Invoices"]
    assert updated["InvoiceID"] == first["InvoiceID"]
    assert updated["Total"] == 1875.0
    assert updated["Reference"] == "PO 1"  # not sent, kept
    by_id = put(org, {"InvoiceID": first["InvoiceID"], "Reference": "PO 2"}, method="POST")
    assert by_id.json()["Invoices"][0]["Reference"] == "PO 2"
    assert len(org.xero_state()["invoices"]) == 1


def test_paid_and_voided_invoices_cannot_be_modified(org):
    [paid] = put(org, invoice("Q-1")).json()["Invoices"]
    [voided] = put(org, invoice("Q-2")).json()["Invoices"]
    org.pay(["Q-1"])
    assert put(org, {"InvoiceID": voided["InvoiceID"], "Status": "VOIDED"}, method="POST").ok
    for target in (paid, voided):
        response = put(org, {"InvoiceID": target["InvoiceID"], "Reference": "late"}, method="POST")
        assert errors_of(response) == [["Invoice not of valid status for modification"]]


def test_an_authorised_invoice_cannot_go_back_to_draft(org):
    [stored] = put(org, invoice()).json()["Invoices"]
    response = put(org, {"InvoiceID": stored["InvoiceID"], "Status": "DRAFT"}, method="POST")
    assert errors_of(response) == [["Invoice not of valid status for modification"]]


def test_accrec_without_number_gets_the_next_inv_number(org):
    first = put(org, invoice(None)).json()["Invoices"][0]
    second = put(org, invoice(None)).json()["Invoices"][0]
    assert (first["InvoiceNumber"], second["InvoiceNumber"]) == ("INV-0001", "INV-0002")


def test_contact_by_name_is_created_when_missing(org):
    [stored] = put(org, invoice(Contact={"Name": "Helt Ny AS"})).json()["Invoices"]
    assert stored["Contact"]["Name"] == "Helt Ny AS"
    assert "Helt Ny AS" in [c["Name"] for c in org.xero_state()["contacts"]]


def test_a_rejected_invoice_creates_no_contact_by_name(org):
    response = put(org, invoice(Contact={"Name": "Aldri Lagret AS"}, CurrencyCode="JPY"))
    assert response.json()["Invoices"][0]["StatusAttributeString"] == "ERROR"
    assert "Aldri Lagret AS" not in [c["Name"] for c in org.xero_state()["contacts"]]


def test_batch_with_summarize_errors_false_reports_each_element(org, xero_openapi):
    response = put(org, invoice("A"), invoice("B", CurrencyCode="JPY"), invoice("C"))
    body = xero_openapi.check(response)
    assert [i["StatusAttributeString"] for i in body["Invoices"]] == ["OK", "ERROR", "OK"]
    assert body["Invoices"][1]["InvoiceNumber"] == "B"
    assert sorted(i["InvoiceNumber"] for i in org.xero_state()["invoices"]) == ["A", "C"]


def test_batch_without_summarize_errors_is_a_400_yet_good_elements_are_stored(org, xero_openapi):
    response = put(
        org, invoice("A"), invoice("B", CurrencyCode="JPY"), invoice("C"), summarize=True
    )
    assert response.status_code == 400
    body = xero_openapi.check(response)
    assert body["ErrorNumber"] == 10
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    assert [e["InvoiceNumber"] for e in body["Elements"]] == ["B"]
    assert body["Elements"][0]["ValidationErrors"] == [
        {"Message": "Organisation is not subscribed to currency JPY"}
    ]
    assert sorted(i["InvoiceNumber"] for i in org.xero_state()["invoices"]) == ["A", "C"]


def test_malformed_body_is_a_400(org):
    response = org.xero(
        "PUT", "/Invoices", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["Type"] == "PostDataInvalidException"


@pytest.fixture
def many(org):
    """Invoices in several states, dates and contacts."""
    other = "c0000000-0000-4000-8000-000000000003"
    org.xero_seed(contacts=[{"ContactID": other, "Name": "Nordlys AS"}])
    put(
        org,
        invoice("N-1", Date="2026-10-01"),
        invoice("N-2", Date="2026-11-01", Status="DRAFT"),
        invoice("N-3", Date="2026-11-15", Contact={"ContactID": other}),
        invoice("N-4", Date="2026-11-20"),
    )
    org.xero_seed(
        invoices=[
            {
                "InvoiceNumber": "OLD-1",
                "Contact": {"ContactID": other},
                "Date": "2025-01-01",
                "DueDate": "2025-01-15",
                "UpdatedDateUTC": "2025-01-15T08:00:00",
                "LineItems": [{"Description": "x", "UnitAmount": 10, "AccountCode": "200"}],
            }
        ]
    )
    org.pay(["N-4"])
    org.other_id = other
    return org


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(i["InvoiceNumber"] for i in response.json()["Invoices"])


def test_invoice_filters(many, xero_openapi):
    get = many.xero
    assert numbers(get("GET", "/Invoices?InvoiceNumbers=N-1,N-3,nope")) == ["N-1", "N-3"]
    assert numbers(get("GET", "/Invoices?Statuses=DRAFT,PAID")) == ["N-2", "N-4"]
    assert numbers(get("GET", f"/Invoices?ContactIDs={many.other_id}")) == ["N-3", "OLD-1"]
    assert numbers(get("GET", "/Invoices?createdByMyApp=true")) == ["N-1", "N-2", "N-3", "N-4"]
    assert len(numbers(get("GET", "/Invoices?createdByMyApp=false"))) == 5
    assert numbers(
        get(
            "GET",
            "/Invoices",
            params={"where": 'Status=="AUTHORISED" AND Date>=DateTime(2026, 11, 01)'},
        )
    ) == ["N-3"]
    assert numbers(
        get("GET", "/Invoices", params={"where": 'Type=="ACCREC" AND Date<DateTime(2026,1,1)'})
    ) == ["OLD-1"]
    assert numbers(
        get("GET", "/Invoices", params={"where": f'Contact.ContactID==Guid("{many.other_id}")'})
    ) == ["N-3", "OLD-1"]
    assert numbers(
        get("GET", "/Invoices", params={"where": 'InvoiceNumber.StartsWith("N-") AND AmountDue==0'})
    ) == ["N-4"]
    one = get(
        "GET",
        "/Invoices?IDs="
        + many.xero("GET", "/Invoices?InvoiceNumbers=N-2").json()["Invoices"][0]["InvoiceID"],
    )
    assert numbers(one) == ["N-2"]
    ordered = xero_openapi.check(get("GET", "/Invoices?order=Date DESC"))
    assert [i["InvoiceNumber"] for i in ordered["Invoices"]][:2] == ["N-4", "N-3"]
    summary = get("GET", "/Invoices?summaryOnly=true").json()["Invoices"]
    assert all("LineItems" not in i for i in summary)
    # The link back to the source document is a header field: summary reads keep it.
    link = "https://qondor.example/Invoicing/v1/Invoice/5012"
    put(many, invoice("N-URL", Url=link))
    summary = get("GET", "/Invoices?summaryOnly=true&InvoiceNumbers=N-URL").json()["Invoices"]
    assert [i["Url"] for i in summary] == [link]
    assert get("GET", "/Invoices", params={"where": 'Colour=="red"'}).status_code == 400


def test_paid_invoice_moves_updated_date_and_if_modified_since_sees_it(many):
    # Last changed in January 2025, paid now: only the payment can bring it into a recent read.
    many.xero_seed(
        invoices=[
            {
                "InvoiceNumber": "OLD-2",
                "Status": "AUTHORISED",
                "Contact": {"ContactID": many.other_id},
                "Date": "2025-01-01",
                "DueDate": "2025-01-15",
                "UpdatedDateUTC": "2025-01-15T08:00:00",
                "LineItems": [{"Description": "x", "UnitAmount": 10, "AccountCode": "200"}],
            }
        ]
    )
    before = many.xero("GET", "/Invoices/OLD-2").json()["Invoices"][0]
    many.pay(["OLD-2"])
    after = many.xero("GET", "/Invoices/OLD-2").json()["Invoices"][0]
    assert after["Status"] == "PAID"
    assert _ms(after["UpdatedDateUTC"]) > _ms(before["UpdatedDateUTC"])
    since = datetime.fromtimestamp(_ms(after["UpdatedDateUTC"]) / 1000 - 1, UTC)
    changed = numbers(
        many.xero("GET", "/Invoices", headers={"If-Modified-Since": since.isoformat()[:19]})
    )
    assert "OLD-2" in changed and "OLD-1" not in changed


def _ms(value: str) -> int:
    """Epoch milliseconds of a `/Date(ms+0000)/`."""
    return int(re.search(r"\d+", value).group())


def test_get_invoice_by_id_or_number_and_404(many, xero_openapi):
    by_number = xero_openapi.check(many.xero("GET", "/Invoices/N-1"))["Invoices"][0]
    by_id = xero_openapi.check(many.xero("GET", f"/Invoices/{by_number['InvoiceID']}"))["Invoices"][
        0
    ]
    assert by_id["InvoiceNumber"] == "N-1"
    assert many.xero("GET", "/Invoices/NOPE").status_code == 404


def test_a_sales_invoice_makes_its_contact_a_customer(org):
    before = org.xero("GET", f"/Contacts/{org.contact_id}").json()["Contacts"][0]
    assert before["IsCustomer"] is False
    put(org, invoice())
    after = org.xero("GET", f"/Contacts/{org.contact_id}").json()["Contacts"][0]
    assert after["IsCustomer"] is True


def test_a_write_answer_holds_the_whole_contact_as_xeros_example_does(org, xero_openapi):
    """Xero's answer to PUT /Invoices carries the contact with its addresses and phones (the
    OpenAPI's example): egress a sandbox answering with ContactID and Name alone would hide."""
    org.xero(
        "POST",
        "/Contacts",
        json={
            "Contacts": [
                {
                    "ContactID": org.contact_id,
                    "EmailAddress": "faktura@fjordevents.no",
                    "Addresses": [{"AddressType": "POBOX", "City": "Bergen"}],
                    "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "55 00 00 00"}],
                }
            ]
        },
    )
    [created] = xero_openapi.check(put(org, invoice()))["Invoices"]
    contact = created["Contact"]
    assert contact["ContactID"] == org.contact_id and contact["Name"] == "Fjord Events AS"
    assert contact["EmailAddress"] == "faktura@fjordevents.no"
    assert contact["Addresses"][0]["City"] == "Bergen"
    assert contact["Phones"][0]["PhoneNumber"] == "55 00 00 00"
    [note] = org.xero(
        "PUT",
        "/CreditNotes",
        json={
            "CreditNotes": [{**invoice(None), "Type": "ACCRECCREDIT", "CreditNoteNumber": "K-1"}]
        },
    ).json()["CreditNotes"]
    assert note["Contact"]["Addresses"][0]["City"] == "Bergen"
