"""The sandbox's Qondor API over HTTP: the queue, the state machine, customers, offices, auth.

Every payload the server returns is validated against the contract (qondor_xero.qondor.contract).
"""

from __future__ import annotations

import pytest
import requests

from qondor_xero.qondor import contract
from qondor_xero.qondor.contract import InvoiceStatus

KEY = "sandbox-qondor-key"
QUEUED = list(range(5001, 5044))


class Qondor:
    """Calls to the sandbox's Qondor API with the subscription key."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.base = sandbox.qondor_url
        self.http = requests.Session()
        self.http.headers[contract.AUTH_HEADER] = KEY

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=30)

    def put(self, path: str, body) -> requests.Response:
        return self.http.put(self.base + path, json=body, timeout=30)

    def admin(self, method: str, path: str, body=None):
        return self.sandbox.admin(self.base, method, path, body)

    def invoice(self, invoice_id: int) -> dict:
        response = self.get(contract.INVOICE_BY_ID.format(id=invoice_id))
        assert response.status_code == 200, response.text
        return response.json()

    def queue_ids(self) -> list[int]:
        response = self.get(contract.UNPROCESSED_INVOICES)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]


@pytest.fixture
def qondor(sandbox) -> Qondor:
    """The demo scenario's Qondor data, fresh for each test."""
    api = Qondor(sandbox)
    api.admin("POST", "reset", {"scenario": "demo"})
    return api


def assert_problem(response: requests.Response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    contract.validate("problem_details", body)
    assert body["status"] == status
    return body


# --- the queue


def test_queue_holds_only_unprocessed_items_of_api_offices_from_their_start_date(qondor):
    response = qondor.get(contract.UNPROCESSED_INVOICES)
    assert response.status_code == 200
    items = response.json()
    assert [i["id"] for i in items] == QUEUED
    for item in items:
        contract.validate("invoice", item)
        assert item["status"] == InvoiceStatus.Unprocessed
        assert item["statusText"] == "Unprocessed"
    # Office 4 has API processing off; 4103/4104 predate office 2's start date.
    state = qondor.admin("GET", "state")
    unqueued = {i["id"] for i in state["invoices"] if i["status"] == 0} - set(QUEUED)
    assert unqueued == {4101, 4102, 4103, 4104}


def test_queue_follows_office_settings_when_they_change(qondor):
    qondor.admin("PATCH", "offices/4", {"useApiToProcessInvoices": True})
    assert not {4101, 4102} & set(qondor.queue_ids())  # still no start date
    qondor.admin("PATCH", "offices/4", {"invoiceApiStartDate": "2020-01-01"})
    assert {4101, 4102} <= set(qondor.queue_ids())
    qondor.admin("PATCH", "offices/2", {"invoiceApiStartDate": "2000-01-01"})
    assert {4103, 4104} <= set(qondor.queue_ids())
    qondor.admin("PATCH", "offices/1", {"invoiceApiStartDate": None})
    remaining = qondor.queue_ids()
    office_of = {i["id"]: i["officeId"] for i in qondor.admin("GET", "state")["invoices"]}
    assert remaining and all(office_of[i] != 1 for i in remaining)
    qondor.admin("PATCH", "offices/3", {"useApiToProcessInvoices": False})
    assert all(office_of[i] not in (1, 3) for i in qondor.queue_ids())


def test_acknowledged_items_leave_the_queue_and_failed_ones_never_return(qondor):
    assert (
        qondor.put(
            contract.SET_AS_PROCESSED, {"invoiceId": 5001, "externalReference": "x-1"}
        ).status_code
        == 200
    )
    assert (
        qondor.put(
            contract.SET_AS_FAILED, {"invoiceId": 5002, "errorMessage": "Unmapped"}
        ).status_code
        == 200
    )
    ids = qondor.queue_ids()
    assert 5001 not in ids and 5002 not in ids and len(ids) == len(QUEUED) - 2


def test_a_large_queue_is_served_whole_in_id_order(qondor):
    qondor.admin("POST", "seed", {"scenario": "bench", "seed": 3, "size": 4500})
    ids = qondor.queue_ids()
    assert len(ids) == len(QUEUED) + 4500
    assert ids == sorted(ids)


@pytest.mark.parametrize("prefix", ["", "/Prod", "/Test", "/Dev"])
def test_every_environment_prefix_serves_the_same_api(qondor, prefix):
    response = qondor.get(prefix + contract.OFFICES)
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [1, 2, 3, 4]
    assert qondor.get(prefix + contract.INVOICE_BY_ID.format(id=5001)).json()["id"] == 5001


def test_unknown_path_gets_apim_not_found(qondor):
    response = qondor.get("/Staging" + contract.OFFICES)
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Resource not found"}


# --- single invoices


def test_invoice_by_id_returns_the_full_object(qondor):
    invoice = qondor.invoice(5033)
    contract.validate("invoice", invoice)
    assert invoice["invoiceTypeText"] == "CreditNote"
    assert invoice["creditedInvoiceId"] == 5001 and invoice["creditedInvoiceNumber"] == "100201"
    assert invoice["totalInclVat"] < 0


def test_unknown_invoice_is_404_problem_details(qondor):
    body = assert_problem(qondor.get(contract.INVOICE_BY_ID.format(id=999999)), 404)
    assert "999999" in body["detail"]


def test_non_numeric_invoice_id_is_400(qondor):
    body = assert_problem(qondor.get(contract.INVOICE_BY_ID.format(id="abc")))
    assert "Id" in body["errors"]


def test_get_by_external_reference_finds_the_item_or_answers_404(qondor):
    ref = "e0000000-0000-4000-8000-000000004001"
    response = qondor.get(contract.INVOICE_BY_EXTERNAL_REFERENCE, externalReference=ref)
    assert response.status_code == 200
    contract.validate("invoice", response.json())
    assert response.json()["id"] == 4001
    missing = qondor.get(contract.INVOICE_BY_EXTERNAL_REFERENCE, externalReference="nope")
    assert_problem(missing, 404)


# --- the state machine

ALL_CALLS = list(contract.TRANSITIONS)
BODIES = {
    "SetAsProcessed": {"externalReference": "xero-id-1"},
    "SetAsFailed": {"errorMessage": "Line 3: article number MISC is not mapped."},
    "SetAsPaid": {"paidDate": "2026-11-20"},
}
PATHS = {"SetAsProcessed": contract.SET_AS_PROCESSED, "SetAsFailed": contract.SET_AS_FAILED,
         "SetAsPaid": contract.SET_AS_PAID}  # fmt: skip


@pytest.mark.parametrize("start", list(InvoiceStatus), ids=lambda s: s.name)
@pytest.mark.parametrize("call", ALL_CALLS)
def test_each_transition_is_allowed_only_from_its_status(qondor, call, start):
    qondor.admin("PATCH", "invoices/5010", {"status": int(start)})
    before = qondor.invoice(5010)
    response = qondor.put(PATHS[call], {"invoiceId": 5010, **BODIES[call]})
    source, target = contract.TRANSITIONS[call]
    after = qondor.invoice(5010)
    contract.validate("invoice", after)
    if start is source:
        assert response.status_code == 200 and response.content == b""
        assert (after["status"], after["statusText"]) == (target, target.name)
        assert after["lastModifiedDate"] != before["lastModifiedDate"]
        if call == "SetAsProcessed":
            assert after["externalReference"] == "xero-id-1"
        if call == "SetAsFailed":
            assert after["errorMessage"] == BODIES[call]["errorMessage"]
    else:
        body = assert_problem(response)
        assert start.name in body["errors"]["Status"][0]
        assert after == before


def test_full_life_of_an_invoice_and_paid_date_in_state(qondor):
    assert (
        qondor.put(
            contract.SET_AS_PROCESSED, {"invoiceId": 5003, "externalReference": "X"}
        ).status_code
        == 200
    )
    assert (
        qondor.put(contract.SET_AS_PAID, {"invoiceId": 5003, "paidDate": "2026-11-21"}).status_code
        == 200
    )
    state = {i["id"]: i for i in qondor.admin("GET", "state")["invoices"]}
    assert state[5003]["statusText"] == "Paid" and state[5003]["paidDate"] == "2026-11-21"
    assert state[5003]["externalReference"] == "X"


def test_processing_twice_is_refused_even_with_the_same_reference(qondor):
    body = {"invoiceId": 5004, "externalReference": "same"}
    assert qondor.put(contract.SET_AS_PROCESSED, body).status_code == 200
    refused = assert_problem(qondor.put(contract.SET_AS_PROCESSED, body))
    assert "Processed" in refused["errors"]["Status"][0]


@pytest.mark.parametrize("call", ALL_CALLS)
def test_unknown_invoice_id_is_404_for_each_call(qondor, call):
    body = assert_problem(qondor.put(PATHS[call], {"invoiceId": 424242, **BODIES[call]}), 404)
    assert "424242" in body["detail"]


def test_error_message_of_1000_characters_is_accepted_and_1001_refused(qondor):
    too_long = assert_problem(
        qondor.put(contract.SET_AS_FAILED, {"invoiceId": 5005, "errorMessage": "x" * 1001})
    )
    assert "1000" in too_long["errors"]["ErrorMessage"][0]
    assert qondor.invoice(5005)["status"] == InvoiceStatus.Unprocessed
    ok = qondor.put(contract.SET_AS_FAILED, {"invoiceId": 5005, "errorMessage": "y" * 1000})
    assert ok.status_code == 200
    assert qondor.invoice(5005)["errorMessage"] == "y" * 1000


@pytest.mark.parametrize(
    ("call", "body", "field"),
    [
        ("SetAsProcessed", {"externalReference": "x"}, "InvoiceId"),
        ("SetAsProcessed", {"invoiceId": 5006}, "ExternalReference"),
        ("SetAsProcessed", {"invoiceId": 5006, "externalReference": "  "}, "ExternalReference"),
        ("SetAsProcessed", {"invoiceId": "5006", "externalReference": "x"}, "$.invoiceId"),
        ("SetAsFailed", {"invoiceId": 5006}, "ErrorMessage"),
        ("SetAsPaid", {"invoiceId": 5006, "paidDate": "20.11.2026"}, "$.paidDate"),
        ("SetAsPaid", {"invoiceId": 5006, "paidDate": "2026-11-20", "note": 1}, "$"),
        ("SetAsPaid", [5006], "$"),
    ],
)
def test_malformed_bodies_get_problem_details_naming_the_field(qondor, call, body, field):
    problem = assert_problem(qondor.put(PATHS[call], body))
    assert field in problem["errors"], problem
    assert qondor.invoice(5006)["status"] == InvoiceStatus.Unprocessed


def test_empty_and_non_json_bodies_are_400(qondor):
    url = qondor.base + contract.SET_AS_PROCESSED
    assert_problem(qondor.http.put(url, data=b"", timeout=30))
    assert_problem(qondor.http.put(url, data=b"{not json", timeout=30))


# --- customers and offices


def test_customer_by_id_is_customer_details(qondor):
    response = qondor.get(contract.CUSTOMER_BY_ID.format(id=101))
    assert response.status_code == 200
    customer = response.json()
    contract.validate("customer", customer)
    assert customer["vatNumber"] == "NO923456789MVA" and customer["contactPersons"][0]["id"] == 9001
    assert_problem(qondor.get(contract.CUSTOMER_BY_ID.format(id=999)), 404)


def test_customers_of_an_office_are_summaries(qondor):
    response = qondor.get(contract.CUSTOMERS_BY_OFFICE, officeId=2)
    assert response.status_code == 200
    summaries = response.json()
    assert [c["id"] for c in summaries] == [109, 116]
    for summary in summaries:
        contract.validate("customer_summary", summary)
        assert set(summary) == set(contract.CUSTOMER_SUMMARY_SCHEMA["properties"])
    assert qondor.get(contract.CUSTOMERS_BY_OFFICE, officeId=77).json() == []
    everyone = qondor.get(contract.CUSTOMERS_BY_OFFICE).json()
    assert len(everyone) == 18
    assert_problem(qondor.get(contract.CUSTOMERS_BY_OFFICE, officeId="two"))


def test_customer_by_external_reference(qondor):
    response = qondor.get(contract.CUSTOMER_BY_EXTERNAL_REFERENCE, externalReference="CRM-0118")
    assert response.status_code == 200
    contract.validate("customer", response.json())
    assert response.json()["id"] == 118
    missing = qondor.get(contract.CUSTOMER_BY_EXTERNAL_REFERENCE, externalReference="CRM-9")
    assert_problem(missing, 404)


def test_offices_carry_their_api_processing_settings(qondor):
    offices = qondor.get(contract.OFFICES).json()
    for office in offices:
        contract.validate("office", office)
    settings = {
        o["id"]: (o["useApiToProcessInvoices"], o["invoiceApiStartDate"] is not None)
        for o in offices
    }
    assert settings == {1: (True, True), 2: (True, True), 3: (True, True), 4: (False, False)}


# --- auth


@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_missing_or_wrong_key_is_401_with_apim_body(sandbox, key):
    headers = {} if key is None else {contract.AUTH_HEADER: key}
    response = requests.get(sandbox.qondor_url + contract.OFFICES, headers=headers, timeout=30)
    assert response.status_code == 401
    body = response.json()
    contract.validate("unauthorized", body)
    assert "subscription key" in body["message"]
    put = requests.put(sandbox.qondor_url + contract.SET_AS_FAILED, headers=headers, timeout=30,
                       json={"invoiceId": 5001, "errorMessage": "x"})  # fmt: skip
    assert put.status_code == 401


def test_key_is_also_accepted_as_query_parameter(sandbox):
    response = requests.get(
        sandbox.qondor_url + contract.OFFICES, params={"subscription-key": KEY}, timeout=30
    )
    assert response.status_code == 200
