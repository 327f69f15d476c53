"""target-xero's own office/project filter in a real run, fed the whole (unfiltered) queue."""

from __future__ import annotations

import pytest
from target_xero_pipeline import DEMO_MAPPING, by, queued, read_queue, run_target, target_config

DOCUMENTS = (("invoices", "InvoiceNumber"), ("creditNotes", "CreditNoteNumber"))


@pytest.mark.parametrize(
    ("setting", "field", "values"), [("projects", "projectId", [881]), ("offices", "officeId", [2])]
)
def test_items_outside_the_mapping_filter_stay_queued_and_touch_nothing_in_xero(
    sandbox, tmp_path, setting, field, values
):
    sandbox.reset("demo")
    mapping = tmp_path / "filtered.yml"
    mapping.write_text(DEMO_MAPPING.read_text().replace(f"{setting}: []", f"{setting}: {values}"))
    xero_before, queue_before = sandbox.xero_state(), queued(sandbox.qondor_state())
    waiting = {n: i for n, i in queue_before.items() if i["statusText"] == "Unprocessed"}
    inside = {n for n, i in waiting.items() if i[field] in values}
    outside = set(waiting) - inside
    assert inside and outside
    singer = read_queue(sandbox, tmp_path)  # the tap reads everything (demo mapping)

    run = run_target(tmp_path, target_config(sandbox, mapping), singer)

    assert run.returncode == 0, run.stderr[-3000:]
    after = queued(sandbox.qondor_state())
    assert {n: (after[n]["statusText"], after[n]["externalReference"]) for n in outside} == {
        n: ("Unprocessed", None) for n in outside
    }
    assert {after[n]["statusText"] for n in inside} <= {"Processed", "Paid", "Failed"}
    assert run.summary["items"]["skipped"] == len(outside)
    some = min(outside)
    assert f"{some} is outside the mapping's offices/projects: skipped" in run.stderr
    xero = sandbox.xero_state()
    for kind, key in DOCUMENTS:  # nothing under their numbers but what was there before
        old, new = by(xero_before[kind], key), by(xero[kind], key)
        assert {n: new.get(n) for n in outside} == {n: old.get(n) for n in outside}, kind
    # The only contacts created or changed are those of the items synced.
    old_contacts = by(xero_before["contacts"], "ContactID")
    changed = {c["ContactID"] for c in xero["contacts"] if old_contacts.get(c["ContactID"]) != c}
    synced = {
        doc["Contact"]["ContactID"]
        for kind, key in DOCUMENTS
        for doc in xero[kind]
        if doc[key] in inside
    }
    assert changed and changed <= synced, [
        c["Name"] for c in xero["contacts"] if c["ContactID"] in changed - synced
    ]
