"""target-xero SIGKILLed at five points of a 500-item sync; reruns leave no duplicate and lose nothing.

One `bench` queue of 500 items is synced by a chain of runs, each killed at a later point:
1. during the first contact write, 1b. while Xero holds the first invoice write before committing
it (the write is lost with the client), 2. after 3 of the 9 invoice writes, 3. once the card payments
are in, 4. during the credit-note allocations, 5. after 100 acknowledgements (target-xero writes
everything to Xero, then acknowledges). A kill before any acknowledgement leaves Qondor's queue as
it was, so runs 1-5 are fed the same tap output (what tap-qondor would emit again); the final
clean run reads the queue afresh. The books must balance after each kill and after the last run.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from reliability_books import (
    check_books,
    queued_ids,
    read_queue,
    run_target,
    start_target,
    target_config,
)

pytestmark = pytest.mark.slow

API = "/api.xro/2.0"
SIZE = 500


def calls(log: list[dict], method: str, path: str) -> int:
    """Logged calls with this method whose path starts with `path`."""
    return sum(1 for r in log if r["method"] == method and r["path"].startswith(path))


def acks(log: list[dict]) -> int:
    """Logged SetAsProcessed / SetAsFailed calls."""
    return sum(
        1
        for r in log
        if r["method"] == "PUT" and r["path"].endswith(("/SetAsProcessed", "/SetAsFailed"))
    )


def xero_faults(box) -> list[dict]:
    """The Xero fault rules still armed (a rule with a count is gone once it has fired)."""
    return box.admin(box.xero_url, "GET", "faults")["faults"]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.02)


def killed_run(box, workdir: Path, singer: str, point: Callable[[], bool]) -> None:
    """Start target-xero on `singer` and SIGKILL it the moment `point()` holds."""
    box.advance_clock(600)  # past Xero's idempotency window: nothing can hide a duplicate
    box.xero_requests(clear=True)
    box.qondor_requests(clear=True)
    workdir.mkdir(parents=True, exist_ok=True)
    process = start_target(workdir, target_config(box), singer)
    deadline = time.monotonic() + 150
    try:
        while not point():
            assert process.poll() is None, "the run finished before its kill point"
            assert time.monotonic() < deadline, "the kill point was never reached"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def test_target_killed_at_five_points_then_rerun_balances_the_books(sandbox, tmp_path):
    sandbox.reset("bench", size=SIZE)
    ids = queued_ids(sandbox)
    assert len(ids) == SIZE
    first = read_queue(sandbox, tmp_path)
    xero, qondor = sandbox.xero_requests, sandbox.qondor_requests

    # 1. During the first contact write (it may or may not have been committed).
    killed_run(
        sandbox, tmp_path / "1", first, lambda: calls(xero(), "POST", f"{API}/Contacts") >= 1
    )
    books = check_books(sandbox, ids, unprocessed_ok=True)
    assert not books.processed and not books.failed

    # 1b. The first invoice write, held by Xero before it commits: killed while in flight.
    invoices_before = len(sandbox.xero_state()["invoices"])
    sandbox.xero_fault({"method": "PUT", "path": f"{API}/Invoices", "delay": 3, "count": 1})
    killed_run(sandbox, tmp_path / "1b", first, lambda: not xero_faults(sandbox))
    wait_for(lambda: any(r.get("fault") == "delay" for r in xero()), "the held write to end")
    assert len(sandbox.xero_state()["invoices"]) == invoices_before  # it never committed
    books = check_books(sandbox, ids, unprocessed_ok=True)
    assert not books.processed and not books.failed

    # 2. Three of the nine invoice writes done.
    killed_run(sandbox, tmp_path / "2", first, lambda: calls(xero(), "PUT", f"{API}/Invoices") >= 3)
    books = check_books(sandbox, ids, unprocessed_ok=True)
    assert not books.processed and not books.failed

    # 3. Every invoice written and the card payments made.
    killed_run(sandbox, tmp_path / "3", first, lambda: calls(xero(), "PUT", f"{API}/Payments") >= 1)
    check_books(sandbox, ids, unprocessed_ok=True)

    # 4. The credit notes written, their allocations under way.
    killed_run(
        sandbox, tmp_path / "4", first, lambda: calls(xero(), "PUT", f"{API}/CreditNotes/") >= 3
    )
    check_books(sandbox, ids, unprocessed_ok=True)

    # 5. A hundred items acknowledged, the rest not.
    killed_run(sandbox, tmp_path / "5", first, lambda: acks(qondor()) >= 100)
    books = check_books(sandbox, ids, unprocessed_ok=True)
    assert 100 <= len(books.processed) + len(books.failed) < SIZE

    # The clean rerun.
    sandbox.advance_clock(600)
    (tmp_path / "6").mkdir()
    last = run_target(tmp_path / "6", target_config(sandbox), read_queue(sandbox, tmp_path / "6"))
    assert last.returncode == 0, last.stderr[-3000:]
    books = check_books(sandbox, ids)
    assert len(books.processed) + len(books.failed) == SIZE
    assert last.summary["contacts"]["created"] == 0  # every contact was made by an earlier run
    for n, failure in books.failed.items():  # bench's bad items only: none caused by a kill
        credited = books.items[n].get("creditedInvoiceNumber")
        if books.items[n]["invoiceType"] == 5 and "the invoice it cancels" in failure:
            # A credit note for a bad item: it failed because its invoice did (in any run).
            assert any(books.items[m]["invoiceNumber"] == credited for m in books.failed), failure
        else:
            assert "MISC" in failure or "DKK" in failure or "email" in failure, failure
    card = {n for n in books.processed if books.items[n]["invoiceType"] == 4}
    assert len(books.payments_of(card)) == len(card)
