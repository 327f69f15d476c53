"""The sandbox does amounts as Xero documents them: tax rates, `unitdp`, LineAmount, TaxAmount.

Xero's OpenAPI: `unitdp` "You can opt in to use four decimal places for unit amounts";
LineItem.LineAmount "If you wish to omit either the Quantity or UnitAmount you can provide a
LineAmount and Xero will calculate the missing amount for you"; LineItem.TaxAmount "can be
overriden if the calculated TaxAmount is not correct". Given all three, Xero refuses lines that
disagree: "The line total … does not match the expected line total …" (XeroAPI/Xero-NetStandard
issue 147)."""

from __future__ import annotations

import pytest

CONTACT = "c0000000-0000-4000-8000-000000000001"


@pytest.fixture
def org(sandbox):
    sandbox.reset()
    sandbox.xero_seed(contacts=[{"ContactID": CONTACT, "Name": "Fjord Events AS"}])
    return sandbox


def put(box, *lines, unitdp: int | None = None, path: str = "/Invoices"):
    params = {"summarizeErrors": "false", **({"unitdp": str(unitdp)} if unitdp else {})}
    doc = {
        "Type": "ACCREC" if path == "/Invoices" else "ACCRECCREDIT",
        "Contact": {"ContactID": CONTACT},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": list(lines),
    }
    key = path.strip("/")
    return box.xero("PUT", path, params=params, json={key: [doc]})


def line(**fields):
    return {"Description": "Hotel", "AccountCode": "3020", **fields}  # 12 %


def test_tax_rates_list_every_tax_type_with_its_rate_and_status(org, xero_openapi):
    rates = {r["TaxType"]: r for r in xero_openapi.check(org.xero("GET", "/TaxRates"))["TaxRates"]}
    assert rates["OUTPUT"]["EffectiveRate"] == 25.0 and rates["OUTPUT"]["Status"] == "ACTIVE"
    assert rates["OUTPUT15"]["EffectiveRate"] == 15.0 and rates["OUTPUT12"]["EffectiveRate"] == 12.0
    assert rates["EXEMPTOUTPUT"]["EffectiveRate"] == 0.0
    assert rates["OUTPUT11"]["Status"] == "ARCHIVED"
    assert rates["OUTPUT12"]["TaxComponents"][0]["Rate"] == 12.0


def test_unit_amounts_are_rounded_to_two_decimals_unless_unitdp_is_4(org, xero_openapi):
    [two] = xero_openapi.check(put(org, line(Quantity=3, UnitAmount=892.857142)))["Invoices"]
    assert two["LineItems"][0]["UnitAmount"] == 892.86
    assert two["LineItems"][0]["LineAmount"] == 2678.58  # a cent more than 3 × 892.857142
    [four] = put(org, line(Quantity=3, UnitAmount=892.857142), unitdp=4).json()["Invoices"]
    assert four["LineItems"][0]["UnitAmount"] == 892.8571
    assert four["LineItems"][0]["LineAmount"] == 2678.57


def test_a_line_amount_with_a_quantity_keeps_the_amount_and_derives_the_unit_price(
    org, xero_openapi
):
    [stored] = xero_openapi.check(put(org, line(Quantity=3, LineAmount=2678.57), unitdp=4))[
        "Invoices"
    ]
    (only,) = stored["LineItems"]
    assert (only["Quantity"], only["UnitAmount"], only["LineAmount"]) == (3.0, 892.8567, 2678.57)
    assert (stored["SubTotal"], stored["TotalTax"], stored["Total"]) == (2678.57, 321.43, 3000.0)


def test_a_line_amount_that_disagrees_with_quantity_and_unit_amount_is_refused(org):
    response = put(org, line(Quantity=3, UnitAmount=892.86, LineAmount=2678.57))
    [refused] = response.json()["Invoices"]
    assert [e["Message"] for e in refused["ValidationErrors"]] == [
        "The line total 2678.57 does not match the expected line total 2678.58."
    ]
    assert org.xero_state()["invoices"] == []


def test_a_tax_amount_sent_overrides_the_calculated_tax(org, xero_openapi):
    plain, override = (
        line(Quantity=3, LineAmount=33.33, AccountCode="3000"),
        line(Quantity=3, LineAmount=33.33, AccountCode="3000", TaxAmount=8.34),
    )
    [computed] = put(org, plain).json()["Invoices"]
    assert computed["LineItems"][0]["TaxAmount"] == 8.33  # 25 % of 33.33 = 8.3325
    [stored] = xero_openapi.check(put(org, override))["Invoices"]
    assert stored["LineItems"][0]["TaxAmount"] == 8.34
    assert (stored["TotalTax"], stored["Total"]) == (8.34, 41.67)


def test_credit_notes_take_line_amounts_and_tax_overrides_too(org, xero_openapi):
    response = put(
        org, line(Quantity=2, LineAmount=66.67, TaxAmount=8.0), unitdp=4, path="/CreditNotes"
    )
    [note] = xero_openapi.check(response)["CreditNotes"]
    assert note["LineItems"][0]["UnitAmount"] == 33.335
    assert (note["SubTotal"], note["TotalTax"], note["Total"]) == (66.67, 8.0, 74.67)


def test_a_line_on_an_archived_tax_rate_is_refused(org):
    [refused] = put(org, line(Quantity=1, LineAmount=100, TaxType="OUTPUT11")).json()["Invoices"]
    assert [e["Message"] for e in refused["ValidationErrors"]] == [
        "The TaxType code 'OUTPUT11' does not exist or cannot be used for this type of transaction."
    ]


def test_a_tax_skew_fault_stores_wrong_tax_for_post_write_checks_to_catch(org):
    org.xero_fault({"path": "/api.xro/2.0/Invoices", "method": "PUT", "tax_skew": 0.05, "count": 1})
    [skewed] = put(org, line(Quantity=1, LineAmount=100)).json()["Invoices"]
    assert (skewed["TotalTax"], skewed["Total"]) == (12.05, 112.05)
    [plain] = put(org, line(Quantity=1, LineAmount=100)).json()["Invoices"]
    assert (plain["TotalTax"], plain["Total"]) == (12.0, 112.0)
