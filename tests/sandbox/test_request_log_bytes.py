"""The request logs record each answer's body size: what Xero's 2026 pricing by egress counts."""

from __future__ import annotations


def test_each_logged_call_carries_the_bytes_its_answer_held(sandbox):
    sandbox.reset("demo")
    sandbox.xero_requests(clear=True)
    contacts = sandbox.xero("GET", "/Contacts")
    summary = sandbox.xero("GET", "/Contacts", params={"summaryOnly": "true"})
    missing = sandbox.xero("GET", "/Nope")
    logged = [e for e in sandbox.xero_requests(clear=True) if e["path"].startswith("/api.xro/")]
    assert [e["bytes"] for e in logged] == [
        len(contacts.content),
        len(summary.content),
        len(missing.content),
    ]
    assert logged[0]["bytes"] > logged[1]["bytes"] > 0  # a summary costs less egress


def test_qondor_calls_carry_their_answer_size_too(sandbox):
    sandbox.reset("demo")
    sandbox.qondor_requests(clear=True)
    queue = sandbox.http.get(
        f"{sandbox.qondor_url}/Invoicing/v1/Invoice/GetAllUnprocessedInvoices",
        headers={"Ocp-Apim-Subscription-Key": sandbox.qondor_config()["api_key"]},
        timeout=60,
    )
    assert queue.status_code == 200, queue.text[:300]
    (entry,) = sandbox.qondor_requests(clear=True)
    assert entry["bytes"] == len(queue.content) > 10_000
