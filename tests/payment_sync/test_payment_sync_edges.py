"""Payment sync edge cases: a draft approved then paid, part payments, supplier bills, Qondor
refusing SetAsPaid."""

from __future__ import annotations

import uuid

from payment_world import INVOICE_DAY, qondor_invoice, run_payment_sync


def _lookups(box) -> list[str]:
    """The external references Qondor was asked about."""
    return [r["query"] for r in box.qondor_requests() if r["path"].endswith("ExternalReference")]


def test_draft_approved_later_in_xero_then_paid_becomes_paid(sandbox, world, tmp_path):
    draft = world.xero_ids[5004]
    approved = sandbox.xero(
        "POST", "/Invoices", json={"Invoices": [{"InvoiceID": draft, "Status": "AUTHORISED"}]}
    )
    assert approved.status_code == 200, approved.text
    sandbox.pay([draft], date="2026-11-27")

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    paid = qondor_invoice(sandbox, 5004)
    assert (paid["statusText"], paid["paidDate"]) == ("Paid", "2026-11-27")
    assert run.summary["marked_paid"] == 1


def test_part_payment_leaves_the_invoice_processed(sandbox, world, tmp_path):
    part = sandbox.xero(
        "PUT",
        "/Payments",
        json={
            "Payments": [
                {
                    "Invoice": {"InvoiceID": world.xero_ids[5002]},
                    "Account": {"Code": "090"},
                    "Date": "2026-11-27",
                    "Amount": 100.0,
                }
            ]
        },
    )
    assert part.status_code == 200, part.text

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    [record] = [r for r in run.records if r["InvoiceID"] == world.xero_ids[5002]]
    assert record["Status"] == "AUTHORISED" and record["AmountPaid"] == 100.0
    assert qondor_invoice(sandbox, 5002)["statusText"] == "Processed"
    # Not marked Paid; reported as a part payment, for which Qondor is only looked up.
    assert run.summary["marked_paid"] == 0 and run.summary["part_paid"] == 1
    assert _lookups(sandbox) == [f"externalReference={world.xero_ids[5002]}"]


def test_paid_supplier_bill_matching_nothing_is_ignored_without_a_qondor_call(
    sandbox, world, tmp_path
):
    bill_id = str(uuid.uuid4())
    sandbox.xero_seed(
        invoices=[
            {
                "InvoiceID": bill_id,
                "InvoiceNumber": "BILL-7",
                "Type": "ACCPAY",
                "Status": "PAID",
                "Contact": {"Name": "Fjord Events AS"},
                "Date": INVOICE_DAY.isoformat(),
                "DueDate": INVOICE_DAY.isoformat(),
                "LineItems": [
                    {"Description": "Venue", "Quantity": 1, "UnitAmount": 800, "AccountCode": "300"}
                ],
            }
        ]
    )

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    assert bill_id in run.record_ids  # the tap reads it; the target knows it is a bill
    assert run.summary["not_sales"] == 1 and run.summary["marked_paid"] == 0
    assert sandbox.qondor_requests() == []
    assert "1 bills ignored" in run.target_stderr


def test_qondor_refusing_set_as_paid_is_counted_logged_once_and_the_run_goes_on(
    sandbox, world, tmp_path
):
    # A project manager reopened 5001 in Qondor: SetAsPaid is only allowed from Processed.
    reopened = qondor_invoice(sandbox, 5001)
    reopened.update(status=0, statusText="Unprocessed")
    sandbox.admin(sandbox.qondor_url, "POST", "seed", {"invoices": [reopened]})
    sandbox.pay([world.xero_ids[5001], world.xero_ids[5002]], date="2026-11-27")

    run = run_payment_sync(sandbox, tmp_path)

    assert run.returncode == 0, run.target_stderr[-2000:]
    assert run.summary["refused"] == 1 and run.summary["marked_paid"] == 1
    refusals = [line for line in run.target_stderr.splitlines() if "Qondor refused it" in line]
    assert len(refusals) == 1 and "105001" in refusals[0], run.target_stderr[-2000:]
    assert "only allowed from status Processed" in refusals[0]
    assert qondor_invoice(sandbox, 5001)["statusText"] == "Unprocessed"
    assert qondor_invoice(sandbox, 5002)["statusText"] == "Paid"
