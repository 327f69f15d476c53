"""Payment status sync end to end: invoices paid in Xero become Paid in Qondor, and only those."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from payment_world import qondor_invoice, run_payment_sync


def _qondor_calls(box) -> list[str]:
    return [f"{r['method']} {r['path'].split('/Invoice/')[-1]}" for r in box.qondor_requests()]


def test_invoices_paid_in_xero_become_paid_in_qondor_and_only_those(sandbox, world, tmp_path):
    sandbox.pay([world.xero_ids[5001], world.hand_made], date="2026-11-25")
    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    # drafts are never read, so their Qondor item (5004) can never become Paid
    assert world.xero_ids[5004] not in run.record_ids
    assert {r["Status"] for r in run.records} == {"AUTHORISED", "PAID"}
    invoice_reads = [r["query"] for r in sandbox.xero_requests() if r["path"].endswith("/Invoices")]
    read = "Statuses=AUTHORISED%2CPAID%2CVOIDED%2CDELETED"
    assert invoice_reads and all(read in q for q in invoice_reads)
    paid = qondor_invoice(sandbox, 5001)
    assert paid["statusText"] == "Paid" and paid["paidDate"] == "2026-11-25"
    for still_processed in (5002, 5003, 5004):
        assert qondor_invoice(sandbox, still_processed)["statusText"] == "Processed"
    assert qondor_invoice(sandbox, 5005)["statusText"] == "Unprocessed"
    assert run.summary == {
        "summary": "target-qondor",
        "marked_paid": 1,
        "already_paid": 0,
        "unknown": 1,
        "unpaid": 2,
        "not_sales": 0,
        "refused": 0,
        "voided_in_xero": 0,
        "deleted_in_xero": 0,
        "part_paid": 0,
        "payment_removed": 0,
    }
    assert "1 marked paid, 0 already paid, 1 unknown to Qondor, 2 unpaid" in run.target_stderr
    # AUTHORISED invoices cost no Qondor call: one lookup per PAID invoice, one SetAsPaid.
    assert sorted(_qondor_calls(sandbox)) == [
        "GET GetByExternalReference",
        "GET GetByExternalReference",
        "PUT SetAsPaid",
    ]


def test_a_quiet_second_run_emits_nothing_and_asks_qondor_nothing(sandbox, world, tmp_path):
    sandbox.pay([world.xero_ids[5001], world.hand_made])
    first = run_payment_sync(sandbox, tmp_path / "first")
    assert first.summary["marked_paid"] == 1
    sandbox.qondor_requests(clear=True)
    sandbox.xero_requests(clear=True)

    second = run_payment_sync(sandbox, tmp_path / "second", state=first.state)

    assert second.returncode == 0
    # The two paid invoices are in the bookmark's overlap: read again, not emitted again.
    assert second.records == []
    assert _qondor_calls(sandbox) == []
    reads = [r for r in sandbox.xero_requests() if r["path"].endswith("/Invoices")]
    assert len(reads) == 1, reads
    assert qondor_invoice(sandbox, 5001)["statusText"] == "Paid"


def test_an_invoice_paid_in_the_bookmarks_second_still_becomes_paid(sandbox, world, tmp_path):
    sandbox.pay([world.xero_ids[5001]])
    first = run_payment_sync(sandbox, tmp_path / "first")
    bookmark = datetime.fromisoformat(first.state["bookmarks"]["invoices"]["replication_key_value"])
    # 5002 is paid after that run read, with the very stamp of the bookmark.
    copy = next(
        i
        for i in sandbox.admin(sandbox.xero_url, "GET", "state")["invoices"]
        if i["InvoiceID"] == world.xero_ids[5002]
    )
    paid = {**copy, "Status": "PAID", "UpdatedDateUTC": round(bookmark.timestamp() * 1000)}
    sandbox.xero_seed(invoices=[paid])
    sandbox.qondor_requests(clear=True)

    second = run_payment_sync(sandbox, tmp_path / "second", state=first.state)

    assert second.record_ids == [world.xero_ids[5002]]
    assert second.summary["marked_paid"] == 1
    assert qondor_invoice(sandbox, 5002)["statusText"] == "Paid"
    assert sorted(_qondor_calls(sandbox)) == ["GET GetByExternalReference", "PUT SetAsPaid"]


def test_bookmark_carries_invoices_paid_between_runs(sandbox, world, tmp_path):
    sandbox.pay([world.xero_ids[5001]])
    first = run_payment_sync(sandbox, tmp_path / "first")
    assert qondor_invoice(sandbox, 5002)["statusText"] == "Processed"

    sandbox.pay([world.xero_ids[5002]], date="2026-11-26")
    second = run_payment_sync(sandbox, tmp_path / "second", state=first.state)

    assert second.summary["marked_paid"] == 1
    assert qondor_invoice(sandbox, 5002)["paidDate"] == "2026-11-26"
    assert world.xero_ids[5002] in second.record_ids
    assert world.xero_ids[5003] not in second.record_ids
    bookmark = second.state["bookmarks"]["invoices"]["replication_key_value"]
    paid_at = next(
        r["UpdatedDateUTC"] for r in second.records if r["InvoiceID"] == world.xero_ids[5002]
    )
    assert datetime.fromisoformat(bookmark) >= datetime.fromisoformat(paid_at)
    assert datetime.fromisoformat(bookmark) <= datetime.now(UTC)


def test_no_secret_in_any_output_even_at_debug(sandbox, world, tmp_path):
    sandbox.pay([world.xero_ids[5001]])
    debug = {"LOGLEVEL": "DEBUG", "TAP_XERO_LOG_LEVEL": "DEBUG", "TARGET_QONDOR_LOG_LEVEL": "DEBUG"}
    run = run_payment_sync(sandbox, tmp_path, env=debug)

    assert run.returncode == 0
    assert "DEBUG" in run.tap_stderr and "DEBUG" in run.target_stderr
    printed = run.tap_stderr + run.target_stderr + json.dumps(run.records) + json.dumps(run.state)
    for secret in (sandbox.xero_config()["client_secret"], sandbox.qondor_config()["api_key"]):
        assert secret not in printed
