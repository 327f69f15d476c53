"""What changes in Xero after a sync, seen from Qondor: the payment sync reports invoices voided
or deleted in Xero, part payments and removed payments, one line each, and changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from payment_world import qondor_invoice, run_payment_sync


def later(state: dict, seconds: float) -> dict:
    """`state` with every bookmark moved `seconds` on, as a run that long after would leave it."""
    state = json.loads(json.dumps(state))
    for bookmark in state["bookmarks"].values():
        if "replication_key_value" in bookmark:
            moment = datetime.fromisoformat(bookmark["replication_key_value"])
            bookmark["replication_key_value"] = (moment + timedelta(seconds=seconds)).isoformat()
    return state


def lines(run, text: str) -> list[str]:
    return [line for line in run.target_stderr.splitlines() if text in line]


def test_each_change_after_a_sync_is_reported_once_and_qondor_is_left_alone(
    sandbox, world, tmp_path
):
    x, ids = sandbox.xero_url, world.xero_ids
    sandbox.pay([ids[5001]], date="2026-11-25")
    first = run_payment_sync(sandbox, tmp_path / "first")
    assert qondor_invoice(sandbox, 5001)["statusText"] == "Paid"

    # In Xero, after the sync: 5001's payment removed, 5002 voided, 5003 paid in part, the
    # draft of 5004 deleted, and the invoice made in Xero by hand voided (Qondor never knew it).
    sandbox.admin(x, "POST", "remove-payments", {"invoices": [ids[5001]]})
    sandbox.admin(x, "POST", "void", {"invoices": [ids[5002], ids[5004], world.hand_made]})
    sandbox.admin(x, "POST", "pay", {"invoices": [ids[5003]], "amount": 500})
    before = sandbox.qondor_state()["invoices"]
    sandbox.qondor_requests(clear=True)

    second = run_payment_sync(sandbox, tmp_path / "second", state=first.state)

    assert second.returncode == 0, second.target_stderr[-3000:]
    counts = {k: second.summary[k] for k in ("voided_in_xero", "deleted_in_xero", "part_paid")}
    assert counts == {"voided_in_xero": 1, "deleted_in_xero": 1, "part_paid": 1}
    assert second.summary["payment_removed"] == 1
    n = world.numbers
    [voided] = lines(second, "VOIDED in Xero")
    assert n[5002] in voided and "shows Processed" in voided and "nothing changed" in voided
    [deleted] = lines(second, "DELETED in Xero")
    assert n[5004] in deleted
    [part] = lines(second, "part paid in Xero")
    assert n[5003] in part and "500.00" in part and "shows Processed" in part
    [removed] = lines(second, "removed in Xero after")
    assert n[5001] in removed and "still shows Paid" in removed
    assert "HAND-1" not in second.target_stderr  # not a Qondor invoice: nothing to report
    assert "1 voided in xero, 1 deleted in xero, 1 part paid, 1 payment removed" in (
        second.target_stderr
    )
    # Nothing in Qondor changed, and only lookups were made.
    assert sandbox.qondor_state()["invoices"] == before
    assert {r["method"] for r in sandbox.qondor_requests()} == {"GET"}
    # The same changes as a stream a report loader can take.
    assert sorted((c["InvoiceID"], c["Change"]) for c in second.changes) == sorted(
        [
            (ids[5001], "payment_removed"),
            (ids[5002], "voided"),
            (ids[5003], "part_paid"),
            (ids[5004], "deleted"),
            (world.hand_made, "voided"),
        ]
    )

    # A later run: nothing new to report.
    third = run_payment_sync(sandbox, tmp_path / "third", state=later(second.state, 2))
    assert third.returncode == 0 and third.changes == []
    assert all(third.summary[k] == 0 for k in (*counts, "payment_removed"))


def test_a_removed_payment_paid_again_is_not_reported(sandbox, world, tmp_path):
    x, paid = sandbox.xero_url, world.xero_ids[5001]
    sandbox.pay([paid])
    first = run_payment_sync(sandbox, tmp_path / "first")
    sandbox.admin(x, "POST", "remove-payments", {"invoices": [paid]})
    sandbox.pay([paid])  # "Remove and Redo": paid again
    sandbox.admin(x, "POST", "pay", {"invoices": [world.xero_ids[5003]], "amount": 10})

    second = run_payment_sync(sandbox, tmp_path / "second", state=first.state)

    assert second.returncode == 0
    [removed] = [c for c in second.changes if c["Change"] == "payment_removed"]
    assert (removed["InvoiceID"], removed["Status"]) == (paid, "PAID")  # in the report stream
    assert second.summary["payment_removed"] == 0 and lines(second, "removed in Xero") == []
    assert second.summary["part_paid"] == 1
    assert qondor_invoice(sandbox, 5001)["statusText"] == "Paid"
