"""`qondor-xero connect` against a sandbox standard app: re-running it replaces the stored token,
a redirect carrying another `state` is refused, and the tenant is picked as the operator says."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from qondor_xero.connect import ConnectError, pick_tenant
from qondor_xero.xero import XeroClient
from sandbox.process import free_port

BIN = Path(sys.executable).parent
TENANT = "00000000-0000-4000-8000-000000000001"


def start_connect(box, tmp_path: Path, port: int, store: Path) -> tuple[subprocess.Popen, str]:
    """Start `connect --no-browser`; return it and the sign-in address it printed."""
    config = {**box.xero_config(), "token_store": str(store)}
    path = tmp_path / "connect.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen(
        [str(BIN / "qondor-xero"), "connect", "--config", str(path), "--no-browser"]
        + ["--port", str(port), "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:
        if line.startswith("Waiting for Xero"):
            break
        if line.strip().startswith("http"):
            url = line.strip()
    return proc, url


def connect_once(box, tmp_path: Path, port: int, store: Path) -> str:
    proc, url = start_connect(box, tmp_path, port, store)
    assert requests.get(url, timeout=30).status_code == 200  # auto-consent → loopback
    out = proc.stdout.read()
    assert proc.wait(timeout=60) == 0, out
    return out


def test_rerunning_connect_replaces_the_stored_refresh_token(start_sandbox, tmp_path):
    port = free_port()
    store = tmp_path / "acme.token.json"
    flags = {"xero_redirect_uris": f"http://localhost:{port}/callback", "auto_consent": True}
    with start_sandbox(xero_app_kind="standard", **flags) as box:
        out = connect_once(box, tmp_path, port, store)
        assert f"tenant_id: {TENANT}" in out
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
        first = json.loads(store.read_text())["refresh_token"]
        connect_once(box, tmp_path, port, store)  # re-consent, e.g. after a scope change
        second = json.loads(store.read_text())["refresh_token"]
        assert second != first and second not in out and first not in out
        config = box.xero_config()
        client = XeroClient(
            config["api_url"],
            config["identity_url"],
            config["client_id"],
            config["client_secret"],
            tenant_id=TENANT,
            token_store=store,
        )
        assert client.get_currencies()
        assert "accounting.payments" in client.granted_scopes()


def test_a_redirect_with_another_state_is_refused(start_sandbox, tmp_path):
    port = free_port()
    store = tmp_path / "acme.token.json"
    with start_sandbox(
        xero_app_kind="standard", xero_redirect_uris=f"http://localhost:{port}/callback"
    ) as box:
        proc, _url = start_connect(box, tmp_path, port, store)
        forged = requests.get(
            f"http://localhost:{port}/callback", params={"code": "x", "state": "y"}, timeout=30
        )
        assert forged.status_code == 200
        out = proc.stdout.read()
        assert proc.wait(timeout=60) == 1
        assert out.strip().splitlines()[-1] == (
            "FAIL connect: the redirect's state does not match this request: ignored; "
            "run connect again"
        )
        assert not store.exists()
        assert not [r for r in box.xero_requests() if r["path"] == "/connect/token"]


ORGS = [
    {"tenantId": "t-1", "tenantType": "ORGANISATION", "tenantName": "Fjord Events AS"},
    {"tenantId": "t-2", "tenantType": "ORGANISATION", "tenantName": "Fjord Travel AB"},
    {"tenantId": "p-1", "tenantType": "PRACTICE", "tenantName": "Accountants"},
]


def test_the_tenant_is_the_one_named_the_only_one_or_the_one_chosen():
    assert pick_tenant(ORGS, "T-2")["tenantName"] == "Fjord Travel AB"
    assert pick_tenant(ORGS[:1], None)["tenantId"] == "t-1"
    assert pick_tenant(ORGS, None, choose=lambda orgs: 1)["tenantId"] == "t-2"
    with pytest.raises(ConnectError) as several:
        pick_tenant(ORGS, None)
    assert str(several.value) == (
        "2 organisations are connected: Fjord Events AS (t-1), Fjord Travel AB (t-2); "
        "pass --tenant ID"
    )
    with pytest.raises(ConnectError, match="tenant t-9 is not among the connected"):
        pick_tenant(ORGS, "t-9")
