"""Xero tokens against the sandbox: rotating refresh tokens kept in the token store across restarts
and concurrent processes, and no secret in any log line or error."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

import pytest
import requests
from leaks import leaked

from qondor_xero.xero import XeroAuthError, XeroClient, XeroServerError, XeroValidationError
from qondor_xero.xero.auth import TokenStore
from qondor_xero.xero.client import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]
GRACE = 30 * 60  # Xero lets a used refresh token be reused this long (a lost response)


def standard_app(box, store, refresh_token, **kwargs) -> XeroClient:
    """A client of a standard app: refresh-token flow, tokens kept in `store`."""
    config = box.xero_config()
    return XeroClient(
        config["api_url"],
        config["identity_url"],
        config["client_id"],
        config["client_secret"],
        tenant_id=config["tenant_id"],
        token_store=store,
        refresh_token=refresh_token,
        **kwargs,
    )


def stored(store: Path) -> dict:
    return json.loads(store.read_text())


def test_rotated_refresh_token_survives_a_restart(start_sandbox, tmp_path):
    store = tmp_path / "state" / "xero-token.json"
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        run1 = standard_app(box, store, first)
        assert run1.get_currencies()
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
        rotated = stored(store)["refresh_token"]
        assert rotated != first
        box.advance_clock(GRACE + 60)  # the first token is now dead for good

        naive = standard_app(box, None, first)  # what keeping it in Meltano's config would do
        with pytest.raises(XeroAuthError) as info:
            naive.get_currencies()
        assert "invalid_grant" in str(info.value) and "re-authorise the app" in str(info.value)
        assert first not in str(info.value)

        run2 = standard_app(box, store, first)  # same settings, next scheduled run
        assert run2.get_currencies()
        assert run2.tenant_id == "00000000-0000-4000-8000-000000000001"
        assert stored(store)["refresh_token"] not in (first, rotated)


def test_a_newly_configured_refresh_token_replaces_the_stored_one(start_sandbox, tmp_path):
    store = tmp_path / "xero-token.json"
    with start_sandbox() as box:
        standard_app(box, store, box.mint_refresh_token()).get_currencies()
        reauthorised = box.mint_refresh_token()  # the user connected the app again
        standard_app(box, store, reauthorised).get_currencies()
        assert stored(store)["seed"] == reauthorised
        box.advance_clock(GRACE + 60)
        assert standard_app(box, store, reauthorised).get_accounts()


WORKER = """
import json, sys, time
from qondor_xero.xero import XeroClient
api, identity, client_id, secret, tenant, store, refresh, seconds = sys.argv[1:]
client = XeroClient(api, identity, client_id, secret, tenant_id=tenant, token_store=store,
                    refresh_token=refresh, rate_per_minute=100000)
calls, end = 0, time.monotonic() + float(seconds)
while calls < 10 or time.monotonic() < end:
    client.get_currencies()
    calls += 1
    time.sleep(0.02)
print(json.dumps({"calls": calls, "token_requests": client._auth.token_requests}))
"""


def test_two_processes_refreshing_the_same_token_do_not_destroy_it(start_sandbox, tmp_path):
    store = tmp_path / "xero-token.json"
    with start_sandbox(token_ttl=1) as box:
        config = box.xero_config()
        first = box.mint_refresh_token()
        args = [
            config["api_url"],
            config["identity_url"],
            config["client_id"],
            config["client_secret"],
            config["tenant_id"],
            str(store),
            first,
            "3",
        ]
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=60) for w in workers]
        for worker, (_, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err[-2000:]
        results = [json.loads(out) for out, _ in outputs]
        log = box.xero_requests()
        assert all(r["status"] == 200 for r in log)  # no call refused, no refresh token lost
        assert all(r["calls"] >= 10 for r in results)
        # Tokens live 1 s and are renewed 0.1 s early. Each process alone would get one per
        # 0.9 s of its run; sharing the store, one process reuses the token the other just
        # got: one per 0.9 s between them (plus the first), however long a loaded machine
        # made the run. Counted on the sandbox's own log.
        span = _seconds(log[-1]["time"]) - _seconds(log[0]["time"])
        tokens = sum(r["path"] == "/connect/token" for r in log)
        assert tokens == sum(r["token_requests"] for r in results)
        assert 3 <= tokens <= span / 0.9 + 2, (tokens, span)
        box.advance_clock(GRACE + 60)  # only a never-used refresh token still works now
        assert standard_app(box, store, first).get_currencies()


def _seconds(stamp: str) -> float:
    """Epoch seconds of a request log time (`2026-12-01T10:00:00.123Z`)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_no_secret_in_any_log_line_or_error_at_debug(start_sandbox, tmp_path, caplog):
    store = tmp_path / "xero-token.json"
    failures: list[BaseException] = []
    fast = RetryPolicy(server_retries=1, backoff_factor=0.01)
    with start_sandbox() as box, caplog.at_level(logging.DEBUG):
        config = box.xero_config()
        custom = XeroClient(
            config["api_url"],
            config["identity_url"],
            config["client_id"],
            config["client_secret"],
            retry=fast,
        )
        custom.get_currencies()
        box.advance_clock(3600)  # 401, refresh, retry
        custom.get_accounts()
        contacts = custom.save_contacts([{"Name": "Kari Nordmann"}])
        assert contacts[0].ok
        box.xero_fault({"path": "/api.xro/2.0/Invoices", "status": 503})
        for attempt in (
            lambda: custom.save_invoices([{"Type": "ACCREC"}]),
            lambda: custom.save_contacts([{"Name": "x" * 300}]).pop().errors,
            lambda: XeroClient(
                config["api_url"], config["identity_url"], config["client_id"], "wrong-secret"
            ).get_accounts(),
            lambda: standard_app(box, None, "sbx-rt-not-a-real-token-at-all").get_accounts(),
        ):
            try:
                attempt()
            except (XeroServerError, XeroAuthError, XeroValidationError) as exc:
                failures.append(exc)
        app = standard_app(box, store, box.mint_refresh_token(), retry=fast)
        app.get_currencies()
        box.advance_clock(3600)
        app.get_currencies()
    assert len(failures) == 3
    texts = [r.getMessage() for r in caplog.records]
    for exc in failures:  # each error and what it was raised from
        while exc is not None:
            texts += [*traceback.format_exception_only(exc), repr(exc.args)]
            exc = exc.__cause__ or exc.__context__
    assert any("GET /Currencies -> 200" in t for t in texts)  # DEBUG call lines were captured
    assert any("/connect/token" in t for t in texts)
    for text in texts:
        secrets = ["sandbox-secret", "wrong-secret", "sbx-rt-", "Bearer ", "Basic "]
        assert leaked(text, secrets) == [], text[:300]


ONE_CALL = """
import json, sys
from qondor_xero.xero import XeroClient
api, identity, client_id, secret, tenant, store, refresh = sys.argv[1:]
client = XeroClient(api, identity, client_id, secret, tenant_id=tenant, token_store=store,
                    refresh_token=refresh)
client.get_currencies()
print(json.dumps({"token_requests": client._auth.token_requests}))
"""


def wait_blocked_on_lock(process: subprocess.Popen, lock_path: Path, timeout: float = 60) -> None:
    """Wait until `process` is queued on the flock of `lock_path` (Linux's /proc/locks shows
    a waiter as `->`); fail if it ends or gets past the lock first."""
    locks = Path("/proc/locks")
    if not locks.exists():
        pytest.skip("needs /proc/locks (Linux) to see a process wait on a lock")
    inode = f":{os.stat(lock_path).st_ino} "
    deadline = time.monotonic() + timeout
    while not any(
        " -> " in line and f" {process.pid} " in line and inode in line
        for line in locks.read_text().splitlines()
    ):
        assert process.poll() is None, "it ran without waiting for the lock"
        assert time.monotonic() < deadline, "it never waited on the token store's lock"
        time.sleep(0.02)


def test_a_process_waits_for_the_store_lock_and_reuses_the_token_found_there(
    start_sandbox, tmp_path
):
    store_path = tmp_path / "xero-token.json"
    with start_sandbox() as box:
        config = box.xero_config()
        first = box.mint_refresh_token()
        assert standard_app(box, store_path, first).get_currencies()
        store = TokenStore(store_path)
        with store.locked():  # "process A" is refreshing
            other = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    ONE_CALL,
                    *[config[k] for k in ("api_url", "identity_url", "client_id")],
                    config["client_secret"],
                    config["tenant_id"],
                    str(store_path),
                    first,
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            answer = requests.post(
                f"{config['identity_url']}/connect/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": stored(store_path)["refresh_token"],
                },
                auth=(config["client_id"], config["client_secret"]),
                timeout=30,
            ).json()
            data = stored(store_path)
            data.update(
                access_token=answer["access_token"],
                refresh_token=answer["refresh_token"],
                obtained_at=time.time(),
                expires_at=time.time() + answer["expires_in"],
            )
            store.write(data)
            wait_blocked_on_lock(other, store.lock_path)
            assert not [r for r in box.xero_requests() if r["path"].endswith("/Currencies")][1:]
        out, err = other.communicate(timeout=30)
        assert other.returncode == 0, err[-2000:]
        assert json.loads(out) == {"token_requests": 0}  # it used A's fresh token
        assert stored(store_path)["refresh_token"] == answer["refresh_token"]
        box.advance_clock(GRACE + 60)
        assert standard_app(box, store_path, first).get_currencies()
