"""Contact matching, in one place: pure keys (tax number, email, stable Qondor keys), the index
that matches them and settles name clashes (here), and the resolver that reads and writes
Xero's contacts for a run (`resolver.py`)."""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

NAME_MAX = 255
CONTACT_NUMBER_PREFIX = "QONDOR-"

# Country prefixes and suffixes that decorate the same registration number.
_LETTER_PREFIX = re.compile(r"^([A-Z]{2})(?=[0-9])")
_SUFFIXES = ("MVA", "MWST", "TVA", "IVA")
_SWISS = re.compile(r"^CHE(?=[0-9])")
_AUSTRIA = re.compile(r"^ATU(?=[0-9])")


def tax_key(value: Any) -> str | None:
    """Return a format-free key for a VAT or organisation number, or None when it has no digits.

    `NO923456789MVA`, `923 456 789` and `923456789` all give `923456789`; likewise
    `SE556677889901` / `556677-8899`, `DK12345678` / `12345678`, `CHE-123.456.789 MWST` /
    `123456789`. Numbers with letters inside (`NL123456789B01`) keep them.
    """
    if value is None:
        return None
    text = re.sub(r"[^0-9A-Z]", "", str(value).upper())
    if not any(ch.isdigit() for ch in text):
        return None
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    country = None
    if _SWISS.match(text):
        text, country = text[3:], "CH"
    elif _AUSTRIA.match(text):
        text, country = text[3:], "AT"
    elif found := _LETTER_PREFIX.match(text):
        country = found.group(1)
        text = text[2:]
    # A Swedish VAT number is the organisation number plus "01".
    if country == "SE" and len(text) == 12 and text.endswith("01"):
        text = text[:10]
    return text or None


def tax_country(value: Any) -> str | None:
    """The country a tax number names by its prefix (`NO923456789MVA` → `NO`), else None."""
    if value is None:
        return None
    text = re.sub(r"[^0-9A-Z]", "", str(value).upper())
    if _SWISS.match(text):
        return "CH"
    found = _LETTER_PREFIX.match(text) or _AUSTRIA.match(text)
    if not found:
        return None
    country = text[:2]
    return "GR" if country == "EL" else country


def countries_agree(a: str | None, b: str | None) -> bool:
    """Whether two tax numbers' countries can be the same (an unknown country agrees with any)."""
    return a is None or b is None or a == b


def email_key(value: Any) -> str | None:
    """Return a lower-cased, trimmed email, or None when it is not an email."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text if "@" in text else None


def name_key(value: Any) -> str:
    """Return the form under which Xero compares contact names (case and spacing free)."""
    return " ".join(str(value or "").split()).casefold()


def customer_contact_number(customer_id: Any) -> str:
    """The ContactNumber of a contact created for a Qondor customer."""
    return f"{CONTACT_NUMBER_PREFIX}C-{customer_id}"


def booker_contact_number(email: str) -> str:
    """The ContactNumber of a contact created for a booker: a short hash of the email."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]
    return f"{CONTACT_NUMBER_PREFIX}B-{digest}"


def our_contact_number(value: Any) -> str | None:
    """A ContactNumber this integration gave (QONDOR-...), else None: only ours are matched on."""
    text = str(value or "").strip()
    return text if text.startswith(CONTACT_NUMBER_PREFIX) else None


def disambiguate_name(name: str, qualifier: str) -> str:
    """Return `name (qualifier)`, cut so it fits Xero's 255 characters."""
    suffix = f" ({qualifier})"
    return name[: NAME_MAX - len(suffix)].rstrip() + suffix


@dataclass(frozen=True)
class ContactKeys:
    """What a Qondor customer or booker can be matched by."""

    contact_number: str
    tax_keys: tuple[str, ...] = ()
    email: str | None = None
    country: str | None = None  # of the tax number; None when unknown

    def conditions(self, order: Iterable[str]) -> Iterator[tuple[str, str]]:
        """Yield (field, key) pairs in matching order, the Qondor key last."""
        for rule in order:
            if rule == "tax_number":
                for key in self.tax_keys:
                    yield "tax_number", key
            elif rule == "email" and self.email:
                yield "email", self.email
        yield "contact_number", self.contact_number


_KEPT = (
    "ContactID",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "TaxNumber",
    "DefaultCurrency",
)


ADDRESS_FIELDS = ("AddressLine1", "AddressLine2", "PostalCode", "City", "Country")


def address_print(contact: dict[str, Any]) -> int:
    """A fingerprint of a contact's POBOX address (the part an update would change)."""
    if "_address" in contact:
        return contact["_address"]
    address = next(
        (a for a in contact.get("Addresses") or [] if a.get("AddressType") == "POBOX"), {}
    )
    return hash(tuple(address.get(f) or "" for f in ADDRESS_FIELDS))


def phone_print(contact: dict[str, Any]) -> int:
    """A fingerprint of a contact's DEFAULT phone number."""
    if "_phone" in contact:
        return contact["_phone"]
    phone = next((p for p in contact.get("Phones") or [] if p.get("PhoneType") == "DEFAULT"), {})
    return hash(phone.get("PhoneNumber") or "")


def slim_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """What matching and change detection need, with address and phone as fingerprints."""
    slim = {k: contact[k] for k in _KEPT if contact.get(k) is not None}
    slim["_address"] = address_print(contact)
    slim["_phone"] = phone_print(contact)
    return slim


_SEP = "\x1f"  # joins a contact's kept fields into one string (Xero text never holds it)
_DETAILS = _KEPT[1:]  # what is packed; the ContactID is the key


def pack_contact(contact: dict[str, Any]) -> str | tuple[Any, ...]:
    """A slim contact as one string: its kept fields, then the address and phone fingerprints.

    A large organisation's contacts are all kept for a run: one string costs a fraction of a dict
    of strings. Empty and missing fields are alike, as they are to `contact_update`.
    """
    fields = [str(contact.get(k) or "") for k in _DETAILS]
    fields += [str(address_print(contact)), str(phone_print(contact))]
    if any(_SEP in f for f in fields):
        return tuple(fields)  # cannot be joined: kept as it is
    return _SEP.join(fields)


def unpack_contact(contact_id: str, packed: str | tuple[Any, ...]) -> dict[str, Any]:
    """The slim contact (`slim_contact`'s shape) that `pack_contact` packed."""
    fields = packed.split(_SEP) if isinstance(packed, str) else list(packed)
    slim: dict[str, Any] = {"ContactID": contact_id}
    slim.update((k, v) for k, v in zip(_DETAILS, fields, strict=False) if v)
    slim["_address"] = int(fields[-2])
    slim["_phone"] = int(fields[-1])
    return slim


class PackedContacts(Mapping[str, dict[str, Any]]):
    """ContactID → slim contact, stored packed and unpacked on reading."""

    def __init__(self) -> None:
        self.packed: dict[str, str | tuple[Any, ...]] = {}

    def __getitem__(self, contact_id: str) -> dict[str, Any]:
        return unpack_contact(contact_id, self.packed[contact_id])

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


class ContactIndex:
    """Xero contacts by tax key, email, ContactNumber and name; the first one seen wins.

    The maps hold only ContactIDs (one string object per contact, shared); a contact's details
    are one packed string, unpacked for the few that match.
    """

    def __init__(self) -> None:
        self.by_id = PackedContacts()
        self._by: dict[str, dict[str, str]] = {"email": {}, "contact_number": {}}
        # tax key → (country, ContactID, country, ContactID, ...) in the order seen
        self._by_tax: dict[str, tuple[str | None, ...]] = {}
        self._names: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, contact: dict[str, Any]) -> None:
        """Index a Xero contact (ACTIVE ones only take part in matching and name clashes)."""
        contact_id = contact.get("ContactID")
        if not contact_id or contact.get("ContactStatus", "ACTIVE") != "ACTIVE":
            return
        packed = self.by_id.packed
        name = name_key(contact.get("Name"))
        old = packed.get(contact_id)
        if old is not None:
            old_name = name_key(unpack_contact(contact_id, old).get("Name"))
            if old_name and old_name != name and self._names.get(old_name) == contact_id:
                del self._names[old_name]
        packed[contact_id] = pack_contact(contact)
        tax_number = contact.get("TaxNumber")
        tax = tax_key(tax_number)
        if tax:
            country = tax_country(tax_number)
            entry = (sys.intern(country) if country else None, contact_id)
            self._by_tax[tax] = self._by_tax.get(tax, ()) + entry
        for field, key in (
            ("email", email_key(contact.get("EmailAddress"))),
            ("contact_number", our_contact_number(contact.get("ContactNumber"))),
        ):
            if key:
                self._by[field].setdefault(key, contact_id)
        self._names.setdefault(name, contact_id)

    def forget(self, contact_id: str) -> None:
        """Drop a contact's details (a placeholder replaced by the created contact)."""
        self.by_id.packed.pop(contact_id, None)

    def match(self, keys: ContactKeys, order: Iterable[str]) -> tuple[dict[str, Any], str] | None:
        """Return (contact, rule) for the first rule in `order` that finds one, else None."""
        packed = self.by_id.packed
        for field, key in keys.conditions(order):
            if field == "tax_number":
                found = self._by_tax.get(key, ())
                contact_id = next(
                    (
                        cid
                        for country, cid in zip(found[::2], found[1::2], strict=True)
                        if countries_agree(country, keys.country) and cid in packed
                    ),
                    None,
                )
            else:
                contact_id = self._by[field].get(key)
            if contact_id and contact_id in packed:
                return self.by_id[contact_id], field
        return None

    def name_owner(self, name: str) -> str | None:
        """Return the ContactID of the active contact holding `name`, if any."""
        return self._names.get(name_key(name))

    def claim_name(self, name: str, contact_id: str) -> None:
        """Record that `contact_id` will hold `name` (before it exists in Xero)."""
        self._names.setdefault(name_key(name), contact_id)
