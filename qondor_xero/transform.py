"""Pure functions: Qondor customer/booker/invoice → Xero contact/invoice/credit note/payment. No HTTP."""

from __future__ import annotations

import string
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qondor_xero.contacts import (
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
from qondor_xero.money import AccountTax, MoneyPlan, card_charge, decimal_or_none, plan_money
from qondor_xero.qondor.contract import INVOICE_KINDS
from qondor_xero.xero.dates import xero_day

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
    item: dict[str, Any],
    mapping: Mapping,
    taxes: dict[str, AccountTax] | None,
    plan: MoneyPlan | None = None,
) -> list[dict[str, Any]]:
    """Xero LineItems: description, quantity and Qondor's line amount excl. VAT (Xero derives
    the unit price), account code, and with `taxes` its tax type and any TaxAmount override.
    `plan` is the item's money plan when the checks made it already."""
    lines = sorted(item.get("lines") or [], key=lambda x: x.get("lineNo") or 0)
    if plan is None:
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
    plan: MoneyPlan | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """The Xero ACCREC invoice for a Qondor invoice (card payments are always AUTHORISED);
    `url` is its link back to the Qondor item (links.qondor_link)."""
    card = item_kind(item) == CARD_PAYMENT
    invoice: dict[str, Any] = {
        "Type": "ACCREC",
        "InvoiceNumber": str(item["invoiceNumber"]).strip(),
        **_header(item, mapping, contact_id, themes),
        "DueDate": item.get("dueDate") or (item["invoiceDate"] if card else None),
        "Reference": render_reference(mapping.reference, item),
        "Url": url or None,
        "Status": "AUTHORISED" if card else mapping.invoice_status,
        "LineItems": _line_items(item, mapping, taxes, plan),
    }
    return {k: v for k, v in invoice.items() if v is not None}


def credit_note_to_xero(
    item: dict[str, Any],
    mapping: Mapping,
    contact_id: str,
    taxes: dict[str, AccountTax] | None = None,
    themes: dict[str, str] | None = None,
    plan: MoneyPlan | None = None,
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
        "LineItems": _line_items(item, mapping, taxes, plan),
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
    remaining = decimal_or_none(credit_note.get("RemainingCredit"))
    if remaining is None:
        remaining = decimal_or_none(credit_note.get("Total"))
    due = decimal_or_none(invoice.get("AmountDue"))
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


# ---------------------------------------------------------------- after the write


def paid_day(invoice: dict[str, Any], fallback: str) -> str | None:
    """The day a PAID Xero invoice was settled (FullyPaidOnDate, else `fallback`); None if unpaid."""
    if invoice.get("Status") != "PAID":
        return None
    return xero_day(invoice.get("FullyPaidOnDate")) or fallback[:10]
