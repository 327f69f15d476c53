"""Qondor faults: 429s and 503s, acknowledgements failing after Xero succeeded, items edited."""

from __future__ import annotations

from decimal import Decimal

from reliability_books import (
    SMALL_CARD_PAYMENTS,
    SMALL_FAILED,
    SMALL_IDS,
    SMALL_PAID,
    check_books,
    count_calls,
    last_line,
    small_sync,
    statuses,
    stop_prefix,
)

API = "/api.xro/2.0"
INVOICING = "/Invoicing/v1/Invoice"


def test_qondor_429s_and_503s_are_retried_and_nothing_is_lost(sandbox, tmp_path):
    sandbox.reset("demo")
    now = {"headers": {"Retry-After": "0"}}
    sandbox.qondor_fault(
        [
            {"path": f"{INVOICING}/GetAllUnprocessedInvoices", "status": 429, "count": 2},
            {"path": "/Customer/v1/Customer/*", "status": 503, "count": 2, **now},
            {"path": f"{INVOICING}/SetAsProcessed", "status": 429, "count": 3},
            {"path": f"{INVOICING}/SetAsFailed", "status": 503, "count": 1, **now},
        ]
    )
    run = small_sync(sandbox, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    statuses_seen = [r["status"] for r in sandbox.qondor_requests()]
    assert statuses_seen.count(429) == 5 and statuses_seen.count(503) == 3
    books = check_books(sandbox, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)
    assert run.summary["qondor"] == {"processed": 11, "paid": 4, "failed": 3, "refused": 0}
    assert books.paid == set(SMALL_PAID)

    sandbox.advance_clock(600)
    rerun = small_sync(sandbox, tmp_path / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.summary["items"]["received"] == 0
    assert check_books(sandbox, SMALL_IDS).processed == books.processed


def test_set_as_processed_failing_after_xero_succeeded_is_acknowledged_on_rerun(sandbox, tmp_path):
    sandbox.reset("demo")
    sandbox.qondor_fault({"method": "PUT", "path": f"{INVOICING}/SetAsProcessed", "status": 500})
    run = small_sync(sandbox, tmp_path)
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert "SetAsProcessed" in line or "Qondor" in line, line
    books = check_books(sandbox, SMALL_IDS, unprocessed_ok=True)
    assert line.startswith(stop_prefix(len(books.failed))), line
    assert books.unprocessed and not books.processed
    written = {
        n
        for n in books.unprocessed
        if str(books.items[n]["invoiceNumber"])
        in {i["InvoiceNumber"] for i in books.xero["invoices"]}
    }
    assert written  # in Xero, not yet acknowledged

    sandbox.clear_faults()
    sandbox.advance_clock(600)  # past the idempotency window: a second write would be real
    before = {i["InvoiceID"]: i for i in sandbox.xero_state()["invoices"]}
    sandbox.xero_requests(clear=True)
    rerun = small_sync(sandbox, tmp_path / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    books = check_books(sandbox, SMALL_IDS)
    assert written <= set(books.processed)
    assert len(books.payments_of(SMALL_CARD_PAYMENTS)) == 3
    # Xero's copies were not written again: same objects, same UpdatedDateUTC.
    assert {i["InvoiceID"]: i for i in sandbox.xero_state()["invoices"]} == before
    log = sandbox.xero_requests()
    assert count_calls(log, "PUT", f"{API}/Payments") == 0
    assert count_calls(log, "POST", f"{API}/Invoices") == 0, "the rerun wrote the invoices again"
    # The only invoice write is the create attempt Xero refused because each number exists.
    creates = [r for r in log if r["method"] == "PUT" and r["path"] == f"{API}/Invoices"]
    assert creates and all(r["status"] in (200, 400) for r in creates)
    invoices = rerun.summary["invoices"]
    assert invoices["created"] == invoices["updated"] == 0
    assert invoices["unchanged"] == len(written)


def test_item_edited_between_runs_updates_its_xero_invoice(sandbox, tmp_path):
    sandbox.reset("demo")
    # Run 1 writes to Xero but does not acknowledge (a composed pipeline): 100202 stays queued.
    first = small_sync(sandbox, tmp_path, acknowledge=False)
    assert first.returncode == 0, first.stderr[-3000:]
    old = next(i for i in sandbox.xero_state()["invoices"] if i["InvoiceNumber"] == "100202")
    item = next(i for i in sandbox.qondor_state()["invoices"] if i["id"] == 5002)
    lines = sorted(item["lines"], key=lambda x: x["lineNo"])[:2]  # the PM removes 13 lines ...
    lines[0] = {**lines[0], "quantity": lines[0]["quantity"] + 1}  # ... and changes one
    lines[0]["amountExclVat"] = float(
        (Decimal(str(lines[0]["quantity"])) * Decimal(str(lines[0]["unitPriceExclVat"]))).quantize(
            Decimal("0.01")
        )
    )
    vat = Decimal(str(lines[0]["amountExclVat"])) * Decimal(str(lines[0]["vatPercentage"])) / 100
    lines[0]["vatAmount"] = float(vat.quantize(Decimal("0.01")))
    lines[0]["amountInclVat"] = round(lines[0]["amountExclVat"] + lines[0]["vatAmount"], 2)
    sandbox.admin(sandbox.qondor_url, "PATCH", "invoices/5002", {"lines": lines})
    edited = next(i for i in sandbox.qondor_state()["invoices"] if i["id"] == 5002)
    assert edited["statusText"] == "Unprocessed" and len(edited["lines"]) == 2

    sandbox.advance_clock(600)
    rerun = small_sync(sandbox, tmp_path / "rerun")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.summary["invoices"]["updated"] == 1  # 100202; the others are unchanged
    books = check_books(sandbox, SMALL_IDS)
    new = books.invoice("100202")
    assert new["InvoiceID"] == old["InvoiceID"] == books.processed[5002]
    assert len(new["LineItems"]) == 2
    assert Decimal(str(new["Total"])) == Decimal(str(edited["totalInclVat"]))
    assert Decimal(str(new["Total"])) != Decimal(str(old["Total"]))
    assert statuses(sandbox, {5002})[5002] == ("Processed", old["InvoiceID"])
