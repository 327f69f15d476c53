"""The run summary and progress lines target-xero prints."""

import io
import json
import types
from collections import Counter

from qondor_xero.sync.report import Report


def test_summary_is_a_table_then_one_json_line():
    report = Report()
    report.add("contacts", "created", 3)
    report.add("invoices", "created", 40)
    report.add("invoices", "failed", 2)
    report.add("payments", "created", 4)
    out = io.StringIO()
    summary = report.summary(
        Counter({"POST /Invoices": 1, "GET /Contacts": 1}), Counter({"PUT x": 42})
    )
    report.write_summary(out, summary)
    lines = out.getvalue().splitlines()
    assert lines[0] == "target-xero summary"
    assert "  contacts      matched 0, created 3, updated 0, failed 0" in lines
    assert "  invoices      created 40, updated 0, unchanged 0, undone 0, failed 2" in lines
    assert "  API calls     Xero 2, Qondor 42" in lines
    parsed = json.loads(lines[-1])
    assert parsed["event"] == "target-xero summary"
    assert parsed["invoices"] == {
        "created": 40,
        "updated": 0,
        "unchanged": 0,
        "undone": 0,
        "failed": 2,
    }
    assert parsed["api_calls"]["xero_by_endpoint"] == {"GET /Contacts": 1, "POST /Invoices": 1}


def test_dry_run_summary_says_nothing_was_written():
    report = Report(dry_run=True)
    out = io.StringIO()
    report.write_summary(out, report.summary(Counter(), Counter()))
    assert out.getvalue().startswith("target-xero summary (dry run: nothing was written)")
    assert "would be created 0" in out.getvalue()


def test_progress_line_estimates_time_left(monkeypatch):
    now = 5000.0  # the report's clock stands still: a loaded machine cannot add a second
    monkeypatch.setattr(
        "qondor_xero.sync.report.time", types.SimpleNamespace(monotonic=lambda: now)
    )
    report = Report()
    report.started = now - 60
    report.items_received, report.items_done = 400, 100
    line = report.progress_line(xero_calls=12, qondor_calls=100)
    assert line.startswith(
        "progress: 100/400 items done, Xero calls 12, Qondor calls 100, elapsed 1m00s"
    )
    assert "left" not in line  # the rate is measured from the first items done on
    since, _done = report._rate_from
    report._rate_from = (since - 30, 100)  # 100 more items in the last 30 s
    report.items_done = 200
    assert report.progress_line(xero_calls=14, qondor_calls=200).endswith("about 1m00s left")
