"""`make demo` (`qondor-xero demo`, `python -m sandbox.demo`): the whole integration against the
local sandbox, and a before/after report. It lives beside the sandbox; the core never imports it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qondor_xero.money import cents, written_mismatch
from sandbox.process import SandboxError, SandboxProcess, port_is_free
from sandbox.process import free_port as free_port  # tests start demo sandboxes on free ports

DEMO_ENVIRONMENT = "sandbox"
DEMO_JOB = "qondor-xero-sync"
QONDOR_PORT = 8701
XERO_PORT = 8702
PAY_COUNT = 3
TYPE_NAMES = {1: "offer", 2: "form", 3: "booking", 4: "card payment", 5: "credit note"}
STATUS_NAMES = {0: "Unprocessed", 1: "Processed", 2: "Failed", 3: "Paid"}


# --- the sandbox as a background process ------------------------------------------------------


class Sandbox(SandboxProcess):
    """The demo's `python -m sandbox serve` process: each start seeds a fresh database.

    It runs in its own session, so Ctrl-C reaches the demo, which stops it (or, with `keep`,
    leaves it running).
    """

    def __init__(
        self,
        qondor_port: int,
        xero_port: int,
        db_path: Path,
        log_path: Path,
        flags: list[str] | None = None,
    ) -> None:
        super().__init__(
            db_path, log_path, xero_port=xero_port, qondor_port=qondor_port, detach=True
        )
        self.flags = list(flags or [])

    def start(
        self, scenario: str = "demo", *, timeout: float = 60.0, fresh: bool = True
    ) -> Sandbox:
        """Start the server with a fresh database seeded with `scenario`; wait until both answer."""
        self.args = ["--scenario", scenario, *self.flags]
        super().start(timeout=timeout, fresh=fresh)
        return self

    def take_requests(self) -> tuple[list[dict], list[dict]]:
        """The (Qondor, Xero) request logs since the last call, clearing them."""
        qondor = self.admin(self.qondor_url, "GET", "requests?clear=true")["requests"]
        xero = self.admin(self.xero_url, "GET", "requests?clear=true")["requests"]
        return qondor, xero

    def queue(self) -> list[dict]:
        """What Qondor's queue holds now, read as the integration reads it."""
        from qondor_xero.qondor import QondorClient

        client = QondorClient(self.qondor_url, "sandbox-qondor-key")
        try:
            return client.get_unprocessed_invoices()
        finally:
            client.close()

    def pay(self, invoices: list[dict]) -> Any:
        """Pay these Xero invoices in full, as a customer paying in Xero would."""
        body = {"invoices": [{"InvoiceID": i["InvoiceID"]} for i in invoices]}
        return self.admin(self.xero_url, "POST", "pay", body)


# --- Meltano --------------------------------------------------------------------------------


def sandbox_settings_env(qondor_url: str, xero_url: str) -> dict[str, str]:
    """Env vars pointing every plugin at a sandbox on other ports (they override meltano.yml)."""
    return {
        "TAP_QONDOR_API_URL": qondor_url,
        "TARGET_XERO_API_URL": f"{xero_url}/api.xro/2.0",
        "TARGET_XERO_IDENTITY_URL": xero_url,
        "TARGET_XERO_QONDOR_API_URL": qondor_url,
        "TAP_XERO_API_URL": f"{xero_url}/api.xro/2.0",
        "TAP_XERO_IDENTITY_URL": xero_url,
        "TARGET_QONDOR_API_URL": qondor_url,
    }


def meltano_executable() -> str:
    """The `meltano` beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    return str(beside) if beside.exists() else (shutil.which("meltano") or "meltano")


def run_meltano(
    args: list[str], project_dir: Path, env: dict[str, str], log_path: Path, timeout: float = 600
) -> tuple[int, float]:
    """Run `meltano <args>` in the project, output to `log_path`; return (exit code, seconds)."""
    started = time.monotonic()
    with log_path.open("ab") as log:
        log.write(f"$ meltano {' '.join(args)}\n".encode())
        log.flush()
        result = subprocess.run(
            [meltano_executable(), *args],
            cwd=project_dir,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    return result.returncode, time.monotonic() - started


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """One Qondor item across the demo: statuses and where it ended in Xero."""

    number: str
    kind: str
    statuses: tuple[str, ...]
    xero_number: str
    xero_status: str
    error: str | None


def item_rows(qondor_states: list[dict], xero_state: dict, queue_ids: set[int]) -> list[ItemRow]:
    """One row per item in Qondor's queue at the start, with its status in each state given."""
    xero_by_id: dict[str, tuple[str, str]] = {}
    xero_by_number: dict[str, tuple[str, str]] = {}
    for invoice in xero_state.get("invoices", []):
        entry = (invoice.get("InvoiceNumber") or "", invoice.get("Status") or "")
        xero_by_id[invoice.get("InvoiceID")] = entry
        xero_by_number[entry[0]] = entry
    for note in xero_state.get("creditNotes", []):
        entry = (note.get("CreditNoteNumber") or "", note.get("Status") or "")
        xero_by_id[note.get("CreditNoteID")] = entry
        xero_by_number.setdefault(entry[0], entry)

    first = qondor_states[0].get("invoices", [])
    later = [{i["id"]: i for i in state.get("invoices", [])} for state in qondor_states]
    rows = []
    for item in sorted(first, key=lambda i: str(i.get("invoiceNumber"))):
        if item["id"] not in queue_ids:
            continue
        history = [later_state.get(item["id"], {}) for later_state in later]
        final = history[-1]
        xero = xero_by_id.get(final.get("externalReference")) or xero_by_number.get(
            str(item.get("invoiceNumber"))
        )
        rows.append(
            ItemRow(
                number=str(item.get("invoiceNumber")),
                kind=TYPE_NAMES.get(item.get("invoiceType"), str(item.get("invoiceTypeText"))),
                statuses=tuple(_status(h) for h in history),
                xero_number=xero[0] if xero else "-",
                xero_status=xero[1] if xero else "-",
                error=final.get("errorMessage") if _status(final) == "Failed" else None,
            )
        )
    return rows


def format_report(rows: list[ItemRow], headers: list[str], calls: list[dict[str, Counter]]) -> str:
    """The before/after table, the failed items with their reasons and the API calls per run."""
    columns = ["Qondor #", "type", *headers, "Xero #", "Xero status"]
    table = [[r.number, r.kind, *r.statuses, r.xero_number, r.xero_status] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *table, strict=False)]
    lines = [_row(columns, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in table]

    final = Counter(r.statuses[-1] for r in rows)
    lines.append("")
    lines.append(
        f"{len(rows)} items: " + ", ".join(f"{n} {status}" for status, n in sorted(final.items()))
    )
    failed = [r for r in rows if r.error]
    if failed:
        lines.append("")
        lines.append("Failed items (Qondor shows each reason to the project manager):")
        lines += [f"  {r.number} ({r.kind}): {r.error}" for r in failed]
    lines.append("")
    lines.append("API calls (from the sandbox's request logs):")
    for number, run_calls in enumerate(calls, 1):
        for side in ("Xero", "Qondor"):
            counter = run_calls[side]
            detail = ", ".join(f"{k} ×{v}" for k, v in counter.most_common())
            lines.append(f"  sync {number}, {side}: {sum(counter.values())} ({detail or 'none'})")
    return "\n".join(lines)


def count_calls(qondor_log: list[dict], xero_log: list[dict]) -> dict[str, Counter]:
    """Calls per side by `METHOD /path` (ids folded to {id})."""
    return {
        "Qondor": Counter(_endpoint(e) for e in qondor_log),
        "Xero": Counter(_endpoint(e) for e in xero_log),
    }


def _endpoint(entry: dict) -> str:
    """`GET /Invoices` from a request-log entry; ids and environment prefixes folded."""
    parts = []
    for part in str(entry.get("path", "")).split("/"):
        if not part or part in ("Prod", "Test", "Dev", "api.xro", "2.0"):
            continue
        parts.append("{id}" if part.isdigit() or _looks_like_uuid(part) else part)
    return f"{entry.get('method', '?')} /{'/'.join(parts)}"


def _looks_like_uuid(text: str) -> bool:
    return len(text) == 36 and text.count("-") == 4


def _status(item: dict) -> str:
    """The Qondor item's status name."""
    if not item:
        return "-"
    return item.get("statusText") or STATUS_NAMES.get(item.get("status"), str(item.get("status")))


def _row(values: list[Any], widths: list[int]) -> str:
    return "  ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()


def invoices_to_pay(
    xero_state: dict, count: int = PAY_COUNT, among: set[str] | None = None
) -> list[dict]:
    """Up to `count` AUTHORISED sales invoices with an amount due (ids `among`), by number."""
    due = [
        i
        for i in xero_state.get("invoices", [])
        if (among is None or i.get("InvoiceID") in among)
        and i.get("Type") == "ACCREC"
        and i.get("Status") == "AUTHORISED"
        and (i.get("AmountDue") or 0) > 0
    ]
    return sorted(due, key=lambda i: str(i.get("InvoiceNumber")))[:count]


SUMMARY_EVENT = '{"event": "target-xero summary"'
SUMMARY_GROUPS = (
    ("invoices", "invoices"),
    ("credit_notes", "credit notes"),
    ("payments", "card payments"),
    ("allocations", "allocations"),
)


def target_summary(log_text: str) -> str | None:
    """target-xero's last summary in a Meltano log, as one line of non-zero counts."""
    lines = [line for line in log_text.splitlines() if SUMMARY_EVENT in line]
    if not lines:
        return None
    summary = json.loads(lines[-1][lines[-1].index(SUMMARY_EVENT) :])
    if not (summary.get("items") or {}).get("received", 1):
        return "no items in the queue, nothing written"
    parts = []
    for key, name in SUMMARY_GROUPS:
        counts = summary.get(key) or {}
        shown = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        parts.append(f"{name} {shown}" if shown else f"no {name}")
    return "; ".join(parts)


def money_check(qondor_state: dict, xero_state: dict, queue_ids: set[int]) -> str:
    """Whether every Xero document of the synced items holds exactly what Qondor charged."""
    docs = {d.get("InvoiceID"): d for d in xero_state.get("invoices", [])}
    docs.update({d.get("CreditNoteID"): d for d in xero_state.get("creditNotes", [])})
    paid: Counter = Counter()
    for payment in xero_state.get("payments", []):
        paid[(payment.get("Invoice") or {}).get("InvoiceID")] += cents(payment["Amount"])
    checked, cards, wrong = 0, 0, []
    for item in qondor_state.get("invoices", []):
        doc = docs.get(item.get("externalReference"))
        if item["id"] not in queue_ids or doc is None:
            continue
        label = f"{item['invoiceNumber']}"
        checked += 1
        if why := written_mismatch(item, doc, label):
            wrong.append(why)
        if item.get("invoiceType") == 4:
            cards += 1
            if paid[doc.get("InvoiceID")] != abs(cents(item["totalInclVat"])):
                wrong.append(f"{label}: the card payment in Xero is not what the card was charged")
    if wrong:
        return "Money: Xero differs from Qondor:\n  " + "\n  ".join(wrong)
    return (
        f"Money: the {checked} documents Xero holds for the synced items total exactly what Qondor "
        "charged\n(SubTotal, TotalTax, Total and every line amount, to the cent), and the "
        f"{cards} card payments paid exactly what the cards were charged."
    )


def tracking_check(
    qondor_state: dict, xero_state: dict, queue_ids: set[int], left: frozenset[str] = frozenset()
) -> str:
    """Whether every line of the synced items' Xero documents carries the item's office and
    project, the options used, and the branding theme of each office's documents. `left`: ids
    of documents PAID in Xero before the sync, which it leaves as they are."""
    docs = {d.get("InvoiceID"): d for d in xero_state.get("invoices", [])}
    docs.update({d.get("CreditNoteID"): d for d in xero_state.get("creditNotes", [])})
    offices = {o["id"]: o["name"] for o in qondor_state.get("offices", [])}
    themes = {t["BrandingThemeID"]: t["Name"] for t in xero_state.get("brandingThemes", [])}
    used: dict[str, Counter] = {"Office": Counter(), "Project": Counter()}
    branded: Counter = Counter()
    checked, wrong, untouched = 0, [], []
    for item in qondor_state.get("invoices", []):
        doc = docs.get(item.get("externalReference"))
        if item["id"] not in queue_ids or doc is None:
            continue
        if doc.get("InvoiceID") in left:
            untouched.append(item["invoiceNumber"])
            continue
        checked += 1
        want = {"Office": offices.get(item["officeId"]), "Project": item.get("projectNo")}
        want = {k: v for k, v in want.items() if v}
        for line in doc.get("LineItems", []):
            if {t["Name"]: t["Option"] for t in line.get("Tracking", [])} != want:
                wrong.append(f"{item['invoiceNumber']}: a line is not tracked as {want}")
                break
        for category, option in want.items():
            used[category][option] += 1
        if doc.get("BrandingThemeID"):
            branded[(offices.get(item["officeId"]), themes.get(doc["BrandingThemeID"]))] += 1
    if wrong:
        return "Tracking: Xero differs from Qondor:\n  " + "\n  ".join(wrong)
    lines = [
        f"Tracking: every line of the {checked} documents carries its office (category Office) "
        "and, where the item has one, its project (Project):"
    ]
    for category, options in used.items():
        counts = ", ".join(f"{option} {n}" for option, n in sorted(options.items()))
        lines.append(f"  {category}: {counts}")
    if untouched:
        lines.append(f"  ({', '.join(untouched)}: PAID in Xero before sync 1, left as it was)")
    for (office, theme), n in sorted(branded.items()):
        lines.append(f"Branding: {n} documents of {office} use the theme {theme!r}")
    return "\n".join(lines)


READING_GUIDE = """\
How to read it:
  - `qondor-xero validate` foretold the Failed items (an unmapped article, a currency Xero does
    not have); the others fail on data only Qondor can fix (no tax number or email to match by).
  - Sync 1 sends every queued item to Xero and acknowledges it in Qondor: Processed with the
    Xero id, or Failed with the reason above. An item whose Xero invoice is already PAID (a card
    payment, paid at once; an invoice someone had paid in Xero; one fully cancelled by a credit
    note in the same run) is marked Paid straight away.
  - Two items were in Xero before sync 1, as after a crash: 100239 with an older version of
    its lines, so it was updated (not duplicated), and 100240 already PAID, so it was left as
    it is and marked Paid. A number Xero already holds is only written when something differs.
  - Between the syncs a customer paid invoices in Xero; sync 2 marks them Paid in Qondor and
    writes nothing to Xero: the queue is empty, so nothing is created twice.
  - Credit notes stay Processed in Qondor; in Xero they are PAID once fully allocated to the
    invoice they cancel.
  - The money line is the integration's guarantee: validate's "tax rates" check shows each
    article's Xero account and rate, target-xero checks every item against Xero's tax rates and
    rounding before writing it and compares Xero's totals after; an item that cannot match
    fails in Qondor instead of reaching Xero."""


# --- the demo -------------------------------------------------------------------------------


def main(project_dir: str | Path = ".", keep: bool = False) -> int:
    """Run the demo end to end; return its exit code."""
    root = Path(project_dir).resolve()
    work = root / ".demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log_path = work / "meltano.log"
    # A fresh system database per demo: no state or run history from an earlier demo.
    env = {"MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}"}
    started = time.monotonic()

    taken = [port for port in (QONDOR_PORT, XERO_PORT) if not port_is_free(port)]
    if taken:  # fail before spending time on the install
        return _fail(
            f"port {taken[0]} is already in use (a sandbox from `make sandbox` still running?); "
            f"stop whatever listens on it (`lsof -i :{taken[0]}`) and run `make demo` again"
        )
    _say("1/6 Installing the Meltano plugins (meltano install)")
    code, seconds = run_meltano(["install"], root, env, log_path)
    if code:
        return _fail(f"meltano install failed (exit {code}); see {log_path}", log_path)
    _say(f"     done in {seconds:.0f} s")

    _say(f"2/6 Starting the sandbox (demo scenario) on ports {QONDOR_PORT} and {XERO_PORT}")
    sandbox = Sandbox(QONDOR_PORT, XERO_PORT, work / "sandbox.db", work / "sandbox.log")
    try:
        sandbox.start("demo")
    except SandboxError as exc:
        return _fail(str(exc))
    try:
        return _run_demo(root, sandbox, env, log_path, started)
    except (SandboxError, subprocess.TimeoutExpired) as exc:
        return _fail(str(exc), log_path)
    finally:
        if keep:
            _say(f"The sandbox keeps running (pid {sandbox.process.pid}); stop it with kill.")
        else:
            sandbox.stop()


def _run_demo(
    root: Path, sandbox: Sandbox, env: dict[str, str], log_path: Path, started: float
) -> int:
    """Steps 2–6 with a running sandbox."""
    before = sandbox.qondor_state()
    queued = sandbox.queue()
    kinds = Counter(TYPE_NAMES.get(i.get("invoiceType"), "?") for i in queued)
    waiting = sum(1 for i in before.get("invoices", []) if _status(i) == "Unprocessed")
    xero = sandbox.xero_state()
    _say(
        f"     Qondor queue: {len(queued)} items ("
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + f"); {waiting - len(queued)} more Unprocessed items are outside it (office without "
        "API processing, or dated before its start date)"
    )
    _say(
        f"     Xero: {len(xero.get('contacts', []))} contacts and "
        f"{len(xero.get('invoices', []))} invoices already there"
    )
    queue_ids = {i["id"] for i in queued}
    _say("     Checking the setup first: qondor-xero validate --environment sandbox")
    for line in _validate_lines(root, env):
        _say(f"       {line}")
    sandbox.take_requests()

    run_args = ["--environment", DEMO_ENVIRONMENT, "run", DEMO_JOB]

    def sync(step: str, which: str) -> tuple[int, dict[str, Counter], dict[str, Any]]:
        """Run the job once: its exit code, the calls it made, and Qondor's state after."""
        _say(f"{step} {which.capitalize()} sync: meltano {' '.join(run_args)}")
        code, seconds = run_meltano(run_args, root, env, log_path)
        if code:
            return code, {}, {}
        calls = count_calls(*sandbox.take_requests())
        after = sandbox.qondor_state()
        _say(f"     done in {seconds:.0f} s")
        if summary := target_summary(log_path.read_text(errors="replace")):
            _say(f"     target-xero: {summary}")
        return 0, calls, after

    code, calls_1, after_1 = sync("3/6", "first")
    if code:
        return _fail(f"the first sync failed (exit {code}); see {log_path}", log_path)

    synced = {
        i.get("externalReference") for i in after_1.get("invoices", []) if i["id"] in queue_ids
    }
    to_pay = invoices_to_pay(sandbox.xero_state(), among=synced)
    numbers = ", ".join(str(i.get("InvoiceNumber")) for i in to_pay)
    _say(f"4/6 A customer pays {len(to_pay)} invoices in Xero: {numbers or 'none due'}")
    if to_pay:
        sandbox.pay(to_pay)
    sandbox.take_requests()  # the payments themselves are not the integration's calls

    code, calls_2, after_2 = sync("5/6", "second")
    if code:
        return _fail(f"the second sync failed (exit {code}); see {log_path}", log_path)

    _say("6/6 What happened, item by item")
    rows = item_rows([before, after_1, after_2], sandbox.xero_state(), queue_ids)
    print()
    print(
        format_report(rows, ["before", "after sync 1", "after sync 2"], [calls_1, calls_2]),
        flush=True,
    )
    print()
    print(money_check(after_2, sandbox.xero_state(), queue_ids), flush=True)
    paid_before = frozenset(
        d["InvoiceID"] for d in xero.get("invoices", []) if d.get("Status") == "PAID"
    )
    print(tracking_check(after_2, sandbox.xero_state(), queue_ids, paid_before), flush=True)
    print()
    print(READING_GUIDE, flush=True)
    print()
    _say(
        f"Demo finished in {time.monotonic() - started:.0f} s. Meltano's output: {log_path}. "
        "Explore the sandbox yourself with `make sandbox`."
    )
    return 0


def _validate_lines(root: Path, env: dict[str, str]) -> list[str]:
    """What `qondor-xero validate` says about the demo environment (it predicts the failures)."""
    from qondor_xero import validate

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = validate.settings_from_environment(DEMO_ENVIRONMENT, root)
        return [check.line() for check in validate.validate_setup(settings)]
    except validate.SettingsError as exc:
        return [f"FAIL settings: {exc}"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _say(text: str) -> None:
    print(text, flush=True)


def _fail(message: str, log_path: Path | None = None) -> int:
    print(f"demo failed: {message}", file=sys.stderr, flush=True)
    if log_path and log_path.exists():
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        print("\n".join(f"  | {line}" for line in tail), file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__)
    parser.add_argument("--project-dir", default=".", help="the Meltano project (default: .)")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running at the end")
    args = parser.parse_args()
    sys.exit(main(project_dir=args.project_dir, keep=args.keep))
