"""One target-xero run: the clients, the mapping, the customer registry, and what each item became."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qondor_xero.mapping import Mapping, load_mapping
from qondor_xero.money import AccountTax, account_taxes
from qondor_xero.qondor import (
    QondorAuthError,
    QondorClient,
    QondorRateLimited,
    QondorServerError,
)
from qondor_xero.tracking import (
    Category,
    branding_theme_id,
    categories_by_name,
    themes_by_name,
    tracking_problems,
)
from qondor_xero.transform import (
    CREDIT_NOTE,
    booker_keys,
    booker_to_contact,
    customer_keys,
    customer_to_contact,
    failure_message,
    is_booker_item,
    item_label,
)
from qondor_xero.writers import RecordingWriter, XeroWriter
from qondor_xero.xero import (
    XeroAuthError,
    XeroClient,
    XeroError,
    XeroRateLimited,
    XeroServerError,
    XeroTenantError,
    parse_xero_date,
)
from qondor_xero.xero.scopes import request_for
from target_xero.acknowledge import Acknowledger, Outcome, RecordingAcknowledger
from target_xero.contacts import ContactResolver, WantedContact
from target_xero.report import Report

logger = logging.getLogger("target-xero")

# Faults no item can be blamed for: stop the run, mark nothing Failed, keep the queue for next time.
SYSTEMIC = (
    XeroAuthError,
    XeroTenantError,
    XeroRateLimited,
    XeroServerError,
    QondorAuthError,
    QondorRateLimited,
    QondorServerError,
)


# What a Xero contact is made of (transform.customer_to_contact), and what item checks read.
CUSTOMER_FIELDS = (
    "id",
    "name",
    "organisationNumber",
    "vatNumber",
    "invoiceEmail",
    "countryCode",
    "address",
    "address2",
    "zipCode",
    "city",
    "country",
    "invoiceAddressEnabled",
    "invoiceAddress",
    "invoiceAddress2",
    "invoiceZipCode",
    "invoiceCity",
    "invoiceCountry",
    "invoiceCountryCode",
    "phoneNumber",
    "invoiceCurrency",
)
CHECKED_FIELDS = ("id", "name", "organisationNumber", "vatNumber", "invoiceEmail", "countryCode")


class RunStopped(SystemExit):
    """A systemic fault stopped the run; the message is one line for the operator."""


class SyncRun:
    """Shared by the sinks of one target run: clients, mapping, contacts, counters."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.dry_run = bool(config.get("dry_run", False))
        # A dry run acknowledges too, to a recorder: it says what Qondor would be told.
        self.acknowledge_items = bool(config.get("acknowledge", True))
        self.mapping: Mapping = load_mapping(config["mapping_file"])
        self.report = Report(dry_run=self.dry_run)
        # Customer id → its CUSTOMER_FIELDS' values; once contacts are resolved, CHECKED_FIELDS'.
        self.customers: dict[int, tuple] = {}
        # InvoiceNumber → (InvoiceID, Status, AmountDue, CurrencyCode, day): what Xero holds.
        self.invoices_seen: dict[str, tuple] = {}
        # InvoiceNumber → why it failed in this run (credit notes that cancel it fail too).
        self.invoices_failed: dict[str, str] = {}
        # InvoiceNumber → Qondor id of this run's items acknowledged as Processed, not yet Paid.
        self.invoices_processed: dict[str, int] = {}
        self._xero: XeroClient | None = None
        self._qondor: QondorClient | None = None
        self._writer: XeroWriter | None = None
        self._resolver: ContactResolver | None = None
        self._currencies: set[str] | None = None
        self._contacts_prepared = False
        self._acknowledger: Acknowledger | RecordingAcknowledger | None = None
        self._accounts_checked = False
        # Account code → its tax type and rate (money.account_taxes), read with the accounts.
        self.account_taxes: dict[str, AccountTax] = {}
        # Xero's tracking categories and branding themes, read with the accounts when mapped.
        self.tracking_categories: dict[str, Category] = {}
        self.branding_themes: dict[str, str] = {}
        # Invoice and credit note numbers of this run → the Qondor id that had them first.
        self._numbers: dict[bool, dict[str, int]] = {False: {}, True: {}}
        self._check_settings()

    def _check_settings(self) -> None:
        """Build the clients now, so a bad URL or missing secret stops the run before any input."""
        try:
            _ = self.xero
        except (ValueError, XeroError) as exc:
            raise RunStopped(f"target-xero: {_one_line(exc)}") from None
        if self.acknowledge_items and not self.dry_run:
            url, key = self.config.get("qondor_api_url"), self.config.get("qondor_api_key")
            if not url or not key:
                raise RunStopped(
                    "target-xero: acknowledge is on but qondor_api_url or qondor_api_key is not set"
                )
            try:
                self._qondor = QondorClient(url, key)
            except ValueError as exc:
                raise RunStopped(f"target-xero: qondor_api_url: {_one_line(exc)}") from None

    # ---------------------------------------------------------------- clients

    @property
    def xero(self) -> XeroClient:
        """The Xero client, created on first use."""
        if self._xero is None:
            c = self.config
            self._xero = XeroClient(
                c["api_url"],
                c["identity_url"],
                c["client_id"],
                c["client_secret"],
                tenant_id=c.get("tenant_id") or None,
                token_store=c.get("token_store") or None,
                refresh_token=c.get("refresh_token") or None,
                scopes=c.get("scopes") or None,
                wanted_scopes=self._settings_scope(),
            )
        return self._xero

    @property
    def writer(self) -> XeroWriter:
        """Every write to Xero goes through it; a dry run's records instead of sending."""
        if self._writer is None:
            kind = RecordingWriter if self.dry_run else XeroWriter
            self._writer = kind(self.xero, self.tick)
        return self._writer

    def _settings_scope(self) -> list[str] | None:
        """The scopes to ask for when the mapping creates tracking options: what the plugins
        need, with accounting.settings (write) for PUT /TrackingCategories/{id}/Options."""
        creates = any(rule.create_options for rule in self.mapping.tracking)
        return request_for(creates, standard_app=bool(self.config.get("refresh_token")))

    @property
    def qondor(self) -> QondorClient:
        """The Qondor client for acknowledgements (built with the run when acknowledging)."""
        if self._qondor is None:
            raise RunStopped("target-xero: acknowledge is off: no Qondor client")
        return self._qondor

    @property
    def contacts(self) -> ContactResolver:
        """The run's contact resolver."""
        if self._resolver is None:
            self._resolver = ContactResolver(self.xero, self.writer, self.report, self.tick)
        return self._resolver

    @property
    def currencies(self) -> set[str]:
        """Currency codes enabled in Xero (read once)."""
        if self._currencies is None:
            self._currencies = {c["Code"] for c in self.xero.get_currencies() if c.get("Code")}
            self.tick()
        return self._currencies

    def check_accounts(self) -> None:
        """Once, before any write: every mapped account code is an active account in Xero, and
        each account's tax rate is known (GET /TaxRates) for the items' money checks."""
        if self._accounts_checked:
            return
        self._accounts_checked = True
        chart = self.xero.get_accounts()
        accounts = {a.get("Code"): a for a in chart if a.get("Code")}
        self.account_taxes = account_taxes(chart, self.xero.get_tax_rates())
        self.tick()
        where = self.mapping.path
        for article, code in self.mapping.account_codes.items():
            account = accounts.get(code)
            if account is None or account.get("Status", "ACTIVE") != "ACTIVE":
                state = "does not exist" if account is None else "is archived"
                raise RunStopped(
                    f"target-xero: {where}: account_codes.{article}: account {code!r} {state} "
                    "in Xero; fix the mapping or the chart of accounts"
                )
        card = self.mapping.card_payment_account
        if card:
            account = accounts.get(card)
            payable = account is not None and (
                account.get("Type") == "BANK" or account.get("EnablePaymentsToAccount")
            )
            if not payable:
                raise RunStopped(
                    f"target-xero: {where}: card_payment_account: account {card!r} "
                    "does not exist in Xero or does not accept payments"
                )
        if self.mapping.tracking:
            self.tracking_categories = categories_by_name(self.xero.get_tracking_categories())
        if self.mapping.branding_themes:
            self.branding_themes = themes_by_name(self.xero.get_branding_themes())

    def settings_problems(self, item: dict[str, Any]) -> list[str]:
        """Why Xero cannot take the item's tracking options or branding theme; options the
        mapping lets us create are created first (only logged in a dry run)."""
        problems, create = tracking_problems(item, self.mapping, self.tracking_categories)
        _theme, why = branding_theme_id(item, self.mapping, self.branding_themes)
        problems += [why] if why else []
        if problems:
            return problems
        for category, option in create:
            result = self.writer.create_tracking_option(category, option)
            self.tick()
            if result.ok and result.obj:
                category.add(result.obj)
                self.report.add("tracking_options", "created")
            else:
                self.report.add("tracking_options", "failed")
                problems.append(
                    f"{item_label(item)}: tracking category {category.name}: option {option!r} "
                    f"could not be created in Xero: {'; '.join(result.errors) or 'no reason given'}"
                )
        return problems

    def duplicate_of(self, item: dict[str, Any]) -> int | None:
        """The Qondor id of an earlier item of this run with the same number, if any."""
        numbers = self._numbers[item.get("invoiceKind") == CREDIT_NOTE]
        first = numbers.setdefault(str(item.get("invoiceNumber") or "").strip(), int(item["id"]))
        return first if first != int(item["id"]) else None

    def xero_calls(self) -> int:
        """Xero calls so far."""
        return sum(self._xero.calls.values()) if self._xero else 0

    def qondor_calls(self) -> int:
        """Qondor calls so far."""
        return sum(self._qondor.calls.values()) if self._qondor else 0

    def tick(self) -> None:
        """Log progress when a few seconds have passed since the last line."""
        if self.report.progress_due():
            logger.info(self.report.progress_line(self.xero_calls(), self.qondor_calls()))

    # ---------------------------------------------------------------- contacts

    def add_customer(self, customer: dict[str, Any]) -> None:
        """Keep what the contact needs of a customer until the items that name it arrive.

        A tuple of values each (a large queue names tens of thousands of customers).
        """
        self.customers[int(customer["id"])] = tuple(
            _interned(customer.get(k)) for k in CUSTOMER_FIELDS
        )

    def customer_of(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The full customer record of an item, else the short one embedded in it."""
        customer_id = item.get("customerId") or (item.get("customer") or {}).get("id")
        if customer_id is not None and int(customer_id) in self.customers:
            return _customer_record(self.customers[int(customer_id)])
        return item.get("customer")

    def wanted_contact(self, item: dict[str, Any]) -> WantedContact | None:
        """The contact an item needs, or None when it has nothing to match by."""
        if is_booker_item(item):
            booker = item.get("booker") or {}
            keys = booker_keys(booker)
            if keys is None:
                return None
            currency = item.get("currency") if item.get("currency") in self.currencies else None
            payload = booker_to_contact(booker, currency)
            return WantedContact(keys, payload, keys.email or keys.contact_number, ("email",))
        customer = self.customer_of(item)
        if not customer or "id" not in customer:
            return None
        return self._wanted_customer(customer)

    def _wanted_customer(self, customer: dict[str, Any]) -> WantedContact | None:
        """The contact a customer needs."""
        keys = customer_keys(customer)
        if not keys.tax_keys and not keys.email:
            return None
        payload = customer_to_contact(customer)
        if payload.get("DefaultCurrency") not in self.currencies:
            payload.pop("DefaultCurrency", None)  # Xero refuses a contact in a disabled currency
        if not payload.get("Name"):
            return None
        qualifier = (
            (customer.get("organisationNumber") or "").strip()
            or (customer.get("vatNumber") or "").strip()
            or keys.email
            or keys.contact_number
        )
        return WantedContact(keys, payload, qualifier, self.mapping.contact_match)

    def customer_contacts_once(self) -> list[WantedContact]:
        """The first time only: the contacts of every customer received so far (resolved in bulk),
        unless the mapping filters offices or projects.

        Once they are resolved only what the item checks need is kept of each customer.
        """
        if self._contacts_prepared:
            return []
        self._contacts_prepared = True
        if self.mapping.offices or self.mapping.projects:
            # Filtered: a contact is resolved only for an in-scope item that names it.
            return []
        wanted = []
        for customer_id, values in self.customers.items():
            customer = _customer_record(values)
            if want := self._wanted_customer(customer):
                wanted.append(want)
            self.customers[customer_id] = tuple(customer.get(k) for k in CHECKED_FIELDS)
        return wanted

    def remember_invoice(self, invoice: dict[str, Any]) -> None:
        """Keep what credit notes need to know about an invoice in Xero (a small tuple each)."""
        due = invoice.get("AmountDue")
        self.invoices_seen[invoice.get("InvoiceNumber") or ""] = (
            invoice.get("InvoiceID"),
            _interned(invoice.get("Status")),
            float(due) if due is not None else None,
            _interned(invoice.get("CurrencyCode")),
            sys.intern(xero_day(invoice)),  # few distinct days: one string each
        )

    def seen_invoice(self, number: str) -> dict[str, Any] | None:
        """What this run knows of the invoice with this number in Xero, or None."""
        seen = self.invoices_seen.get(number)
        if seen is None:
            return None
        keys = ("InvoiceID", "Status", "AmountDue", "CurrencyCode", "Day")
        return dict(zip(keys, seen, strict=True))

    def update_seen(self, number: str, **changes: Any) -> None:
        """Record a change this run made to an invoice (a payment, an allocation)."""
        seen = self.seen_invoice(number)
        if seen is not None:
            seen.update({k: v for k, v in changes.items() if v is not None})
            self.remember_invoice({"InvoiceNumber": number, **seen, "DateString": seen["Day"]})

    # ---------------------------------------------------------------- acknowledgement

    def acknowledge(self, outcomes: list[Outcome]) -> None:
        """One Qondor call per item: SetAsProcessed with the Xero id, or SetAsFailed with why."""
        for outcome in outcomes:
            label = item_label(outcome.item)
            group = "credit_notes" if outcome.item.get("invoiceKind") == CREDIT_NOTE else "invoices"
            if outcome.error is not None:
                self.report.add(group, "failed")
                logger.warning("%s failed: %s", label, outcome.error)
            self._note_invoice(outcome)
            if self.acknowledge_items:
                self.acknowledger.submit(outcome)
            else:
                self.report.items_done += 1
        self.tick()

    def _note_invoice(self, outcome: Outcome) -> None:
        """Remember how this run's invoice ended, for the credit notes that follow it."""
        if outcome.item.get("invoiceKind") == CREDIT_NOTE:
            return
        number = str(outcome.item.get("invoiceNumber") or "").strip()
        if outcome.error is not None:
            self.invoices_failed.setdefault(number, outcome.error)
        elif not outcome.paid_on:
            self.invoices_processed[number] = int(outcome.item["id"])

    def settled(self, number: str, day: str) -> None:
        """This run's invoice `number` became PAID (fully credited): mark its item Paid too."""
        item_id = self.invoices_processed.pop(number, None)
        if item_id is not None and self.acknowledge_items:
            item = {"id": item_id, "invoiceNumber": number}
            self.acknowledger.submit(Outcome(item, paid_on=day, paid_only=True))

    @property
    def acknowledger(self) -> Acknowledger | RecordingAcknowledger:
        """The background sender of Qondor acknowledgements, started on first use."""
        if self._acknowledger is None and self.dry_run:
            self._acknowledger = RecordingAcknowledger(self.report)
        if self._acknowledger is None:
            self._acknowledger = Acknowledger(self.qondor, self.report, SYSTEMIC, self.tick)
        return self._acknowledger

    # ---------------------------------------------------------------- the end

    def finish(self, out: Any = None, stopping: bool = False) -> dict[str, Any]:
        """Wait for the acknowledgements, print the summary (table and JSON line) on stderr.

        Raises RunStopped when a systemic Qondor fault stopped the acknowledgements.
        """
        error = self._acknowledger.close() if self._acknowledger else None
        xero_calls = self._xero.calls if self._xero else {}
        qondor_calls = self._qondor.calls if self._qondor else {}
        summary = self.report.summary(xero_calls, qondor_calls)  # type: ignore[arg-type]
        self.report.write_summary(out or sys.stderr, summary)
        if error is not None and not stopping:
            raise RunStopped(stop_message(error))
        return summary


def failed(item: dict[str, Any], problems: list[str]) -> Outcome:
    """An Outcome for an item that cannot go to Xero."""
    return Outcome(item, error=failure_message(problems))


@contextmanager
def stop_on_systemic(run: SyncRun) -> Iterator[None]:
    """Turn a systemic fault into a clean stop: summary, one line, exit status 1.

    Any Xero error that reaches here (a refused read, Xero down after retries, auth, quota) is
    no item's fault; items already written but not acknowledged are replayed safely next run.
    """
    try:
        yield
    except (*SYSTEMIC, XeroError) as exc:
        run.finish(stopping=True)
        raise RunStopped(stop_message(exc)) from None


def stop_message(exc: BaseException) -> str:
    """The one line a systemic stop prints."""
    return f"target-xero stopped, nothing was marked Failed: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split())


def _interned(value: Any) -> Any:
    """The one shared copy of a short string (a status, a currency, a country, a town)."""
    return sys.intern(value) if isinstance(value, str) and len(value) <= 24 else value


def _customer_record(values: tuple) -> dict[str, Any]:
    """A kept customer as a record, from its CUSTOMER_FIELDS' or CHECKED_FIELDS' values."""
    fields = CUSTOMER_FIELDS if len(values) == len(CUSTOMER_FIELDS) else CHECKED_FIELDS
    return {k: v for k, v in zip(fields, values, strict=True) if v is not None}


def xero_day(invoice: dict[str, Any]) -> str:
    """A Xero object's date as YYYY-MM-DD, from DateString or /Date()/."""
    if invoice.get("DateString"):
        return str(invoice["DateString"])[:10]
    value = invoice.get("Date")
    if isinstance(value, str) and value.startswith("/Date("):
        return parse_xero_date(value).date().isoformat()
    return str(value or "")[:10]
