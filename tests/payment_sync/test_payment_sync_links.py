"""The payment sync with the Qondor id in each Xero invoice's link (Url): one Qondor call per
invoice paid since the last run, the lookup only for invoices synced before the link existed."""

from __future__ import annotations

from payment_world import INVOICE_DAY, qondor_invoice, run_payment_sync, seed_synced_world


def _qondor_calls(box) -> list[str]:
    return sorted(
        f"{r['method']} {r['path'].split('/Invoicing/v1/')[-1]}" for r in box.qondor_requests()
    )


def test_a_linked_invoice_paid_by_a_person_costs_one_set_as_paid_and_no_lookup(sandbox, tmp_path):
    world = seed_synced_world(sandbox, linked=(5001,))
    # 5001 has the link; 5002 was synced before the link existed: looked up as before.
    sandbox.pay([world.xero_ids[5001], world.xero_ids[5002]], date="2026-11-25")

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    for paid in (5001, 5002):
        invoice = qondor_invoice(sandbox, paid)
        assert (invoice["statusText"], invoice["paidDate"]) == ("Paid", "2026-11-25")
    assert run.summary["marked_paid"] == 2 and run.summary["refused"] == 0
    assert _qondor_calls(sandbox) == [
        "GET Invoice/GetByExternalReference",
        "PUT Invoice/SetAsPaid",
        "PUT Invoice/SetAsPaid",
    ]


def test_a_linked_invoice_the_invoice_sync_paid_costs_one_read_and_no_set_as_paid(
    sandbox, tmp_path
):
    # A card payment: paid in Xero on its invoice date, marked Paid by target-xero already.
    world = seed_synced_world(sandbox, linked=(5001,), qondor_paid=(5001,))
    sandbox.pay([world.xero_ids[5001]], date=INVOICE_DAY.isoformat())

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    assert run.summary["already_paid"] == 1 and run.summary["marked_paid"] == 0
    assert _qondor_calls(sandbox) == ["GET Invoice/5001"]


def test_an_invoice_paid_at_once_but_left_processed_by_a_stopped_sync_still_ends_paid(
    sandbox, tmp_path
):
    # target-xero paid the card payment in Xero and marked the item Processed, then stopped
    # before SetAsPaid: the item is out of Qondor's queue, so only this sync can finish it.
    world = seed_synced_world(sandbox, linked=(5001,))
    sandbox.pay([world.xero_ids[5001]], date=INVOICE_DAY.isoformat())

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    invoice = qondor_invoice(sandbox, 5001)
    assert (invoice["statusText"], invoice["paidDate"]) == ("Paid", INVOICE_DAY.isoformat())
    assert run.summary["marked_paid"] == 1
    assert _qondor_calls(sandbox) == ["GET Invoice/5001", "PUT Invoice/SetAsPaid"]


def test_a_link_of_another_setting_falls_back_to_the_lookup(sandbox, tmp_path):
    world = seed_synced_world(sandbox, linked=(5001,))
    sandbox.pay([world.xero_ids[5001]], date="2026-11-25")

    link = {"qondor_invoice_link": "https://app.qondor.example/invoice/{id}"}
    run = run_payment_sync(sandbox, tmp_path, target_settings=link)

    assert run.returncode == 0, run.target_stderr[-2000:]
    assert qondor_invoice(sandbox, 5001)["statusText"] == "Paid"
    assert _qondor_calls(sandbox) == ["GET Invoice/GetByExternalReference", "PUT Invoice/SetAsPaid"]


def test_a_bad_link_setting_stops_target_qondor_with_one_line(sandbox, tmp_path):
    seed_synced_world(sandbox)
    run = run_payment_sync(
        sandbox, tmp_path, target_settings={"qondor_invoice_link": "https://app.qondor.example/x"}
    )
    assert run.returncode != 0
    assert "qondor_invoice_link 'https://app.qondor.example/x' must contain {id}" in (
        run.target_stderr
    )
    assert "Traceback" not in run.target_stderr
