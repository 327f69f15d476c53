"""Access tokens expiring mid-run, and a crash between a refresh-token rotation and its storing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import pytest
from reliability_books import (
    SMALL_FAILED,
    SMALL_IDS,
    TARGET,
    check_books,
    read_queue,
    small_mapping,
    small_sync,
    target_config,
    write_json,
)

from qondor_xero.xero import XeroClient
from qondor_xero.xero.auth import TokenStore

API = "/api.xro/2.0"


def test_access_token_expiring_mid_run_is_renewed_and_nothing_is_lost(sandbox, tmp_path):
    sandbox.reset("demo")
    mapping = small_mapping(tmp_path)
    singer = read_queue(sandbox, tmp_path, mapping)
    # Xero holds the contact lookup; while it is held the token dies on Xero's side.
    sandbox.xero_fault({"method": "GET", "path": f"{API}/Contacts", "delay": 3, "count": 1})
    config = write_json(tmp_path / "target.json", target_config(sandbox, mapping))
    stderr = (tmp_path / "target.err").open("w")
    target = subprocess.Popen(
        [TARGET, "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    target.stdin.write(singer)
    target.stdin.close()
    deadline = time.monotonic() + 60
    while sandbox.admin(sandbox.xero_url, "GET", "faults")["faults"]:  # not yet held
        assert time.monotonic() < deadline and target.poll() is None, "target never called Xero"
        time.sleep(0.02)
    sandbox.advance_clock(3600)  # every token issued so far has expired
    assert target.wait(timeout=120) == 0, (tmp_path / "target.err").read_text()[-3000:]
    log = sandbox.xero_requests()
    assert sum(r["status"] == 401 for r in log) >= 1  # the old token was refused ...
    assert sum(r["path"] == "/connect/token" for r in log) == 2  # ... and renewed once
    books = check_books(sandbox, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)


def test_crash_between_refresh_and_store_is_survived_by_the_next_run(
    sandbox, tmp_path, monkeypatch
):
    sandbox.reset("demo")
    store = tmp_path / "tokens" / "xero-token.json"
    seed = sandbox.mint_refresh_token()
    config = sandbox.xero_config()

    def standard_app() -> XeroClient:
        return XeroClient(
            config["api_url"],
            config["identity_url"],
            config["client_id"],
            config["client_secret"],
            tenant_id=config["tenant_id"],
            token_store=str(store),
            refresh_token=seed,
        )

    # Run 1: Xero rotates the refresh token, then the process dies before storing the new one.
    with monkeypatch.context() as patch:

        def crash(self, data):
            raise KeyboardInterrupt("killed between refresh and store")

        patch.setattr(TokenStore, "write", crash)
        with pytest.raises(KeyboardInterrupt):
            standard_app().get_currencies()
    assert not store.exists() or "refresh_token" not in store.read_text()

    # Run 2, the real pipeline with the same settings: the seed still works within Xero's grace.
    run = small_sync(
        sandbox, tmp_path / "run2", refresh_token=seed, token_store=str(store), tenant_id=""
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    rotated = json.loads(store.read_text())["refresh_token"]
    assert rotated != seed
    books = check_books(sandbox, SMALL_IDS)
    assert set(books.failed) == set(SMALL_FAILED)

    # Run 3 long after the grace period: it goes on from the stored token, not the dead seed.
    sandbox.advance_clock(3 * 3600)
    assert standard_app().get_currencies()
    assert json.loads(store.read_text())["refresh_token"] not in (seed, rotated)
