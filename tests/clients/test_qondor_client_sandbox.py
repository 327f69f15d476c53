"""The Qondor client against the sandbox: reads, idempotent acknowledgements, retries, errors."""

import logging
import time

import pytest

from qondor_xero.qondor import (
    Ack,
    QondorAuthError,
    QondorClient,
    QondorNotFound,
    QondorRateLimited,
    QondorServerError,
    QondorValidationError,
    contract,
)

QUEUE = contract.UNPROCESSED_INVOICES


@pytest.fixture
def demo(sandbox):
    """The shared sandbox reset to the demo scenario."""
    sandbox.reset("demo")
    return sandbox


@pytest.fixture
def client(demo):
    config = demo.qondor_config()
    qondor = QondorClient(config["api_url"], config["api_key"], backoff_base=0.05)
    yield qondor
    qondor.close()


def stored_invoice(box, invoice_id):
    return next(i for i in box.qondor_state()["invoices"] if i["id"] == invoice_id)


def statuses(box, path):
    return [r["status"] for r in box.qondor_requests() if r["path"] == path]


def test_queue_holds_the_demo_items_and_each_matches_the_contract(client):
    queue = client.get_unprocessed_invoices()
    assert sorted(i["id"] for i in queue) == list(range(5001, 5044))
    for item in queue:
        contract.validate("invoice", item)
    assert client.calls == {"GET " + QUEUE: 1}


def test_api_url_with_environment_path_works(demo):
    qondor = QondorClient(demo.qondor_url + "/Prod/", demo.qondor_config()["api_key"])
    assert qondor.get_invoice(5001)["invoiceNumber"] == "100201"


def test_invoice_and_customer_by_id_and_404s(client):
    assert client.get_invoice(5001)["invoiceNumber"] == "100201"
    customer = client.get_customer(101)
    contract.validate("customer", customer)
    assert customer["name"] == "Fjord Events AS"
    with pytest.raises(QondorNotFound, match=r"GET /Invoicing/v1/Invoice/999999: 404"):
        client.get_invoice(999999)
    with pytest.raises(QondorNotFound):
        client.get_customer(999999)
    assert client.calls["GET /Invoicing/v1/Invoice/{id}"] == 2
    assert client.calls["GET /Customer/v1/Customer/{id}"] == 2


def test_get_customers_fetches_each_id_once_and_gives_none_for_404(client, demo):
    demo.qondor_requests(clear=True)
    found = client.get_customers([101, 102, 101, 999999, 103, 102, 104])
    assert list(found) == [101, 102, 999999, 103, 104]
    assert found[999999] is None
    assert found[103]["id"] == 103
    paths = sorted(r["path"] for r in demo.qondor_requests())
    assert paths == sorted(f"/Customer/v1/Customer/{i}" for i in (101, 102, 103, 104, 999999))
    assert client.calls["GET /Customer/v1/Customer/{id}"] == 5


def test_offices_are_listed(client):
    offices = client.get_offices()
    assert sorted(o["id"] for o in offices) == [1, 2, 3, 4]
    for office in offices:
        contract.validate("office", office)


def test_set_as_processed_is_idempotent_for_the_same_reference(client, demo):
    assert client.set_as_processed(5001, "xero-1") == Ack(5001, True)
    assert client.set_as_processed(5001, "xero-1") == Ack(5001, False)
    with pytest.raises(QondorValidationError) as refused:
        client.set_as_processed(5001, "xero-2")
    message = str(refused.value)
    assert "\n" not in message
    assert "SetAsProcessed" in message and "400" in message
    assert "invoice 5001 is Processed, externalReference 'xero-1'" in message
    stored = stored_invoice(demo, 5001)
    assert (stored["statusText"], stored["externalReference"]) == ("Processed", "xero-1")
    assert client.get_invoice_by_external_reference("xero-1")["id"] == 5001
    assert client.get_invoice_by_external_reference("no-such-reference") is None


def test_set_as_processed_after_a_dropped_response_is_not_an_error(client, demo):
    demo.qondor_fault(
        {"method": "PUT", "path": contract.SET_AS_PROCESSED, "drop": True, "count": 1}
    )
    assert client.set_as_processed(5002, "xero-5002") == Ack(5002, False)
    assert stored_invoice(demo, 5002)["externalReference"] == "xero-5002"
    assert client.calls["PUT " + contract.SET_AS_PROCESSED] == 2


def test_set_as_paid_is_idempotent_and_refused_for_unprocessed(client, demo):
    client.set_as_processed(5003, "xero-5003")
    assert client.set_as_paid(5003, "2026-12-01") == Ack(5003, True)
    assert client.set_as_paid(5003, "2026-12-01") == Ack(5003, False)
    stored = stored_invoice(demo, 5003)
    assert (stored["statusText"], stored["paidDate"]) == ("Paid", "2026-12-01")
    with pytest.raises(QondorValidationError, match="invoice 5004 is Unprocessed"):
        client.set_as_paid(5004, "2026-12-01")
    assert stored_invoice(demo, 5004)["statusText"] == "Unprocessed"


def test_set_as_failed_trims_the_message_and_is_idempotent_for_the_same_message(client, demo):
    reason = "Unmapped article numbers: " + ", ".join(f"MISC{i} on line {i}" for i in range(200))
    assert len(reason) > 1000
    assert client.set_as_failed(5018, reason) == Ack(5018, True)
    stored = stored_invoice(demo, 5018)
    assert stored["statusText"] == "Failed"
    assert len(stored["errorMessage"]) == 1000
    assert stored["errorMessage"].startswith("Unmapped article numbers: MISC0 on line 0")
    assert client.set_as_failed(5018, reason) == Ack(5018, False)
    with pytest.raises(QondorValidationError, match="invoice 5018 is Failed"):
        client.set_as_failed(5018, "another reason")
    with pytest.raises(QondorValidationError, match="invoice 5018 is Failed"):
        client.set_as_processed(5018, "xero-5018")


def test_acknowledging_an_unknown_invoice_is_not_found(client):
    with pytest.raises(QondorNotFound, match="SetAsProcessed: 404"):
        client.set_as_processed(999999, "xero-x")


def test_a_429_storm_is_ridden_out_honouring_retry_after(client, demo):
    demo.qondor_fault({"path": QUEUE, "status": 429, "retry_after": 1, "count": 2})
    started = time.monotonic()
    assert len(client.get_unprocessed_invoices()) == 43
    assert time.monotonic() - started >= 2.0
    assert statuses(demo, QUEUE) == [429, 429, 200]


def test_503s_are_retried_with_backoff(client, demo):
    demo.qondor_fault({"path": "/Customer/v1/Customer/*", "status": 503, "count": 3})
    assert client.get_customer(101)["id"] == 101
    assert statuses(demo, "/Customer/v1/Customer/101") == [503, 503, 503, 200]


def test_endless_429s_end_in_a_rate_limit_error_after_five_attempts(client, demo):
    demo.qondor_fault({"path": QUEUE, "status": 429, "retry_after": 0})
    with pytest.raises(QondorRateLimited, match="still rate limited after 5 attempts"):
        client.get_unprocessed_invoices()
    assert statuses(demo, QUEUE) == [429] * 5


def test_a_500_is_not_retried_and_reads_as_one_line(client, demo):
    demo.qondor_fault({"path": "/Office/v1/Office/GetAll", "status": 500, "count": 1})
    with pytest.raises(QondorServerError) as failed:
        client.get_offices()
    assert str(failed.value).startswith(
        "GET /Office/v1/Office/GetAll: 500 An error occurred while processing your request."
    )
    assert statuses(demo, "/Office/v1/Office/GetAll") == [500]


def test_an_unreachable_server_is_a_server_error_after_retries():
    qondor = QondorClient("http://127.0.0.1:9", "some-key", backoff_base=0.01, timeout=2)
    with pytest.raises(QondorServerError, match="could not reach Qondor after 5 attempts"):
        qondor.get_offices()


def test_a_wrong_key_is_an_auth_error_that_does_not_show_the_key(demo):
    wrong = "wrong-subscription-key-4711"
    qondor = QondorClient(demo.qondor_url, wrong)
    with pytest.raises(QondorAuthError) as refused:
        qondor.get_unprocessed_invoices()
    message = str(refused.value)
    assert "401" in message and "invalid subscription key" in message and "api_key" in message
    assert wrong not in message
    assert qondor.calls == {"GET " + QUEUE: 1}


def test_no_secret_in_debug_logs_or_errors(client, demo, caplog):
    key = demo.qondor_config()["api_key"]
    demo.qondor_fault({"path": QUEUE, "status": 429, "retry_after": 0, "count": 1})
    demo.qondor_fault({"method": "PUT", "path": contract.SET_AS_PAID, "drop": True, "count": 1})
    caplog.set_level(logging.DEBUG)
    texts = []
    client.get_unprocessed_invoices()
    client.get_customers([101, 999999])
    client.set_as_processed(5005, "xero-5005")
    client.set_as_paid(5005, "2026-12-01")
    with pytest.raises(QondorValidationError, match="Invoice 5006 has status Unprocessed") as paid:
        client.set_as_paid(5006, "2026-12-01")
    with pytest.raises(QondorNotFound, match="Invoice 1 was not found") as missing:
        client.get_invoice(1)
    texts += [str(paid.value), str(missing.value)]
    debug = [r for r in caplog.records if r.name == "qondor_xero.qondor"]
    assert any(
        "GET /Invoicing/v1/Invoice/GetAllUnprocessedInvoices -> 429" in r.getMessage()
        for r in debug
    )
    texts += [r.getMessage() for r in caplog.records]
    assert texts and not [t for t in texts if key in t]


def test_get_customers_raises_the_first_real_failure(client, demo):
    demo.qondor_fault({"path": "/Customer/v1/Customer/102", "status": 500})
    with pytest.raises(QondorServerError, match="GET /Customer/v1/Customer/102: 500"):
        client.get_customers([101, 102, 103])


def test_a_dropped_queue_read_is_read_again_whole(client, demo):
    demo.qondor_fault({"path": QUEUE, "drop": True, "count": 1})
    items = list(client.iter_unprocessed_invoices())
    assert [item["id"] for item in items] == list(range(5001, 5044))
    assert all(isinstance(item["lines"], list) for item in items)
    assert client.calls["GET " + QUEUE] == 2


def test_iter_customers_yields_each_id_once_in_order_as_they_arrive(client, demo):
    found = list(client.iter_customers([103, 101, 103, 999999, 102]))
    assert [(i, (c or {}).get("id")) for i, c in found] == [
        (103, 103),
        (101, 101),
        (999999, None),
        (102, 102),
    ]
