"""target-xero never writes twice, writes nothing in a dry run, and stops cleanly on systemic faults."""

from __future__ import annotations

import signal
import time
from collections import Counter

from target_xero_pipeline import (
    DEMO_MAPPING,
    PAID_IN_ONE_RUN,
    TARGET,
    by,
    queued,
    read_queue,
    run_target,
    start_target,
    sync,
    target_config,
    write_json,
)


def statuses(box) -> dict[str, tuple]:
    return {
        n: (i["statusText"], i["externalReference"]) for n, i in queued(box.qondor_state()).items()
    }


def test_dry_run_plans_and_writes_nothing(sandbox, tmp_path):
    sandbox.reset("demo")
    xero_before, qondor_before = sandbox.xero_state(), statuses(sandbox)
    sandbox.xero_requests(clear=True)
    run = sync(sandbox, tmp_path, dry_run=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sandbox.xero_state() == xero_before
    assert statuses(sandbox) == qondor_before
    api_calls = [r for r in sandbox.xero_requests() if r["path"].startswith("/api.xro/")]
    assert api_calls and {r["method"] for r in api_calls} == {"GET"}
    assert {r["method"] for r in sandbox.qondor_requests()} == {"GET"}
    assert "plan: create invoice 100201 (AUTHORISED" in run.stderr
    assert "plan: create contact 'Havblikk AS (998877665)'" in run.stderr
    assert "plan: mark Invoice 100218 Failed in Qondor" in run.stderr
    # A credit note for an invoice not in Xero fails; one for an invoice of this run does not.
    assert "plan: mark Credit note 100236 Failed in Qondor: Credit note 100236: the invoice" in (
        run.stderr
    )
    assert "plan: create credit note 100233 (NOK -11844.5) crediting 100201" in run.stderr
    assert "dry run: nothing was written" in run.stderr
    assert run.summary["dry_run"] is True and run.summary["qondor"]["processed"] == 37


def test_killed_run_rerun_leaves_no_duplicate(start_sandbox, tmp_path):
    with start_sandbox(scenario="demo") as box:
        singer = read_queue(box, tmp_path)
        process = start_target(tmp_path, target_config(box), singer)
        deadline = time.monotonic() + 60
        # Kill it once Xero holds the invoices and Qondor has heard about some, not all, items.
        while time.monotonic() < deadline:
            acks = [r for r in box.qondor_requests() if r["method"] == "PUT"]
            if len(acks) >= 8:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        left = [n for n, (status, _ref) in statuses(box).items() if status == "Unprocessed"]
        assert 10 < len(left) < 40, left

        box.advance_clock(600)  # past the idempotency window: nothing can hide a duplicate
        rerun = sync(box, tmp_path / "rerun")
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        xero = box.xero_state()
        numbers = Counter(i["InvoiceNumber"] for i in xero["invoices"])
        assert max(numbers.values()) == 1, numbers
        notes = Counter(n["CreditNoteNumber"] for n in xero["creditNotes"])
        assert max(notes.values()) == 1, notes
        contacts = Counter(
            c.get("ContactNumber") for c in xero["contacts"] if c.get("ContactNumber")
        )
        assert max(contacts.values()) == 1, contacts
        invoices = by(xero["invoices"], "InvoiceNumber")
        paid = Counter(p["Invoice"]["InvoiceID"] for p in xero["payments"])
        for number in ("100229", "100230", "100231", "100232"):
            assert invoices[number]["Status"] == "PAID"
            assert paid[invoices[number]["InvoiceID"]] == 1, number
        # Each credit note allocated at most once: never more credited than it holds.
        for note in xero["creditNotes"]:
            assert float(note["RemainingCredit"]) >= 0
        assert (
            invoices["100201"]["AmountCredited"]
            == by(xero["creditNotes"], "CreditNoteNumber")["100233"]["Total"]
        )
        final = statuses(box)
        assert all(status in ("Processed", "Paid", "Failed") for status, _ in final.values())
        for number, (status, ref) in final.items():
            if status in ("Processed", "Paid") and number in invoices:
                assert ref == invoices[number]["InvoiceID"], number
        # Paid only where Xero says PAID. A kill between an item's SetAsProcessed and its
        # SetAsPaid leaves it Processed (not queued any more): the payment sync's case.
        paid = {n for n, (status, _ref) in final.items() if status == "Paid"}
        assert paid <= PAID_IN_ONE_RUN and all(invoices[n]["Status"] == "PAID" for n in paid)


def test_bad_credentials_stop_the_run_and_mark_nothing_failed(sandbox, tmp_path):
    sandbox.reset("demo")
    before = statuses(sandbox)
    singer = read_queue(sandbox, tmp_path)
    config = target_config(sandbox, client_secret="wrong-secret-4711")
    run = run_target(tmp_path, config, singer)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("target-xero stopped, nothing was marked Failed:"), last
    assert "Traceback" not in run.stderr
    assert "wrong-secret-4711" not in run.stderr
    assert statuses(sandbox) == before


def test_daily_limit_stops_the_run_and_keeps_the_queue(start_sandbox, tmp_path):
    with start_sandbox(scenario="demo", xero_daily_limit=4) as box:
        before = statuses(box)
        run = sync(box, tmp_path)
        assert run.returncode != 0
        last = run.stderr.strip().splitlines()[-1]
        assert "daily" in last.lower() and "nothing was marked Failed" in last, last
        assert statuses(box) == before


def test_bad_mapping_file_stops_before_anything_with_one_line(tmp_path):
    mapping = tmp_path / "acme.yml"
    mapping.write_text('account_codes: {VAT25: "3000"}\ninvoice_status: PAID\n')
    config = write_json(
        tmp_path / "target.json",
        {"client_id": "x", "client_secret": "never-shown-123", "mapping_file": str(mapping)},
    )
    import subprocess

    done = subprocess.run(
        [TARGET, "--config", str(config)], input="", capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        f"target-xero: {mapping}:2: invoice_status: 'PAID' is not one of ['DRAFT', 'AUTHORISED']"
    )
    assert "never-shown-123" not in done.stderr


def test_draft_mapping_creates_drafts_but_card_payments_are_paid(sandbox, tmp_path):
    """Also run with acknowledge off (a composed pipeline): Qondor is left as it was."""
    sandbox.reset("demo")
    before = statuses(sandbox)
    mapping = tmp_path / "draft.yml"
    mapping.write_text(
        DEMO_MAPPING.read_text().replace("invoice_status: AUTHORISED", "invoice_status: DRAFT")
    )
    run = sync(sandbox, tmp_path, mapping=mapping, acknowledge=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert statuses(sandbox) == before
    assert run.summary["qondor"] == {"processed": 0, "paid": 0, "failed": 0, "refused": 0}
    xero = sandbox.xero_state()
    invoices = by(xero["invoices"], "InvoiceNumber")
    notes = by(xero["creditNotes"], "CreditNoteNumber")
    assert invoices["100202"]["Status"] == "DRAFT"
    assert invoices["100229"]["Status"] == "PAID"  # card payments are always AUTHORISED, then paid
    assert notes["100233"]["Status"] == "DRAFT"
    assert float(invoices["100201"].get("AmountCredited") or 0) == 0  # drafts are not allocated


def test_qondor_refusing_the_key_stops_the_run_and_a_rerun_finishes_the_job(sandbox, tmp_path):
    sandbox.reset("demo")
    before = statuses(sandbox)
    sandbox.qondor_fault({"method": "PUT", "path": "*SetAs*", "status": 401})
    try:
        run = sync(sandbox, tmp_path)
    finally:
        sandbox.clear_faults()
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("target-xero stopped, nothing was marked Failed:"), last
    assert statuses(sandbox) == before  # nothing acknowledged: all still queued
    assert "100201" in by(sandbox.xero_state()["invoices"], "InvoiceNumber")

    sandbox.advance_clock(600)  # past the idempotency window
    try:
        rerun = sync(sandbox, tmp_path / "rerun")
    finally:
        sandbox.advance_clock(-600)  # the shared sandbox's clock as other tests expect it
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    numbers = Counter(i["InvoiceNumber"] for i in sandbox.xero_state()["invoices"])
    assert max(numbers.values()) == 1
    final = statuses(sandbox)
    assert all(s in ("Processed", "Paid", "Failed") for s, _ in final.values())
    # The card payments, paid by the first run, and the invoices it fully credited are PAID in
    # Xero when the rerun acknowledges them: Paid in Qondor, without a second payment.
    assert {n for n, (s, _ref) in final.items() if s == "Paid"} == PAID_IN_ONE_RUN
    assert rerun.summary["payments"]["created"] == 0
