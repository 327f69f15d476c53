"""Tracking by office and project, and branding per office: tap-qondor → target-xero against the
sandbox, checked in the sandbox's Xero as an accountant would (issue 21, parts 1 and 2)."""

from __future__ import annotations

from datetime import date

import pytest
from money_world import CUSTOMER, DAY, InvoiceType, precise_line, write_mapping
from target_xero_pipeline import by, sync

from sandbox.scenarios.common import make_invoice, make_office

SINCE = date(2026, 1, 1)  # the offices process invoices through the API from then on
OFFICES = [
    make_office(1, "Qondor Events Oslo", "Oslo", "0150", start_date=SINCE),
    make_office(2, "Qondor Events Bergen", "Bergen", "5003", start_date=SINCE),
    make_office(3, "Qondor Events Tromsø", "Tromsø", "9008", start_date=SINCE),
]
TRACKING = [
    {"Name": "Office", "Options": ["Qondor Events Oslo", "Qondor Events Bergen"]},
    {"Name": "Project", "Options": ["P-1", {"Name": "P-OLD", "Status": "ARCHIVED"}]},
]
THEMES = [{"Name": "Oslo layout", "SortOrder": 1}, {"Name": "Bergen layout", "SortOrder": 2}]
BRANDING = {"1": "Oslo layout", "Qondor Events Bergen": "Bergen layout"}


def tracking_rules(create_projects: bool) -> list[dict]:
    return [
        {"category": "Office", "option": "{officeName}"},
        {"category": "Project", "option": "{projectNo}", "create_options": create_projects},
    ]


def queued(item_id: int, office: int, project: str | None, **extra) -> dict:
    lines = [precise_line(1, "VAT25", 2, "100"), precise_line(2, "VAT12", 1, "850")]
    return make_invoice(
        item_id,
        str(item_id),
        extra.pop("kind", InvoiceType.OfferInvoice),
        invoice_date=DAY,
        office_id=office,
        lines=extra.pop("lines", lines),
        customer=CUSTOMER,
        project=(item_id, project, f"Project {project}") if project else None,
        **extra,
    )


def seed_world(box, items: list[dict]) -> None:
    box.reset("empty")
    box.xero_seed(trackingCategories=TRACKING, brandingThemes=THEMES)
    box.admin(
        box.qondor_url,
        "POST",
        "seed",
        {"offices": OFFICES, "customers": [CUSTOMER], "invoices": items},
    )


def qondor_items(box) -> dict[str, dict]:
    return {i["invoiceNumber"]: i for i in box.qondor_state()["invoices"] if i["id"] >= 8000}


def line_tracking(doc: dict) -> list[dict[str, str]]:
    return [{t["Name"]: t["Option"] for t in line.get("Tracking", [])} for line in doc["LineItems"]]


def option_puts(box) -> list[dict]:
    return [
        r for r in box.xero_requests() if r["method"] == "PUT" and r["path"].endswith("/Options")
    ]


@pytest.fixture(scope="module")
def tracked(sandbox, tmp_path_factory):
    """One sync of offices Oslo, Bergen and Tromsø with projects, Project options created."""
    oslo = queued(8001, 1, "P-1")
    credit_lines = [precise_line(1, "VAT25", -2, "100"), precise_line(2, "VAT12", -1, "850")]
    items = [
        oslo,
        queued(8002, 2, "P-2"),  # a project Xero does not have yet: its option is created
        queued(8003, 3, "P-1"),  # an office Xero has no option for: fails
        queued(8004, 1, "P-OLD"),  # an archived project option: fails
        queued(8005, 1, "P-1", kind=InvoiceType.CreditNote, lines=credit_lines, credited=oslo),
        queued(8006, 1, None),  # no project: the lines carry the office only
    ]
    seed_world(sandbox, items)
    workdir = tmp_path_factory.mktemp("tracking")
    mapping = write_mapping(
        workdir / "mapping.yml", tracking=tracking_rules(True), branding_themes=BRANDING
    )
    run = sync(sandbox, workdir, mapping)
    assert run.returncode == 0, run.stderr[-3000:]
    return run, qondor_items(sandbox), sandbox.xero_state(), option_puts(sandbox), mapping, workdir


def test_every_line_carries_its_office_and_project_from_qondor(tracked):
    _run, items, xero, _puts, _mapping, _workdir = tracked
    invoices = by(xero["invoices"], "InvoiceNumber")
    notes = by(xero["creditNotes"], "CreditNoteNumber")
    oslo = {"Office": "Qondor Events Oslo", "Project": "P-1"}
    assert line_tracking(invoices["8001"]) == [oslo, oslo]
    bergen = {"Office": "Qondor Events Bergen", "Project": "P-2"}
    assert line_tracking(invoices["8002"]) == [bergen, bergen]
    assert line_tracking(notes["8005"]) == [oslo, oslo]
    assert line_tracking(invoices["8006"]) == [{"Office": "Qondor Events Oslo"}] * 2
    for number in ("8002", "8005", "8006"):
        assert items[number]["statusText"] == "Processed", items[number]
    assert items["8001"]["statusText"] == "Paid"  # fully credited by 8005


def test_a_project_xero_lacks_is_created_once_as_an_option(tracked):
    run, _items, xero, puts, _mapping, _workdir = tracked
    project = by(xero["trackingCategories"], "Name")["Project"]
    assert {o["Name"]: o["Status"] for o in project["Options"]} == {
        "P-1": "ACTIVE",
        "P-OLD": "ARCHIVED",
        "P-2": "ACTIVE",
    }
    assert len(puts) == 1 and puts[0]["status"] == 200
    assert run.summary["tracking_options"] == {"created": 1, "failed": 0}
    assert "created option 'P-2' in tracking category Project" in run.stderr


def test_an_office_without_an_option_or_an_archived_option_fails_naming_it(tracked):
    _run, items, xero, _puts, _mapping, _workdir = tracked
    assert items["8003"]["statusText"] == "Failed"
    assert items["8003"]["errorMessage"] == (
        "Invoice 8003: tracking category Office has no option 'Qondor Events Tromsø'; add it in "
        "Xero or set create_options: true in mapping.yml"
    )
    assert items["8004"]["statusText"] == "Failed"
    assert items["8004"]["errorMessage"] == (
        "Invoice 8004: tracking category Project: option 'P-OLD' is ARCHIVED in Xero; restore "
        "it in Xero or fix tracking in mapping.yml"
    )
    assert {"8003", "8004"}.isdisjoint(i["InvoiceNumber"] for i in xero["invoices"])
    office = by(xero["trackingCategories"], "Name")["Office"]
    assert "Qondor Events Tromsø" not in {o["Name"] for o in office["Options"]}


def test_each_office_sends_its_own_branding_theme(tracked):
    _run, _items, xero, _puts, _mapping, _workdir = tracked
    themes = {t["Name"]: t["BrandingThemeID"] for t in xero["brandingThemes"]}
    invoices = by(xero["invoices"], "InvoiceNumber")
    assert invoices["8001"]["BrandingThemeID"] == themes["Oslo layout"]  # by office id
    assert invoices["8006"]["BrandingThemeID"] == themes["Oslo layout"]
    assert invoices["8002"]["BrandingThemeID"] == themes["Bergen layout"]  # by office name
    note = by(xero["creditNotes"], "CreditNoteNumber")["8005"]
    assert note["BrandingThemeID"] == themes["Oslo layout"]


def test_a_changed_tracking_mapping_retracks_what_xero_still_lets_change(tracked, sandbox):
    _run, _items, _xero, _puts, _mapping, workdir = tracked
    # Project tracking dropped from the mapping, the same items queued again (as after a crash
    # before acknowledging): only a document whose lines' tracking differs is written again.
    for item_id in (8002, 8006):
        sandbox.admin(sandbox.qondor_url, "PATCH", f"invoices/{item_id}", {"status": 0})
    office_only = write_mapping(
        workdir / "office-only.yml", tracking=tracking_rules(True)[:1], branding_themes=BRANDING
    )
    again = sync(sandbox, workdir / "again", office_only)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.summary["invoices"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "undone": 0,
        "failed": 0,
    }
    assert "Invoice 8002 updated in Xero: LineItems[1].Tracking, LineItems[2].Tracking" in (
        again.stderr
    )
    invoices = by(sandbox.xero_state()["invoices"], "InvoiceNumber")
    assert line_tracking(invoices["8002"]) == [{"Office": "Qondor Events Bergen"}] * 2


def test_without_create_options_an_unknown_project_fails_and_nothing_is_created(sandbox, tmp_path):
    seed_world(sandbox, [queued(8010, 1, "P-3"), queued(8011, 1, "P-1")])
    mapping = write_mapping(tmp_path / "mapping.yml", tracking=tracking_rules(False))
    run = sync(sandbox, tmp_path, mapping)
    assert run.returncode == 0, run.stderr[-3000:]
    items = qondor_items(sandbox)
    assert items["8010"]["statusText"] == "Failed"
    assert items["8010"]["errorMessage"] == (
        "Invoice 8010: tracking category Project has no option 'P-3'; add it in Xero or set "
        "create_options: true in mapping.yml"
    )
    assert items["8011"]["statusText"] == "Processed"
    xero = sandbox.xero_state()
    assert [i["InvoiceNumber"] for i in xero["invoices"]] == ["8011"]
    project = by(xero["trackingCategories"], "Name")["Project"]
    assert {o["Name"] for o in project["Options"]} == {"P-1", "P-OLD"}
    assert option_puts(sandbox) == []


def test_a_dry_run_plans_the_option_and_creates_nothing(sandbox, tmp_path):
    seed_world(sandbox, [queued(8020, 1, "P-7"), queued(8021, 1, "P-7")])
    mapping = write_mapping(tmp_path / "mapping.yml", tracking=tracking_rules(True))
    run = sync(sandbox, tmp_path, mapping, dry_run=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.count("plan: create option 'P-7' in tracking category Project") == 1
    assert run.summary["tracking_options"]["created"] == 1
    assert option_puts(sandbox) == []
    assert sandbox.xero_state()["invoices"] == []
    assert {i["statusText"] for i in qondor_items(sandbox).values()} == {"Unprocessed"}


def test_a_branding_theme_xero_lacks_fails_the_office_items_naming_it(sandbox, tmp_path):
    seed_world(sandbox, [queued(8030, 1, "P-1"), queued(8031, 2, "P-1")])
    mapping = write_mapping(tmp_path / "mapping.yml", branding_themes={"2": "Vestland layout"})
    run = sync(sandbox, tmp_path, mapping)
    assert run.returncode == 0, run.stderr[-3000:]
    items = qondor_items(sandbox)
    assert items["8031"]["errorMessage"] == (
        "Invoice 8031: branding theme 'Vestland layout' (for office 2) is not in Xero; add it in "
        "Xero or fix branding_themes in mapping.yml"
    )
    [oslo] = sandbox.xero_state()["invoices"]
    assert oslo["InvoiceNumber"] == "8030" and "BrandingThemeID" not in oslo
