"""The money guarantee's pure rules: tax rate per line, Xero's rounding, totals before and after."""

from decimal import Decimal

import pytest

from qondor_xero.money import account_taxes, plan_money, qondor_rate, written_mismatch
from sandbox.xero import chart

# The sandbox's Norwegian chart and tax rates stand in for a customer's Xero here.
TAXES = account_taxes(chart.ACCOUNTS, chart.tax_rates())
CODES = {"VAT25": "3000", "VAT15": "3010", "VAT12": "3020", "VAT0": "3050", "EXEMPT": "3100"}


def account_code(article):
    return CODES.get(article)


def line(no, article, quantity, unit, excl, vat, pct=None, description="Item"):
    found = {
        "lineNo": no,
        "articleNumber": article,
        "description": description,
        "quantity": quantity,
        "unitPriceExclVat": unit,
        "amountExclVat": excl,
        "vatAmount": vat,
    }
    if pct is not None:
        found["vatPercentage"] = pct
    return found


def item(*lines, currency="NOK", number="100512"):
    excl = sum(Decimal(str(x["amountExclVat"])) for x in lines)
    vat = sum(Decimal(str(x["vatAmount"])) for x in lines)
    return {
        "invoiceNumber": number,
        "currency": currency,
        "lines": list(lines),
        "totalExclVat": float(excl),
        "totalVat": float(vat),
        "totalInclVat": float(excl + vat),
    }


def plan(doc):
    return plan_money(doc, account_code, TAXES, f"Invoice {doc['invoiceNumber']}")


def test_each_account_takes_its_tax_types_rate_and_archived_or_unknown_types_are_named():
    assert TAXES["3000"].rate == Decimal(25) and TAXES["3000"].tax_type == "OUTPUT"
    assert TAXES["3010"].rate == Decimal(15) and TAXES["3100"].rate == Decimal(0)
    odd = account_taxes(
        [
            {"Code": "3110", "Name": "Old food", "TaxType": "OUTPUT11"},
            {"Code": "3120", "Name": "Typo", "TaxType": "OUTPUTX"},
            {"Code": "3130", "Name": "Bare"},
        ],
        chart.tax_rates(),
    )
    assert odd["3110"].problem == "has tax type OUTPUT11, which is ARCHIVED in Xero"
    assert odd["3120"].problem == "has tax type OUTPUTX, which Xero does not list under Tax Rates"
    assert odd["3130"].problem == "has no tax type"


def test_a_line_whose_vat_rate_differs_from_its_accounts_fails_with_both_rates():
    codes = dict(CODES, VAT15="3000")  # mis-mapped: 3000 is the 25 % account
    doc = item(line(2, "VAT15", 1, 100, 100.0, 15.0, pct=15, description="Lunch"))
    result = plan_money(doc, codes.get, TAXES, "Invoice 100512")
    assert result.problems == [
        'Invoice 100512: line 2 (VAT15 "Lunch"): Qondor charges 15 % VAT but Xero account 3000 '
        "(Salgsinntekt 25 %) has tax rate 25 % (OUTPUT); map VAT15 to an account whose tax rate "
        "is 15 %"
    ]


def test_without_vat_percentage_the_rate_is_derived_from_the_line_amounts():
    assert qondor_rate(line(1, "VAT12", 1, 80, 80.0, 9.6)) == Decimal("12.00")
    good = item(line(1, "VAT12", 1, 80, 80.0, 9.6))
    assert plan(good).problems == []
    wrong = item(line(1, "VAT25", 1, 80, 80.0, 9.6))
    (problem,) = plan(wrong).problems
    assert "Qondor charges 12 % VAT but Xero account 3000" in problem


def test_an_archived_tax_type_fails_the_line():
    taxes = account_taxes(
        [{"Code": "3110", "Name": "Gammel mat", "TaxType": "OUTPUT11"}], chart.tax_rates()
    )
    doc = item(line(1, "VAT11", 1, 100, 100.0, 11.0, pct=11))
    (problem,) = plan_money(doc, {"VAT11": "3110"}.get, taxes, "Invoice 1").problems
    assert problem == (
        'Invoice 1: line 1 (VAT11 "Item"): Xero account 3110 (Gammel mat) has tax type OUTPUT11, '
        "which is ARCHIVED in Xero; give it an active tax rate in Xero or map VAT11 to another "
        "account"
    )


def test_lines_carry_qondors_line_amount_and_never_a_rounded_unit_price():
    # 3 × 892.8571 is 2,678.57 in Qondor; a two-decimal unit price would make it 2,678.58.
    doc = item(line(1, "VAT12", 3, 892.8571, 2678.57, 321.43, pct=12))
    result = plan(doc)
    assert result.problems == []
    assert result.lines == [
        {"Quantity": 3.0, "LineAmount": 2678.57, "AccountCode": "3020", "TaxType": "OUTPUT12"}
    ]


def test_tax_that_differs_only_by_rounding_is_sent_as_xeros_tax_amount_override():
    # Qondor computed VAT on the unrounded amount: 25 % of 0.125 → 0.03, Xero's 25 % of 0.13 → 0.03;
    # 12 % of 2678.5713 = 321.4286 → 321.43 in Qondor, Xero 12 % of 2678.57 = 321.4284 → 321.43;
    # 15 % of 33.3333 → 5.00 in Qondor, Xero 15 % of 33.33 → 5.00. A one-cent difference:
    doc = item(line(1, "VAT15", 1, 33.3, 33.3, 5.0, pct=15))  # Xero: 4.995 → 5.00 (half up)
    assert "TaxAmount" not in plan(doc).lines[0]
    off_by_a_cent = item(line(1, "VAT25", 3, 11.1111, 33.33, 8.34, pct=25))  # Xero: 8.3325 → 8.33
    result = plan(off_by_a_cent)
    assert result.problems == []
    assert result.lines[0]["TaxAmount"] == 8.34
    assert result.predicted.total_tax == Decimal("8.34")


def test_vat_further_off_than_rounding_fails_naming_both_amounts():
    doc = item(line(1, "VAT25", 1, 1000, 1000.0, 262.5, pct=25, description="Dinner"))
    (problem,) = plan(doc).problems
    assert problem == (
        'Invoice 100512: line 1 (VAT25 "Dinner"): Qondor\'s VAT NOK 262.50 is not 25 % of '
        "NOK 1,000.00 (Xero would charge NOK 250.00); correct the line's VAT in Qondor"
    )


def test_totals_that_xero_would_compute_otherwise_fail_naming_both_totals():
    doc = item(line(1, "VAT25", 1, 100, 100.0, 25.0, pct=25)) | {"totalVat": 26.0}
    doc["totalInclVat"] = 126.0
    (problem,) = plan(doc).problems
    assert problem == (
        "Invoice 100512: Xero would total NOK 125.00 (excl. VAT 100.00, VAT 25.00) but Qondor "
        "charged NOK 126.00 (excl. VAT 100.00, VAT 26.00); correct the item's totals in Qondor"
    )


@pytest.mark.parametrize("pct,article", [(25, "VAT25"), (15, "VAT15"), (12, "VAT12"), (0, "VAT0")])
def test_credit_notes_are_planned_positive(pct, article):
    vat = round(-200.0 * pct / 100, 2)
    doc = item(line(1, article, -2, 100, -200.0, vat, pct=pct))
    result = plan(doc)
    assert result.problems == []
    assert result.lines[0]["Quantity"] == 2.0 and result.lines[0]["LineAmount"] == 200.0
    assert result.predicted.total == Decimal("200") + abs(Decimal(str(vat)))


def test_after_the_write_xeros_totals_and_line_amounts_are_compared_with_qondors():
    doc = item(line(1, "VAT25", 1, 100, 100.0, 25.0, pct=25), line(2, "VAT0", 2, 5, 10.0, 0.0))
    stored = {
        "SubTotal": 110.0,
        "TotalTax": 25.0,
        "Total": 135.0,
        "LineItems": [{"LineAmount": 100.0}, {"LineAmount": 10.0}],
    }
    assert written_mismatch(doc, stored, "Invoice 100512") is None
    skewed = stored | {"TotalTax": 25.05, "Total": 135.05}
    assert written_mismatch(doc, skewed, "Invoice 100512") == (
        "Invoice 100512: Xero holds NOK 135.05 (excl. VAT 110.00, VAT 25.05) but Qondor charged "
        "NOK 135.00 (excl. VAT 110.00, VAT 25.00)"
    )
    moved = stored | {"LineItems": [{"LineAmount": 99.99}, {"LineAmount": 10.01}]}
    assert written_mismatch(doc, moved, "Invoice 100512") == (
        "Invoice 100512: line 1 is NOK 99.99 excl. VAT in Xero but NOK 100.00 in Qondor"
    )
