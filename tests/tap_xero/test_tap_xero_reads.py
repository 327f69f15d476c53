"""What tap-xero asks Xero for: summaryOnly unless a selected stream needs the lines, and no
invoice emitted twice for the overlap's sake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from singer_sdk import Stream
from singer_sdk import typing as th
from xero_invoices import run_tap, seed_invoices, xero_invoice

from tap_xero.streams import InvoicesStream
from tap_xero.tap import TapXero

INVOICES = "/api.xro/2.0/Invoices"


def invoice_reads(box: Any) -> list[str]:
    """The query strings of the GET /Invoices the sandbox answered."""
    return [r["query"] for r in box.xero_requests() if r["path"] == INVOICES]


def ms(moment: datetime) -> int:
    """Epoch milliseconds, the sandbox's form of UpdatedDateUTC."""
    return round(moment.timestamp() * 1000)


class InvoiceLinesProbe(Stream):
    """Stands for a child stream of invoice lines: it needs the invoices' LineItems."""

    name = "invoice_lines_probe"
    parent_stream_type = InvoicesStream
    uses_line_items = True
    state_partitioning_keys: list[str] = []
    schema = th.PropertiesList(th.Property("LineItemID", th.StringType)).to_dict()

    def get_records(self, context: dict | None):
        yield from ()


class TapWithLines(TapXero):
    """tap-xero with the probe child stream."""

    def discover_streams(self) -> list[Stream]:
        return [*super().discover_streams(), InvoiceLinesProbe(tap=self)]


def with_probe_selected(box: Any, selected: bool) -> TapWithLines:
    catalog = TapWithLines(config=box.xero_config()).catalog_dict
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == InvoiceLinesProbe.name:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = selected
    return TapWithLines(config=box.xero_config(), catalog=catalog)


def test_invoices_are_read_summary_only_when_no_selected_stream_needs_lines(sandbox, tmp_path):
    seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])

    run = run_tap(sandbox, tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids()
    reads = invoice_reads(sandbox)
    assert reads and all("summaryOnly=true" in q for q in reads), reads


def test_a_selected_stream_that_needs_lines_gets_whole_invoices(sandbox, capsys):
    seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])
    with_probe_selected(sandbox, True).sync_all()
    with_lines = invoice_reads(sandbox)
    sandbox.xero_requests(clear=True)

    with_probe_selected(sandbox, False).sync_all()  # the same stream, not selected

    assert with_lines and not any("summaryOnly" in q for q in with_lines), with_lines
    assert all("summaryOnly=true" in q for q in invoice_reads(sandbox))
    capsys.readouterr()  # the runs' Singer messages


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
