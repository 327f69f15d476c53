"""429 storms, 5xx bursts and a slow Xero: the run rides them out; the books balance after a rerun."""

from __future__ import annotations

import time

import pytest
from reliability_books import (
    SMALL_CARD_PAYMENTS,
    SMALL_FAILED,
    SMALL_IDS,
    check_books,
    small_sync,
)

API = "/api.xro/2.0"


def ride_out(box, workdir):
    """Run with the faults in place, check the books, rerun cleanly, check again.

    Returns the first run and the Xero request log of that run.
    """
    run = small_sync(box, workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    log = box.xero_requests()
    books = check_books(box, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)
    assert len(books.payments_of(SMALL_CARD_PAYMENTS)) == 3
    box.clear_faults()
    box.advance_clock(600)  # past Xero's idempotency window: nothing can hide a duplicate
    rerun = small_sync(box, workdir / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    again = check_books(box, SMALL_IDS)
    assert again.processed == books.processed
    assert len(again.payments_of(SMALL_CARD_PAYMENTS)) == 3
    return run, log


@pytest.mark.parametrize("problem", ["minute", "concurrent"])
def test_429_storm_is_waited_out_without_duplicates(sandbox, tmp_path, problem):
    sandbox.reset("demo")
    # Reads and every kind of write are refused twice each before they go through.
    sandbox.xero_fault(
        [
            {"path": f"{API}/Contacts*", "status": 429, "problem": problem, "count": 2},
            {"path": f"{API}/Invoices*", "status": 429, "problem": problem, "count": 2},
            {"path": f"{API}/Payments*", "status": 429, "problem": problem, "count": 2},
        ]
    )
    _run, log = ride_out(sandbox, tmp_path)
    assert sum(r["status"] == 429 for r in log) == 6, [r for r in log if r["status"] == 429]


def test_500_and_503_bursts_are_retried_without_duplicates(sandbox, tmp_path):
    sandbox.reset("demo")
    sandbox.xero_fault(
        [
            {"method": "POST", "path": f"{API}/Contacts", "status": 500, "count": 2},
            {"method": "PUT", "path": f"{API}/Invoices", "status": 503, "count": 2},
            {"method": "PUT", "path": f"{API}/Payments", "status": 503, "count": 1},
            {"method": "PUT", "path": f"{API}/CreditNotes", "status": 500, "count": 1},
        ]
    )
    _run, log = ride_out(sandbox, tmp_path)
    assert sum(r["status"] >= 500 for r in log) == 6


def test_a_ten_second_response_is_waited_for_not_repeated(sandbox, tmp_path):
    sandbox.reset("demo")
    sandbox.xero_fault({"method": "PUT", "path": f"{API}/Invoices", "delay": 10, "count": 1})
    started = time.monotonic()
    _run, log = ride_out(sandbox, tmp_path)
    assert time.monotonic() - started >= 10
    invoice_writes = [r for r in log if r["method"] == "PUT" and r["path"] == f"{API}/Invoices"]
    assert len(invoice_writes) == 1 and invoice_writes[0]["duration_ms"] >= 10_000
