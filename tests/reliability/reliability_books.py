"""The reliability suite's shared pieces: the pipeline, a small demo world, and the books invariant.

`check_books()` is the one invariant every reliability test ends with: each queued Qondor item
is Processed (its externalReference the id of the one Xero object with its number), Paid (the
same, and that Xero invoice is PAID), Failed (with a single-line reason naming the item, and
nothing of its own in Xero), or, only when allowed, still Unprocessed; Xero
holds one invoice / credit note per number, one contact per customer or booker, and at most
one payment per invoice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The pipeline helpers live beside target-xero's tests: reuse them rather than copy them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "target_xero"))

from target_xero_pipeline import (  # noqa: E402
    DEMO_MAPPING,
    TAP,
    TARGET,
    Run,
    read_queue,
    run_target,
    start_target,
    sync,
    target_config,
    write_json,
)

__all__ = [
    "DEMO_MAPPING",
    "TAP",
    "TARGET",
    "Run",
    "read_queue",
    "run_target",
    "start_target",
    "sync",
    "target_config",
    "write_json",
]

CREDIT_NOTE = 5
CARD_PAYMENT = 4
# Demo projects 881 and 887: offers, card payments (NOK and EUR), bookers old and new, credit
# notes with and without an invoice in Xero, and three bad items (DKK 5017, unmapped MISC 5018,
# credit note 5036 for an invoice not in Xero).
SMALL_PROJECTS = (881, 887)
SMALL_IDS = (5001, 5002, 5015, 5017, 5018, 5022, 5026, 5029, 5031, 5032, 5033, 5035, 5036, 5043)
SMALL_CARD_PAYMENTS = (5029, 5031, 5032)
SMALL_FAILED = {
    5017: "currency DKK is not enabled",
    5018: "MISC (line 3)",
    5036: "the invoice it cancels, 100106, is not in Xero",
}
# Paid in Qondor by one sync: the card payments, and 5001 (fully credited by 5033 in the run).
SMALL_PAID = (5001, 5029, 5031, 5032)


def small_mapping(workdir: Path, *, creates_options: bool = False, **changes: str) -> Path:
    """The demo mapping limited to SMALL_PROJECTS (a 14-item queue), with optional line edits.

    Lines keep the Office tracking (options Xero has) but not the Project rule that creates
    options: these runs are about faults and grants of the sync itself, which must not hinge on
    a tracking option write (it needs accounting.settings, a scope a sync connection may lack).
    `creates_options` keeps that rule (P-887 is not in Xero's Project options).
    """
    text = DEMO_MAPPING.read_text(encoding="utf-8").replace(
        "projects: []", f"projects: [{', '.join(map(str, SMALL_PROJECTS))}]"
    )
    project_rule = '  - {category: Project, option: "{projectNo}", create_options: true}\n'
    assert project_rule in text, "demo.yml's Project tracking rule changed: update small_mapping"
    if not creates_options:
        text = text.replace(project_rule, "")
    for old, new in changes.items():
        text = text.replace(old, new)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "small.yml"
    path.write_text(text, encoding="utf-8")
    return path


def small_sync(box: Any, workdir: Path, **extra: Any) -> Run:
    """tap-qondor → target-xero over the 14-item small world."""
    return sync(box, workdir, small_mapping(workdir), **extra)


def xero_writes(box: Any, path_prefix: str = "/api.xro/2.0/") -> list[dict[str, Any]]:
    """Logged Xero API calls that are not reads (token calls excluded)."""
    return [
        r for r in box.xero_requests() if r["method"] != "GET" and r["path"].startswith(path_prefix)
    ]


def qondor_writes(box: Any) -> list[dict[str, Any]]:
    """Logged Qondor calls that change something (acknowledgements)."""
    return [r for r in box.qondor_requests() if r["method"] != "GET"]


def count_calls(requests_log: list[dict[str, Any]], method: str, path: str) -> int:
    """How many logged calls have this method and path."""
    return sum(1 for r in requests_log if r["method"] == method and r["path"] == path)


def statuses(box: Any, ids: set[int] | tuple[int, ...]) -> dict[int, tuple[str, str | None]]:
    """Qondor status and externalReference of each item."""
    items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    return {n: (items[n]["statusText"], items[n]["externalReference"]) for n in ids}


def queued_ids(box: Any) -> set[int]:
    """Ids of every item Qondor holds as Unprocessed right now."""
    return {i["id"] for i in box.qondor_state()["invoices"] if i["statusText"] == "Unprocessed"}


@dataclass
class Books:
    """What check_books found: items by outcome, and the Xero state it checked."""

    processed: dict[int, str] = field(default_factory=dict)  # item id → Xero id (Paid too)
    paid: set[int] = field(default_factory=set)  # processed items Qondor holds as Paid
    failed: dict[int, str] = field(default_factory=dict)  # item id → errorMessage
    unprocessed: set[int] = field(default_factory=set)
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    xero: dict[str, Any] = field(default_factory=dict)

    def payments_of(self, item_ids: set[int] | tuple[int, ...]) -> list[dict[str, Any]]:
        """Xero payments against the invoices of these processed items."""
        wanted = {self.processed[n] for n in item_ids if n in self.processed}
        return [p for p in self.xero["payments"] if p["Invoice"]["InvoiceID"] in wanted]

    def invoice(self, number: str) -> dict[str, Any]:
        """The one ACCREC invoice with this number."""
        return next(i for i in self.xero["invoices"] if i["InvoiceNumber"] == number)


def _label(item: dict[str, Any]) -> str:
    what = "Credit note" if item["invoiceType"] == CREDIT_NOTE else "Invoice"
    return f"{what} {item['invoiceNumber']}"


def _who(item: dict[str, Any]) -> str:
    """The customer or booker an item is billed to (one Xero contact each)."""
    if item.get("customerId"):
        return f"customer {item['customerId']}"
    return f"booker {((item.get('booker') or {}).get('email') or '').strip().casefold()}"


def check_books(
    box: Any,
    ids: set[int] | tuple[int, ...],
    *,
    unprocessed_ok: bool = False,
    untouched: dict[str, dict[str, Any]] | None = None,
) -> Books:
    """Assert the invariant over the queued items `ids`; return what was found.

    `unprocessed_ok` allows items still queued (after a systemic fault); `untouched` maps
    invoice numbers already in Xero before the run (e.g. paid by a person) to their old copy.
    """
    untouched = untouched or {}
    all_items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    xero = box.xero_state()
    invoices = [i for i in xero["invoices"] if i.get("Type", "ACCREC") == "ACCREC"]
    live = [i for i in invoices if i["Status"] != "DELETED"]
    numbers = Counter(i["InvoiceNumber"] for i in live)
    notes = Counter(n["CreditNoteNumber"] for n in xero["creditNotes"] if n["Status"] != "DELETED")
    by_number = {i["InvoiceNumber"]: i for i in live}
    notes_by_number = {n["CreditNoteNumber"]: n for n in xero["creditNotes"]}
    acknowledged = {
        i["externalReference"]
        for i in all_items.values()
        if i["statusText"] in ("Processed", "Paid")
    }
    books = Books(xero=xero)
    contacts_of: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    for n in sorted(ids):
        item = all_items[n]
        books.items[n] = item
        number, status = str(item["invoiceNumber"]), item["statusText"]
        credit = item["invoiceType"] == CREDIT_NOTE
        copies = notes[number] if credit else numbers[number]
        if copies > 1:
            problems.append(f"{n}: {copies} copies of {number} in Xero")
        if status in ("Processed", "Paid"):
            xero_obj = notes_by_number.get(number) if credit else by_number.get(number)
            key = "CreditNoteID" if credit else "InvoiceID"
            if xero_obj is None or item["externalReference"] != xero_obj[key]:
                problems.append(
                    f"{n}: Processed with {item['externalReference']!r}, Xero holds "
                    f"{xero_obj and xero_obj[key]!r}"
                )
                continue
            books.processed[n] = xero_obj[key]
            if status == "Paid":
                books.paid.add(n)
                if credit or xero_obj["Status"] != "PAID":
                    problems.append(f"{n}: Paid in Qondor, but {number} is {xero_obj['Status']}")
            contacts_of[_who(item)].add(xero_obj["Contact"]["ContactID"])
            if item["invoiceType"] == CARD_PAYMENT and xero_obj["Status"] != "PAID":
                problems.append(f"{n}: card payment {number} is {xero_obj['Status']} in Xero")
        elif status == "Failed":
            message = item.get("errorMessage") or ""
            books.failed[n] = message
            if _label(item) not in message or "\n" in message or len(message) > 1000:
                problems.append(f"{n}: Failed message does not name {_label(item)}: {message!r}")
            xero_obj = notes_by_number.get(number) if credit else by_number.get(number)
            key = "CreditNoteID" if credit else "InvoiceID"
            # Its number may be in Xero only for another item (a duplicate number) or a person.
            if xero_obj and number not in untouched and xero_obj[key] not in acknowledged:
                problems.append(f"{n}: Failed, but {number} is in Xero")
        elif status == "Unprocessed" and unprocessed_ok:
            books.unprocessed.add(n)
        else:
            problems.append(f"{n}: {status}")
    for who, contact_ids in contacts_of.items():
        if len(contact_ids) > 1:
            problems.append(f"{who} has {len(contact_ids)} Xero contacts: {sorted(contact_ids)}")
    contact_numbers = Counter(
        c["ContactNumber"]
        for c in xero["contacts"]
        if c.get("ContactNumber") and c["ContactStatus"] == "ACTIVE"
    )
    problems += [f"ContactNumber {k} on {v} contacts" for k, v in contact_numbers.items() if v > 1]
    names = Counter(
        c["Name"].casefold() for c in xero["contacts"] if c["ContactStatus"] == "ACTIVE"
    )
    problems += [f"contact name {k!r} on {v} active contacts" for k, v in names.items() if v > 1]
    paid = Counter(
        p["Invoice"]["InvoiceID"] for p in xero["payments"] if p.get("Status") != "DELETED"
    )
    problems += [f"invoice {k} has {v} payments" for k, v in paid.items() if v > 1]
    for note in xero["creditNotes"]:
        if float(note.get("RemainingCredit") or 0) < 0:
            problems.append(f"credit note {note['CreditNoteNumber']} over-allocated")
    for number, old in untouched.items():
        now = by_number.get(number)
        if now is None or any(now.get(k) != old.get(k) for k in ("InvoiceID", "Status", "Total")):
            problems.append(f"{number} was {old['Status']} in Xero and has been modified")
    assert not problems, "books do not balance:\n" + "\n".join(problems)
    return books


def run_tap(
    box: Any, workdir: Path, mapping: Path = DEMO_MAPPING, **env: str
) -> subprocess.CompletedProcess:
    """tap-qondor alone (for runs expected to stop): its exit code, stdout and stderr."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = write_json(workdir / "tap.json", {**box.qondor_config(), "mapping_file": str(mapping)})
    return subprocess.run(
        [TAP, "--config", str(config)], capture_output=True, text=True, timeout=180, check=False
    )


def last_line(text: str) -> str:
    """The last non-empty line of a run's stderr."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def stop_prefix(failed: int) -> str:
    """How target-xero's one stop line begins when `failed` items were marked Failed before it."""
    if failed == 0:
        return "target-xero stopped, nothing was marked Failed: "
    if failed == 1:
        return (
            "target-xero stopped, only the 1 item that failed on its own data was marked Failed: "
        )
    return f"target-xero stopped, only the {failed} items that failed on their own data were marked Failed: "


def as_json(data: Any) -> str:
    """Compact JSON for assertion messages."""
    return json.dumps(data, separators=(",", ":"), default=str)[:3000]
