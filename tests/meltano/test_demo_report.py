"""The demo's before/after report, from sandbox states (pure functions)."""

import json

from sandbox.demo import (
    count_calls,
    format_report,
    invoices_to_pay,
    item_rows,
    money_check,
    target_summary,
    tracking_check,
)

BEFORE = {
    "invoices": [
        {"id": 1, "invoiceNumber": "100", "invoiceType": 1, "status": 0},
        {"id": 2, "invoiceNumber": "101", "invoiceType": 4, "status": 0},
        {"id": 3, "invoiceNumber": "102", "invoiceType": 1, "status": 0},
        {"id": 4, "invoiceNumber": "103", "invoiceType": 1, "status": 0},  # not in the queue
    ]
}
AFTER = {
    "invoices": [
        {"id": 1, "invoiceNumber": "100", "status": 1, "externalReference": "x-100"},
        {"id": 2, "invoiceNumber": "101", "status": 3, "externalReference": "x-101"},
        {"id": 3, "invoiceNumber": "102", "status": 2, "errorMessage": "GIFT (line 2) not mapped"},
        {"id": 4, "invoiceNumber": "103", "status": 0},
    ]
}
XERO = {
    "invoices": [
        {
            "InvoiceID": "x-100",
            "InvoiceNumber": "100",
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "AmountDue": 10,
        },
        {
            "InvoiceID": "x-101",
            "InvoiceNumber": "101",
            "Type": "ACCREC",
            "Status": "PAID",
            "AmountDue": 0,
        },
    ]
}


def test_each_queued_item_gets_a_row_with_its_statuses_and_xero_copy():
    rows = item_rows([BEFORE, AFTER], XERO, queue_ids={1, 2, 3})
    assert [(r.number, r.kind, r.statuses, r.xero_number, r.xero_status) for r in rows] == [
        ("100", "offer", ("Unprocessed", "Processed"), "100", "AUTHORISED"),
        ("101", "card payment", ("Unprocessed", "Paid"), "101", "PAID"),
        ("102", "offer", ("Unprocessed", "Failed"), "-", "-"),
    ]
    assert rows[2].error == "GIFT (line 2) not mapped"


def test_report_lists_failures_with_reasons_and_calls_per_side():
    rows = item_rows([BEFORE, AFTER], XERO, queue_ids={1, 2, 3})
    calls = count_calls(
        [{"method": "GET", "path": "/Prod/Invoicing/v1/Invoice/5012"}],
        [
            {"method": "POST", "path": "/api.xro/2.0/Invoices"},
            {"method": "POST", "path": "/api.xro/2.0/Invoices"},
        ],
    )
    report = format_report(rows, ["before", "after sync 1"], [calls])
    assert "3 items: 1 Failed, 1 Paid, 1 Processed" in report
    assert "102 (offer): GIFT (line 2) not mapped" in report
    assert "sync 1, Xero: 2 (POST /Invoices ×2)" in report
    assert "sync 1, Qondor: 1 (GET /Invoicing/v1/Invoice/{id} ×1)" in report


def test_only_authorised_invoices_with_an_amount_due_are_paid():
    assert [i["InvoiceNumber"] for i in invoices_to_pay(XERO)] == ["100"]


def test_target_summary_is_the_last_run_s_non_zero_counts():
    first = {"invoices": {"created": 9, "updated": 0}, "payments": {"created": 0, "failed": 0}}
    last = {
        "invoices": {"created": 30, "updated": 1, "unchanged": 1, "undone": 0, "failed": 5},
        "credit_notes": {"created": 5, "updated": 0, "unchanged": 0, "undone": 0, "failed": 1},
        "payments": {"created": 4, "failed": 0},
        "allocations": {"created": 0, "failed": 0},
    }
    log = "\n".join(
        [
            "$ meltano run qondor-xero-sync",
            f"2026-11-27T07:25:42Z [info     ] target-xero  {json.dumps({'event': 'target-xero summary', **first})}",
            "2026-11-27T07:25:43Z [info     ] target-xero    invoices      created 9",
            f"2026-11-27T07:26:42Z [info     ] target-xero  {json.dumps({'event': 'target-xero summary', **last})}",
        ]
    )
    assert target_summary(log) == (
        "invoices 30 created, 1 updated, 1 unchanged, 5 failed; credit notes 5 created, "
        "1 failed; card payments 4 created; no allocations"
    )
    assert target_summary("$ meltano run qondor-xero-sync\nno summary: it failed early") is None
    empty = json.dumps({"event": "target-xero summary", "items": {"received": 0}, **first})
    assert (
        target_summary(f"[info ] target-xero  {empty}") == "no items in the queue, nothing written"
    )


def test_money_line_says_every_document_matches_or_names_each_that_does_not():
    charged = {"totalExclVat": 100.0, "totalVat": 25.0, "totalInclVat": 125.0, "currency": "NOK"}
    lines = [{"lineNo": 1, "amountExclVat": 100.0}]
    qondor = {
        "invoices": [
            {
                "id": 1,
                "invoiceNumber": "100",
                "invoiceType": 1,
                "externalReference": "a",
                "lines": lines,
                **charged,
            },
            {
                "id": 2,
                "invoiceNumber": "101",
                "invoiceType": 4,
                "externalReference": "b",
                "lines": lines,
                **charged,
            },
        ]
    }
    held = {
        "SubTotal": 100.0,
        "TotalTax": 25.0,
        "Total": 125.0,
        "LineItems": [{"LineAmount": 100.0}],
    }
    xero = {
        "invoices": [held | {"InvoiceID": "a"}, held | {"InvoiceID": "b"}],
        "payments": [{"Invoice": {"InvoiceID": "b"}, "Amount": 125.0}],
    }
    assert money_check(qondor, xero, {1, 2}).startswith(
        "Money: the 2 documents Xero holds for the synced items total exactly what Qondor charged"
    )
    xero["invoices"][0] |= {"TotalTax": 25.01, "Total": 125.01}
    xero["payments"][0]["Amount"] = 120.0
    assert money_check(qondor, xero, {1, 2}) == (
        "Money: Xero differs from Qondor:\n"
        "  100: Xero holds NOK 125.01 (excl. VAT 100.00, VAT 25.01) but Qondor charged NOK 125.00 "
        "(excl. VAT 100.00, VAT 25.00)\n"
        "  101: the card payment in Xero is not what the card was charged"
    )


def test_tracking_line_shows_each_documents_office_and_project_and_catches_a_wrong_line():
    qondor = {
        "offices": [{"id": 1, "name": "Oslo"}, {"id": 3, "name": "Stockholm"}],
        "invoices": [
            {"id": 1, "invoiceNumber": "100", "externalReference": "x-100", "officeId": 1,
             "projectNo": "P-1"},
            {"id": 2, "invoiceNumber": "101", "externalReference": "x-101", "officeId": 3},
        ],
    }  # fmt: skip
    tracked = [{"Name": "Office", "Option": "Oslo"}, {"Name": "Project", "Option": "P-1"}]
    xero = {
        "invoices": [
            {"InvoiceID": "x-100", "LineItems": [{"Tracking": tracked}] * 2},
            {
                "InvoiceID": "x-101",
                "BrandingThemeID": "t-se",
                "LineItems": [{"Tracking": [{"Name": "Office", "Option": "Stockholm"}]}],
            },
        ],
        "brandingThemes": [{"BrandingThemeID": "t-se", "Name": "Sverige"}],
    }
    report = tracking_check(qondor, xero, {1, 2})
    assert report.splitlines() == [
        "Tracking: every line of the 2 documents carries its office (category Office) and, "
        "where the item has one, its project (Project):",
        "  Office: Oslo 1, Stockholm 1",
        "  Project: P-1 1",
        "Branding: 1 documents of Stockholm use the theme 'Sverige'",
    ]
    xero["invoices"][0]["LineItems"][1] = {"Tracking": tracked[:1]}
    assert tracking_check(qondor, xero, {1, 2}).splitlines()[1] == (
        "  100: a line is not tracked as {'Office': 'Oslo', 'Project': 'P-1'}"
    )
