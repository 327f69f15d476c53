"""Secrets never leave the process; tokens are stored 0600; plain http only on loopback;
where-clause injection through Qondor data matches nothing it should not."""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess

import pytest
from leaks import leaked
from reliability_books import (
    SMALL_IDS,
    TAP,
    TARGET,
    check_books,
    last_line,
    small_mapping,
    target_config,
    write_json,
    xero_writes,
)

API = "/api.xro/2.0"


def run_debug_pipeline(box, workdir, mapping, **target_extra):
    """tap-qondor | target-xero at LOGLEVEL=DEBUG; everything both printed, and the exit codes."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    tap_config = write_json(
        workdir / "tap.json", {**box.qondor_config(), "mapping_file": str(mapping)}
    )
    tap = subprocess.run(
        [TAP, "--config", str(tap_config)], capture_output=True, text=True, env=env, timeout=180
    )
    config = write_json(workdir / "target.json", target_config(box, mapping, **target_extra))
    target = subprocess.run(
        [TARGET, "--config", str(config)],
        input=tap.stdout,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    emitted = "\n".join((tap.stdout, tap.stderr, target.stdout, target.stderr))
    return tap.returncode, target.returncode, emitted, target.stderr


def test_no_secret_in_anything_a_debug_run_emits(sandbox, tmp_path):
    sandbox.reset("demo")
    mapping = small_mapping(tmp_path)
    store = tmp_path / "tokens" / "xero-token.json"
    seed = sandbox.mint_refresh_token()
    flow = {"refresh_token": seed, "token_store": str(store)}
    # Run 1 succeeds; run 2 fails in the target (Xero down for invoices) on a fresh queue.
    tap_rc, target_rc, emitted, _ = run_debug_pipeline(sandbox, tmp_path / "ok", mapping, **flow)
    assert (tap_rc, target_rc) == (0, 0), emitted[-3000:]
    assert "DEBUG" in emitted and "GET /Currencies" in emitted  # it really was a DEBUG run
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    tokens = json.loads(store.read_text())
    check_books(sandbox, SMALL_IDS)

    sandbox.reset("demo")
    sandbox.xero_fault({"method": "PUT", "path": f"{API}/Invoices", "status": 500})
    sandbox.advance_clock(3600)  # the stored access token has expired: a refresh happens
    _, failed_rc, failed_emitted, failed_stderr = run_debug_pipeline(
        sandbox, tmp_path / "failing", mapping, **flow
    )
    assert failed_rc != 0 and "stopped" in last_line(failed_stderr)
    tokens_after = json.loads(store.read_text())
    assert tokens_after["refresh_token"] != tokens["refresh_token"]

    qondor = json.dumps(sandbox.qondor_state())  # Failed messages, external references
    everything = "\n".join((emitted, failed_emitted, qondor))
    secrets = [
        "sandbox-secret",
        "sandbox-qondor-key",
        seed,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens_after["access_token"],
        tokens_after["refresh_token"],
        "sbx-rt-",  # any refresh token
    ]
    assert leaked(everything, secrets) == []  # nor any access token the sandbox issued


URL_SETTINGS = [
    ("target", "api_url"),
    ("target", "identity_url"),
    ("target", "qondor_api_url"),
    ("tap", "api_url"),
]


_REMOTE_RUNS: dict[tuple[str, str], tuple] = {}


def run_with_remote_http(box, workdir, plugin, setting):
    """Run one plugin with `setting` = a plain-http remote URL (once per module):
    the finished process, Xero writes and Qondor writes it caused."""
    if (plugin, setting) not in _REMOTE_RUNS:
        done = _run_with_remote_http(box, workdir, plugin, setting)
        writes = [r for r in box.qondor_requests() if r["method"] != "GET"]
        _REMOTE_RUNS[plugin, setting] = (done, xero_writes(box), writes)
    return _REMOTE_RUNS[plugin, setting]


def _run_with_remote_http(box, workdir, plugin, setting):
    box.reset("demo")
    mapping = small_mapping(workdir)
    remote = "http://api.example.com/api.xro/2.0"
    tap_config = {**box.qondor_config(), "mapping_file": str(mapping)}
    if plugin == "tap":
        tap_config[setting] = remote
        command = [TAP, "--config", str(write_json(workdir / "tap.json", tap_config))]
        singer = ""
    else:
        config = target_config(box, mapping, **{setting: remote})
        command = [TARGET, "--config", str(write_json(workdir / "target.json", config))]
        singer = subprocess.run(
            [TAP, "--config", str(write_json(workdir / "tap.json", tap_config))],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    box.xero_requests(clear=True)
    box.qondor_requests(clear=True)
    return subprocess.run(command, input=singer, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("plugin", "setting"), URL_SETTINGS)
def test_plain_http_to_a_remote_host_is_refused(sandbox, tmp_path, plugin, setting):
    done, _, _ = run_with_remote_http(sandbox, tmp_path, plugin, setting)
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if "example.com" in line]
    assert refusals and all("https" in line for line in refusals), done.stderr[-2000:]


@pytest.mark.parametrize(("plugin", "setting"), URL_SETTINGS)
def test_bad_url_setting_stops_before_any_write_with_one_line(sandbox, tmp_path, plugin, setting):
    done, xero_written, qondor_written = run_with_remote_http(sandbox, tmp_path, plugin, setting)
    assert done.returncode != 0
    assert xero_written == [] and qondor_written == []
    line = last_line(done.stderr)
    assert setting in line and "https" in line, line
    assert "Traceback" not in done.stderr


INJECTIONS = {
    # item id: (who, what a careless where-clause would match)
    5951: "customer email",
    5952: "customer name and tax number",
    5953: "booker email",
}


def _injection_items(qondor: dict) -> tuple[list[dict], list[dict]]:
    items = {i["id"]: i for i in qondor["invoices"]}
    customers = {c["id"]: c for c in qondor["customers"]}
    evil_email = copy.deepcopy(customers[104])
    evil_email.update(
        id=951,
        name="Epost Injeksjon AS",
        organisationNumber=None,
        vatNumber=None,
        invoiceEmail='x@evil.no" OR EmailAddress!=null OR EmailAddress=="',
    )
    evil_name = copy.deepcopy(customers[104])
    evil_name.update(
        id=952,
        name='Fjord Events AS") OR (Name!=null',
        organisationNumber='923456789" OR TaxNumber!=null OR TaxNumber=="',
        vatNumber=None,
        invoiceEmail="injeksjon@example.no",  # valid: this one is created and Processed
    )
    out = []
    for n, customer in ((5951, evil_email), (5952, evil_name)):
        item = copy.deepcopy(items[5005])
        short = {
            k: customer[k]
            for k in ("id", "name", "organisationNumber", "vatNumber", "invoiceEmail")
        }
        item.update(
            id=n,
            invoiceNumber=str(100000 + n),
            projectId=999,
            customerId=customer["id"],
            customer=short,
        )
        out.append(item)
    booking = copy.deepcopy(items[5023])  # booker Ola Nordmann, contact 11 by e-mail
    booking["booker"]["email"] = 'ola.nordmann@example.no" OR EmailAddress!="'
    booking.update(id=5953, invoiceNumber="105953", projectId=999)
    out.append(booking)
    return [evil_email, evil_name], out


def test_where_clause_injection_through_qondor_data_matches_no_existing_contact(sandbox, tmp_path):
    sandbox.reset("demo")
    customers, items = _injection_items(sandbox.qondor_state())
    sandbox.admin(sandbox.qondor_url, "POST", "seed", {"customers": customers, "invoices": items})
    before = {c["ContactID"]: c for c in sandbox.xero_state()["contacts"]}
    mapping = small_mapping(tmp_path, **{"projects: [881, 887]": "projects: [999]"})
    tap_rc, target_rc, emitted, _ = run_debug_pipeline(sandbox, tmp_path, mapping)
    assert (tap_rc, target_rc) == (0, 0), emitted[-3000:]
    books = check_books(sandbox, set(INJECTIONS))
    after = {c["ContactID"]: c for c in books.xero["contacts"]}
    for contact_id, old in before.items():
        assert after[contact_id] == old, f"existing contact {old['Name']!r} was touched"
    assert 5952 in books.processed  # matched by nothing, created under its own (odd) name
    for n, who in INJECTIONS.items():
        if n in books.processed:
            invoice = next(
                i for i in books.xero["invoices"] if i["InvoiceID"] == books.processed[n]
            )
            assert invoice["Contact"]["ContactID"] not in before, (
                f"{who} matched an existing contact"
            )
