"""The Xero sandbox's admin API (seed, state, reset, page), restarts, and the OpenAPI sweep."""

from __future__ import annotations

import requests

TENANT = "00000000-0000-4000-8000-000000000001"


def test_reset_seeds_the_built_in_chart_and_currencies(sandbox):
    sandbox.reset()
    state = sandbox.xero_state()
    assert set(state) == {
        "accounts",
        "currencies",
        "contacts",
        "invoices",
        "creditNotes",
        "payments",
        "trackingCategories",
        "brandingThemes",
    }
    assert [t["Name"] for t in state["brandingThemes"]] == ["Standard"]
    assert state["trackingCategories"] == []
    accounts = {a["Code"]: a for a in state["accounts"]}
    assert accounts["200"]["TaxType"] == "OUTPUT" and accounts["200"]["Type"] == "REVENUE"
    assert accounts["260"]["Name"] == "Other Revenue"
    assert accounts["090"]["Type"] == "BANK" and accounts["090"]["EnablePaymentsToAccount"] is True
    assert any(a["Status"] == "ARCHIVED" and a["Type"] == "REVENUE" for a in accounts.values())
    revenue_taxes = {a["TaxType"] for a in accounts.values() if a["Type"] == "REVENUE"}
    assert {"OUTPUT", "OUTPUT15", "OUTPUT12", "ZERORATEDOUTPUT"} <= revenue_taxes
    assert [c["Code"] for c in state["currencies"]] == ["NOK", "EUR", "SEK", "GBP", "USD"]
    assert state["contacts"] == state["invoices"] == state["payments"] == []


def test_reset_puts_the_identity_clock_back_to_real_time(sandbox):
    sandbox.advance_clock(3 * 3600)  # as a test of token expiry would, without moving it back
    sandbox.reset()
    moved = sandbox.admin(sandbox.xero_url, "POST", "clock", {"advance_seconds": 0})
    assert moved == {"offset_seconds": 0.0}


def test_seed_adds_explicit_objects_in_xeros_shapes(sandbox):
    sandbox.reset()
    counts = sandbox.xero_seed(
        contacts=[{"Name": "Seeded AS", "TaxNumber": "923456789"}],
        invoices=[
            {
                "InvoiceNumber": "S-1",
                "Contact": {"Name": "Seeded AS"},
                "Status": "PAID",
                "Date": "2026-11-01",
                "DueDate": "2026-11-15",
                "LineItems": [
                    {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "3020"}
                ],
            }
        ],
    )
    assert counts["contacts"] == 1 and counts["invoices"] == 1
    state = sandbox.xero_state()
    [inv] = state["invoices"]
    assert (inv["Total"], inv["AmountDue"], inv["AmountPaid"], inv["Status"]) == (
        112.0,
        0.0,
        112.0,
        "PAID",
    )
    assert inv["Contact"]["ContactID"] == state["contacts"][0]["ContactID"]
    assert [p["Amount"] for p in state["payments"]] == [112.0]
    # seeding adds; reset empties
    sandbox.xero_seed(contacts=[{"Name": "Second AS"}])
    assert len(sandbox.xero_state()["contacts"]) == 2


def test_bad_seed_names_the_item_and_field(sandbox):
    for body, words in [
        ({"contacts": [{"EmailAddress": "x@y.no"}]}, "contacts[0]: field 'Name'"),
        ({"invoices": [{"Contact": {"Name": "Nobody"}}]}, "invoices[0]: field 'Contact'"),
        ({"widgets": []}, "unknown key 'widgets'"),
        ({"scenario": "no-such-scenario"}, "no-such-scenario"),
    ]:
        response = requests.post(f"{sandbox.xero_url}/_sandbox/seed", json=body, timeout=30)
        assert response.status_code == 400, body
        assert words in response.json()["error"]
        assert "\n" not in response.json()["error"]


def test_reset_with_the_demo_scenario(sandbox):
    sandbox.reset("demo")
    state = sandbox.xero_state()
    contacts = state["contacts"]
    assert contacts, "the demo organisation has contacts"
    assert any(c["ContactStatus"] == "ARCHIVED" for c in contacts)
    digits = [
        "".join(ch for ch in c["TaxNumber"] if ch.isdigit()) for c in contacts if c.get("TaxNumber")
    ]
    assert len(digits) > len(set(digits)), "a pair of contacts shares a tax number"
    assert {a["Code"] for a in state["accounts"]} >= {"090", "200", "260"}
    sandbox.reset()


def test_health_and_overview_page(sandbox):
    assert requests.get(f"{sandbox.xero_url}/_sandbox/health", timeout=30).json() == {
        "status": "ok",
        "api": "xero",
        "pid": sandbox.process.pid,  # which server answers: start() tells its own apart
    }
    sandbox.reset()
    sandbox.xero_seed(contacts=[{"Name": "Side <b>AS</b>"}])
    page = requests.get(f"{sandbox.xero_url}/_sandbox/", timeout=30)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "Side &lt;b&gt;AS&lt;/b&gt;" in page.text


def test_data_survives_a_restart(start_sandbox):
    with start_sandbox() as box:
        box.xero("PUT", "/Contacts", json={"Contacts": [{"Name": "Varig AS"}]}).raise_for_status()
        db, flags = box.db_path, box.flags
        box.stop()
        box.start()
        assert [c["Name"] for c in box.xero_state()["contacts"]] == ["Varig AS"]
        assert db.exists() and flags["scenario"] == "empty"


def test_secrets_never_reach_state_or_log(sandbox):
    sandbox.reset()
    sandbox.xero("GET", "/Accounts")
    text = str(sandbox.xero_state()) + str(sandbox.xero_requests())
    assert "sandbox-secret" not in text and sandbox.xero_token() not in text


def test_every_call_this_project_uses_fits_xeros_openapi(sandbox, xero_openapi):
    sandbox.reset()
    x = sandbox.xero
    contact = xero_openapi.check(
        x(
            "POST",
            "/Contacts?summarizeErrors=false",
            json={"Contacts": [{"Name": "Spec AS", "EmailAddress": "s@spec.no"}]},
        )
    )["Contacts"][0]
    xero_openapi.check(
        x(
            "POST",
            "/Contacts",
            json={
                "Contacts": [{"ContactID": contact["ContactID"], "TaxNumber": "1", "Website": None}]
            },
        )
    )
    xero_openapi.check(
        x("GET", "/Contacts", params={"where": 'EmailAddress=="s@spec.no"', "summaryOnly": "true"})
    )
    xero_openapi.check(x("GET", f"/Contacts/{contact['ContactID']}"))
    invoice = {
        "Type": "ACCREC",
        "InvoiceNumber": "SPEC-1",
        "Contact": {"ContactID": contact["ContactID"]},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": "AUTHORISED",
        "Reference": "PO",
        "Url": "https://qondor.example/invoice/1",
        "CurrencyCode": "NOK",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Hotel", "Quantity": 2, "UnitAmount": 500, "AccountCode": "200"}
        ],
    }
    xero_openapi.check(x("POST", "/Invoices?summarizeErrors=false", json={"Invoices": [invoice]}))
    xero_openapi.check(
        x("PUT", "/Invoices?summarizeErrors=false", json={"Invoices": [invoice]})
    )  # an ERROR element
    no_url = {**invoice, "InvoiceNumber": "SPEC-0", "Url": None, "Reference": None}
    xero_openapi.check(x("PUT", "/Invoices?summarizeErrors=false", json={"Invoices": [no_url]}))
    xero_openapi.check(
        x("GET", "/Invoices", params={"InvoiceNumbers": "SPEC-1", "page": 1, "pageSize": 1000})
    )
    xero_openapi.check(
        x(
            "GET",
            "/Invoices",
            params={"Statuses": "AUTHORISED", "createdByMyApp": "true"},
            headers={"If-Modified-Since": "2020-01-01T00:00:00"},
        )
    )
    note = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": "SPEC-CN",
        "Contact": {"ContactID": contact["ContactID"]},
        "Date": "2026-11-21",
        "Status": "AUTHORISED",
        "LineItems": [
            {"Description": "Avbestilt", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}
        ],
    }
    [stored_note] = xero_openapi.check(
        x("POST", "/CreditNotes?summarizeErrors=false", json={"CreditNotes": [note]})
    )["CreditNotes"]
    invoice_id = x("GET", "/Invoices/SPEC-1").json()["Invoices"][0]["InvoiceID"]
    xero_openapi.check(
        x(
            "PUT",
            f"/CreditNotes/{stored_note['CreditNoteID']}/Allocations",
            json={
                "Allocations": [
                    {"Invoice": {"InvoiceID": invoice_id}, "Amount": 125, "Date": "2026-11-22"}
                ]
            },
        )
    )
    xero_openapi.check(x("GET", f"/CreditNotes/{stored_note['CreditNoteID']}"))
    xero_openapi.check(x("GET", "/CreditNotes", params={"where": 'Status=="PAID"'}))
    xero_openapi.check(
        x(
            "PUT",
            "/Payments?summarizeErrors=false",
            json={
                "Payments": [
                    {
                        "Invoice": {"InvoiceID": invoice_id},
                        "Account": {"Code": "090"},
                        "Date": "2026-11-25",
                        "Amount": 1125,
                    }
                ]
            },
        )
    )
    [paid] = xero_openapi.check(x("GET", "/Payments"))["Payments"]
    # tap-xero's read of removed payments, and Xero's one change to a payment.
    xero_openapi.check(x("POST", f"/Payments/{paid['PaymentID']}", json={"Status": "DELETED"}))
    xero_openapi.check(
        x(
            "GET",
            "/Payments",
            params={"where": 'Status=="DELETED"', "order": "UpdatedDateUTC ASC", "page": 1},
            headers={"If-Modified-Since": "2020-01-01T00:00:00"},
        )
    )
    xero_openapi.check(x("GET", f"/Invoices/{invoice_id}"))
    xero_openapi.check(x("GET", "/Accounts"))
    xero_openapi.check(x("GET", "/Currencies"))
    bad = x(
        "PUT",
        "/Invoices",
        json={"Invoices": [{**invoice, "InvoiceNumber": "SPEC-2", "CurrencyCode": "JPY"}]},
    )
    assert bad.status_code == 400
    xero_openapi.check(bad)
