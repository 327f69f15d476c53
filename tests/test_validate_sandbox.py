"""`qondor-xero validate` against a private sandbox: it catches each misconfiguration, and passes a good one."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sandbox.demo import Sandbox, free_port

ROOT = Path(__file__).resolve().parents[1]
TENANT = "00000000-0000-4000-8000-000000000001"


def start(tmp: Path, name: str, *flags: str) -> Sandbox:
    box = Sandbox(
        free_port(), free_port(), tmp / f"{name}.db", tmp / f"{name}.log", ["--no-limits", *flags]
    )
    return box.start("demo")


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A demo sandbox the read-only checks share, with every queued currency enabled in Xero."""
    sandbox = start(tmp_path_factory.mktemp("validate"), "shared")
    enabled = {c["Code"] for c in sandbox.xero_state()["currencies"]}
    queued = {i["currency"] for i in sandbox.qondor_state()["invoices"]}
    missing = [{"Code": c, "Description": c} for c in sorted(queued - enabled)]
    if missing:
        sandbox.admin(sandbox.xero_url, "POST", "seed", {"currencies": missing})
    yield sandbox
    sandbox.stop()


def write_mapping(tmp_path: Path, **changes) -> Path:
    """The demo mapping with `changes`, written to a temp file."""
    mapping = yaml.safe_load((ROOT / "mappings" / "demo.yml").read_text())
    mapping["account_codes"] = {str(k): str(v) for k, v in mapping["account_codes"].items()}
    mapping.update(changes)
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(mapping))
    return path


def complete_mapping(tmp_path: Path, box: Sandbox, **changes) -> Path:
    """The demo mapping plus every article number queued in the sandbox (so all checks pass)."""
    codes = yaml.safe_load((ROOT / "mappings" / "demo.yml").read_text())["account_codes"]
    codes = {str(k): str(v) for k, v in codes.items()}
    by_rate = {25: codes["VAT25"], 15: codes["VAT15"], 12: codes["VAT12"], 0: codes["VAT0"]}
    for item in box.qondor_state()["invoices"]:
        for line in item.get("lines") or []:  # each to the account of its own VAT rate
            codes.setdefault(line["articleNumber"], by_rate[int(line["vatPercentage"])])
    return write_mapping(tmp_path, **{"account_codes": codes, **changes})


def run_validate(tmp_path: Path, box: Sandbox, mapping: Path, **overrides) -> tuple[int, str]:
    """Run `qondor-xero validate --config` as a user would; return (exit code, stdout)."""
    settings = {
        "api_url": f"{box.xero_url}/api.xro/2.0",
        "identity_url": box.xero_url,
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "tenant_id": TENANT,
        "mapping_file": str(mapping),
        "qondor_api_url": box.qondor_url,
        "qondor_api_key": "sandbox-qondor-key",
        **overrides,
    }
    config = tmp_path / "target-xero.json"
    config.write_text(json.dumps(settings))
    result = subprocess.run(
        [sys.executable, "-m", "qondor_xero.cli", "validate", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def line_of(output: str, check: str) -> str:
    return next(line for line in output.splitlines() if f" {check}:" in line)


def test_a_complete_setup_passes_every_check(tmp_path, box):
    code, out = run_validate(tmp_path, box, complete_mapping(tmp_path, box))
    assert code == 0, out
    for check in (
        "mapping file",
        "xero connection",
        "qondor connection",
        "account codes",
        "card payment account",
        "tax rates",
        "currencies",
        "article numbers",
    ):
        assert line_of(out, check).startswith("OK"), out


def test_unmapped_article_numbers_in_the_queue_fail(tmp_path, box):
    code, out = run_validate(tmp_path, box, write_mapping(tmp_path))
    assert code == 1
    line = line_of(out, "article numbers")
    assert line.startswith("FAIL") and "MISC" in line and "GIFT" in line


def test_account_code_not_in_xero_fails(tmp_path, box):
    mapping = complete_mapping(tmp_path, box)
    data = yaml.safe_load(mapping.read_text())
    data["account_codes"]["VAT25"] = "9999"
    mapping.write_text(yaml.safe_dump(data))
    code, out = run_validate(tmp_path, box, mapping)
    assert code == 1
    assert "VAT25 → '9999' is not in Xero's chart of accounts" in line_of(out, "account codes")


def test_card_payment_account_that_takes_no_payments_fails(tmp_path, box):
    code, out = run_validate(
        tmp_path, box, complete_mapping(tmp_path, box, card_payment_account="3000")
    )
    assert code == 1
    assert "does not accept payments" in line_of(out, "card payment account")


def test_wrong_client_secret_fails_without_showing_it(tmp_path, box):
    code, out = run_validate(
        tmp_path, box, complete_mapping(tmp_path, box), client_secret="not-the-secret-42"
    )
    assert code == 1
    assert line_of(out, "xero connection").startswith("FAIL")
    assert line_of(out, "account codes").startswith("SKIP")
    assert "not-the-secret-42" not in out


def test_wrong_tenant_fails(tmp_path, box):
    code, out = run_validate(
        tmp_path,
        box,
        complete_mapping(tmp_path, box),
        tenant_id="00000000-0000-4000-8000-00000000dead",
    )
    assert code == 1
    assert line_of(out, "xero connection").startswith("FAIL")


def test_wrong_qondor_key_fails_without_showing_it(tmp_path, box):
    code, out = run_validate(
        tmp_path, box, complete_mapping(tmp_path, box), qondor_api_key="wrong-key-4711"
    )
    assert code == 1
    assert line_of(out, "qondor connection").startswith("FAIL")
    assert "wrong-key-4711" not in out


def test_malformed_mapping_file_fails_naming_the_key(tmp_path, box):
    mapping = tmp_path / "bad.yml"
    mapping.write_text("account_codes: {VAT25: '3000'}\ninvoice_status: SENT\n")
    code, out = run_validate(tmp_path, box, mapping)
    assert code == 1
    assert "invoice_status" in line_of(out, "mapping file")


def test_queued_currency_not_enabled_in_xero_fails(tmp_path):
    box = start(tmp_path, "currencies")
    try:
        enabled = {c["Code"] for c in box.xero_state()["currencies"]}

        def odd_ones():
            return [
                i
                for i in box.qondor_state()["invoices"]
                if i["status"] == 0 and i["currency"] not in enabled
            ]

        if not odd_ones():  # the demo queues one today; make sure of it
            item = next(i for i in box.qondor_state()["invoices"] if i.get("invoiceType") == 1)
            odd = {**item, "id": 99001, "invoiceNumber": "DKK-1", "currency": "DKK"}
            box.admin(box.qondor_url, "POST", "seed", {"invoices": [odd]})
        odd = odd_ones()[0]
        code, out = run_validate(tmp_path, box, complete_mapping(tmp_path, box))
        assert code == 1
        line = line_of(out, "currencies")
        assert line.startswith("FAIL")
        assert f"{odd['currency']} (invoices " in line and odd["invoiceNumber"] in line
    finally:
        box.stop()


def test_an_article_mapped_to_an_account_of_another_tax_rate_fails_then_passes_once_fixed(
    tmp_path, box
):
    mapping = complete_mapping(tmp_path, box)
    codes = yaml.safe_load(mapping.read_text())["account_codes"]
    code, out = run_validate(
        tmp_path, box, write_mapping(tmp_path, account_codes=codes | {"VAT15": "3000"})
    )
    assert code == 1, out
    line = line_of(out, "tax rates")
    assert line.startswith("FAIL"), line
    assert len(line.splitlines()) == 1
    assert "VAT15 → account 3000 (Salgsinntekt 25 %) has tax rate 25 % (OUTPUT) but queued " in line
    assert "lines carry 15 % (invoices 1002" in line  # example item numbers of the demo queue
    code, out = run_validate(tmp_path, box, write_mapping(tmp_path, account_codes=codes))
    assert code == 0, out
    fixed = line_of(out, "tax rates")
    assert fixed.startswith("OK") and "VAT15 → 3010 OUTPUT15 15 % [queued: 15 % (" in fixed


def test_with_an_empty_queue_the_tax_rates_check_still_lists_each_accounts_rate(tmp_path):
    sandbox = start(tmp_path, "empty")
    try:
        sandbox.admin(sandbox.qondor_url, "POST", "reset")
        code, out = run_validate(tmp_path, sandbox, write_mapping(tmp_path))
        line = line_of(out, "tax rates")
        assert line.startswith("OK"), out
        for shown in (
            "VAT25 → 3000 OUTPUT 25 %",
            "VAT15 → 3010 OUTPUT15 15 %",
            "VAT0 → 3050 ZERORATEDOUTPUT 0 %",
        ):
            assert f"{shown} [queued: none queued]" in line, line
    finally:
        sandbox.stop()


def test_tracking_and_branding_pass_and_list_the_project_options_to_be_created(tmp_path, box):
    code, out = run_validate(tmp_path, box, complete_mapping(tmp_path, box))
    assert code == 0, out
    tracking = line_of(out, "tracking")
    assert tracking.startswith(
        "OK   tracking: Office ← {officeName}, Project ← {projectNo} (creates missing options): "
        "active in Xero, every option the queue needs exists; to be created: Project 'P-883' "
        "(invoices 100203, "
    ), tracking
    assert "'P-881'" not in tracking and "'P-882'" not in tracking  # in Xero already
    assert line_of(out, "branding themes") == (
        "OK   branding themes: 3 → Nordic Events Sverige: in Xero; 2 queued items use one"
    )


def test_a_tracking_category_xero_lacks_and_options_it_lacks_fail_naming_them(tmp_path, box):
    tracking = [
        {"category": "Cost centre", "option": "{officeName}"},
        {"category": "Project", "option": "{projectNo}"},
    ]
    code, out = run_validate(tmp_path, box, complete_mapping(tmp_path, box, tracking=tracking))
    assert code == 1
    line = line_of(out, "tracking")
    assert line.startswith("FAIL tracking: category Cost centre is not in Xero (invoices "), line
    assert "; category Project has no option 'P-883' (invoices 100203, " in line
    assert "category Project has no option 'P-881'" not in line


def test_a_branding_theme_xero_lacks_fails(tmp_path, box):
    mapping = complete_mapping(tmp_path, box, branding_themes={"3": "Nordic Events Danmark"})
    code, out = run_validate(tmp_path, box, mapping)
    assert code == 1
    assert line_of(out, "branding themes").startswith(
        "FAIL branding themes: not in Xero: 'Nordic Events Danmark' (Xero has 'Standard', "
        "'Nordic Events Sverige')"
    )


def test_a_mapping_that_creates_tracking_options_needs_the_settings_write_scope(tmp_path):
    # The app may read settings but not write them: enough unless options are to be created.
    reads = "accounting.contacts accounting.invoices accounting.payments accounting.settings.read"
    box = start(tmp_path, "reads", "--xero-scopes", reads)
    try:
        mapping = complete_mapping(tmp_path, box)  # the demo's Project rule: create_options
        code, out = run_validate(tmp_path, box, mapping)
        assert code == 1, out
        assert line_of(out, "xero scopes").startswith(
            "FAIL xero scopes: not granted: accounting.settings (needed by target-xero to create "
            "tracking options); granted: "
        ), out
        rules = yaml.safe_load(mapping.read_text())["tracking"]
        kept = [{k: v for k, v in r.items() if k != "create_options"} for r in rules]
        code, out = run_validate(
            tmp_path,
            box,
            write_mapping(tmp_path, **{**yaml.safe_load(mapping.read_text()), "tracking": kept}),
        )
        assert line_of(out, "xero scopes").startswith("OK"), out
    finally:
        box.stop()
