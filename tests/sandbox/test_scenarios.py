"""Scenario data: deterministic, inside the contract, consistent to the øre, and as README.md says."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from qondor_xero.mapping import load_mapping
from qondor_xero.qondor import contract
from sandbox.qondor.store import contract_errors
from sandbox.scenarios import build
from sandbox.xero import chart

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 27)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def demo():
    return build("demo", today=TODAY)


@pytest.fixture(scope="module")
def bench():
    return build("bench", seed=7, size=3000, today=TODAY)


def by_id(items):
    return {item["id"]: item for item in items}


def d(value) -> Decimal:
    return Decimal(str(value))


# --- determinism and the contract


def test_the_same_arguments_always_give_the_same_data():
    one, two = build("demo", today=TODAY), build("demo", seed=99, today=TODAY)
    assert (one.qondor, one.xero) == (two.qondor, two.xero)
    first, again = (
        build("bench", seed=3, size=500, today=TODAY),
        build("bench", seed=3, size=500, today=TODAY),
    )
    assert first.qondor == again.qondor and first.xero == again.xero
    other = build("bench", seed=4, size=500, today=TODAY)
    assert other.qondor["invoices"] != first.qondor["invoices"]
    assert other.xero["contacts"] != first.xero["contacts"]


def test_unknown_scenario_and_negative_size_are_refused_with_one_line():
    with pytest.raises(ValueError, match="unknown scenario 'big'.*empty, demo, bench"):
        build("big")
    with pytest.raises(ValueError, match="size must be 0 or more"):
        build("bench", size=-1)


def test_empty_has_the_chart_and_nothing_else():
    empty = build("empty", today=TODAY)
    assert empty.qondor == {"offices": [], "customers": [], "invoices": []}
    assert empty.xero["accounts"] and empty.xero["currencies"] and not empty.xero["contacts"]


@pytest.mark.parametrize("name", ["demo", "bench"])
def test_every_qondor_object_fits_the_contract(name, demo, bench):
    scenario = demo if name == "demo" else bench
    for key, kind in (("offices", "office"), ("customers", "customer"), ("invoices", "invoice")):
        for item in scenario.qondor[key]:
            assert not contract_errors(kind, item), (item["id"], contract_errors(kind, item))


@pytest.mark.parametrize("name", ["demo", "bench"])
def test_amounts_are_consistent_to_the_ore(name, demo, bench):
    scenario = demo if name == "demo" else bench
    for invoice in scenario.qondor["invoices"]:
        sums = [Decimal(0)] * 3
        for line in invoice["lines"]:
            excl = (d(line["quantity"]) * d(line["unitPriceExclVat"])).quantize(CENT, ROUND_HALF_UP)
            vat = (excl * d(line["vatPercentage"]) / 100).quantize(CENT, ROUND_HALF_UP)
            assert (d(line["amountExclVat"]), d(line["vatAmount"])) == (excl, vat), invoice["id"]
            assert d(line["amountInclVat"]) == excl + vat
            sums = [sums[0] + excl, sums[1] + vat, sums[2] + excl + vat]
        totals = [d(invoice[k]) for k in ("totalExclVat", "totalVat", "totalInclVat")]
        assert totals == sums, invoice["id"]
        assert 1 <= len(invoice["lines"]) <= 15
        assert [line["lineNo"] for line in invoice["lines"]] == list(
            range(1, len(invoice["lines"]) + 1)
        )


# --- the demo, as sandbox/scenarios/README.md describes it


def test_demo_queue_has_every_type_and_currency(demo):
    queued = [i for i in demo.qondor["invoices"] if 5001 <= i["id"] <= 5043]
    assert Counter(i["invoiceTypeText"] for i in queued) == {
        "OfferInvoice": 22, "FormInvoice": 5, "BookingInvoice": 6, "CreditCardPayment": 4, "CreditNote": 6,
    }  # fmt: skip
    assert {i["currency"] for i in queued} == {"NOK", "SEK", "EUR", "GBP", "USD", "DKK"}
    assert [i["id"] for i in queued if i["currency"] == "DKK"] == [5017]
    assert {len(i["lines"]) for i in queued} >= {1, 15}
    assert len({i["invoiceNumber"] for i in demo.qondor["invoices"]}) == len(
        demo.qondor["invoices"]
    )


def test_demo_edge_cases_are_the_documented_items(demo):
    inv = by_id(demo.qondor["invoices"])
    customers = by_id(demo.qondor["customers"])
    articles = {i: {line["articleNumber"] for line in inv[i]["lines"]} for i in inv}
    assert [i for i in inv if i >= 5000 and articles[i] & {"MISC", "GIFT"}] == [5018, 5019]
    assert articles[5019] >= {"MISC", "GIFT"}
    assert inv[5025]["booker"]["email"] is None and inv[5025]["customer"] is None
    assert not any(customers[109][k] for k in ("organisationNumber", "vatNumber", "invoiceEmail"))
    assert inv[5012]["customerId"] == 109
    assert customers[108]["organisationNumber"] is None and customers[108]["invoiceEmail"]
    assert len(customers[110]["name"]) > 100 and "Ø" in customers[110]["name"]
    assert inv[5011]["customerInvoiceFields"] is None
    assert inv[5005]["customerInvoiceFields"][0] == {
        "heading": "PO number",
        "externalReference": "po",
        "value": "",
    }
    assert inv[5001]["customerInvoiceFields"][0]["value"] == "4500012"
    assert inv[5022]["lines"][0]["vatAmount"] == 25.03  # 100.10 x 25 % = 25.025, half up
    assert inv[5031]["customerId"] == 101 and inv[5029]["booker"]["lastName"] == "Ødegård"


def test_demo_credit_notes_cancel_earlier_items_with_negative_amounts(demo):
    inv = by_id(demo.qondor["invoices"])
    credits = {i: inv[i]["creditedInvoiceId"] for i in inv if inv[i]["invoiceType"] == 5}
    assert credits == {5033: 5001, 5034: 5003, 5035: 4001, 5036: 4006, 5037: 5024, 5038: 4003}
    for note_id, credited_id in credits.items():
        note, credited = inv[note_id], inv[credited_id]
        assert note["creditedInvoiceNumber"] == credited["invoiceNumber"]
        assert all(line["quantity"] < 0 and line["amountExclVat"] < 0 for line in note["lines"])
        assert note["totalInclVat"] < 0 and note["currency"] == credited["currency"]
        assert note["invoiceDate"] >= credited["invoiceDate"]
    assert inv[5033]["totalInclVat"] == -inv[5001]["totalInclVat"]  # a full cancellation
    assert inv[4006]["externalReference"] == "VISMA-2026-0881"  # credited by 5036, not in Xero
    xero_numbers = {x["InvoiceNumber"] for x in demo.xero["invoices"]}
    assert (
        inv[4001]["invoiceNumber"] in xero_numbers
        and inv[4006]["invoiceNumber"] not in xero_numbers
    )


def test_demo_offices_keep_some_items_out_of_the_queue(demo):
    offices = by_id(demo.qondor["offices"])
    inv = by_id(demo.qondor["invoices"])
    assert offices[4]["useApiToProcessInvoices"] is False
    start = offices[2]["invoiceApiStartDate"]
    assert inv[4103]["invoiceDate"] < start and inv[4104]["invoiceDate"] < start
    assert inv[5021]["officeId"] == 2 and inv[5021]["invoiceDate"] >= start
    assert {inv[4101]["officeId"], inv[4102]["officeId"]} == {4}
    statuses = Counter(i["statusText"] for i in inv.values() if i["id"] < 5000)
    assert statuses == {"Processed": 5, "Paid": 1, "Failed": 1, "Unprocessed": 4}


def test_demo_xero_contacts_match_qondor_customers_in_several_ways(demo):
    contacts = {c["Name"]: c for c in demo.xero["contacts"]}
    assert contacts["Fjord Events AS"]["TaxNumber"] == "NO923456789MVA"
    assert contacts["Nordlys Konferanse AS"]["TaxNumber"] == "914 778 271"
    assert contacts["Bølgen og Moi Catering"]["TaxNumber"] == "987654321"
    assert "TaxNumber" not in contacts["Scandinavian Tech Summit"]
    shared = Counter(c.get("TaxNumber", "").replace(" ", "").removeprefix("NO").removesuffix("MVA")
                     for c in demo.xero["contacts"] if c.get("TaxNumber"))  # fmt: skip
    assert shared["912345678"] == 2  # Polar Shipping ASA and Polar Shipping Holding ASA
    assert contacts["Havblikk AS"]["TaxNumber"] != "NO998877665MVA"  # same name, other company
    archived = {c["Name"] for c in demo.xero["contacts"] if c["ContactStatus"] == "ARCHIVED"}
    assert "Gammel Gård Selskapslokaler AS" in archived and len(archived) == 3
    assert contacts["Ola Nordmann"]["EmailAddress"] == "ola.nordmann@example.no"


def test_demo_xero_invoices_mirror_processed_history(demo):
    inv = by_id(demo.qondor["invoices"])
    xero = {x["InvoiceNumber"]: x for x in demo.xero["invoices"]}
    statuses = {number: x["Status"] for number, x in xero.items()}
    assert statuses == {"100101": "AUTHORISED", "100102": "PAID", "100103": "PAID", "100105": "AUTHORISED",
                        "100107": "DRAFT", "100239": "AUTHORISED", "100240": "PAID"}  # fmt: skip
    for number, copy in xero.items():
        item = next(i for i in inv.values() if i["invoiceNumber"] == number)
        if item["status"] in (1, 3):
            assert item["externalReference"] == copy["InvoiceID"]
    assert len(xero["100239"]["LineItems"]) == 2 and len(inv[5039]["lines"]) == 3  # older version


def test_demo_mapping_file_fits_the_demo_org(demo):
    mapping = load_mapping(ROOT / "mappings" / "demo.yml")
    accounts = {a["Code"]: a for a in demo.xero["accounts"]}
    rates = {"VAT25": 25, "VAT15": 15, "VAT12": 12, "VAT0": 0}
    assert set(mapping.account_codes) == set(rates)
    for article, code in mapping.account_codes.items():
        account = accounts[code]
        assert account["Status"] == "ACTIVE" and account["Type"] == "REVENUE"
        assert chart.tax_rate(account["TaxType"]) == rates[article]
    card = accounts[mapping.card_payment_account]
    assert card["Type"] == "BANK" and card["EnablePaymentsToAccount"] is True
    assert any(a["Status"] == "ARCHIVED" for a in accounts.values())
    assert {c["Code"] for c in demo.xero["currencies"]} == {"NOK", "EUR", "SEK", "GBP", "USD"}
    assert (mapping.invoice_status, mapping.contact_match) == (
        "AUTHORISED",
        ("tax_number", "email"),
    )


def test_demo_totals_in_xero_equal_qondors_to_the_ore(sandbox):
    """Each mappable demo item, written to the sandbox Xero with the demo mapping, has Qondor's totals."""
    sandbox.reset("demo")
    scenario = build("demo")
    mapping = load_mapping(ROOT / "mappings" / "demo.yml")
    contact = scenario.xero["contacts"][0]
    items = [i for i in scenario.qondor["invoices"]
             if i["currency"] != "DKK" and all(ln["articleNumber"] in mapping.account_codes for ln in i["lines"])]  # fmt: skip
    copies = [
        {
            "InvoiceNumber": f"T-{item['id']}",
            "Contact": {"ContactID": contact["ContactID"]},
            "Date": item["invoiceDate"],
            "CurrencyCode": item["currency"],
            "LineAmountTypes": "Exclusive",
            "LineItems": [
                {
                    "Description": ln["description"],
                    "Quantity": abs(ln["quantity"]),
                    "UnitAmount": ln["unitPriceExclVat"],
                    "AccountCode": mapping.account_codes[ln["articleNumber"]],
                }
                for ln in item["lines"]
            ],  # fmt: skip
        }
        for item in items
    ]
    sandbox.xero_seed(invoices=copies)
    stored = {x["InvoiceNumber"]: x for x in sandbox.xero_state()["invoices"]}
    for item in items:
        copy = stored[f"T-{item['id']}"]
        expected = tuple(abs(d(item[k])) for k in ("totalExclVat", "totalVat", "totalInclVat"))
        assert tuple(d(copy[k]) for k in ("SubTotal", "TotalTax", "Total")) == expected, item["id"]
    assert len(items) >= 35


# --- bench


def test_bench_sizes_customers_and_xero_contacts(bench):
    assert len(bench.qondor["invoices"]) == 3000
    assert len(bench.qondor["customers"]) == 1000
    assert 4700 <= len(bench.xero["contacts"]) <= 5100
    names = [c["Name"] for c in bench.xero["contacts"] if c["ContactStatus"] == "ACTIVE"]
    assert len(names) == len(set(names))  # Xero: unique among active contacts
    assert len({i["invoiceNumber"] for i in bench.qondor["invoices"]}) == 3000


def test_bench_has_a_share_of_customers_already_in_xero(bench):
    digits = {c["TaxNumber"].replace(" ", "").removeprefix("NO").removesuffix("MVA")
              for c in bench.xero["contacts"] if c.get("TaxNumber")}  # fmt: skip
    emails = {c.get("EmailAddress") for c in bench.xero["contacts"]}
    found = [c for c in bench.qondor["customers"]
             if c["organisationNumber"] in digits or c["invoiceEmail"] in emails]  # fmt: skip
    assert 0.3 <= len(found) / len(bench.qondor["customers"]) <= 0.5


def test_bench_queue_passes_the_office_filter_and_mixes_types(bench):
    offices = by_id(bench.qondor["offices"])
    for invoice in bench.qondor["invoices"]:
        office = offices[invoice["officeId"]]
        assert (
            office["useApiToProcessInvoices"]
            and invoice["invoiceDate"] >= office["invoiceApiStartDate"]
        )
        assert invoice["status"] == 0
    kinds = Counter(i["invoiceType"] for i in bench.qondor["invoices"])
    assert set(kinds) == {1, 2, 3, 4, 5} and kinds[1] > kinds[5]
    inv = by_id(bench.qondor["invoices"])
    for note in (i for i in inv.values() if i["invoiceType"] == 5):
        credited = inv[note["creditedInvoiceId"]]
        assert credited["id"] < note["id"] and note["totalInclVat"] == -credited["totalInclVat"]


def test_bench_size_sets_the_queue_and_a_third_as_many_customers():
    scenario = build("bench", seed=1, size=3_000, today=TODAY)
    assert len(scenario.qondor["invoices"]) == 3_000
    assert 900 <= len(scenario.qondor["customers"]) <= 1_100


def test_bench_of_10000_is_served_with_its_xero_organisation(start_sandbox):
    # How fast it is ready is measured by benchmarks/, not asserted here.
    with start_sandbox(scenario="bench", size=10_000) as box:
        queue = box.http.get(
            box.qondor_url + contract.UNPROCESSED_INVOICES,
            headers={contract.AUTH_HEADER: "sandbox-qondor-key"},
            timeout=60,
        )
        assert queue.status_code == 200 and len(queue.json()) == 10_000
        assert len(box.xero_state()["contacts"]) >= 5 * 3000


def test_served_demo_is_consistent_across_both_apis(sandbox):
    sandbox.reset("demo")
    qondor, xero = sandbox.qondor_state(), sandbox.xero_state()
    in_xero = {x["InvoiceID"]: x for x in xero["invoices"]}
    linked = [i for i in qondor["invoices"] if i["externalReference"] in in_xero]
    assert sorted(i["id"] for i in linked) == [4001, 4002, 4003, 4005, 4007]
    for item in linked:
        copy = in_xero[item["externalReference"]]
        assert copy["InvoiceNumber"] == item["invoiceNumber"]
        assert (copy["SubTotal"], copy["TotalTax"], copy["Total"]) == (
            item["totalExclVat"],
            item["totalVat"],
            item["totalInclVat"],
        )
    assert in_xero["e0000000-0000-4000-8000-000000004002"]["Status"] == "PAID"
    assert {p["Invoice"]["InvoiceNumber"] for p in xero["payments"]} == {
        "100102",
        "100103",
        "100240",
    }
    assert len(xero["contacts"]) == 18 and {c["Code"] for c in xero["currencies"]} >= {"NOK", "EUR"}


def test_bad_input_adds_one_defect_per_item_to_the_demo(sandbox):
    scenario = build("bad_input", today=TODAY)
    inv = by_id(scenario.qondor["invoices"])
    customers = by_id(scenario.qondor["customers"])
    for item in [*inv.values(), *customers.values()]:
        kind = "invoice" if "invoiceType" in item else "customer"
        assert not contract_errors(kind, item), item["id"]
    assert len(customers[119]["name"]) > 255 and inv[6001]["customerId"] == 119
    assert any(ord(ch) < 32 for ch in customers[120]["name"]) and inv[6002]["customerId"] == 120
    assert inv[6003]["lines"][1]["quantity"] == 0
    assert inv[6004]["lines"][1]["quantity"] < 0 and inv[6004]["invoiceType"] == 1
    line_sum = sum(d(ln["amountInclVat"]) for ln in inv[6005]["lines"])
    assert d(inv[6005]["totalInclVat"]) == line_sum + 1
    assert inv[6006]["invoiceNumber"] == inv[6007]["invoiceNumber"]

    sandbox.reset("bad_input")
    queue = sandbox.http.get(
        sandbox.qondor_url + contract.UNPROCESSED_INVOICES,
        headers={contract.AUTH_HEADER: "sandbox-qondor-key"},
        timeout=30,
    ).json()
    assert [i["id"] for i in queue][-8:] == list(range(6001, 6009)) and len(queue) == 51
    voided = [x for x in sandbox.xero_state()["invoices"] if x["InvoiceNumber"] == "100408"]
    assert [x["Status"] for x in voided] == ["VOIDED"]
