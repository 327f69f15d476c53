"""Check a customer's setup before go-live: mapping file, Xero connection, accounts, currencies, queue."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qondor_xero.http import redact
from qondor_xero.mapping import Mapping, MappingError, load_mapping
from qondor_xero.money import account_taxes, percent, qondor_rate, rate_agrees
from qondor_xero.stop import one_line
from qondor_xero.tracking import (
    branding_theme_id,
    categories_by_name,
    themes_by_name,
    tracking_problems,
)
from qondor_xero.transform import item_label
from qondor_xero.xero import scopes
from qondor_xero.xero.token_db import DatabaseTokenStore
from qondor_xero.xero.token_store import KEY_VARIABLE

# target-xero's settings hold everything a check needs: both APIs, credentials and the mapping.
SETTINGS_PLUGIN = "target-xero"
SECRET_SETTINGS = ("client_secret", "qondor_api_key", "api_key", "refresh_token")


@dataclass(frozen=True)
class Check:
    """One line of the validation report: `ok` is None when the check could not run."""

    name: str
    ok: bool | None
    detail: str
    warning: bool = False  # passed, but something to fix (printed WARN)

    def line(self) -> str:
        """The check as printed: `OK`, `WARN`, `FAIL` or `SKIP`, its name and what to do."""
        word = "WARN" if self.warning else {True: "OK  ", False: "FAIL", None: "SKIP"}[self.ok]
        return f"{word} {self.name}: {self.detail}"


class SettingsError(RuntimeError):
    """The settings could not be read (unknown environment, Meltano failed, unreadable file)."""


# --- reading the settings ------------------------------------------------------------------


def settings_from_environment(environment: str, project_dir: str | Path = ".") -> dict[str, Any]:
    """Return target-xero's resolved settings in a Meltano environment (secrets included)."""
    meltano = _meltano_executable()
    result = subprocess.run(
        [meltano, "--environment", environment, "invoke", "--dump=config", SETTINGS_PLUGIN],
        cwd=project_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "MELTANO_CLI_LOG_LEVEL": "warning"},
        check=False,
    )
    if result.returncode != 0:
        reason = _last_line(result.stderr) or f"exit code {result.returncode}"
        raise SettingsError(f"meltano could not read environment {environment!r}: {reason}")
    try:
        return json.loads(result.stdout[result.stdout.index("{") :])
    except ValueError:
        raise SettingsError(
            f"meltano printed no settings for environment {environment!r}"
        ) from None


def settings_from_file(path: str | Path) -> dict[str, Any]:
    """Return settings from a target-xero config JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: cannot read settings ({one_line(exc)})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: settings must be a JSON object")
    return data


def _meltano_executable() -> str:
    """The `meltano` next to this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("meltano")
    if beside.exists():
        return str(beside)
    found = shutil.which("meltano")
    if not found:
        raise SettingsError("meltano is not installed; run `make install` or pass --config")
    return found


# --- the checks (pure: data in, Check out) --------------------------------------------------


def check_scopes(granted: list[str], standard_app: bool, creates_options: bool = False) -> Check:
    """The access token's scopes cover what each plugin needs (and offline_access for a
    standard app, without which Xero gives no refresh token); `creates_options` when the mapping
    creates tracking options, which needs accounting.settings (write)."""
    problems = [
        f"{scope} (needed by {plugin}"
        + (" to create tracking options" if scope == "accounting.settings" else "")
        + ")"
        for plugin, needed in scopes.needs(creates_options).items()
        for scope in scopes.missing(granted, needed)
    ]
    if standard_app and scopes.OFFLINE_ACCESS not in granted:
        problems.append(f"{scopes.OFFLINE_ACCESS} (needed by a standard app for refresh tokens)")
    held = " ".join(granted) or "none"
    if problems:
        return Check(
            "xero scopes",
            False,
            f"not granted: {', '.join(problems)}; granted: {held} — add them to the app at "
            "developer.xero.com (a standard app: then run `qondor-xero connect` again)",
        )
    return Check("xero scopes", True, f"granted {held}: every scope the plugins need")


def check_token_store(store: Any) -> Check | None:
    """Where the rotating tokens are kept; a warning when a database holds them in plaintext."""
    if store is None:
        return None
    if not isinstance(store, DatabaseTokenStore):
        return Check("token store", True, f"file {store.description} (one machine only)")
    if store.stored_plaintext():
        return Check(
            "token store",
            True,
            f"{store.description} holds the Xero tokens in plaintext: set {KEY_VARIABLE} "
            "to a Fernet key; the next refresh encrypts them",
            warning=True,
        )
    word = "encrypted" if store.encrypted else "no tokens stored yet"
    return Check("token store", True, f"{store.description}: {word}")


def check_account_codes(mapping: Mapping, accounts: list[dict]) -> Check:
    """Every mapped account code exists in Xero's chart of accounts and is ACTIVE."""
    by_code = {str(a.get("Code")): a for a in accounts if a.get("Code") is not None}
    problems = []
    for article, code in sorted(mapping.account_codes.items()):
        account = by_code.get(code)
        if account is None:
            problems.append(f"{article} → {code!r} is not in Xero's chart of accounts")
        elif account.get("Status", "ACTIVE") != "ACTIVE":
            problems.append(f"{article} → {code!r} ({account.get('Name')}) is {account['Status']}")
    if problems:
        return Check(
            "account codes",
            False,
            "; ".join(problems)
            + f" — fix account_codes in {mapping.path} or add/activate the account in Xero",
        )
    return Check(
        "account codes",
        True,
        f"all {len(mapping.account_codes)} mapped codes exist and are ACTIVE in Xero",
    )


def check_card_payment_account(
    mapping: Mapping, accounts: list[dict], queue: Iterable[dict] = ()
) -> Check:
    """The card payment account exists, is ACTIVE and accepts payments (bank or payments enabled)."""
    name = "card payment account"
    code = mapping.card_payment_account
    if not code:
        card_items = [i for i in queue if _kind(i) == "CreditCardPayment"]
        if card_items:
            return Check(
                name,
                False,
                f"card_payment_account is not set in {mapping.path} but {len(card_items)} card "
                "payment(s) are queued; set it to a Xero bank account code",
            )
        return Check(name, True, "not set (no card payments queued)")
    account = next((a for a in accounts if str(a.get("Code")) == code), None)
    if account is None:
        return Check(
            name,
            False,
            f"{code!r} is not in Xero's chart of accounts; fix card_payment_account in {mapping.path}",
        )
    if account.get("Status", "ACTIVE") != "ACTIVE":
        return Check(
            name, False, f"{code!r} ({account.get('Name')}) is {account['Status']} in Xero"
        )
    if account.get("Type") != "BANK" and not account.get("EnablePaymentsToAccount"):
        return Check(
            name,
            False,
            f"{code!r} ({account.get('Name')}) does not accept payments: use a bank account or "
            "tick 'Enable payments to this account' in Xero",
        )
    return Check(name, True, f"{code!r} ({account.get('Name')}) accepts payments")


def check_currencies(queue: Iterable[dict], currencies: list[dict]) -> Check:
    """Every currency of a queued item is enabled in Xero."""
    enabled = {str(c.get("Code")) for c in currencies}
    seen: dict[str, list[str]] = {}
    for item in queue:
        currency = item.get("currency")
        if currency:
            seen.setdefault(currency, []).append(str(item.get("invoiceNumber")))
    missing = {c: numbers for c, numbers in seen.items() if c not in enabled}
    if missing:
        parts = [f"{c} (invoices {_some(numbers)})" for c, numbers in sorted(missing.items())]
        return Check(
            "currencies",
            False,
            "not enabled in Xero: "
            + ", ".join(parts)
            + " — enable them in Xero's currency settings",
        )
    if not seen:
        return Check("currencies", True, "no queued items to check")
    return Check("currencies", True, f"{', '.join(sorted(seen))} all enabled in Xero")


def check_articles_mapped(mapping: Mapping, queue: Iterable[dict]) -> Check:
    """Every article number on a queued item's lines is in the mapping's account_codes."""
    unmapped: dict[str, list[str]] = {}
    count = 0
    for item in queue:
        count += 1
        for line in item.get("lines") or []:
            article = line.get("articleNumber")
            if mapping.account_code(article) is None:
                numbers = unmapped.setdefault(str(article), [])
                number = str(item.get("invoiceNumber"))
                if number not in numbers:
                    numbers.append(number)
    if unmapped:
        parts = [f"{a} (invoices {_some(n)})" for a, n in sorted(unmapped.items())]
        return Check(
            "article numbers",
            False,
            "not in account_codes: " + ", ".join(parts) + f" — map them in {mapping.path}",
        )
    return Check("article numbers", True, f"every article number on {count} queued items is mapped")


def check_tax_rates(
    mapping: Mapping, accounts: list[dict], tax_rates: list[dict], queue: Iterable[dict] = ()
) -> Check:
    """Each mapped article's account carries the VAT rate of the queued lines with that article.

    Lists every article's account, tax type and rate (so a CSM can confirm them by eye with an
    empty queue) and the rates queued lines carry; FAIL on any disagreement.
    """
    taxes = account_taxes(accounts, tax_rates)
    lines_by_article: dict[str, list[tuple[dict, str]]] = {}
    for item in queue:
        for line in item.get("lines") or []:
            article = str(line.get("articleNumber"))
            lines_by_article.setdefault(article, []).append((line, str(item.get("invoiceNumber"))))
    listed, problems = [], []
    for article, code in sorted(mapping.account_codes.items()):
        account = taxes.get(code)
        if account is None:
            continue  # the account codes check names it
        if account.problem or account.rate is None:
            problems.append(f"{article} → account {code} ({account.name}) {account.problem}")
            continue
        queued: dict[str, list[str]] = {}
        wrong: dict[str, list[str]] = {}
        for line, number in lines_by_article.get(article, []):
            rate = qondor_rate(line)
            shown = percent(rate) if rate is not None else "no rate"
            numbers = queued.setdefault(shown, [])
            if number not in numbers:
                numbers.append(number)
            if not rate_agrees(line, account.rate) and number not in wrong.setdefault(shown, []):
                wrong[shown].append(number)
        carried = ", ".join(f"{r} ({_some(n, 3)})" for r, n in queued.items()) or "none queued"
        listed.append(
            f"{article} → {code} {account.tax_type} {percent(account.rate)} [queued: {carried}]"
        )
        wrong = {r: n for r, n in wrong.items() if n}
        if wrong:
            problems.append(
                f"{article} → account {code} ({account.name}) has tax rate "
                f"{percent(account.rate)} ({account.tax_type}) but queued lines carry "
                + ", ".join(f"{r} (invoices {_some(n)})" for r, n in wrong.items())
            )
    if problems:
        return Check(
            "tax rates",
            False,
            "; ".join(problems) + f" — map each article in {mapping.path} to an account whose "
            "tax rate is its lines' VAT rate",
        )
    return Check("tax rates", True, "; ".join(listed) or "no article numbers mapped")


def check_tracking(mapping: Mapping, categories: list[dict], queue: Iterable[dict] = ()) -> Check:
    """The mapping's tracking categories exist and are active in Xero, and every option the
    queued items need exists (or will be created where `create_options` says so)."""
    by_name = categories_by_name(categories)
    problems: dict[str, list[str]] = {}
    for rule in mapping.tracking:
        category = by_name.get(rule.category.casefold())
        if category is None or category.status != "ACTIVE":
            state = "is not in Xero" if category is None else f"is {category.status} in Xero"
            problems.setdefault(f"category {rule.category} {state}", [])
    created: dict[str, list[str]] = {}
    for item in queue:
        found, create = tracking_problems(item, mapping, by_name)
        number = str(item.get("invoiceNumber"))
        for problem in found:  # "Invoice 8003: tracking category Office has no option …; …"
            why = problem.removeprefix(f"{item_label(item)}: tracking ").split(";")[0]
            problems.setdefault(why, []).append(number)
        for category, option in create:
            created.setdefault(f"{category.name} {option!r}", []).append(number)
    name = "tracking"
    if problems:
        parts = [f"{why} (invoices {_some(n)})" if n else why for why, n in problems.items()]
        return Check(
            name,
            False,
            "; ".join(parts) + f" — add them in Xero or fix tracking in {mapping.path} "
            "(create_options: true creates missing options)",
        )
    listed = ", ".join(
        f"{by_name[r.category.casefold()].name} ← {r.option}"
        + (" (creates missing options)" if r.create_options else "")
        for r in mapping.tracking
    )
    detail = f"{listed}: active in Xero, every option the queue needs exists"
    if created:
        detail += "; to be created: " + ", ".join(
            f"{o} (invoices {_some(n, 3)})" for o, n in created.items()
        )
    return Check(name, True, detail)


def check_branding_themes(
    mapping: Mapping, themes: list[dict], queue: Iterable[dict] = ()
) -> Check:
    """Every branding theme the mapping names exists in Xero (GET /BrandingThemes)."""
    by_name = themes_by_name(themes)
    missing = sorted(
        {n for n in mapping.branding_themes.values() if n.strip().casefold() not in by_name}
    )
    if missing:
        return Check(
            "branding themes",
            False,
            f"not in Xero: {', '.join(repr(m) for m in missing)} (Xero has "
            f"{', '.join(repr(t.get('Name')) for t in themes) or 'none'}) — fix branding_themes "
            f"in {mapping.path} or add the theme in Xero",
        )
    used = sum(1 for item in queue if branding_theme_id(item, mapping, by_name)[0])
    offices = ", ".join(f"{k} → {v}" for k, v in mapping.branding_themes.items())
    return Check("branding themes", True, f"{offices}: in Xero; {used} queued items use one")


# --- running them ---------------------------------------------------------------------------


def validate_setup(settings: dict[str, Any], mapping_file: str | None = None) -> list[Check]:
    """Run every check for target-xero `settings`; later checks are skipped when their input fails."""
    checks: list[Check] = []
    secrets = [str(settings[k]) for k in SECRET_SETTINGS if settings.get(k)]

    path = mapping_file or settings.get("mapping_file")
    mapping: Mapping | None = None
    if not path:
        checks.append(Check("mapping file", False, "mapping_file is not set"))
    else:
        try:
            mapping = load_mapping(path)
            checks.append(
                Check(
                    "mapping file",
                    True,
                    f"{path}: {len(mapping.account_codes)} article numbers mapped, "
                    f"invoices {mapping.invoice_status}",
                )
            )
        except MappingError as exc:
            checks.append(Check("mapping file", False, str(exc)))

    creates = mapping is not None and any(r.create_options for r in mapping.tracking)
    accounts, currencies, tax_rates = _read_xero(settings, checks, secrets, creates)
    queue = _read_queue(settings, mapping, checks, secrets)

    if mapping is None:
        reason = "needs a valid mapping file"
        for name in ("account codes", "card payment account", "tax rates", "article numbers"):
            checks.append(Check(name, None, reason))
    if accounts is not None and mapping is not None:
        checks.append(check_account_codes(mapping, accounts))
        checks.append(check_card_payment_account(mapping, accounts, queue or ()))
        checks.append(check_tax_rates(mapping, accounts, tax_rates or [], queue or ()))
    elif mapping is not None:
        for name in ("account codes", "card payment account", "tax rates"):
            checks.append(Check(name, None, "needs a working Xero connection"))
    if currencies is not None and queue is not None:
        checks.append(check_currencies(queue, currencies))
    else:
        checks.append(Check("currencies", None, "needs both Xero and Qondor connections"))
    if queue is not None and mapping is not None:
        checks.append(check_articles_mapped(mapping, queue))
    elif mapping is not None:
        checks.append(Check("article numbers", None, "needs a working Qondor connection"))
    if mapping is not None and (mapping.tracking or mapping.branding_themes):
        checks += _xero_settings_checks(settings, mapping, accounts is not None, queue or [])
    return [replace(c, detail=redact(c.detail, secrets)) for c in checks]


def _xero_settings_checks(
    settings: dict[str, Any], mapping: Mapping, connected: bool, queue: list[dict]
) -> list[Check]:
    """The tracking and branding checks, reading Xero's categories and themes (settings scope)."""
    wanted = [
        (name, read, check)
        for name, used, read, check in (
            ("tracking", mapping.tracking, "get_tracking_categories", check_tracking),
            (
                "branding themes",
                mapping.branding_themes,
                "get_branding_themes",
                check_branding_themes,
            ),
        )
        if used
    ]
    if not connected:
        return [Check(name, None, "needs a working Xero connection") for name, _r, _c in wanted]
    from qondor_xero.xero import XeroError

    client = _xero_client(settings)
    checks = []
    for name, read, check in wanted:
        try:
            checks.append(check(mapping, getattr(client, read)(), queue))
        except XeroError as exc:
            detail = f"{one_line(exc)} — the connection needs the accounting.settings scope"
            checks.append(Check(name, False, detail))
    return checks


def _xero_client(settings: dict[str, Any], creates_options: bool = False) -> Any:
    """The Xero client validate's checks read through, from target-xero's settings, asking for
    the scopes target-xero asks for; a refresh token is spent only with a store to keep its
    successor."""
    from qondor_xero.xero.settings import xero_client

    standard_app = bool(settings.get("token_store") and settings.get("refresh_token"))
    wanted = scopes.request_for(creates_options, standard_app)
    return xero_client(settings, wanted_scopes=wanted, keep_tokens=True)


def _read_xero(
    settings: dict[str, Any], checks: list[Check], secrets: list[str], creates_options: bool
) -> tuple[list[dict] | None, list[dict] | None, list[dict] | None]:
    """Connect to Xero and read accounts, currencies and tax rates; record the connection check."""
    missing = [k for k in ("client_id", "client_secret") if not settings.get(k)]
    if missing:
        checks.append(
            Check(
                "xero connection",
                False,
                f"{' and '.join(missing)} not set: set the environment variable(s) the "
                "environment file names, or TARGET_XERO_" + "/".join(m.upper() for m in missing),
            )
        )
        return None, None, None
    from qondor_xero.xero import XeroError, XeroScopeError

    try:
        client = _xero_client(settings, creates_options)
        granted = client.granted_scopes()
        checks.append(check_scopes(granted, client.standard_app, creates_options))
        store = check_token_store(client.token_store)
        if store is not None:
            checks.append(store)
        accounts = client.get_accounts()
        currencies = client.get_currencies()
        tax_rates = client.get_tax_rates()
        tenant = client.tenant_id
    except XeroScopeError as exc:
        checks.append(Check("xero connection", False, redact(one_line(exc), secrets)))
        return None, None, None
    except (XeroError, ValueError, OSError) as exc:
        detail = redact(one_line(exc), secrets)
        checks.append(
            Check("xero connection", False, f"{detail} — check client_id, client_secret, tenant_id")
        )
        return None, None, None
    checks.append(
        Check(
            "xero connection",
            True,
            f"tenant {tenant}: {len(accounts)} accounts, {len(currencies)} currencies, "
            f"{len(tax_rates)} tax rates",
        )
    )
    return accounts, currencies, tax_rates


def _read_queue(
    settings: dict[str, Any], mapping: Mapping | None, checks: list[Check], secrets: list[str]
) -> list[dict] | None:
    """Read Qondor's queue (filtered by the mapping's offices/projects); record the check."""
    api_key = settings.get("qondor_api_key") or settings.get("api_key")
    if not api_key:
        checks.append(
            Check(
                "qondor connection",
                False,
                "qondor_api_key not set: set the environment variable the environment file "
                "names, or TARGET_XERO_QONDOR_API_KEY",
            )
        )
        return None
    from qondor_xero.qondor import QondorClient, QondorError

    try:
        client = QondorClient(
            settings.get("qondor_api_url") or "https://qondor.azure-api.net/Prod", api_key
        )
        queue = client.get_unprocessed_invoices()
    except (QondorError, ValueError, OSError) as exc:
        detail = redact(one_line(exc), secrets)
        checks.append(
            Check("qondor connection", False, f"{detail} — check qondor_api_url, qondor_api_key")
        )
        return None
    if mapping is not None:
        queue = [i for i in queue if mapping.includes(i.get("officeId"), i.get("projectId"))]
    if mapping is not None and mapping.needs_office_names and queue:
        try:
            names = {o["id"]: o.get("name") for o in client.get_offices()}
        except (QondorError, ValueError, OSError) as exc:
            detail = redact(one_line(exc), secrets)
            checks.append(Check("qondor connection", False, f"offices: {detail}"))
            return None
        for item in queue:
            item["officeName"] = names.get(item.get("officeId"))
    checks.append(Check("qondor connection", True, f"{len(queue)} items queued for this mapping"))
    return queue


def _kind(item: dict) -> str | None:
    """The item's invoice type name (`CreditCardPayment`, ...)."""
    if item.get("invoiceTypeText"):
        return item["invoiceTypeText"]
    return {1: "OfferInvoice", 2: "FormInvoice", 3: "BookingInvoice", 4: "CreditCardPayment"}.get(
        item.get("invoiceType")
    )


def _some(values: list[str], limit: int = 5) -> str:
    """Up to `limit` values, then how many more."""
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _last_line(text: str) -> str:
    """The last non-empty line of `text`, without Meltano's log prefix."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return re.sub(r"^\S+\s+\[\w+\s*\]\s+meltano\s+", "", lines[-1])
