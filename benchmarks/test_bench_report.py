"""The harness's row and report from synthetic runs (run: pytest benchmarks/test_bench_report.py)."""

from __future__ import annotations

import floor
import report
import run


def _flow(xero, qondor, wall, x429=0):
    side = {"exit": 0, "wall_s": wall, "cpu_s": 0.5, "peak_rss_mb": 80.0, "records_per_s": 100.0}
    return {
        "ok": True,
        "records": 100,
        "wall_s": wall,
        "tap": dict(side),
        "target": dict(side, peak_rss_mb=120.0),
        "calls": {
            "xero": xero,
            "xero_auth": {"POST /connect/token": 1},
            "xero_total": sum(xero.values()),
            "xero_429": x429,
            "xero_egress": {k: 1000 * v for k, v in xero.items()},
            "xero_egress_bytes": 1000 * sum(xero.values()),
            "qondor": qondor,
            "qondor_total": sum(qondor.values()),
            "qondor_429": 0,
        },
    }


def _measure(n, wall):
    inv = floor.InvoiceSyncData(queued=n, customers=30, bookers=20, existing_contacts=160,
                                match_keys=70, invoices=90, credit_notes=10, payments=12,
                                allocations=8)  # fmt: skip
    pay = floor.PaymentSyncData(xero_invoices=90, paid_known=50, synced_invoices=90)
    return {
        "n": n,
        "invoice_sync": _flow(
            {"GET /Contacts": 1, "POST /Contacts": 1, "POST /Invoices": 2, "PUT /Payments": 1},
            {"GET /Invoicing/v1/Invoice/GetAllUnprocessedInvoices": 1},
            wall,
        ),
        "payment_sync": _flow(
            {"GET /Invoices": 1}, {"PUT /Invoicing/v1/Invoice/SetAsPaid": 50}, 3.0
        ),
        "invoice_data": floor.as_dict(inv),
        "payment_data": floor.as_dict(pay),
        "floors": {
            "xero_invoice": floor.xero_invoice_floor(inv).terms,
            "qondor_invoice": floor.qondor_invoice_floor(inv).terms,
            "xero_payment": floor.xero_payment_floor(pay).terms,
            "qondor_payment": floor.qondor_payment_floor(pay).terms,
        },
        "naive_xero": floor.naive_xero_calls(inv, pay),
    }


def test_row_has_the_issue_keys_and_report_renders():
    row = run.combine(100, _measure(100, 2.0), _measure(100, 40.0), startup=0.4)
    assert list(row)[:12] == [
        "n", "customers", "xero_calls", "xero_floor", "xero_429", "qondor_calls", "qondor_floor",
        "wall_s", "projected_wall_s", "cpu_ms_per_invoice", "target_peak_rss_mb", "naive_xero_calls",
    ]  # fmt: skip
    assert row["xero_calls"] == 6
    assert row["xero_floor"] == 1 + 1 + 2 + 1 + 1 + 8 + 1 + 1  # the last: GET /TaxRates
    # queue + customers + acks, then one payment-sync call per paid invoice Qondor knows
    assert row["qondor_floor"] == (1 + 30 + 100) + 50
    assert row["wall_s"] == 43.0
    assert row["cpu_ms_per_invoice"] == 10.0
    assert row["naive_xero_calls"] == 50 + 50 + 90 + 10 + 12 + 8 + 90
    text = report.markdown({"machine": run.machine({"load1_mean": 1.0}), "runs": [row]})
    assert "| 100 | 30 | 6 | 16 | 0.38 |" in text
    assert row["xero_egress_bytes"] == 6000  # both flows' answers
    assert "- Xero egress, invoice sync: `GET /Contacts` 1,000 B" in text
    assert "(total 5,000 B) (50 bytes per queued invoice)" in text
    assert "Xero calls ≤ 1.25 × floor at every N: met" in text
    assert (
        "Xero egress per queued invoice ≤ half the baseline (both flows): – (not measured)" in text
    )
    at_1000 = {**row, "n": 1000, "xero_egress_bytes": 2_281_000}  # 2,281 B a queued invoice
    assert "**not met** (N=1,000: 2281 B; goal N=1,000: 2280 B)" in report.markdown(
        {"machine": run.machine({}), "runs": [at_1000]}
    )
    assert "n=100" in report.row_text(row)


def test_failed_run_is_reported_not_raised():
    row = run.combine(1000, {"n": 1000, "error": "RuntimeError: sandbox exited"}, None, 0.4)
    assert row == {"n": 1000, "error": "RuntimeError: sandbox exited"}
    assert "run failed" in report.markdown({"machine": run.machine({}), "runs": [row]})
