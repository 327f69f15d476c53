"""Both syncs back to back under Xero's real per-minute window (no `--no-limits`): the invoice
sync, then the payment sync straight after it on the same tenant, draw no 429 between them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from reliability_books import SMALL_FAILED, SMALL_IDS, check_books, small_sync

# The payment sync's runner lives beside its tests: reuse it rather than copy it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "payment_sync"))
from payment_world import run_payment_sync  # noqa: E402

pytestmark = pytest.mark.slow

RATE = 6  # calls per 60 s window: the small world's invoice sync needs ten, in two windows


def test_invoice_then_payment_sync_under_the_real_minute_limit_draw_no_429(start_sandbox, tmp_path):
    with start_sandbox(scenario="demo", xero_rate_per_minute=RATE) as box:
        run = small_sync(box, tmp_path / "invoices")
        assert run.returncode == 0, run.stderr[-3000:]
        books = check_books(box, SMALL_IDS)
        assert set(books.failed) == set(SMALL_FAILED)
        box.pay([books.processed[5002]], date="2026-11-30")  # a customer pays one in Xero

        payments = run_payment_sync(box, tmp_path / "payments")

        assert payments.returncode == 0, payments.target_stderr[-3000:]
        api = [r for r in box.xero_requests() if r["path"].startswith("/api.xro/")]
        assert len(api) > RATE  # the invoice sync had to wait for a second window
        assert [r for r in api if r["status"] == 429] == []
        assert payments.summary["refused"] == 0
        books = check_books(box, SMALL_IDS)
        assert 5002 in books.paid
