"""A dry run predicts the real run: the same summary on the demo scenario, acknowledgements too."""

from __future__ import annotations

import pytest
from target_xero_pipeline import by, queued, sync

# Every count a go-live rehearsal is read for (api_calls and elapsed differ by nature).
PREDICTED = (
    "contacts",
    "invoices",
    "credit_notes",
    "payments",
    "allocations",
    "tracking_options",
    "qondor",
    "items",
)


@pytest.fixture(scope="module")
def runs(sandbox, tmp_path_factory):
    """The demo queue planned by a dry run, then synced for real from the same start."""
    sandbox.reset("demo")
    before = sandbox.xero_state()
    planned = sync(sandbox, tmp_path_factory.mktemp("dry"), dry_run=True)
    assert planned.returncode == 0, planned.stderr[-3000:]
    assert sandbox.xero_state() == before  # the plan wrote nothing
    sandbox.reset("demo")
    before = sandbox.xero_state()  # the reset makes new payment ids
    real = sync(sandbox, tmp_path_factory.mktemp("real"))
    assert real.returncode == 0, real.stderr[-3000:]
    return {"planned": planned, "real": real, "before": before, "after": sandbox.xero_state()}


@pytest.mark.parametrize("group", PREDICTED)
def test_dry_run_summary_equals_the_real_runs(runs, group):
    assert runs["planned"].summary[group] == runs["real"].summary[group]


def test_dry_run_predicts_the_qondor_acknowledgements(runs, sandbox):
    acks = runs["planned"].summary["qondor"]
    statuses = [i["statusText"] for i in queued(sandbox.qondor_state()).values()]
    assert acks["processed"] == 37 and acks["failed"] == statuses.count("Failed") == 6
    assert acks["paid"] == statuses.count("Paid") == 7
    assert runs["planned"].summary["allocations"]["created"] == 4


def test_dry_run_leaves_an_invoice_paid_in_xero_whose_qondor_copy_changed(runs):
    held = by(runs["before"]["invoices"], "InvoiceNumber")["100240"]
    # Paid by a person in Xero before the mapping tracked lines: Qondor's copy differs now.
    assert held["Status"] == "PAID" and not held["LineItems"][0].get("Tracking")
    assert by(runs["after"]["invoices"], "InvoiceNumber")["100240"] == held
    stderr = runs["planned"].stderr
    assert "plan: leave invoice 100240" in stderr
    assert "plan: update invoice 100240" not in stderr
    assert "plan: mark Invoice 100240 Paid in Qondor" in stderr
