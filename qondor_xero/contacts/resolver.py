"""Resolve Qondor customers and bookers to Xero contacts: what each needs (`wanted_contact`),
matched in bulk, then created or updated in batches through the run's writer."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from qondor_xero.contacts import ContactIndex, ContactKeys, disambiguate_name
from qondor_xero.transform import (
    booker_keys,
    booker_to_contact,
    contact_update,
    customer_keys,
    customer_to_contact,
    is_booker_item,
)
from qondor_xero.writers import XeroWriter
from qondor_xero.xero import WriteResult, XeroClient, XeroHighVolume, XeroValidationError
from qondor_xero.xero import where as w


class Counts(Protocol):
    """Where a run counts what became of its objects (qondor_xero.sync.report.Report)."""

    def add(self, group: str, outcome: str, n: int = 1) -> None: ...


PAGE_SIZE = 1000
WRITE_SLICE = 1000  # contacts per save_contacts call (a multiple of Xero's 50 per request)
MAX_WHERE_CHARS = 1200  # one lookup's where-clause, to stay well inside Xero's URL limit
NAME_TAKEN = "already assigned to another contact"

logger = logging.getLogger("target-xero")


@dataclass
class WantedContact:
    """A contact an item needs: how to match it, what it should say, how to tell it apart."""

    keys: ContactKeys
    payload: dict[str, Any]
    qualifier: str  # appended to the name when another active contact holds it
    rules: tuple[str, ...]  # matching order (bookers: email only)


def wanted_contact(
    item: dict[str, Any],
    customer: dict[str, Any] | None,
    currencies: set[str],
    contact_match: tuple[str, ...],
) -> WantedContact | None:
    """The contact an item needs (its booker's, else its customer's), or None when it has
    nothing to match by."""
    if is_booker_item(item):
        booker = item.get("booker") or {}
        keys = booker_keys(booker)
        if keys is None:
            return None
        currency = item.get("currency") if item.get("currency") in currencies else None
        payload = booker_to_contact(booker, currency)
        return WantedContact(keys, payload, keys.email or keys.contact_number, ("email",))
    if not customer or "id" not in customer:
        return None
    return wanted_customer(customer, currencies, contact_match)


def wanted_customer(
    customer: dict[str, Any], currencies: set[str], contact_match: tuple[str, ...]
) -> WantedContact | None:
    """The contact a customer needs, matched in the mapping's `contact_match` order."""
    keys = customer_keys(customer)
    if not keys.tax_keys and not keys.email:
        return None
    payload = customer_to_contact(customer)
    if payload.get("DefaultCurrency") not in currencies:
        payload.pop("DefaultCurrency", None)  # Xero refuses a contact in a disabled currency
    if not payload.get("Name"):
        return None
    qualifier = (
        (customer.get("organisationNumber") or "").strip()
        or (customer.get("vatNumber") or "").strip()
        or keys.email
        or keys.contact_number
    )
    return WantedContact(keys, payload, qualifier, contact_match)


def lookup_conditions(wanted: WantedContact) -> list[str]:
    """Where-conditions that find every Xero contact this one could match or clash with."""
    conditions = [w.eq("ContactNumber", wanted.keys.contact_number)]
    if "tax_number" in wanted.rules:
        for key in wanted.keys.tax_keys:
            conditions.append(w.contains("TaxNumber", key))
            if len(key) == 9 and key.isdigit():  # Norwegian style "923 456 789"
                conditions.append(w.contains("TaxNumber", f"{key[:3]} {key[3:6]} {key[6:]}"))
    if wanted.keys.email:
        conditions.append(w.eq("EmailAddress", wanted.keys.email))
    if wanted.payload.get("Name"):
        conditions.append(w.eq("Name", wanted.payload["Name"]))
    return conditions


def chunk_conditions(conditions: Iterable[str], limit: int = MAX_WHERE_CHARS) -> list[str]:
    """OR-join conditions into where-clauses of at most `limit` characters each."""
    clauses: list[list[str]] = [[]]
    size = 0
    for condition in dict.fromkeys(conditions):
        extra = len(condition) + 6  # "(...) OR "
        if clauses[-1] and size + extra > limit:
            clauses.append([])
            size = 0
        clauses[-1].append(condition)
        size += extra
    return [w.or_(*clause) for clause in clauses if clause]


class ContactResolver:
    """Qondor key (ContactNumber) → Xero ContactID, for customers and bookers, within one run."""

    def __init__(
        self,
        xero: XeroClient,
        writer: XeroWriter,
        report: Counts,
        on_call: Callable[[], None] | None = None,
    ) -> None:
        self.xero = xero
        self.writer = writer
        self.report = report
        self.on_call = on_call or (lambda: None)
        self.index = ContactIndex()
        self.complete = False  # every active contact is in the index
        self.looked_up: set[str] = set()
        self.contact_ids: dict[str, str] = {}
        self.failures: dict[str, str] = {}
        self._pending = 0

    def contact_id(self, keys: ContactKeys) -> tuple[str | None, str | None]:
        """(ContactID, None) when resolved, else (None, why not)."""
        key = keys.contact_number
        if key in self.contact_ids:
            return self.contact_ids[key], None
        return None, self.failures.get(key, "the Xero contact could not be resolved")

    # ---------------------------------------------------------------- reading

    def read(self, wanted: list[WantedContact]) -> None:
        """Bring every Xero contact the wanted ones could match into the index, in few calls.

        Read whole, not `summaryOnly`: a summary leaves out the TaxNumber matching goes by and
        the Addresses and Phones that decide whether a matched contact needs an update.
        """
        todo = (
            [x for x in wanted if x.keys.contact_number not in self.looked_up]
            if not self.complete
            else []
        )
        if not todo:
            return
        clauses = chunk_conditions(c for x in todo for c in lookup_conditions(x))
        first = not self.looked_up and not len(self.index)
        if first and len(clauses) > 1 and self._read_all(max_pages=len(clauses)):
            return
        try:
            for clause in clauses:
                for contact in self.xero.iter_contacts(where=clause):
                    self.index.add(contact)
                self.on_call()
        except XeroHighVolume:
            # A very large organisation refuses lookups by tax or contact number (filters Xero
            # does not optimise): read every active contact page by page instead, once.
            logger.info(
                "Xero refused the contact lookup as not efficient for this large organisation; "
                "reading all its contacts page by page instead"
            )
            self._read_all(max_pages=None)
            return
        self.looked_up.update(x.keys.contact_number for x in todo)

    def _read_all(self, max_pages: int | None) -> bool:
        """Read all active contacts unless that takes more than `max_pages` pages (None: no
        limit); True when done."""
        seen = 0
        contacts = self.xero.iter_contacts()
        try:
            for contact in contacts:
                self.index.add(contact)
                seen += 1
                if seen % PAGE_SIZE == 0:
                    self.on_call()
                    if max_pages is not None and seen // PAGE_SIZE >= max_pages:
                        # As many pages as lookups would cost and still more: look up instead.
                        logger.info(
                            "Xero has more than %d contacts; looking up the ones needed instead",
                            seen,
                        )
                        return False
        finally:
            contacts.close()
        self.complete = True
        logger.info(
            "read all %d active Xero contacts (%d pages)", seen, math.ceil(seen / PAGE_SIZE) or 1
        )
        return True

    # ---------------------------------------------------------------- matching and writing

    def resolve(self, wanted: list[WantedContact]) -> None:
        """Match each wanted contact, then create and update what is needed (≤ 50 per call)."""
        unique: dict[str, WantedContact] = {}
        for item in wanted:
            key = item.keys.contact_number
            if key not in self.contact_ids and key not in self.failures:
                unique.setdefault(key, item)
        if not unique:
            return
        self.read(list(unique.values()))
        creates: list[_Create] = []
        shared: list[tuple[str, str]] = []  # (key, pending id of a create in this batch)
        updates: list[tuple[str, dict[str, Any]]] = []
        updated_ids: set[str] = set()
        for key, item in unique.items():
            found = self.index.match(item.keys, item.rules)
            if found is not None and found[0]["ContactID"].startswith("pending:"):
                shared.append((key, found[0]["ContactID"]))
            elif found is not None:
                contact = found[0]
                self.contact_ids[key] = contact["ContactID"]
                update = contact_update(contact, item.payload)
                if update and contact["ContactID"] not in updated_ids:
                    self._settle_name(update, item, contact["ContactID"])
                    if update.get("Name") == contact.get("Name"):
                        del update["Name"]
                    if len(update) > 1:
                        updated_ids.add(contact["ContactID"])
                        updates.append((key, update))
                        continue
                self.report.add("contacts", "matched")
            else:
                self._pending += 1
                create = _Create(key, item, dict(item.payload), f"pending:{self._pending}")
                self._settle_name(create.payload, item, create.pending_id)
                self.index.add({**create.payload, "ContactID": create.pending_id})
                creates.append(create)
        self._write(creates, updates, shared)

    def _settle_name(self, payload: dict[str, Any], item: WantedContact, contact_id: str) -> None:
        """Disambiguate the name when another active contact holds it; claim it for this one."""
        name = payload.get("Name")
        if not name:
            return
        owner = self.index.name_owner(name)
        if owner and owner != contact_id:
            name = disambiguate_name(item.payload["Name"], item.qualifier)
            owner = self.index.name_owner(name)
            if owner and owner != contact_id:
                name = disambiguate_name(item.payload["Name"], item.keys.contact_number)
            payload["Name"] = name
        self.index.claim_name(name, contact_id)

    def _write(
        self, creates: list[_Create], updates: list[tuple[str, dict[str, Any]]], shared: list
    ) -> None:
        """Send creates and updates together; record ContactIDs and failures.

        They are sent WRITE_SLICE at a time (the client still batches 50 per call), so Xero's
        answers, whole contacts, are not all held at once.
        """
        writes: list[_Create | tuple[str, dict[str, Any]]] = [*creates, *updates]
        real_ids: dict[str, str] = {}
        retry: list[_Create] = []
        for start in range(0, len(writes), WRITE_SLICE):
            part = writes[start : start + WRITE_SLICE]
            payloads = [w.payload if isinstance(w, _Create) else w[1] for w in part]
            results = self.writer.save_contacts(payloads)
            self.on_call()
            for write, result in zip(part, results, strict=True):
                if isinstance(write, _Create):
                    self._create_result(write, result, real_ids, retry)
                else:
                    self._update_result(*write, result)
        if not writes:
            self.on_call()
        if retry:
            try:
                again = self.writer.save_contacts([c.payload for c in retry])
            except XeroValidationError as exc:
                again = [None] * len(retry)
                logger.warning("Xero refused the renamed contacts: %s", exc)
            self.on_call()
            for create, result in zip(retry, again, strict=True):
                if result is not None and result.ok and result.obj:
                    self._created(create, result.obj, real_ids)
                else:
                    errors = result.errors if result is not None else ["refused"]
                    self._failed(create.key, create.payload["Name"], errors)
        self._share(shared, real_ids)

    def _create_result(
        self, create: _Create, result: WriteResult, real_ids: dict[str, str], retry: list[_Create]
    ) -> None:
        """Record a create's answer; a name Xero says is taken is renamed and queued to retry."""
        if result.ok and result.obj:
            self._created(create, result.obj, real_ids)
        elif any(NAME_TAKEN in m for m in result.errors) and not create.retried:
            name = disambiguate_name(create.item.payload["Name"], create.item.qualifier)
            if name == create.payload["Name"]:
                name = disambiguate_name(create.item.payload["Name"], create.key)
            create.payload = {**create.payload, "Name": name}
            create.retried = True
            retry.append(create)
        else:
            self._failed(create.key, create.payload["Name"], result.errors)

    def _update_result(self, key: str, update: dict[str, Any], result: WriteResult) -> None:
        """Record an update's answer; a refused update leaves the contact usable."""
        if result.ok:
            self.report.add("contacts", "updated")
            if result.obj:
                self.index.add(result.obj)
        else:
            # The contact exists: invoices can still use it.
            self.report.add("contacts", "failed")
            logger.warning(
                "Xero refused to update contact %s (%s): %s",
                update["ContactID"],
                key,
                "; ".join(result.errors),
            )

    def _created(self, create: _Create, obj: dict[str, Any], real_ids: dict[str, str]) -> None:
        """Record a created contact in place of its pending entry."""
        self.contact_ids[create.key] = obj["ContactID"]
        self.report.add("contacts", "created")
        real_ids[create.pending_id] = obj["ContactID"]
        self.index.forget(create.pending_id)
        self.index.add(obj)

    def _failed(self, key: str, name: str, errors: list[str]) -> None:
        """Record a contact Xero refused to create; its items fail with Xero's reason."""
        self.failures[key] = f"Xero refused to create contact {name!r}: {'; '.join(errors)}"
        self.report.add("contacts", "failed")
        logger.warning("%s (%s)", self.failures[key], key)

    def _share(self, shared: list[tuple[str, str]], real_ids: dict[str, str]) -> None:
        """Give wanted contacts that matched a contact created in the same batch its id."""
        for key, pending in shared:
            real = real_ids.get(pending)
            if real:
                self.contact_ids[key] = real
                self.report.add("contacts", "matched")
            else:
                self.failures[key] = "the Xero contact it shares could not be created"


@dataclass
class _Create:
    """A contact to create: its Qondor key, what asked for it, the payload and its placeholder id."""

    key: str
    item: WantedContact
    payload: dict[str, Any]
    pending_id: str
    retried: bool = False
