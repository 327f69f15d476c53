"""`qondor-xero validate`'s checks as pure functions: each misconfiguration gives one FAIL line."""

from pathlib import Path

import pytest

from qondor_xero.cli import main
from qondor_xero.mapping import parse_mapping
from qondor_xero.validate import (
    Check,
    check_account_codes,
    check_articles_mapped,
    check_card_payment_account,
    check_currencies,
    check_scopes,
    validate_setup,
)

ACCOUNTS = [
    {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
    {"Code": "260", "Name": "Other Revenue", "Type": "REVENUE", "Status": "ACTIVE"},
    {"Code": "270", "Name": "Old sales", "Type": "REVENUE", "Status": "ARCHIVED"},
    {"Code": "090", "Name": "Business Bank", "Type": "BANK", "Status": "ACTIVE"},
    {"Code": "610", "Name": "Receivables", "Type": "CURRENT", "Status": "ACTIVE"},
    {
        "Code": "880",
        "Name": "Clearing",
        "Type": "CURRENT",
        "Status": "ACTIVE",
        "EnablePaymentsToAccount": True,
    },
]
CURRENCIES = [{"Code": "NOK"}, {"Code": "EUR"}]


def mapping(
    text: str = "account_codes: {VAT25: '200', VAT0: '260'}\ncard_payment_account: '090'\n",
):
    return parse_mapping(text, "mappings/acme.yml")


def item(number: str, articles: list[str], currency: str = "NOK", kind: int = 1) -> dict:
    lines = [{"lineNo": n, "articleNumber": a} for n, a in enumerate(articles, 1)]
    return {"invoiceNumber": number, "invoiceType": kind, "currency": currency, "lines": lines}


def test_mapped_account_codes_that_exist_and_are_active_pass():
    result = check_account_codes(mapping(), ACCOUNTS)
    assert result.ok is True
    assert "2 mapped codes" in result.detail


def test_account_code_missing_from_xero_fails_naming_article_code_and_file():
    result = check_account_codes(mapping("account_codes: {VAT25: '200', VAT15: '999'}\n"), ACCOUNTS)
    assert result.ok is False
    assert "VAT15 → '999' is not in Xero's chart of accounts" in result.detail
    assert "mappings/acme.yml" in result.detail
    assert "\n" not in result.line()


def test_archived_account_code_fails():
    result = check_account_codes(mapping("account_codes: {VAT25: '270'}\n"), ACCOUNTS)
    assert result.ok is False
    assert "'270' (Old sales) is ARCHIVED" in result.detail


def test_card_payment_account_must_accept_payments():
    assert check_card_payment_account(mapping(), ACCOUNTS).ok is True
    enabled = mapping("account_codes: {VAT25: '200'}\ncard_payment_account: '880'\n")
    assert check_card_payment_account(enabled, ACCOUNTS).ok is True
    refused = mapping("account_codes: {VAT25: '200'}\ncard_payment_account: '610'\n")
    result = check_card_payment_account(refused, ACCOUNTS)
    assert result.ok is False
    assert "does not accept payments" in result.detail
    unknown = mapping("account_codes: {VAT25: '200'}\ncard_payment_account: '091'\n")
    assert (
        "'091' is not in Xero's chart of accounts"
        in check_card_payment_account(unknown, ACCOUNTS).detail
    )


def test_missing_card_payment_account_fails_only_when_card_payments_are_queued():
    plain = mapping("account_codes: {VAT25: '200'}\n")
    assert check_card_payment_account(plain, ACCOUNTS, [item("1", ["VAT25"])]).ok is True
    result = check_card_payment_account(plain, ACCOUNTS, [item("2", ["VAT25"], kind=4)])
    assert result.ok is False
    assert "1 card payment(s) are queued" in result.detail


def test_currency_not_enabled_in_xero_fails_with_the_invoices():
    queue = [item("100", ["VAT25"]), item("101", ["VAT25"], "SEK"), item("102", ["VAT0"], "SEK")]
    result = check_currencies(queue, CURRENCIES)
    assert result.ok is False
    assert "SEK (invoices 101, 102)" in result.detail
    assert check_currencies(queue[:1], CURRENCIES).ok is True


def test_unmapped_article_numbers_in_queue_fail_with_invoice_numbers():
    queue = [
        item("100", ["VAT25", "VAT0"]),
        item("101", ["VAT25", "GIFT", "GIFT"]),
        item("102", ["MISC"]),
    ]
    result = check_articles_mapped(mapping(), queue)
    assert result.ok is False
    assert "GIFT (invoices 101)" in result.detail
    assert "MISC (invoices 102)" in result.detail
    assert check_articles_mapped(mapping(), queue[:1]).ok is True


def test_invalid_mapping_file_fails_first_and_skips_what_depends_on_it(tmp_path: Path):
    bad = tmp_path / "bad.yml"
    bad.write_text("account_codes: {VAT25: '200'}\ninvoice_status: PAID\n")
    checks = validate_setup({"mapping_file": str(bad)})
    by_name = {c.name: c for c in checks}
    assert by_name["mapping file"].ok is False
    assert "invoice_status" in by_name["mapping file"].detail
    assert by_name["xero connection"].ok is False  # no credentials given
    assert by_name["account codes"].ok is None


def test_check_lines_read_ok_fail_skip():
    assert Check("currencies", True, "NOK").line() == "OK   currencies: NOK"
    assert Check("currencies", False, "SEK").line().startswith("FAIL currencies")
    assert Check("currencies", None, "x").line().startswith("SKIP")


def test_validate_command_exits_1_on_an_unreadable_config(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    assert main(["validate", "--config", str(tmp_path / "none.json")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL settings:")
    assert len(out.strip().splitlines()) == 1


def test_scopes_check_names_each_missing_scope_and_the_plugin_that_needs_it():
    granular = ["accounting.contacts", "accounting.invoices", "accounting.settings.read"]
    check = check_scopes(granular, standard_app=True)
    assert check.ok is False
    assert check.detail.startswith(
        "not granted: accounting.payments (needed by target-xero), offline_access (needed by a "
        "standard app for refresh tokens); granted: accounting.contacts accounting.invoices "
        "accounting.settings.read"
    )
    assert check_scopes([*granular, "accounting.payments"], standard_app=False).ok is True
    broad = ["accounting.transactions", "accounting.contacts", "accounting.settings.read"]
    assert check_scopes([*broad, "offline_access"], standard_app=True).ok is True
    read_only = check_scopes(["accounting.transactions.read", "accounting.settings"], False)
    assert "accounting.contacts (needed by target-xero), accounting.invoices (needed by" in (
        read_only.detail
    )
    assert "accounting.invoices.read" not in read_only.detail  # tap-xero has what it needs
