"""One invoice sync (Qondor items into Xero): its clients, mapping, Xero's reference data, what
it remembers, and how a fault no item can be blamed for stops it. No Singer."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

from qondor_xero.contacts.resolver import ContactResolver, WantedContact, wanted_contact
from qondor_xero.contacts.resolver import wanted_customer as _wanted_customer
from qondor_xero.links import link_template, qondor_link
from qondor_xero.mapping import Mapping, MappingError, load_mapping
from qondor_xero.money import AccountTax, account_taxes
from qondor_xero.qondor import QondorAuthError, QondorClient, QondorRateLimited, QondorServerError
from qondor_xero.qondor.contract import DEFAULT_API_URL
from qondor_xero.stop import Stopped, one_line
from qondor_xero.sync.memory import Outcome, RunMemory
from qondor_xero.tracking import (
    Category,
    branding_theme_id,
    categories_by_name,
    themes_by_name,
    tracking_problems,
)
from qondor_xero.transform import CREDIT_NOTE, item_label
from qondor_xero.writers import RecordingWriter, XeroWriter
from qondor_xero.xero import (
    XeroAuthError,
    XeroClient,
    XeroError,
    XeroRateLimited,
    XeroServerError,
    XeroTenantError,
)
from qondor_xero.xero.scopes import request_for
from qondor_xero.xero.settings import xero_client

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


class RunReport(Protocol):
    """The run's counters and summary (qondor_xero.sync.report.Report)."""

    dry_run: bool
    items_received: int
    items_done: int
    items_skipped: int

    def add(self, group: str, outcome: str, n: int = 1) -> None: ...
    def progress_due(self) -> bool: ...
    def progress_line(self, xero_calls: int, qondor_calls: int) -> str: ...
    def summary(self, xero_calls: Any, qondor_calls: Any) -> dict[str, Any]: ...
    def write_summary(self, out: TextIO, summary: dict[str, Any]) -> None: ...


class Acknowledging(Protocol):
    """Sends (or, in a dry run, records) each item's acknowledgement in Qondor."""

    def submit(self, outcome: Outcome) -> None: ...
    def close(self) -> BaseException | None: ...


class RecordingAcknowledger:
    """The dry run's acknowledger: counts and logs what Qondor would be told, sends nothing."""

    def __init__(self, report: RunReport) -> None:
        self.report = report

    def submit(self, outcome: Outcome) -> None:
        """Record one outcome as the real acknowledger would send it."""
        label = item_label(outcome.item)
        if not outcome.paid_only:
            if outcome.error is not None:
                logger.info("plan: mark %s Failed in Qondor: %s", label, outcome.error)
                self.report.add("qondor", "failed")
            else:
                logger.info("plan: mark %s Processed in Qondor (%s)", label, outcome.xero_id)
                self.report.add("qondor", "processed")
            self.report.items_done += 1
        if outcome.paid_on and (outcome.paid_only or outcome.error is None):
            logger.info("plan: mark %s Paid in Qondor on %s", label, outcome.paid_on)
            self.report.add("qondor", "paid")

    def close(self) -> BaseException | None:
        """Nothing was sent: no fault."""
        return None


class SyncRun:
    """Shared by every batch of one run: clients, writer, mapping, contacts, memory, counters."""

    def __init__(
        self,
        config: dict[str, Any],
        report: RunReport,
        acknowledger: Callable[[SyncRun], Acknowledging],
    ) -> None:
        self.config = config
        self.dry_run = bool(config.get("dry_run", False))
        # A dry run acknowledges too, to a recorder: it says what Qondor would be told.
        self.acknowledge_items = bool(config.get("acknowledge", True))
        try:
            self.mapping: Mapping = load_mapping(config["mapping_file"])
        except MappingError as exc:  # one line naming the file and the key
            raise Stopped(f"target-xero: {exc}") from None
        self.report = report
        self.memory = RunMemory()
        self._new_acknowledger = acknowledger
        self._acknowledger: Acknowledging | None = None
        self._xero: XeroClient | None = None
        self._qondor: QondorClient | None = None
        self._writer: XeroWriter | None = None
        self._resolver: ContactResolver | None = None
        self._currencies: set[str] | None = None
        self._contacts_prepared = False
        self._accounts_checked = False
        # Account code → its tax type and rate (money.account_taxes), read with the accounts.
        self.account_taxes: dict[str, AccountTax] = {}
        # Xero's tracking categories and branding themes, read with the accounts when mapped.
        self.tracking_categories: dict[str, Category] = {}
        self.branding_themes: dict[str, str] = {}
        self._check_settings()

    def _check_settings(self) -> None:
        """Build the clients now, so a bad URL or missing secret stops the run before any input."""
        try:
            self.link_template = link_template(
                self.config.get("qondor_invoice_link"),
                self.config.get("qondor_api_url") or DEFAULT_API_URL,
            )
        except ValueError as exc:
            raise Stopped(f"target-xero: {exc}") from None
        try:
            _ = self.xero
        except (ValueError, XeroError) as exc:
            raise Stopped(f"target-xero: {one_line(exc)}") from None
        if self.acknowledge_items and not self.dry_run:
            url, key = self.config.get("qondor_api_url"), self.config.get("qondor_api_key")
            if not url or not key:
                raise Stopped(
                    "target-xero: acknowledge is on but qondor_api_url or qondor_api_key is not set"
                )
            try:
                self._qondor = QondorClient(url, key)
            except ValueError as exc:
                raise Stopped(f"target-xero: qondor_api_url: {one_line(exc)}") from None

    # ---------------------------------------------------------------- clients

    @property
    def xero(self) -> XeroClient:
        """The Xero client, created on first use."""
        if self._xero is None:
            self._xero = xero_client(self.config, wanted_scopes=self._settings_scope())
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
            raise Stopped("target-xero: acknowledge is off: no Qondor client")
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
                raise Stopped(
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
                raise Stopped(
                    f"target-xero: {where}: card_payment_account: account {card!r} "
                    "does not exist in Xero or does not accept payments"
                )
        if self.mapping.tracking:
            self.tracking_categories = categories_by_name(self.xero.get_tracking_categories())
        if self.mapping.branding_themes:
            self.branding_themes = themes_by_name(self.xero.get_branding_themes())

    def settings_problems(self, item: dict[str, Any]) -> list[str]:
        """Why Xero cannot take the item's tracking options or branding theme; options the
        mapping lets us create are created first (through the writer: planned in a dry run)."""
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

    def link(self, item: dict[str, Any]) -> str | None:
        """The invoice's `Url` back to its Qondor item (None when links are off)."""
        return qondor_link(self.link_template, item.get("id"))

    # ---------------------------------------------------------------- contacts

    def wanted_contact(self, item: dict[str, Any]) -> WantedContact | None:
        """The contact an item needs, or None when it has nothing to match by."""
        customer = self.memory.customer_of(item)
        return wanted_contact(item, customer, self.currencies, self.mapping.contact_match)

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
        match = self.mapping.contact_match
        for kept in self.memory.customers.values():
            if want := _wanted_customer(kept.record(), self.currencies, match):
                wanted.append(want)
            kept.slim()
        return wanted

    # ---------------------------------------------------------------- acknowledgement

    def acknowledge(self, outcomes: list[Outcome]) -> None:
        """One Qondor call per item: SetAsProcessed with the Xero id, or SetAsFailed with why."""
        for outcome in outcomes:
            group = "credit_notes" if outcome.item.get("invoiceKind") == CREDIT_NOTE else "invoices"
            if outcome.error is not None:
                self.report.add(group, "failed")
                logger.warning("%s failed: %s", item_label(outcome.item), outcome.error)
            self.memory.note_outcome(outcome)
            if self.acknowledge_items:
                self.acknowledger.submit(outcome)
            else:
                self.report.items_done += 1
        self.tick()

    def settled(self, number: str, day: str) -> None:
        """This run's invoice `number` became PAID (fully credited): mark its item Paid too."""
        item_id = self.memory.processed.pop(number, None)
        if item_id is not None and self.acknowledge_items:
            item = {"id": item_id, "invoiceNumber": number}
            self.acknowledger.submit(Outcome(item, paid_on=day, paid_only=True))

    @property
    def acknowledger(self) -> Acknowledging:
        """The acknowledger of this run, started on first use."""
        if self._acknowledger is None:
            self._acknowledger = self._new_acknowledger(self)
        return self._acknowledger

    # ---------------------------------------------------------------- the end

    def finish(self, out: TextIO | None = None, stopping: bool = False) -> dict[str, Any]:
        """Wait for the acknowledgements, print the summary (table and JSON line) on stderr.

        Stops the run when a systemic Qondor fault stopped the acknowledgements.
        """
        error = self._acknowledger.close() if self._acknowledger else None
        xero_calls = self._xero.calls if self._xero else {}
        qondor_calls = self._qondor.calls if self._qondor else {}
        summary = self.report.summary(xero_calls, qondor_calls)
        self.report.write_summary(out or sys.stderr, summary)
        if error is not None and not stopping:
            raise Stopped(stop_message(error, summary["qondor"]["failed"]))
        return summary


@contextmanager
def stop_on_systemic(run: SyncRun) -> Iterator[None]:
    """Turn a systemic fault into a clean stop: summary, one line, exit status 1.

    Any Xero error that reaches here (a refused read, Xero down after retries, auth, quota) is
    no item's fault; items already written but not acknowledged are replayed safely next run.
    """
    try:
        yield
    except (*SYSTEMIC, XeroError) as exc:
        summary = run.finish(stopping=True)
        raise Stopped(stop_message(exc, summary["qondor"]["failed"])) from None


def stop_message(exc: BaseException, failed: int = 0) -> str:
    """The one line a systemic stop prints; `failed` items were marked Failed before it.

    Items that fail on their own data are marked Failed as they are met, even in a run that
    then stops; the stop itself marks nothing, and the line says which of the two happened.
    """
    if failed == 0:
        marked = "nothing was marked Failed"
    elif failed == 1:
        marked = "only the 1 item that failed on its own data was marked Failed"
    else:
        marked = f"only the {failed} items that failed on their own data were marked Failed"
    return f"target-xero stopped, {marked}: {one_line(exc)}"
