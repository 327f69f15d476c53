"""Pure functions: Qondor customer/booker/invoice → Xero contact/invoice/credit note/payment. No HTTP."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qondor_xero.contacts import (
    NAME_MAX,
    ContactKeys,
    address_print,
    booker_contact_number,
    customer_contact_number,
    email_key,
    phone_print,
    tax_country,
    tax_key,
)
from qondor_xero.mapping import CUSTOM_FIELDS, Mapping
from qondor_xero.money import AccountTax, card_charge, plan_money
from qondor_xero.qondor.contract import INVOICE_KINDS

CARD_PAYMENT = "card_payment"
CREDIT_NOTE = "credit_note"
NUMBER_MAX = 255
REFERENCE_MAX = 255
CENT = Decimal("0.01")


# ---------------------------------------------------------------- items


def item_kind(item: dict[str, Any]) -> str:
    """Return the item's kind: offer, form, booking, card_payment or credit_note."""
    kind = item.get("invoiceKind")
    return kind or INVOICE_KINDS.get(item.get("invoiceType"), "offer")


def item_label(item: dict[str, Any]) -> str:
    """Name an item the way a project manager knows it: 'Invoice 100231' / 'Credit note 100240'."""
    what = "Credit note" if item_kind(item) == CREDIT_NOTE else "Invoice"
    return f"{what} {item.get('invoiceNumber') or '#' + str(item.get('id'))}"


def is_booker_item(item: dict[str, Any]) -> bool:
    """Whether the item is billed to a booker rather than a company customer."""
    return not item.get("customerId") and not item.get("customer")


# ---------------------------------------------------------------- contacts


def customer_tax_number(customer: dict[str, Any]) -> str | None:
    """The tax number Xero should carry: the VAT number, else the organisation number."""
    for field in ("vatNumber", "organisationNumber"):
        value = (customer.get(field) or "").strip()
        if value:
            return value
    return None


def customer_keys(customer: dict[str, Any]) -> ContactKeys:
    """What a Qondor customer is matched by: its tax numbers, its invoice email, its Qondor key."""
    keys: list[str] = []
    for field in ("vatNumber", "organisationNumber"):
        key = tax_key(customer.get(field))
        if key and key not in keys:
            keys.append(key)
    country = (
        tax_country(customer.get("vatNumber"))
        or tax_country(customer.get("organisationNumber"))
        or (customer.get("countryCode") or "").strip().upper()
        or None
    )
    return ContactKeys(
        contact_number=customer_contact_number(customer["id"]),
        tax_keys=tuple(keys),
        email=email_key(customer.get("invoiceEmail")),
        country=country if keys else None,
    )


def booker_keys(booker: dict[str, Any]) -> ContactKeys | None:
    """What a booker is matched by (email only); None when the booker has no email."""
    email = email_key(booker.get("email"))
    if not email:
        return None
    return ContactKeys(contact_number=booker_contact_number(email), email=email)


def _clean(value: Any) -> str | None:
    """A trimmed string, or None when empty."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _address(lines: list[Any], zip_code: Any, city: Any, country: Any) -> list[dict[str, Any]]:
    """A one-element POBOX address list, or [] when there is nothing to say."""
    address: dict[str, Any] = {"AddressType": "POBOX"}
    for n, line in enumerate((x for x in map(_clean, lines) if x), start=1):
        address[f"AddressLine{n}"] = line
    for field, value in (("PostalCode", zip_code), ("City", city), ("Country", country)):
        if _clean(value):
            address[field] = _clean(value)
    return [address] if len(address) > 1 else []


def _phones(number: Any) -> list[dict[str, Any]]:
    """A DEFAULT phone list, or [] when there is none."""
    number = _clean(number)
    return [{"PhoneType": "DEFAULT", "PhoneNumber": number}] if number else []


def customer_to_contact(customer: dict[str, Any]) -> dict[str, Any]:
    """The Xero Contact for a Qondor customer (no ContactID: the caller adds it for updates)."""
    if customer.get("invoiceAddressEnabled") or _clean(customer.get("invoiceAddress")):
        addresses = _address(
            [customer.get("invoiceAddress"), customer.get("invoiceAddress2")],
            customer.get("invoiceZipCode"),
            customer.get("invoiceCity"),
            customer.get("invoiceCountry") or customer.get("invoiceCountryCode"),
        )
    else:
        addresses = []
    if not addresses:
        addresses = _address(
            [customer.get("address"), customer.get("address2")],
            customer.get("zipCode"),
            customer.get("city"),
            customer.get("country") or customer.get("countryCode"),
        )
    contact: dict[str, Any] = {
        "Name": _clean(customer.get("name")) or "",
        "ContactNumber": customer_contact_number(customer["id"]),
        "EmailAddress": _clean(customer.get("invoiceEmail")),
        "TaxNumber": customer_tax_number(customer),
        "Addresses": addresses,
        "Phones": _phones(customer.get("phoneNumber")),
        "DefaultCurrency": _clean(customer.get("invoiceCurrency")),
    }
    return {k: v for k, v in contact.items() if v not in (None, [])}


def booker_name(booker: dict[str, Any]) -> str:
    """A booker's full name ('First Last'), else their email."""
    name = " ".join(
        x for x in (_clean(booker.get("firstName")), _clean(booker.get("lastName"))) if x
    )
    return name or (_clean(booker.get("email")) or "")


def booker_to_contact(booker: dict[str, Any], currency: str | None = None) -> dict[str, Any]:
    """The Xero Contact for a booker (a person paying for themselves)."""
    email = _clean(booker.get("email")) or ""
    contact: dict[str, Any] = {
        "Name": booker_name(booker),
        "FirstName": _clean(booker.get("firstName")),
        "LastName": _clean(booker.get("lastName")),
        "ContactNumber": booker_contact_number(email),
        "EmailAddress": email or None,
        "Addresses": _address(
            [booker.get("address")],
            booker.get("zipCode"),
            booker.get("city"),
            booker.get("countryCode"),
        ),
        "Phones": _phones(booker.get("phoneNumber")),
        "DefaultCurrency": currency,
    }
    return {k: v for k, v in contact.items() if v not in (None, [])}


_COMPARED = ("Name", "FirstName", "LastName", "EmailAddress", "DefaultCurrency")


def contact_update(existing: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any] | None:
    """Return the update to send for a matched contact, or None when nothing changed.

    The update carries only Qondor's details (never ContactNumber, which may be the finance team's
    own). A tax number that differs only in format counts as unchanged.
    """
    update: dict[str, Any] = {}
    for field in _COMPARED:
        new = wanted.get(field)
        if new is not None and (existing.get(field) or "").strip() != new:
            update[field] = new
    new_tax = wanted.get("TaxNumber")
    if new_tax and tax_key(existing.get("TaxNumber")) != tax_key(new_tax):
        update["TaxNumber"] = new_tax
    if wanted.get("Addresses") and address_print(existing) != address_print(wanted):
        update["Addresses"] = wanted["Addresses"]
    if wanted.get("Phones") and phone_print(existing) != phone_print(wanted):
        update["Phones"] = wanted["Phones"]
    if not update:
        return None
    return {"ContactID": existing["ContactID"], **update}


# ---------------------------------------------------------------- checks


def _dec(value: Any) -> Decimal | None:
    """A Decimal from a JSON number, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _name_problem(what: str, name: str | None) -> str | None:
    """Why a contact name cannot go to Xero, or None."""
    if not name:
        return f"{what} has no name"
    if len(name) > NAME_MAX:
        return f"{what} name is {len(name)} characters long; Xero allows {NAME_MAX}"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return f"{what} name {name[:60]!r} contains control characters"
    return None


def unmapped_articles(item: dict[str, Any], mapping: Mapping) -> dict[str, list[int]]:
    """Return unmapped article number → its line numbers, in line order."""
    unmapped: dict[str, list[int]] = defaultdict(list)
    for line in item.get("lines") or []:
        article = line.get("articleNumber")
        if mapping.account_code(article) is None:
            unmapped[str(article) if article not in (None, "") else "(none)"].append(
                line.get("lineNo")
            )
    return dict(unmapped)


def check_item(
    item: dict[str, Any],
    mapping: Mapping,
    currencies: set[str] | None = None,
    customer: dict[str, Any] | None = None,
    taxes: dict[str, AccountTax] | None = None,
) -> list[str]:
    """Return every reason the item cannot go to Xero (empty when it can), one line each.

    `currencies` are the codes enabled in Xero (None skips that check); `customer` is the full
    CustomerDetails when the tap sent it, else the invoice's embedded customer is used; `taxes`
    (money.account_taxes) checks that Xero will total what Qondor charged (None skips it).
    """
    label = item_label(item)
    problems: list[str] = []
    kind = item_kind(item)
    credit = kind == CREDIT_NOTE

    number = item.get("invoiceNumber") or ""
    if not str(number).strip():
        problems.append(f"{label}: invoiceNumber is empty")
    elif len(str(number)) > NUMBER_MAX:
        problems.append(f"{label}: invoiceNumber is longer than Xero's {NUMBER_MAX} characters")

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(item.get("invoiceDate") or "")[:10]):
        problems.append(
            f"{label}: invoiceDate {item.get('invoiceDate')!r} is not a date (YYYY-MM-DD)"
        )
    if not re.fullmatch(r"[A-Z]{3}", str(item.get("currency") or "")):
        problems.append(f"{label}: currency {item.get('currency')!r} is not a currency code")
        currency_ok = False
    else:
        currency_ok = True
    if not isinstance(item.get("lines"), list):
        return [*problems, f"{label}: has no lines"]

    unmapped = unmapped_articles(item, mapping)
    if unmapped:
        listed = ", ".join(
            f"{article} (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})"
            for article, lines in unmapped.items()
        )
        problems.append(
            f"{label}: article number{'s' if len(unmapped) > 1 else ''} not mapped to a Xero "
            f"account code: {listed}; add {'them' if len(unmapped) > 1 else 'it'} to account_codes "
            f"in {mapping.path.name}"
        )

    currency = item.get("currency")
    if currency_ok and currencies is not None and currency not in currencies:
        problems.append(
            f"{label}: currency {currency} is not enabled in Xero; enable it under Settings → Currencies"
        )

    if kind == CARD_PAYMENT and not mapping.card_payment_account:
        problems.append(
            f"{label}: card payment, but {mapping.path.name} has no card_payment_account to pay it into"
        )

    problems.extend(_contact_problems(item, customer, label))
    amount_problems = _amount_problems(item, label, credit)
    problems.extend(amount_problems)
    if taxes is not None and not amount_problems and not unmapped:
        problems.extend(plan_money(item, mapping.account_code, taxes, label).problems)
    return problems


def _contact_problems(
    item: dict[str, Any], customer: dict[str, Any] | None, label: str
) -> list[str]:
    """Why the item's contact cannot be resolved, if it cannot."""
    if is_booker_item(item):
        booker = item.get("booker")
        if not booker:
            return [f"{label}: has neither a customer nor a booker"]
        who = f"booker {booker_name(booker) or '(no name)'}"
        problems = []
        if not email_key(booker.get("email")):
            problems.append(
                f"{label}: {who} has no email address; add one in Qondor so the Xero contact can be matched"
            )
        name_problem = _name_problem(who, booker_name(booker))
        if name_problem and email_key(booker.get("email")):
            problems.append(f"{label}: {name_problem}")
        return problems
    customer = customer or item.get("customer") or {}
    who = f"customer {customer.get('name') or ''} (id {customer.get('id', item.get('customerId'))})"
    who = " ".join(who.split())
    problems = []
    if "id" not in customer:
        return [f"{label}: {who} was not found in Qondor"]
    keys = customer_keys(customer)
    if not keys.tax_keys and not keys.email:
        problems.append(
            f"{label}: {who} has neither a VAT/organisation number nor an invoice email; "
            "add one in Qondor so the Xero contact can be matched"
        )
    name_problem = _name_problem(who, _clean(customer.get("name")))
    if name_problem:
        problems.append(f"{label}: {name_problem}")
    return problems


def _amount_problems(item: dict[str, Any], label: str, credit: bool) -> list[str]:
    """Lines with impossible quantities and totals that do not add up."""
    problems: list[str] = []
    lines = item.get("lines") or []
    if not lines:
        return [f"{label}: has no lines"]
    sum_excl = sum_vat = Decimal(0)
    for line in lines:
        where = f"{label}: line {line.get('lineNo')}"
        quantity, price = _dec(line.get("quantity")), _dec(line.get("unitPriceExclVat"))
        amount, vat = _dec(line.get("amountExclVat")), _dec(line.get("vatAmount")) or Decimal(0)
        if quantity is None or price is None or amount is None:
            problems.append(f"{where}: quantity, unitPriceExclVat and amountExclVat are required")
            continue
        if not credit and quantity <= 0:
            problems.append(f"{where}: quantity {quantity} must be above zero on an invoice")
        elif credit and (quantity == 0 or amount > 0):
            problems.append(
                f"{where}: a credit note line must have a non-zero quantity and a negative amount "
                f"(quantity {quantity}, amountExclVat {amount})"
            )
        elif (quantity * price).quantize(CENT, ROUND_HALF_UP) != amount.quantize(
            CENT, ROUND_HALF_UP
        ):
            problems.append(
                f"{where}: quantity {quantity} × unitPriceExclVat {price} is "
                f"{(quantity * price).quantize(CENT, ROUND_HALF_UP)}, not amountExclVat {amount}"
            )
        sum_excl += amount
        sum_vat += vat
    total_excl, total_vat = _dec(item.get("totalExclVat")), _dec(item.get("totalVat"))
    total_incl = _dec(item.get("totalInclVat"))
    if None in (total_excl, total_vat, total_incl):
        return [*problems, f"{label}: totalExclVat, totalVat and totalInclVat are required"]
    if sum_excl.quantize(CENT, ROUND_HALF_UP) != total_excl.quantize(CENT, ROUND_HALF_UP):
        problems.append(
            f"{label}: lines add up to {sum_excl} excl. VAT, but totalExclVat is {total_excl}"
        )
    if sum_vat.quantize(CENT, ROUND_HALF_UP) != total_vat.quantize(CENT, ROUND_HALF_UP):
        problems.append(f"{label}: line VAT adds up to {sum_vat}, but totalVat is {total_vat}")
    if (total_excl + total_vat).quantize(CENT, ROUND_HALF_UP) != total_incl.quantize(
        CENT, ROUND_HALF_UP
    ):
        problems.append(
            f"{label}: totalExclVat {total_excl} + totalVat {total_vat} is not totalInclVat {total_incl}"
        )
    if not credit and total_incl < 0:
        problems.append(
            f"{label}: totalInclVat {total_incl} is negative; issue a credit note instead"
        )
    return problems


# ---------------------------------------------------------------- documents


class _Blank(dict):
    """Template values: missing fields render as ''."""

    def __missing__(self, key: str) -> str:
        return ""


class _CustomFields:
    """`customerInvoiceFields[<heading>]`: a custom field's value by heading or external reference."""

    def __init__(self, fields: list[dict[str, Any]] | None) -> None:
        self.fields = fields or []

    def __getitem__(self, name: str) -> str:
        wanted = name.strip().casefold()
        for field in self.fields:
            for key in ("heading", "externalReference"):
                if (field.get(key) or "").strip().casefold() == wanted:
                    return str(field.get("value") or "")
        return ""


def render_reference(template: str | None, item: dict[str, Any]) -> str | None:
    """Fill the mapping's Reference template from the item; None when it renders empty."""
    if not template:
        return None
    values = _Blank(
        {k: "" if v is None else v for k, v in item.items() if not isinstance(v, dict | list)}
    )
    values[CUSTOM_FIELDS] = _CustomFields(item.get(CUSTOM_FIELDS))
    text = " ".join(string.Formatter().vformat(template, (), values).split())
    return text[:REFERENCE_MAX] or None


def item_options(item: dict[str, Any], mapping: Mapping) -> list[tuple[str, str, bool]]:
    """(category, option, create_options) of the mapping's `tracking` for the item; a rule whose
    option renders empty (an item without a project) is left off."""
    rendered = [(r, render_reference(r.option, item)) for r in mapping.tracking]
    return [(r.category, option, r.create_options) for r, option in rendered if option]


def _amount(value: Any) -> float:
    """A JSON-safe amount (two decimals)."""
    return float(Decimal(str(value)).quantize(CENT, ROUND_HALF_UP))


def _line_items(
    item: dict[str, Any], mapping: Mapping, taxes: dict[str, AccountTax] | None
) -> list[dict[str, Any]]:
    """Xero LineItems: description, quantity and Qondor's line amount excl. VAT (Xero derives
    the unit price), account code, and with `taxes` its tax type and any TaxAmount override."""
    lines = sorted(item.get("lines") or [], key=lambda x: x.get("lineNo") or 0)
    plan = plan_money(item, mapping.account_code, taxes or {}, item_label(item))
    tracking = [{"Name": c, "Option": o} for c, o, _create in item_options(item, mapping)]
    return [
        {
            "Description": _clean(line.get("description")) or str(line.get("articleNumber")),
            **planned,
            **({"Tracking": tracking} if tracking else {}),
        }
        for line, planned in zip(lines, plan.lines, strict=True)
    ]


def _header(
    item: dict[str, Any], mapping: Mapping, contact_id: str, themes: dict[str, str] | None
) -> dict[str, Any]:
    """Fields invoices and credit notes share; `themes` (branding theme name → id, casefolded)
    gives the office's BrandingThemeID."""
    theme = mapping.branding_theme(item.get("officeId"), item.get("officeName"))
    return {
        "Contact": {"ContactID": contact_id},
        "Date": item["invoiceDate"],
        "CurrencyCode": item["currency"],
        "LineAmountTypes": "Exclusive",
        "BrandingThemeID": (themes or {}).get(theme.strip().casefold()) if theme else None,
    }


def invoice_to_xero(
    item: dict[str, Any],
    mapping: Mapping,
    contact_id: str,
    taxes: dict[str, AccountTax] | None = None,
    themes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Xero ACCREC invoice for a Qondor invoice (card payments are always AUTHORISED)."""
    card = item_kind(item) == CARD_PAYMENT
    invoice: dict[str, Any] = {
        "Type": "ACCREC",
        "InvoiceNumber": str(item["invoiceNumber"]).strip(),
        **_header(item, mapping, contact_id, themes),
        "DueDate": item.get("dueDate") or (item["invoiceDate"] if card else None),
        "Reference": render_reference(mapping.reference, item),
        "Url": item.get("url") or None,
        "Status": "AUTHORISED" if card else mapping.invoice_status,
        "LineItems": _line_items(item, mapping, taxes),
    }
    return {k: v for k, v in invoice.items() if v is not None}


def credit_note_to_xero(
    item: dict[str, Any],
    mapping: Mapping,
    contact_id: str,
    taxes: dict[str, AccountTax] | None = None,
    themes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Xero ACCRECCREDIT credit note for a Qondor credit note, with POSITIVE amounts."""
    reference = render_reference(mapping.reference, item) or _clean(
        item.get("creditedInvoiceNumber")
    )
    credit_note: dict[str, Any] = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": str(item["invoiceNumber"]).strip(),
        **_header(item, mapping, contact_id, themes),
        "Reference": reference,
        "Status": mapping.invoice_status,
        "LineItems": _line_items(item, mapping, taxes),
    }
    return {k: v for k, v in credit_note.items() if v is not None}


def card_payment(
    item: dict[str, Any], invoice: dict[str, Any], account_code: str, date: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The Payment of exactly what the card was charged (never Xero's AmountDue): (payment,
    None); (None, None) when Xero holds the invoice PAID already; (None, why) when Xero's amount
    due is not what the card was charged, so nothing may be paid."""
    charge, problem = card_charge(item, invoice, item_label(item))
    if problem or not charge:
        return None, problem
    payment = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Account": {"Code": account_code},
        "Date": date,
        "Amount": float(charge),
    }
    if invoice.get("InvoiceNumber"):
        payment["Reference"] = f"Card payment {invoice['InvoiceNumber']}"
    return payment, None


def credit_allocation(
    credit_note: dict[str, Any], invoice: dict[str, Any], date: str
) -> dict[str, Any] | None:
    """The allocation of a credit note to the invoice it credits, or None when nothing can be."""
    remaining = _dec(credit_note.get("RemainingCredit"))
    if remaining is None:
        remaining = _dec(credit_note.get("Total"))
    due = _dec(invoice.get("AmountDue"))
    if remaining is None or due is None or remaining <= 0 or due <= 0:
        return None
    if invoice.get("Status") != "AUTHORISED" or credit_note.get("Status") != "AUTHORISED":
        return None
    if invoice.get("CurrencyCode") != credit_note.get("CurrencyCode"):
        return None
    return {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Amount": _amount(min(remaining, due)),
        "Date": date,
    }


def failure_message(problems: list[str], limit: int = 1000) -> str:
    """Join an item's problems into the one message Qondor shows, within Qondor's limit."""
    text = " | ".join(" ".join(p.split()) for p in problems)
    text = "".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- after the write


def paid_day(invoice: dict[str, Any], fallback: str) -> str | None:
    """The day a PAID Xero invoice was settled (FullyPaidOnDate, else `fallback`); None if unpaid."""
    if invoice.get("Status") != "PAID":
        return None
    return xero_date(invoice.get("FullyPaidOnDate")) or fallback[:10]


def xero_date(value: Any) -> str | None:
    """YYYY-MM-DD from Xero's `/Date(ms+hhmm)/` (a UTC instant) or an ISO string; None otherwise."""
    if not isinstance(value, str):
        return None
    if found := re.match(r"/Date\((-?\d+)", value):
        return datetime.fromtimestamp(int(found[1]) / 1000, UTC).date().isoformat()
    return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else None


def credited_invoice_problem(item: dict[str, Any], failed_reason: str | None = None) -> str:
    """Why a credit note cannot go to Xero: the invoice it cancels is not there (or failed)."""
    number = str(item.get("creditedInvoiceNumber") or "").strip()
    label = item_label(item)
    if failed_reason is not None:
        return (
            f"{label}: the invoice it cancels, {number}, failed in this run ({failed_reason}); "
            "fix and sync that invoice first, then issue the credit note again"
        )
    return (
        f"{label}: the invoice it cancels, {number}, is not in Xero; sync that invoice (or enter "
        "it in Xero) first, then issue the credit note again"
    )
