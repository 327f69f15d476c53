"""Xero commits a write and drops the connection; Xero's daily limit hits mid-run.

Each test runs tap-qondor → target-xero over the demo's 14-item small world with a sandbox
fault, then a clean rerun past Xero's idempotency window, and checks the books.
"""

from __future__ import annotations

import pytest
from reliability_books import (
    SMALL_CARD_PAYMENTS,
    SMALL_FAILED,
    SMALL_IDS,
    check_books,
    count_calls,
    last_line,
    small_sync,
    stop_prefix,
)

API = "/api.xro/2.0"


def rerun_and_check(box, workdir):
    """A clean rerun past the idempotency window; the books after it."""
    box.clear_faults()
    box.advance_clock(600)  # past Xero's idempotency window: nothing can hide a duplicate
    rerun = small_sync(box, workdir / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    books = check_books(box, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)
    return books, rerun


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", f"{API}/Invoices"), ("PUT", f"{API}/Payments"), ("POST", f"{API}/Contacts")],
    ids=["invoices", "payments", "contacts"],
)
def test_write_committed_then_connection_dropped_is_not_duplicated(sandbox, tmp_path, method, path):
    sandbox.reset("demo")
    sandbox.xero_fault({"method": method, "path": path, "drop": True, "count": 1})
    run = small_sync(sandbox, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    log = sandbox.xero_requests()
    # The dropped write was committed and retried: two calls, one set of objects.
    assert count_calls(log, method, path) == 2, [r for r in log if r["path"] == path]
    books = check_books(sandbox, SMALL_IDS)
    for number, message in SMALL_FAILED.items():
        assert message in books.failed[number]
    if path.endswith("Payments"):
        assert (
            len(books.payments_of(SMALL_CARD_PAYMENTS)) == 3
        )  # 5029, 5031, 5032: one payment each
    books, _rerun = rerun_and_check(sandbox, tmp_path)
    assert len(books.payments_of(SMALL_CARD_PAYMENTS)) == 3


def test_daily_limit_mid_run_stops_clearly_and_next_run_finishes(sandbox, tmp_path):
    sandbox.reset("demo")
    # Invoices go through; the day's quota runs out when the credit notes' turn comes.
    sandbox.xero_fault(
        {"path": f"{API}/CreditNotes*", "status": 429, "problem": "day", "retry_after": 40000}
    )
    run = small_sync(sandbox, tmp_path)
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert "Traceback" not in run.stderr
    books = check_books(sandbox, SMALL_IDS, unprocessed_ok=True)
    # Items bad in themselves (5036's invoice is not in Xero) are Failed as they are met; the
    # stop marks nothing, and its one line counts what was marked before it.
    assert {n: SMALL_FAILED[n] in m for n, m in books.failed.items()} == dict.fromkeys(
        SMALL_FAILED, True
    )
    assert "daily" in line.lower(), line
    assert line.startswith(stop_prefix(len(SMALL_FAILED))), line
    notes = {n for n in SMALL_IDS if books.items[n]["invoiceType"] == 5}
    assert books.unprocessed == notes - set(SMALL_FAILED)  # the rest wait for tomorrow
    assert not [
        r
        for r in sandbox.xero_requests()
        if r["method"] in ("POST", "PUT") and "Credit" in r["path"] and r["status"] < 400
    ]

    books, rerun = rerun_and_check(sandbox, tmp_path)
    assert rerun.summary["credit_notes"]["created"] == 2  # 5036 fails: 100106 is not in Xero
    assert rerun.summary["invoices"]["created"] == rerun.summary["invoices"]["updated"] == 0
    assert len(books.payments_of(SMALL_CARD_PAYMENTS)) == 3
