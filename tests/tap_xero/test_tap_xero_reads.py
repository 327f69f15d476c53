"""What tap-xero asks Xero for: summaryOnly unless a selected stream needs the lines, and no
invoice emitted twice for the overlap's sake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from xero_invoices import run_tap, seed_invoices, xero_invoice

from tap_xero.tap import TapXero

INVOICES = "/api.xro/2.0/Invoices"


def invoice_reads(box: Any) -> list[str]:
    """The query strings of the GET /Invoices the sandbox answered."""
    return [r["query"] for r in box.xero_requests() if r["path"] == INVOICES]


def ms(moment: datetime) -> int:
    """Epoch milliseconds, the sandbox's form of UpdatedDateUTC."""
    return round(moment.timestamp() * 1000)


def catalog(box: Any, *unselected: str) -> dict[str, Any]:
    """tap-xero's catalog with its default selection, less the `unselected` streams."""
    found = TapXero(config=box.xero_config()).catalog_dict
    for entry in found["streams"]:
        if entry["tap_stream_id"] in unselected:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = False
    return found


def test_invoices_are_read_summary_only_when_no_selected_stream_needs_lines(sandbox, tmp_path):
    seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])

    run = run_tap(sandbox, tmp_path, catalog=catalog(sandbox, "invoice_lines"))

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids() and not run.records("invoice_lines")
    reads = invoice_reads(sandbox)
    assert reads and all("summaryOnly=true" in q for q in reads), reads


def test_selected_invoice_lines_get_whole_invoices(sandbox, tmp_path):
    seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])

    run = run_tap(sandbox, tmp_path, catalog=catalog(sandbox))

    assert run.returncode == 0, run.stderr[-2000:]
    assert [line["Description"] for line in run.records("invoice_lines")] == ["Hotel"]
    reads = invoice_reads(sandbox)
    assert reads and not any("summaryOnly" in q for q in reads), reads


def test_a_quiet_second_run_emits_nothing_and_a_change_in_the_bookmarks_second_comes_through(
    sandbox, tmp_path
):
    second = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    a, b = (xero_invoice("A", second), xero_invoice("B", second))
    a["UpdatedDateUTC"] = ms(second + timedelta(milliseconds=100))
    b["UpdatedDateUTC"] = ms(second + timedelta(milliseconds=300))
    seed_invoices(sandbox, [a, b])
    first = run_tap(sandbox, tmp_path / "first")
    assert first.ids() == [a["InvoiceID"], b["InvoiceID"]]
    sandbox.xero_requests(clear=True)

    quiet = run_tap(sandbox, tmp_path / "quiet", state=first.state)

    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert quiet.ids() == []
    assert len(invoice_reads(sandbox)) == 1  # the overlap is read, not emitted again
    # Within the bookmark's second: A is paid, and C is made with the bookmark's very stamp.
    a_paid = {**a, "Status": "PAID", "UpdatedDateUTC": b["UpdatedDateUTC"] + 500}
    c = {**xero_invoice("C", second), "UpdatedDateUTC": b["UpdatedDateUTC"]}
    sandbox.xero_seed(invoices=[a_paid, c])

    after = run_tap(sandbox, tmp_path / "after", state=quiet.state)

    assert sorted(after.ids()) == sorted([a["InvoiceID"], c["InvoiceID"]])
    assert [r["Status"] for r in after.records() if r["InvoiceID"] == a["InvoiceID"]] == ["PAID"]
