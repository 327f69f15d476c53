"""The sandbox's `--openapi-strict` mode: Accounting API requests that Xero's OpenAPI description
does not allow are refused with a 400 naming what did not conform, and logged with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REFUSAL_TYPE = "OpenAPIValidationException"
CONTACT = {"Name": "Strict Mode AS", "EmailAddress": "post@strict.example"}


@pytest.fixture
def strict(start_sandbox):
    """A private sandbox started with --openapi-strict (scenario "demo")."""
    with start_sandbox(openapi_strict=True, scenario="demo") as box:
        yield box


def refusal(response) -> str:
    """The reason a strict sandbox gave, asserting the answer was its OpenAPI 400."""
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body["Type"] == REFUSAL_TYPE, body
    return body["Message"]


def test_strict_mode_refuses_what_the_spec_does_not_allow(strict):
    bad_type = strict.xero(
        "PUT",
        "/Invoices",
        params={"summarizeErrors": "false"},
        json={"Invoices": [{"Type": "SALES", "Contact": {"Name": "X"}, "LineItems": []}]},
    )
    assert "Invoices[0].Type: 'SALES' is not one of" in refusal(bad_type)

    bad_number = strict.xero(
        "POST",
        "/Contacts",
        json={"Contacts": [{**CONTACT, "Name": 42}]},
    )
    assert "Contacts[0].Name: 42 is not of type 'string'" in refusal(bad_number)

    bad_ids = strict.xero("GET", "/Invoices", params={"IDs": "not-a-guid"})
    assert "IDs" in refusal(bad_ids) and "'not-a-guid' is not a 'uuid'" in refusal(bad_ids)

    bad_page = strict.xero("GET", "/Contacts", params={"page": "first"})
    assert "page" in refusal(bad_page)

    # Xero's spec wants an RFC 3339 date-time: a bare local time has no offset.
    naive = strict.xero("GET", "/Invoices", headers={"If-Modified-Since": "2026-11-20T08:00:00"})
    assert "If-Modified-Since" in refusal(naive)

    unknown = strict.xero("GET", "/Widgets")
    assert "Path not found" in refusal(unknown)

    log = [e for e in strict.xero_requests() if e["path"].startswith("/api.xro/2.0")]
    refused = [e for e in log if e.get("openapi_error")]
    assert [(e["method"], e["path"], e["status"]) for e in refused] == [
        ("PUT", "/api.xro/2.0/Invoices", 400),
        ("POST", "/api.xro/2.0/Contacts", 400),
        ("GET", "/api.xro/2.0/Invoices", 400),
        ("GET", "/api.xro/2.0/Contacts", 400),
        ("GET", "/api.xro/2.0/Invoices", 400),
        ("GET", "/api.xro/2.0/Widgets", 400),
    ]
    assert "Invoices[0].Type" in refused[0]["openapi_error"]
    # Nothing refused was stored.
    assert "Strict Mode AS" not in json.dumps(strict.xero_state()["contacts"])


def test_strict_mode_lets_conforming_requests_through(strict):
    created = strict.xero(
        "PUT", "/Contacts", params={"summarizeErrors": "false"}, json={"Contacts": [CONTACT]}
    )
    assert created.status_code == 200, created.text[:500]
    assert created.json()["Contacts"][0]["StatusAttributeString"] == "OK"
    since = strict.xero("GET", "/Contacts", headers={"If-Modified-Since": "2026-11-20T08:00:00Z"})
    assert since.status_code == 200
    assert "Strict Mode AS" in [c["Name"] for c in since.json()["Contacts"]]
    # A refused token is the gate's answer, before the spec is consulted.
    anonymous = strict.http.get(
        strict.xero_api_url + "/Contacts", headers={"Authorization": "Bearer nope"}, timeout=30
    )
    assert anonymous.status_code == 401
    assert not [e for e in strict.xero_requests() if e.get("openapi_error")]


def test_default_sandbox_does_not_check_the_spec(sandbox):
    sandbox.reset("empty")
    naive = sandbox.xero("GET", "/Invoices", headers={"If-Modified-Since": "2026-11-20T08:00:00"})
    assert naive.status_code == 200, naive.text[:500]
    assert not [e for e in sandbox.xero_requests() if "openapi_error" in e]


def test_strict_mode_without_the_spec_says_how_to_get_it_and_exits_2(tmp_path):
    missing = tmp_path / "nowhere" / "xero_accounting.yaml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--openapi-strict",
            "--db",
            str(tmp_path / "x.db"),
        ],
        env={**os.environ, "XERO_OPENAPI_SPEC": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert str(missing) in lines[0] and "XERO_OPENAPI_SPEC" in lines[0], lines[0]
