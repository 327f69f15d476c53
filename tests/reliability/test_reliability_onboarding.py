"""Connecting a customer's Xero as it works in 2026, end to end against the sandbox: a granular
custom connection syncs; a connection lacking accounting.payments is caught by `validate` and
stops a run at the card payment naming the scope; a standard app is connected with
`qondor-xero connect` and syncs through both jobs, its refresh token rotating in a database
token store every run; no secret shows in anything these commands print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from leaks import leaked
from reliability_books import (
    CARD_PAYMENT,
    SMALL_FAILED,
    SMALL_IDS,
    SMALL_PAID,
    check_books,
    last_line,
    small_mapping,
    small_sync,
    statuses,
    stop_prefix,
    sync,
    write_json,
)

from sandbox.process import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GRANULAR = "accounting.contacts accounting.invoices accounting.payments accounting.settings"
NO_PAYMENTS = "accounting.contacts accounting.invoices accounting.settings.read"
NO_SETTINGS_WRITE = (
    "accounting.contacts accounting.invoices accounting.payments accounting.settings.read"
)


def validate(workdir: Path, config: dict) -> subprocess.CompletedProcess:
    path = write_json(workdir / "validate.json", config)
    return subprocess.run(
        [str(BIN / "qondor-xero"), "validate", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_for(box, workdir: Path, **extra) -> dict:
    qondor = box.qondor_config()
    return {
        **box.xero_config(),
        "mapping_file": str(small_mapping(workdir)),
        "qondor_api_url": qondor["api_url"],
        "qondor_api_key": qondor["api_key"],
        **extra,
    }


def payment_sync(box, workdir: Path, env: dict, **settings) -> tuple[int, str]:
    """tap-xero | target-qondor as Meltano runs the payment job; (exit code, both stderrs)."""
    workdir.mkdir(parents=True, exist_ok=True)
    tap = write_json(workdir / "tap-xero.json", {**box.xero_config(), **settings})
    target = write_json(workdir / "target-qondor.json", box.qondor_config())
    read = subprocess.run(
        [str(BIN / "tap-xero"), "--config", str(tap)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    if read.returncode:
        return read.returncode, read.stderr
    write = subprocess.run(
        [str(BIN / "target-qondor"), "--config", str(target)],
        input=read.stdout,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return write.returncode, read.stderr + write.stderr


def test_a_granular_custom_connection_syncs(start_sandbox, tmp_path):
    with start_sandbox(xero_app_kind="custom", xero_scopes=GRANULAR, scenario="demo") as box:
        checked = validate(tmp_path, settings_for(box, tmp_path))
        assert "OK   xero scopes: granted " + GRANULAR in checked.stdout, checked.stdout
        run = small_sync(box, tmp_path / "run")
        assert run.returncode == 0, run.stderr[-3000:]
        books = check_books(box, SMALL_IDS)
        assert set(books.failed) == set(SMALL_FAILED)
        assert set(SMALL_PAID) <= books.paid
        assert not [r for r in box.xero_requests() if r["status"] == 401]


def test_a_connection_without_payments_fails_validate_and_stops_at_the_card_payment(
    start_sandbox, tmp_path
):
    with start_sandbox(xero_app_kind="custom", xero_scopes=NO_PAYMENTS, scenario="demo") as box:
        checked = validate(tmp_path, settings_for(box, tmp_path))
        assert checked.returncode == 1
        line = next(x for x in checked.stdout.splitlines() if " xero scopes:" in x)
        assert line.startswith("FAIL xero scopes: not granted: accounting.payments (needed by")
        assert "target-xero" in line and "accounting.invoices.read" not in line.split(";")[0]

        run = small_sync(box, tmp_path / "run")
        assert run.returncode != 0
        stop = last_line(run.stderr)
        assert "not granted the scope accounting.payments" in stop
        refused = [r for r in box.xero_requests() if r["status"] == 401]
        assert [r["path"] for r in refused] == ["/api.xro/2.0/Payments"]  # no refresh loop
        books = check_books(box, SMALL_IDS, unprocessed_ok=True)
        assert stop.startswith(stop_prefix(len(books.failed)) + "PUT /Payments"), stop
        card = [n for n, item in books.items.items() if item["invoiceType"] == CARD_PAYMENT]
        assert card and all(statuses(box, card)[n][0] == "Unprocessed" for n in card)
        assert not [why for why in books.failed.values() if "scope" in why or "401" in why]


def test_a_connection_that_may_not_write_settings_syncs_until_an_option_must_be_created(
    start_sandbox, tmp_path
):
    with start_sandbox(
        xero_app_kind="custom", xero_scopes=NO_SETTINGS_WRITE, scenario="demo"
    ) as box:
        mapping = small_mapping(tmp_path / "options", creates_options=True)
        settings = {**settings_for(box, tmp_path / "validate"), "mapping_file": str(mapping)}
        checked = validate(tmp_path, settings)
        line = next(x for x in checked.stdout.splitlines() if " xero scopes:" in x)
        assert line.startswith(
            "FAIL xero scopes: not granted: accounting.settings (needed by target-xero to create "
            "tracking options)"
        ), checked.stdout

        run = sync(box, tmp_path / "run", mapping)
        assert run.returncode != 0
        stop = last_line(run.stderr)
        failed = check_books(box, SMALL_IDS, unprocessed_ok=True).failed
        assert stop.startswith(stop_prefix(len(failed)) + "PUT /Tracking"), stop
        assert "not granted the scope accounting.settings" in stop
        api = [r for r in box.xero_requests() if r["path"].startswith("/api.xro/")]
        assert [r["status"] for r in api if r["status"] == 200]  # a token, and reads with it
        assert [r["path"].split("/")[3] for r in api if r["status"] == 401] == [
            "TrackingCategories"
        ]
        books = check_books(box, SMALL_IDS, unprocessed_ok=True)
        assert not [why for why in books.failed.values() if "scope" in why or "401" in why]


def test_a_standard_app_connects_then_syncs_both_jobs_rotating_its_token(
    start_sandbox, tmp_path, monkeypatch
):
    port = free_port()
    redirect = f"http://localhost:{port}/callback"
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("QONDOR_XERO_TOKEN_KEY", key)  # every plugin below inherits it
    env = dict(os.environ)
    store_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    with start_sandbox(
        xero_app_kind="standard",
        auto_consent=True,
        xero_redirect_uris=redirect,
        scenario="demo",
    ) as box:
        config = settings_for(box, tmp_path, token_store=store_url)
        del config["tenant_id"]  # what connect prints is what the operator then sets
        path = write_json(tmp_path / "connect.json", config)
        connect = subprocess.Popen(
            [str(BIN / "qondor-xero"), "connect", "--config", str(path), "--no-browser"]
            + ["--port", str(port), "--timeout", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        printed = []
        for line in connect.stdout:
            printed.append(line)
            if line.strip().startswith("http"):
                break
        url = printed[-1].strip()
        assert "code_challenge_method=S256" in url and "offline_access" in url
        # The person's browser: Xero's page (auto-consent) redirects to the loopback port.
        deadline = time.monotonic() + 30
        while "Waiting for Xero" not in "".join(printed) and time.monotonic() < deadline:
            printed.append(connect.stdout.readline())
        assert requests.get(url, timeout=30).status_code == 200
        printed += connect.stdout.readlines()
        assert connect.wait(timeout=60) == 0, "".join(printed)
        output = "".join(printed)
        tenant = box.xero_config()["tenant_id"]
        assert f"tenant_id: {tenant}" in output

        seen = [read_store(store_url, key)["refresh_token"]]
        config["tenant_id"] = tenant
        for number in (1, 2):
            box.advance_clock(31 * 60)  # the access token of the last run has expired
            run = small_sync(box, tmp_path / f"invoices{number}", **_only_xero(config))
            assert run.returncode == 0, run.stderr[-3000:]
            code, err = payment_sync(box, tmp_path / f"payments{number}", env, **_only_xero(config))
            assert code == 0, err[-3000:]
            seen.append(read_store(store_url, key)["refresh_token"])
            output += run.stderr + err
        assert len(set(seen)) == 3  # rotated once per run, kept in the store each time
        tokens = [r for r in box.xero_requests() if r["path"] == "/connect/token"]
        assert len(tokens) == 3 and all(r["status"] == 200 for r in tokens)
        books = check_books(box, SMALL_IDS)
        assert set(books.failed) == set(SMALL_FAILED)

        raw = (tmp_path / "tokens.db").read_bytes()
        assert seen[-1].encode() not in raw  # encrypted at rest
        assert leaked(output, [*seen, "sandbox-secret", "sandbox-qondor-key", "sbx-rt-"]) == []


def _only_xero(config: dict) -> dict:
    keys = ("token_store", "tenant_id", "client_id", "client_secret", "api_url", "identity_url")
    return {k: config[k] for k in keys}


def read_store(url: str, key: str) -> dict:
    """The tokens the database store holds, decrypted as the plugins read them."""
    from qondor_xero.xero.token_db import DatabaseTokenStore

    return DatabaseTokenStore(url, "sandbox-client", None, key).read()


def test_connect_without_a_token_store_says_so_in_one_line(tmp_path):
    path = write_json(tmp_path / "c.json", {"client_id": "x", "client_secret": "s3cr3t-value"})
    done = subprocess.run(
        [str(BIN / "qondor-xero"), "connect", "--config", str(path), "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.strip().splitlines() == [
        "FAIL connect: token_store is not set (a standard app's refresh token lives there): "
        "set it in the environment first"
    ]
    assert json.dumps(done.stdout).count("s3cr3t") == 0
