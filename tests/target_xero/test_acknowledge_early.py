"""Qondor's acknowledgements start while Xero's writes of the batch are still going on: Qondor's
10 calls a second bind the invoice sync, so they must not wait for the batch's last write."""

from __future__ import annotations

from pathlib import Path

from target_xero_pipeline import sync

BENCH_MAPPING = Path(__file__).resolve().parents[2] / "benchmarks" / "bench-mapping.yml"
API = "/api.xro/2.0"


def test_the_first_items_are_acknowledged_before_the_batchs_last_invoice_write(
    start_sandbox, tmp_path
):
    with start_sandbox(scenario="bench", size=150) as box:
        # Every invoice write takes 3 s: the batch's 150 items need at least three of them.
        box.xero_fault({"method": "PUT", "path": f"{API}/Invoices", "delay": 3, "count": 10})
        box.xero_requests(clear=True)
        box.qondor_requests(clear=True)
        run = sync(box, tmp_path, BENCH_MAPPING)
        assert run.returncode == 0, run.stderr[-3000:]
        puts = [
            r["time"]
            for r in box.xero_requests()
            if r["method"] == "PUT" and r["path"] == f"{API}/Invoices"
        ]
        acks = [r["time"] for r in box.qondor_requests() if "/Invoice/SetAs" in r["path"]]
    assert len(puts) >= 3 and acks, (puts, acks)
    # ISO times in UTC with milliseconds: they sort as they happened.
    assert min(acks) < max(puts), (min(acks), max(puts))
