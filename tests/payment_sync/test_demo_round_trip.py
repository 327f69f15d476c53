"""The demo round trip: invoice sync to Xero, payments in Xero, payment sync back to Qondor."""

from __future__ import annotations

import json
import subprocess

from payment_world import BIN, ROOT, run_payment_sync, write_json

DEMO_MAPPING = ROOT / "mappings" / "demo.yml"


def run_invoice_sync(box, workdir) -> None:
    """`tap-qondor | target-xero` with the demo mapping, as subprocesses."""
    workdir.mkdir(parents=True, exist_ok=True)
    tap_config = write_json(
        workdir / "tap-qondor.json", {**box.qondor_config(), "mapping_file": str(DEMO_MAPPING)}
    )
    target_config = write_json(
        workdir / "target-xero.json",
        {
            **box.xero_config(),
            "mapping_file": str(DEMO_MAPPING),
            "qondor_api_url": box.qondor_config()["api_url"],
            "qondor_api_key": box.qondor_config()["api_key"],
        },
    )
    tap = subprocess.run(
        [str(BIN / "tap-qondor"), "--config", str(tap_config)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert tap.returncode == 0, tap.stderr[-2000:]
    target = subprocess.run(
        [str(BIN / "target-xero"), "--config", str(target_config)],
        input=tap.stdout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert target.returncode == 0, target.stderr[-2000:]


def test_demo_invoices_paid_in_xero_come_back_paid_and_nothing_else(sandbox, tmp_path):
    sandbox.reset("demo")
    run_invoice_sync(sandbox, tmp_path / "invoice-sync")
    before = {i["id"]: i for i in sandbox.qondor_state()["invoices"]}
    assert before[5002]["statusText"] == "Processed"

    sandbox.pay([before[5002]["externalReference"]], date="2026-11-26")
    sandbox.qondor_requests(clear=True)
    run = run_payment_sync(sandbox, tmp_path / "payment-sync")

    assert run.returncode == 0, run.target_stderr[-2000:]
    xero = {i["InvoiceID"]: i for i in sandbox.xero_state()["invoices"]}
    after = {i["id"]: i for i in sandbox.qondor_state()["invoices"]}
    should_be_paid = {
        qid
        for qid, item in before.items()
        if item["statusText"] == "Processed"
        and xero.get(item["externalReference"] or "", {}).get("Status") == "PAID"
    }
    # the demo's promises: 4002 paid in Xero 3 days ago, 5002 just now; card payments, 5040 (paid
    # in Xero by a person) and 5001, 5024 (fully credited) were marked Paid by the invoice sync
    assert {4002, 5002} <= should_be_paid
    assert all(
        before[q]["statusText"] == "Paid" for q in (5001, 5024, 5029, 5030, 5031, 5032, 5040)
    )
    changed = {qid for qid in after if after[qid]["statusText"] != before[qid]["statusText"]}
    assert changed == should_be_paid, json.dumps(run.summary)
    assert all(after[qid]["statusText"] == "Paid" for qid in should_be_paid)
    assert after[5002]["paidDate"] == "2026-11-26"
    for unpaid in (4001, 4005, 4006, 4007, 5003):  # AUTHORISED, no Xero copy, DRAFT
        assert after[unpaid]["statusText"] == "Processed"
    assert run.summary["marked_paid"] == len(should_be_paid)
    assert run.summary["refused"] == 0

    sandbox.qondor_requests(clear=True)
    again = run_payment_sync(sandbox, tmp_path / "again", state=run.state)
    assert again.returncode == 0
    assert again.summary["marked_paid"] == 0
    assert {r["method"] for r in sandbox.qondor_requests()} <= {"GET"}
