"""The database token store on a real PostgreSQL server: two processes refreshing at once spend
the refresh token once, a crash between Xero's answer and the commit is covered by Xero's
30-minute grace, tokens are encrypted at rest, and a wrong key or a plaintext row says so."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography.fernet import Fernet
from leaks import leaked
from sqlalchemy.engine import make_url

from qondor_xero.xero import XeroAuthError, XeroClient
from qondor_xero.xero.token_db import DatabaseTokenStore

ROOT = Path(__file__).resolve().parents[2]
GRACE = 30 * 60

# One "worker machine": waits for the go file, then makes one call (or keeps calling).
WORKER = """
import json, os, sys, time
from pathlib import Path
from qondor_xero.xero import XeroClient, XeroAuthError
api, identity, client_id, secret, tenant, store, refresh, go, seconds = sys.argv[1:]
Path(f"{go}.ready.{os.getpid()}").touch()
while not Path(go).exists():
    time.sleep(0.01)
client = XeroClient(api, identity, client_id, secret, tenant_id=tenant, token_store=store,
                    refresh_token=refresh, rate_per_minute=100000)
calls, end = 0, time.monotonic() + float(seconds)
try:
    while True:
        client.get_currencies()
        calls += 1
        if time.monotonic() >= end:
            break
        time.sleep(0.02)
except XeroAuthError as exc:
    print(json.dumps({"error": str(exc)}))
    sys.exit(1)
print(json.dumps({"calls": calls, "token_requests": client._auth.token_requests}))
"""

# A worker killed right after Xero answered its refresh, before the store commits.
CRASH = """
import os, sys
from qondor_xero.xero import XeroClient
from qondor_xero.xero.auth import XeroAuth
api, identity, client_id, secret, tenant, store, refresh = sys.argv[1:]
original = XeroAuth._request_token
def answer_then_die(self, token):
    original(self, token)
    os._exit(9)
XeroAuth._request_token = answer_then_die
XeroClient(api, identity, client_id, secret, tenant_id=tenant, token_store=store,
           refresh_token=refresh).get_currencies()
"""


def client(box, store: str, refresh: str) -> XeroClient:
    config = box.xero_config()
    return XeroClient(
        config["api_url"],
        config["identity_url"],
        config["client_id"],
        config["client_secret"],
        tenant_id=config["tenant_id"],
        token_store=store,
        refresh_token=refresh,
    )


def worker_args(box, store: str, refresh: str) -> list[str]:
    config = box.xero_config()
    keys = ("api_url", "identity_url", "client_id", "client_secret", "tenant_id")
    return [*(config[k] for k in keys), store, refresh]


def start_workers(box, store: str, refresh: str, go: Path, seconds: float, count: int = 2):
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                *worker_args(box, store, refresh),
                str(go),
                str(seconds),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def wait_until_ready(go: Path, count: int = 2, timeout: float = 60) -> None:
    """Until `count` workers have imported everything and wait for the go file."""
    deadline = time.monotonic() + timeout
    while len(list(go.parent.glob(f"{go.name}.ready.*"))) < count:
        assert time.monotonic() < deadline, "the workers never got ready"
        time.sleep(0.01)


def finish(workers) -> list[dict]:
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, (out + err)[-2000:]
        results.append(json.loads(out))
    return results


def token_calls(box) -> list[dict]:
    return [r for r in box.xero_requests() if r["path"] == "/connect/token"]


def wait_for_lock_waiter(database, timeout: float = 60) -> None:
    """Until a session on `database` waits for a row lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database.url, autocommit=True) as conn:
        while not conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (database.name,),
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "no process ever waited for the row lock"
            time.sleep(0.02)


def shown(url: str) -> str:
    """The database URL as messages show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def raw_rows(database) -> list[tuple]:
    with psycopg.connect(database.url) as conn:
        return conn.execute(
            "SELECT client_id, tenant_id, tokens, encrypted FROM qondor_xero_tokens"
        ).fetchall()


def test_two_processes_refreshing_at_once_make_one_token_request(
    start_sandbox, postgres_database, tmp_path
):
    store = postgres_database.sqlalchemy_url
    go = tmp_path / "go"
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        assert client(box, store, first).get_currencies()  # an earlier run filled the row
        box.advance_clock(31 * 60)  # its access token has expired: the next runs must refresh
        box.xero_requests(clear=True)
        workers = start_workers(box, store, first, go, 0)
        wait_until_ready(go)
        go.touch()  # both start at the same moment
        results = finish(workers)
        assert sorted(r["token_requests"] for r in results) == [0, 1]  # one refreshed
        assert [r["status"] for r in token_calls(box)] == [200]
        rows = raw_rows(postgres_database)
        assert [(r[0], r[1]) for r in rows] == [("sandbox-client", box.xero_config()["tenant_id"])]


def test_a_process_waits_on_the_row_lock_and_reuses_the_token_refreshed_under_it(
    start_sandbox, postgres_database, tmp_path
):
    store = postgres_database.sqlalchemy_url
    go = tmp_path / "go"
    go.touch()
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        assert client(box, store, first).get_currencies()
        box.advance_clock(31 * 60)
        row = DatabaseTokenStore(store, "sandbox-client", box.xero_config()["tenant_id"])
        with row.locked():  # machine A is refreshing, holding the row
            (machine_b,) = start_workers(box, store, first, go, 0, count=1)
            wait_for_lock_waiter(postgres_database)  # B is blocked on A's row lock
            data = row.read()
            config = box.xero_config()
            answer = requests.post(
                f"{config['identity_url']}/connect/token",
                data={"grant_type": "refresh_token", "refresh_token": data["refresh_token"]},
                auth=(config["client_id"], config["client_secret"]),
                timeout=30,
            ).json()
            data.update(
                access_token=answer["access_token"],
                refresh_token=answer["refresh_token"],
                obtained_at=time.time(),
                expires_at=time.time() + answer["expires_in"],
            )
            row.write(data)
        (result,) = finish([machine_b])
        assert result["token_requests"] == 0  # B used A's fresh token
        assert [r["status"] for r in token_calls(box)][-1:] == [200]
        assert row.read()["refresh_token"] == answer["refresh_token"]


def test_two_processes_refreshing_for_seconds_never_get_invalid_grant(
    start_sandbox, postgres_database, tmp_path
):
    store = postgres_database.sqlalchemy_url
    go = tmp_path / "go"
    with start_sandbox(token_ttl=1) as box:
        first = box.mint_refresh_token()
        workers = start_workers(box, store, first, go, 3)
        wait_until_ready(go)
        go.touch()
        results = finish(workers)
        assert all(r["calls"] > 10 for r in results)
        assert all(r["status"] == 200 for r in token_calls(box))  # never an invalid_grant
        assert sum(r["token_requests"] for r in results) <= 8  # they share each fresh token
        box.advance_clock(GRACE + 60)  # only a never-used refresh token still works now
        assert client(box, store, first).get_currencies()


def test_a_crash_between_xeros_answer_and_the_commit_is_covered_by_the_grace(
    start_sandbox, postgres_database
):
    store = postgres_database.sqlalchemy_url
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        assert client(box, store, first).get_currencies()  # run 1 stores R1
        stored = DatabaseTokenStore(store, "sandbox-client", box.xero_config()["tenant_id"]).read()
        box.advance_clock(31 * 60)  # run 2's access token has expired: it must refresh R1
        crashed = subprocess.run(
            [sys.executable, "-c", CRASH, *worker_args(box, store, first)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert crashed.returncode == 9, crashed.stderr[-2000:]
        assert [r["status"] for r in token_calls(box)][-1] == 200  # Xero rotated R1 ...
        after = DatabaseTokenStore(store, "sandbox-client", box.xero_config()["tenant_id"]).read()
        assert after == stored  # ... but the store still holds R1: the transaction never committed
        # Run 3 within Xero's grace: R1 is accepted again and its successor is stored this time.
        assert client(box, store, first).get_currencies()
        box.advance_clock(GRACE + 60)
        assert client(box, store, first).get_currencies()  # and it goes on from there


def test_tokens_are_encrypted_with_the_key_and_a_wrong_key_says_so(
    start_sandbox, postgres_database, monkeypatch
):
    store = postgres_database.sqlalchemy_url
    key = Fernet.generate_key().decode()
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        monkeypatch.setenv("QONDOR_XERO_TOKEN_KEY", key)
        assert client(box, store, first).get_currencies()
        (row,) = raw_rows(postgres_database)
        assert row[3] is True
        refresh = DatabaseTokenStore(store, "sandbox-client", None, key).read()["refresh_token"]
        assert refresh.startswith("sbx-rt-") and refresh not in row[2] and not leaked(row[2])

        box.advance_clock(31 * 60)
        monkeypatch.setenv("QONDOR_XERO_TOKEN_KEY", Fernet.generate_key().decode())
        with pytest.raises(XeroAuthError) as wrong:
            client(box, store, first).get_currencies()
        assert str(wrong.value) == (
            f"Xero token store {shown(store)}: QONDOR_XERO_TOKEN_KEY does not decrypt the "
            "stored tokens (they were encrypted with another key)"
        )
        monkeypatch.delenv("QONDOR_XERO_TOKEN_KEY")
        with pytest.raises(XeroAuthError, match="is encrypted: set QONDOR_XERO_TOKEN_KEY"):
            client(box, store, first).get_currencies()
        monkeypatch.setenv("QONDOR_XERO_TOKEN_KEY", "not-a-key")
        with pytest.raises(XeroAuthError, match="QONDOR_XERO_TOKEN_KEY is not a Fernet key"):
            client(box, store, first).get_currencies()
        monkeypatch.setenv("QONDOR_XERO_TOKEN_KEY", key)
        assert client(box, store, first).get_currencies()  # the right key still works


def test_validate_warns_when_the_database_store_holds_plaintext(
    start_sandbox, postgres_database, tmp_path, monkeypatch
):
    store = postgres_database.sqlalchemy_url
    monkeypatch.delenv("QONDOR_XERO_TOKEN_KEY", raising=False)
    with start_sandbox() as box:
        settings = {**box.xero_config(), "token_store": store}
        settings["refresh_token"] = box.mint_refresh_token()
        path = tmp_path / "settings.json"
        path.write_text(json.dumps(settings))
        done = subprocess.run(
            [sys.executable, "-m", "qondor_xero.cli", "validate", "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        line = next(x for x in done.stdout.splitlines() if " token store:" in x)
        assert line.startswith(
            f"WARN token store: {shown(store)} holds the Xero tokens in plaintext"
        )
        assert "set QONDOR_XERO_TOKEN_KEY" in line
        assert "OK   xero scopes: granted" in done.stdout  # with offline_access
        password = make_url(store).password
        secrets = ["sandbox-secret", settings["refresh_token"], f":{password}@"]
        assert leaked(done.stdout + done.stderr, secrets) == []
