"""Xero down for a whole run: every call answered 503, or every create (PUT) committed and then
its connection dropped. The run stops with one line and marks nothing Failed that did not fail
on its own data; once Xero is back, a rerun finishes every item once.
"""

from __future__ import annotations

import pytest
from reliability_books import (
    SMALL_CARD_PAYMENTS,
    SMALL_FAILED,
    SMALL_IDS,
    check_books,
    count_calls,
    small_sync,
    stop_prefix,
)

API = "/api.xro/2.0"


@pytest.mark.parametrize(
    "fault",
    [
        {"path": f"{API}/*", "status": 503},
        {"method": "PUT", "path": f"{API}/*", "drop": True},
    ],
    ids=["every_call_503", "every_put_dropped"],
)
def test_xero_down_for_the_whole_run_stops_then_a_rerun_finishes_everything_once(
    sandbox, tmp_path, fault
):
    sandbox.reset("demo")
    sandbox.xero_fault(fault)

    run = small_sync(sandbox, tmp_path / "down")

    assert run.returncode != 0
    books = check_books(sandbox, SMALL_IDS, unprocessed_ok=True)
    stops = [x for x in run.stderr.splitlines() if stop_prefix(len(books.failed)) in x]
    assert len(stops) == 1 and "Traceback" not in run.stderr, run.stderr[-3000:]
    assert not books.processed
    for n, message in books.failed.items():  # only items bad in themselves, with their reason
        assert SMALL_FAILED[n] in message, message
    log = sandbox.xero_requests()
    if "drop" in fault:
        # Committed, dropped, and retried with the same Idempotency-Key: still one of each.
        assert count_calls(log, "PUT", f"{API}/Invoices") > 1
        in_xero = {i["InvoiceNumber"] for i in books.xero["invoices"]}
        assert {books.items[n]["invoiceNumber"] for n in books.unprocessed} & in_xero
    else:
        assert {r["status"] for r in log if r["path"].startswith(API)} == {503}

    sandbox.clear_faults()
    sandbox.advance_clock(600)  # past Xero's idempotency window: nothing can hide a duplicate
    rerun = small_sync(sandbox, tmp_path / "rerun")

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    books = check_books(sandbox, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)
    assert len(books.processed) == len(SMALL_IDS) - len(SMALL_FAILED)
    assert len(books.payments_of(SMALL_CARD_PAYMENTS)) == len(SMALL_CARD_PAYMENTS)
