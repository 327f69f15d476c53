"""Pure parts of target-qondor: the paid date it sends and the summary it prints."""

import json
from datetime import UTC, date, datetime

from target_qondor.payments import Outcome, PaymentSummary, paid_date, settled_by_credit


def test_paid_date_is_the_date_part():
    assert paid_date({"FullyPaidOnDate": "2026-11-30T00:00:00+00:00"}) == "2026-11-30"
    assert paid_date({"FullyPaidOnDate": datetime(2026, 11, 30, tzinfo=UTC)}) == "2026-11-30"
    assert paid_date({"FullyPaidOnDate": date(2026, 11, 30)}) == "2026-11-30"


def test_paid_date_missing_or_malformed_is_none():
    assert paid_date({}) is None
    assert paid_date({"FullyPaidOnDate": None}) is None
    assert paid_date({"FullyPaidOnDate": "30.11.2026"}) is None


def test_summary_counts_each_invoice_once_with_its_last_outcome():
    summary = PaymentSummary()
    summary.record("a", Outcome.UNPAID)
    summary.record("a", Outcome.MARKED_PAID)
    summary.record("b", Outcome.ALREADY_PAID)
    summary.record("c", Outcome.UNKNOWN)
    summary.record("d", Outcome.UNPAID)
    assert summary.text() == (
        "target-qondor: 1 marked paid, 1 already paid, 1 unknown to Qondor, 1 unpaid"
    )
    body = json.loads(summary.json_line())
    assert body == {
        "summary": "target-qondor",
        "marked_paid": 1,
        "already_paid": 1,
        "unknown": 1,
        "unpaid": 1,
        "not_sales": 0,
        "refused": 0,
        "voided_in_xero": 0,
        "deleted_in_xero": 0,
        "part_paid": 0,
        "payment_removed": 0,
    }


def test_summary_mentions_refusals_and_a_stop():
    summary = PaymentSummary()
    summary.record("x", Outcome.REFUSED, "Xero invoice 9 (x): FullyPaidOnDate None is not a date")
    assert summary.text().endswith(", 1 refused")
    assert json.loads(summary.json_line("401 Access denied"))["stopped"] == "401 Access denied"


def test_settled_by_credit_only_when_no_money_was_paid():
    assert settled_by_credit({"AmountPaid": 0.0, "AmountCredited": 3750.0})
    assert not settled_by_credit({"AmountPaid": 1000.0, "AmountCredited": 2750.0})
    assert not settled_by_credit({"AmountPaid": 3750.0, "AmountCredited": 0.0})
