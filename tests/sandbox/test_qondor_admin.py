"""The Qondor sandbox's admin API: reset, seed, state, the request log, faults and item edits."""

from __future__ import annotations

import copy
import time

import pytest
import requests

from qondor_xero.qondor import contract

KEY = "sandbox-qondor-key"

OFFICE = {"id": 50, "name": "Nordic Events Tromsø", "useApiToProcessInvoices": True,
          "invoiceApiStartDate": "2026-01-01"}  # fmt: skip
CUSTOMER = {
    "id": 700,
    "officeId": 50,
    "name": "Ishavsbyen Kurs AS",
    "organisationNumber": "911111111",
}
INVOICE = {
    "id": 9001,
    "invoiceNumber": "900001",
    "invoiceType": 1,
    "invoiceDate": "2026-11-02",
    "currency": "NOK",
    "officeId": 50,
    "customerId": 700,
    "customer": {"id": 700, "name": "Ishavsbyen Kurs AS"},
    "lines": [
        {"lineNo": 1, "articleNumber": "VAT25", "description": "Kurs", "quantity": 2,
         "unitPriceExclVat": 100.0, "vatPercentage": 25, "amountExclVat": 200.0,
         "vatAmount": 50.0, "amountInclVat": 250.0},
    ],
    "totalExclVat": 200.0,
    "totalVat": 50.0,
    "totalInclVat": 250.0,
}  # fmt: skip


@pytest.fixture
def sb(sandbox):
    """The shared sandbox with fresh demo data in Qondor, no faults and an empty request log."""
    sandbox.admin(sandbox.qondor_url, "POST", "reset", {"scenario": "demo"})
    yield sandbox
    sandbox.admin(sandbox.qondor_url, "DELETE", "faults")


def admin(sb, method, path, body=None):
    return sb.admin(sb.qondor_url, method, path, body)


def api(sb, method, path, **kw):
    kw.setdefault("timeout", 30)
    return requests.request(method, sb.qondor_url + path, headers={contract.AUTH_HEADER: KEY}, **kw)


def test_health_answers_without_a_key(sb):
    assert admin(sb, "GET", "health") == {"status": "ok", "api": "qondor", "pid": sb.process.pid}


def test_reset_empties_qondor_only(sb):
    sb.admin(sb.xero_url, "POST", "reset", {"scenario": "demo"})
    xero_before = sb.xero_state()
    admin(sb, "POST", "reset")
    assert admin(sb, "GET", "state") == {"offices": [], "customers": [], "invoices": []}
    assert api(sb, "GET", contract.UNPROCESSED_INVOICES).json() == []
    assert sb.xero_state()["contacts"] == xero_before["contacts"]


def test_seeded_objects_are_added_completed_and_served(sb):
    answer = admin(
        sb, "POST", "seed", {"offices": [OFFICE], "customers": [CUSTOMER], "invoices": [INVOICE]}
    )
    assert answer == {"seeded": {"offices": 1, "customers": 1, "invoices": 1}}
    invoice = api(sb, "GET", contract.INVOICE_BY_ID.format(id=9001)).json()
    contract.validate("invoice", invoice)
    assert (invoice["statusText"], invoice["invoiceTypeText"]) == ("Unprocessed", "OfferInvoice")
    assert invoice["createdDate"] and invoice["lastModifiedDate"] == invoice["createdDate"]
    queue = [i["id"] for i in api(sb, "GET", contract.UNPROCESSED_INVOICES).json()]
    assert queue[-1] == 9001 and len(queue) == 44  # added to the demo's 43
    customer = api(sb, "GET", contract.CUSTOMER_BY_ID.format(id=700)).json()
    contract.validate("customer", customer)
    assert len(admin(sb, "GET", "state")["offices"]) == 5


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"currency": "nok"}, "invoices[0] (id 9001): currency"),
        ({"invoiceDate": "02.11.2026"}, "invoiceDate"),
        ({"invoiceType": 9}, "invoiceType"),
        ({"lines": [{"lineNo": 1}]}, "lines[0]"),
    ],
)
def test_seed_refuses_objects_outside_the_contract_naming_item_and_field(sb, change, named):
    bad = {**copy.deepcopy(INVOICE), **change}
    with pytest.raises(RuntimeError) as refused:
        admin(sb, "POST", "seed", {"invoices": [bad]})
    assert " 400 " in str(refused.value) and named in str(refused.value)
    assert 9001 not in {i["id"] for i in admin(sb, "GET", "state")["invoices"]}


def test_seed_refuses_unknown_keys_and_scenarios(sb):
    with pytest.raises(RuntimeError, match="unknown key 'contacts'"):
        admin(sb, "POST", "seed", {"contacts": []})
    with pytest.raises(RuntimeError, match="unknown scenario"):
        admin(sb, "POST", "seed", {"scenario": "nope"})


def test_seeding_a_bench_scenario_adds_its_queue(sb):
    admin(sb, "POST", "reset")
    answer = admin(sb, "POST", "seed", {"scenario": "bench", "seed": 5, "size": 300})
    assert answer["seeded"]["invoices"] == 300 and answer["seeded"]["customers"] == 100
    assert len(api(sb, "GET", contract.UNPROCESSED_INVOICES).json()) == 300


def test_state_holds_every_status_in_contract_shapes(sb):
    state = admin(sb, "GET", "state")
    assert {i["statusText"] for i in state["invoices"]} == {
        "Unprocessed",
        "Processed",
        "Failed",
        "Paid",
    }
    for kind, key in (("office", "offices"), ("customer", "customers"), ("invoice", "invoices")):
        for item in state[key]:
            contract.validate(kind, item)
    counts = admin(sb, "GET", "counts")
    assert counts["invoicesByStatus"] == {"Unprocessed": 47, "Processed": 5, "Failed": 1, "Paid": 1}


def test_request_log_records_calls_without_the_key_and_clears(sb):
    api(sb, "GET", contract.OFFICES)
    api(sb, "PUT", contract.SET_AS_PAID, json={"invoiceId": 5001, "paidDate": "2026-11-20"})
    requests.get(sb.qondor_url + contract.OFFICES, timeout=30)  # no key: 401
    entries = admin(sb, "GET", "requests")["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", contract.OFFICES, 200),
        ("PUT", contract.SET_AS_PAID, 400),
        ("GET", contract.OFFICES, 401),
    ]
    assert KEY not in str(entries)
    assert admin(sb, "GET", "requests?clear=true")["requests"]
    assert admin(sb, "GET", "requests")["requests"] == []


def test_fault_status_answers_then_clears_after_its_count(sb):
    admin(sb, "POST", "faults", {"path": "*/GetAllUnprocessedInvoices", "status": 503, "count": 2})
    responses = [api(sb, "GET", contract.UNPROCESSED_INVOICES) for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 200]
    contract.validate("problem_details", responses[0].json())
    assert admin(sb, "GET", "faults")["faults"] == []


def test_fault_429_carries_retry_after_and_apim_body(sb):
    admin(
        sb,
        "POST",
        "faults",
        {"path": "/Prod/Office/*", "status": 429, "retry_after": 3, "count": 1},
    )
    response = api(sb, "GET", "/Prod" + contract.OFFICES)
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response.json()["statusCode"] == 429
    assert api(sb, "GET", contract.OFFICES).status_code == 200  # the pattern named /Prod only


def test_fault_delay_slows_the_answer(sb):
    admin(sb, "POST", "faults", {"path": contract.OFFICES, "delay": 0.6, "count": 1})
    started = time.monotonic()
    assert api(sb, "GET", contract.OFFICES).status_code == 200
    assert time.monotonic() - started >= 0.6


def test_fault_drop_commits_the_write_then_drops_the_connection(sb):
    admin(
        sb,
        "POST",
        "faults",
        {"path": "*/SetAsProcessed", "method": "PUT", "drop": True, "count": 1},
    )
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        api(
            sb,
            "PUT",
            contract.SET_AS_PROCESSED,
            json={"invoiceId": 5007, "externalReference": "X-7"},
        )
    invoice = api(sb, "GET", contract.INVOICE_BY_ID.format(id=5007)).json()
    assert (invoice["statusText"], invoice["externalReference"]) == ("Processed", "X-7")
    logged = admin(sb, "GET", "requests")["requests"]
    dropped = [e for e in logged if e["path"] == contract.SET_AS_PROCESSED]
    assert len(dropped) == 1 and dropped[0].get("dropped") is True


def test_bad_fault_rule_is_refused_naming_the_field(sb):
    with pytest.raises(RuntimeError, match="probability"):
        admin(sb, "POST", "faults", {"status": 500, "probability": 2})


def test_editing_a_queued_item_replaces_its_lines_and_totals(sb):
    before = api(sb, "GET", contract.INVOICE_BY_ID.format(id=5010)).json()
    new_lines = [
        {"lineNo": 1, "articleNumber": "VAT25", "description": "Rådgivning, timer", "quantity": 10,
         "unitPriceExclVat": 1250.0, "vatPercentage": 25, "amountExclVat": 12500.0,
         "vatAmount": 3125.0, "amountInclVat": 15625.0},
    ]  # fmt: skip
    edited = admin(sb, "PATCH", "invoices/5010", {"lines": new_lines})
    assert (edited["totalExclVat"], edited["totalVat"], edited["totalInclVat"]) == (
        12500.0,
        3125.0,
        15625.0,
    )
    served = next(
        i for i in api(sb, "GET", contract.UNPROCESSED_INVOICES).json() if i["id"] == 5010
    )
    contract.validate("invoice", served)
    assert served["lines"] == new_lines and served["lastModifiedDate"] != before["lastModifiedDate"]
    assert served["createdDate"] == before["createdDate"]


def test_editing_refuses_unknown_items_and_values_outside_the_contract(sb):
    with pytest.raises(RuntimeError, match="404"):
        admin(sb, "PATCH", "invoices/123456", {"currency": "EUR"})
    with pytest.raises(RuntimeError, match="currency"):
        admin(sb, "PATCH", "invoices/5010", {"currency": "euro"})
    with pytest.raises(RuntimeError, match="'id' cannot be changed"):
        admin(sb, "PATCH", "customers/101", {"id": 5})
    renamed = admin(sb, "PATCH", "customers/101", {"name": "Fjord Events Norge AS"})
    assert api(sb, "GET", contract.CUSTOMER_BY_ID.format(id=101)).json()["name"] == renamed["name"]


def test_editing_a_paid_item_keeps_its_paid_date(sb):
    api(sb, "PUT", contract.SET_AS_PROCESSED, json={"invoiceId": 5008, "externalReference": "X-8"})
    api(sb, "PUT", contract.SET_AS_PAID, json={"invoiceId": 5008, "paidDate": "2026-11-22"})
    admin(sb, "PATCH", "invoices/5008", {"projectName": "Sommerfest 2027"})
    state = {i["id"]: i for i in admin(sb, "GET", "state")["invoices"]}
    assert (state[5008]["paidDate"], state[5008]["projectName"]) == (
        "2026-11-22",
        "Sommerfest 2027",
    )
    admin(sb, "PATCH", "invoices/5008", {"status": 0})  # back in the queue: no longer paid
    state = {i["id"]: i for i in admin(sb, "GET", "state")["invoices"]}
    assert "paidDate" not in state[5008] and state[5008]["statusText"] == "Unprocessed"
