"""tap-xero against the sandbox: the lookback window, the bookmark, mid-run changes, bad settings."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from xero_invoices import (
    TapRun,
    parse_run,
    run_tap,
    seed_invoices,
    tap_command,
    write_mapping,
    xero_invoice,
)

from tap_xero.tap import TapXero

INVOICES = "/api.xro/2.0/Invoices"


def hold_read(box, nth: int, seconds: float = 5) -> None:
    """Xero holds the `nth` GET /Invoices for `seconds` before answering it (earlier ones pass)."""
    for _ in range(nth - 1):
        box.xero_fault({"method": "GET", "path": INVOICES, "delay": 0.01, "count": 1})
    box.xero_fault({"method": "GET", "path": INVOICES, "delay": seconds, "count": 1})


def run_tap_while(box, workdir: Path, action: Callable[[], object]) -> TapRun:
    """Run tap-xero and do `action` once every armed fault has fired (the held read is in
    Xero's hands then); output goes to files, as a full pipe would stall the tap."""
    workdir.mkdir(parents=True, exist_ok=True)
    out, err = workdir / "tap.out", workdir / "tap.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        tap = subprocess.Popen(tap_command(box, workdir), stdout=stdout, stderr=stderr, text=True)
    try:
        deadline = time.monotonic() + 60
        while box.admin(box.xero_url, "GET", "faults")["faults"]:
            assert tap.poll() is None, err.read_text()[-2000:]
            assert time.monotonic() < deadline, "tap-xero never made the held read"
            time.sleep(0.02)
        action()
        tap.wait(timeout=120)
    finally:
        if tap.poll() is None:
            tap.kill()
        box.clear_faults()
    return parse_run(tap.returncode, out.read_text(), err.read_text())


def test_first_run_reads_back_exactly_the_lookback_days(sandbox, tmp_path):
    now = datetime.now(UTC)
    inside, outside = seed_invoices(
        sandbox,
        [
            xero_invoice("IN-1", now - timedelta(days=10) + timedelta(minutes=2), "PAID"),
            xero_invoice("OUT-1", now - timedelta(days=10) - timedelta(minutes=2), "PAID"),
        ],
    )
    mapping = write_mapping(tmp_path / "mapping.yml", lookback_days=10)

    run = run_tap(sandbox, tmp_path / "first", settings={"mapping_file": str(mapping)})

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids() == [inside]
    assert outside not in run.ids()


def test_bookmark_older_than_the_lookback_starts_at_the_lookback(sandbox, tmp_path):
    now = datetime.now(UTC)
    inside, outside = seed_invoices(
        sandbox,
        [
            xero_invoice("IN-1", now - timedelta(days=9)),
            xero_invoice("OUT-1", now - timedelta(days=11)),
        ],
    )
    mapping = write_mapping(tmp_path / "mapping.yml", lookback_days=10)
    old = (now - timedelta(days=30)).isoformat()
    state = {
        "bookmarks": {
            "invoices": {"replication_key": "UpdatedDateUTC", "replication_key_value": old}
        }
    }

    run = run_tap(sandbox, tmp_path, settings={"mapping_file": str(mapping)}, state=state)

    assert run.ids() == [inside]


def test_start_date_overrides_the_lookback(sandbox, tmp_path):
    now = datetime.now(UTC)
    ids = seed_invoices(
        sandbox,
        [
            xero_invoice("A", now - timedelta(days=11)),
            xero_invoice("B", now - timedelta(days=9)),
            xero_invoice("C", now - timedelta(days=200)),
        ],
    )
    mapping = write_mapping(tmp_path / "mapping.yml", lookback_days=10)
    start = (now - timedelta(days=12)).date().isoformat()

    run = run_tap(sandbox, tmp_path, settings={"mapping_file": str(mapping), "start_date": start})

    assert run.ids() == ids[:2]  # oldest first; the 200-day-old one stays out


def test_without_a_mapping_file_the_lookback_is_90_days(sandbox, tmp_path):
    now = datetime.now(UTC)
    ids = seed_invoices(
        sandbox,
        [xero_invoice("A", now - timedelta(days=89)), xero_invoice("B", now - timedelta(days=91))],
    )
    assert run_tap(sandbox, tmp_path).ids() == ids[:1]


def test_bookmark_replays_the_same_second_and_skips_older(sandbox, tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    old, same_second = seed_invoices(
        sandbox,
        [
            xero_invoice("OLD", now - timedelta(hours=2)),
            xero_invoice("SAME", now - timedelta(hours=1)),
        ],
    )
    bookmark = (now - timedelta(hours=1)).isoformat()
    state = {
        "bookmarks": {
            "invoices": {"replication_key": "UpdatedDateUTC", "replication_key_value": bookmark}
        }
    }

    run = run_tap(sandbox, tmp_path, state=state)

    assert run.ids() == [same_second]
    assert run.state["bookmarks"]["invoices"]["replication_key_value"] == bookmark


def test_invoice_paid_mid_run_pushes_no_other_invoice_out_of_the_read(sandbox, tmp_path):
    """1,200 invoices span two pages; one on page 1 is paid between the page requests."""
    base = datetime.now(UTC) - timedelta(days=2)
    ids = seed_invoices(
        sandbox,
        [xero_invoice(f"INV-{n:04d}", base + timedelta(seconds=5 * n)) for n in range(1200)],
    )
    hold_read(sandbox, 2)  # page 1 goes through; the read after it is held
    # Paid meanwhile, the invoice moves from page 1 to the very end of the order.
    run = run_tap_while(sandbox, tmp_path, lambda: sandbox.pay([ids[3]]))

    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.ids()) == set(ids), f"{len(set(ids) - set(run.ids()))} invoices were skipped"
    assert [r["Status"] for r in run.records() if r["InvoiceID"] == ids[3]][-1] == "PAID"
    assert len(sandbox.xero_requests()) >= 4  # token, pages 1 and 2, the read again after the move


def test_invoices_many_a_second_are_read_with_no_page_twice(sandbox, tmp_path):
    """2,100 invoices, 20 a second as a bulk invoice sync leaves them: three pages, one query."""
    base = datetime.now(UTC) - timedelta(days=2)
    ids = seed_invoices(
        sandbox,
        [xero_invoice(f"INV-{n:04d}", base + timedelta(milliseconds=50 * n)) for n in range(2100)],
    )
    sandbox.xero_requests(clear=True)

    run = run_tap(sandbox, tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(run.ids()) == sorted(ids)
    reads = [parse_qs(r["query"]) for r in sandbox.xero_requests() if r["path"] == INVOICES]
    # pages 1, 2, 3 of one query: keyset restarts would re-read each page's last second
    assert [q.get("page") for q in reads] == [["1"], ["2"], ["3"]], reads


def test_created_by_my_app_reads_only_what_the_app_created(sandbox, tmp_path):
    [seeded] = seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])
    made = xero_invoice("MINE", datetime.now(UTC))  # created through the API by this app
    for key in ("InvoiceID", "UpdatedDateUTC"):  # Xero sets both
        made.pop(key)
    answer = sandbox.xero("PUT", "/Invoices", json={"Invoices": [made]})
    assert answer.status_code == 200, answer.text
    mine = answer.json()["Invoices"][0]["InvoiceID"]
    sandbox.xero_requests(clear=True)

    run = run_tap(sandbox, tmp_path / "mine", settings={"created_by_my_app": True})

    assert run.returncode == 0, run.stderr[-2000:]
    queries = [r["query"] for r in sandbox.xero_requests() if r["path"].endswith("/Invoices")]
    assert queries and all("createdByMyApp=true" in q for q in queries)
    assert run.ids() == [mine]  # the seeded one was not made by this app
    assert sorted(run_tap(sandbox, tmp_path / "all").ids()) == sorted([seeded, mine])


def test_wrong_client_secret_stops_with_one_line_and_no_secret(sandbox, tmp_path):
    secret = "not-the-sandbox-secret-4f9a"
    run = run_tap(sandbox, tmp_path, settings={"client_secret": secret})

    assert run.returncode != 0
    assert secret not in run.stderr
    stops = [line for line in run.stderr.splitlines() if "tap-xero stopped:" in line]
    assert len(stops) == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr


def test_bad_mapping_file_stops_with_one_line_naming_it(sandbox, tmp_path):
    mapping = tmp_path / "broken.yml"
    mapping.write_text("account_codes: {}\npayment_lookback_days: ninety\n", encoding="utf-8")
    run = run_tap(sandbox, tmp_path, settings={"mapping_file": str(mapping)})

    assert run.returncode != 0
    stops = [line for line in run.stderr.splitlines() if "tap-xero stopped:" in line]
    assert len(stops) == 1 and "broken.yml" in stops[0], run.stderr[-2000:]


def test_credit_notes_stream_when_selected(sandbox, tmp_path):
    now = datetime.now(UTC)
    sandbox.reset()
    sandbox.xero_seed(
        contacts=[{"ContactID": "6d3f1c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", "Name": "Fjord Events AS"}],
        creditNotes=[
            {
                "CreditNoteID": "0b7e4a8e-3d55-4c8a-9a57-6c1a2f1e9b10",
                "CreditNoteNumber": "CN-1",
                "Status": "AUTHORISED",
                "Contact": {"Name": "Fjord Events AS"},
                "LineItems": [
                    {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "3000"}
                ],
                "UpdatedDateUTC": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            },
            {
                "CreditNoteNumber": "CN-DRAFT",
                "Status": "DRAFT",
                "Contact": {"Name": "Fjord Events AS"},
                "LineItems": [
                    {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "3000"}
                ],
            },
        ],
    )
    catalog = TapXero(config=sandbox.xero_config()).catalog_dict
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True

    run = run_tap(sandbox, tmp_path / "run", catalog=catalog)

    assert run.returncode == 0, run.stderr[-2000:]
    notes = run.records("credit_notes")
    assert [n["CreditNoteNumber"] for n in notes] == ["CN-1"]
    assert notes[0]["UpdatedDateUTC"].endswith("+00:00")


def test_xero_daily_limit_stops_with_one_line(sandbox, tmp_path):
    seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])
    sandbox.xero_fault(
        {"path": "/api.xro/2.0/Invoices", "status": 429, "problem": "day", "retry_after": 30000}
    )
    try:
        run = run_tap(sandbox, tmp_path)
    finally:
        sandbox.clear_faults()

    assert run.returncode != 0
    stops = [line for line in run.stderr.splitlines() if "tap-xero stopped:" in line]
    assert len(stops) == 1 and "daily" in stops[0], run.stderr[-2000:]
    assert run.state is None  # no bookmark moves: the next run reads the same window


def test_bad_start_date_stops_with_one_line_naming_the_setting(sandbox, tmp_path):
    run = run_tap(sandbox, tmp_path, settings={"start_date": "last spring"})

    assert run.returncode != 0
    stops = [line for line in run.stderr.splitlines() if "tap-xero stopped:" in line]
    assert len(stops) == 1 and "start_date" in stops[0] and "last spring" in stops[0]


def test_bookmark_stops_at_the_run_start_so_changes_during_the_run_are_read_again(
    sandbox, tmp_path
):
    base = datetime.now(UTC) - timedelta(hours=3)
    ids = seed_invoices(
        sandbox, [xero_invoice(f"R-{n}", base + timedelta(minutes=n)) for n in range(3)]
    )
    hold_read(sandbox, 1)  # paid while Xero holds the run's first page
    first = run_tap_while(sandbox, tmp_path / "first", lambda: sandbox.pay([ids[1]]))
    paid = [r for r in first.records() if r["InvoiceID"] == ids[1]]
    assert paid and paid[-1]["Status"] == "PAID"
    bookmark = first.state["bookmarks"]["invoices"]["replication_key_value"]
    assert datetime.fromisoformat(bookmark) < datetime.fromisoformat(paid[-1]["UpdatedDateUTC"])

    second = run_tap(sandbox, tmp_path / "second", state=first.state)

    assert second.ids() == [ids[1]]  # read again; the older ones are not


def test_standard_app_refresh_token_rotates_through_the_token_store(sandbox, tmp_path):
    ids = seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])
    first_token = sandbox.mint_refresh_token()
    store = tmp_path / "xero-token.json"
    settings = {"refresh_token": first_token, "token_store": str(store)}

    first = run_tap(sandbox, tmp_path / "first", settings=settings)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.ids() == ids
    assert store.exists() and first_token not in first.stderr

    # the first token was used up; the run must take the rotated one from the store
    second = run_tap(sandbox, tmp_path / "second", settings=settings)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.ids() == ids


def test_minute_limit_and_maintenance_answers_are_waited_out(sandbox, tmp_path):
    ids = seed_invoices(sandbox, [xero_invoice("A", datetime.now(UTC) - timedelta(days=1))])
    path = "/api.xro/2.0/Invoices"
    sandbox.xero_fault(
        {"path": path, "status": 429, "problem": "minute", "retry_after": 1, "count": 1}
    )
    sandbox.xero_fault({"path": path, "status": 503, "count": 1})
    try:
        run = run_tap(sandbox, tmp_path)
    finally:
        sandbox.clear_faults()

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids() == ids
    statuses = [r["status"] for r in sandbox.xero_requests() if r["path"] == path]
    assert statuses == [429, 503, 200]


def test_plain_http_to_a_remote_host_stops_with_one_line_before_any_call(sandbox, tmp_path):
    sandbox.reset()
    remote = {"api_url": "http://api.example.com/api.xro/2.0"}
    run = run_tap(sandbox, tmp_path, settings=remote)

    assert run.returncode != 0
    stops = [line for line in run.stderr.splitlines() if "tap-xero stopped:" in line]
    assert len(stops) == 1 and "api_url" in stops[0] and "https" in stops[0], run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert sandbox.xero_requests() == []


def test_connection_test_reads_one_invoice_and_logs_no_error(sandbox, tmp_path):
    day = datetime.now(UTC) - timedelta(days=1)
    seed_invoices(sandbox, [xero_invoice("A", day), xero_invoice("B", day)])  # stops after A
    done = subprocess.run(
        [*tap_command(sandbox, tmp_path), "--test"], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line for line in done.stderr.splitlines() if "| ERROR" in line] == []
    assert '"type":"RECORD"' in done.stdout.replace(" ", "")
