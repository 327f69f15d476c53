"""Building blocks shared by the scenarios: money to the øre, Qondor and Xero object shapes."""

from __future__ import annotations

import copy
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from qondor_xero.qondor.contract import InvoiceStatus, InvoiceType
from sandbox.xero import chart

# Qondor article number -> VAT percentage. MISC and GIFT are left out of the demo mapping.
ARTICLE_VAT: dict[str, int] = {
    "VAT25": 25,
    "VAT15": 15,
    "VAT12": 12,
    "VAT0": 0,
    "MISC": 25,
    "GIFT": 0,
}
MAPPED_ARTICLES = ("VAT25", "VAT15", "VAT12", "VAT0")
UNMAPPED_ARTICLES = ("MISC", "GIFT")

# The demo mapping: article number -> Xero account code, and each code's tax type.
# Accounts and tax types are the Xero sandbox's chart (sandbox/xero/chart.py).
ACCOUNT_FOR_ARTICLE = {"VAT25": "3000", "VAT15": "3010", "VAT12": "3020", "VAT0": "3050"}
TAX_TYPE_FOR_RATE = {25: "OUTPUT", 15: "OUTPUT15", 12: "OUTPUT12", 0: "ZERORATEDOUTPUT"}
CARD_PAYMENT_ACCOUNT = "090"


# --- money: integers in øre (hundredths), rounded half away from zero like Decimal ROUND_HALF_UP


def round_div(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half away from zero, in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def money(ore: int) -> float:
    """Øre as the two-decimal number the APIs send (correctly rounded float)."""
    return ore / 100


def quantity(centi: int) -> int | float:
    """A quantity held in hundredths, as a JSON number (integral ones as integers)."""
    return centi // 100 if centi % 100 == 0 else centi / 100


def make_line(
    line_no: int, article: str, description: str, qty_centi: int, unit_ore: int
) -> dict[str, Any]:
    """One Qondor invoice line whose amounts are consistent to the øre."""
    vat = ARTICLE_VAT[article]
    excl = round_div(qty_centi * unit_ore, 100)
    vat_ore = round_div(excl * vat, 100)
    return {
        "lineNo": line_no,
        "articleNumber": article,
        "description": description,
        "quantity": quantity(qty_centi),
        "unitPriceExclVat": money(unit_ore),
        "vatPercentage": vat,
        "amountExclVat": money(excl),
        "vatAmount": money(vat_ore),
        "amountInclVat": money(excl + vat_ore),
        "_ore": (excl, vat_ore),
    }


def finish_lines(lines: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Strip the private øre cache from `lines` and return them with the invoice totals."""
    excl = vat = 0
    for line in lines:
        e, v = line.pop("_ore")
        excl += e
        vat += v
    return lines, {
        "totalExclVat": money(excl),
        "totalVat": money(vat),
        "totalInclVat": money(excl + vat),
    }


# --- dates and ids


def dotnet_timestamp(day: date, seconds: int, ticks: int) -> str:
    """A .NET-style UTC timestamp (`2026-11-20T09:14:03.1234567Z`)."""
    moment = datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ticks:07d}Z"


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (deterministic per seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def org_number_check_digit(first8: str) -> int | None:
    """Brønnøysund MOD11 check digit for an 8-digit prefix, or None when none is valid."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    rest = sum(int(c) * w for c, w in zip(first8, weights, strict=True)) % 11
    digit = 0 if rest == 0 else 11 - rest
    return None if digit == 10 else digit


def org_numbers(rng: random.Random, count: int) -> list[str]:
    """`count` distinct valid-looking Norwegian organisation numbers (9 digits, MOD11)."""
    result: list[str] = []
    for prefix in rng.sample(range(81_000_000, 99_999_999), int(count * 1.15) + 10):
        first8 = str(prefix)
        digit = org_number_check_digit(first8)
        if digit is not None:
            result.append(first8 + str(digit))
            if len(result) == count:
                break
    return result


# --- Qondor shapes


def make_office(
    office_id: int,
    name: str,
    city: str,
    zip_code: str,
    *,
    country: str = "Norway",
    country_code: str = "NO",
    use_api: bool = True,
    start_date: date | None = None,
) -> dict[str, Any]:
    """An office with Qondor's fields plus the two API-processing settings."""
    return {
        "id": office_id,
        "name": name,
        "internalName": name.split()[-1].upper(),
        "publicName": name,
        "address": f"Storgata {office_id * 7}",
        "zipCode": zip_code,
        "city": city,
        "country": country,
        "countryCode": country_code,
        "externalReference": f"OFFICE-{office_id}",
        "useApiToProcessInvoices": use_api,
        "invoiceApiStartDate": start_date.isoformat() if start_date else None,
    }


def make_customer(
    customer_id: int,
    office_id: int,
    name: str,
    *,
    org: str | None = None,
    vat: str | None = None,
    email: str | None = None,
    address: str | None = None,
    zip_code: str | None = None,
    city: str | None = None,
    country: str = "Norway",
    country_code: str = "NO",
    phone: str | None = None,
    currency: str | None = "NOK",
    external_reference: str | None = None,
    contact_persons: list[dict[str, Any]] | None = None,
    remarks: str | None = None,
) -> dict[str, Any]:
    """A CustomerDetails object."""
    return {
        "id": customer_id,
        "officeId": office_id,
        "name": name,
        "legalName": name,
        "externalReference": external_reference,
        "address": address,
        "address2": None,
        "zipCode": zip_code,
        "city": city,
        "country": country,
        "countryCode": country_code,
        "organisationNumber": org,
        "vatNumber": vat,
        "phoneNumber": phone,
        "faxNumber": None,
        "customerNumber": str(10000 + customer_id),
        "isInvoiceable": True,
        "invoiceCurrency": currency,
        "invoiceAddressEnabled": False,
        "invoiceAddress": None,
        "invoiceAddress2": None,
        "invoiceZipCode": None,
        "invoiceCity": None,
        "invoiceCountry": None,
        "invoiceCountryCode": None,
        "invoiceAdditionalInformation": None,
        "invoiceEmail": email,
        "isActive": True,
        "contactPersons": contact_persons or [],
        "remarks": remarks,
    }


def customer_summary(customer: dict[str, Any]) -> dict[str, Any]:
    """The short form `Customer/GetAll` returns."""
    keys = ("id", "externalReference", "name", "organisationNumber", "city", "customerNumber")
    summary = {k: customer.get(k) for k in keys}
    summary.update(
        officeId=customer.get("officeId"),
        isActive=customer.get("isActive"),
        invoiceEmail=customer.get("invoiceEmail"),
    )
    return summary


def invoice_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """The short customer embedded in an invoice."""
    keys = ("id", "name", "organisationNumber", "vatNumber", "invoiceEmail")
    return {k: customer.get(k) for k in keys}


def make_booker(
    first: str,
    last: str,
    email: str | None,
    *,
    phone: str | None = None,
    address: str | None = None,
    zip_code: str | None = None,
    city: str | None = None,
    country_code: str = "NO",
) -> dict[str, Any]:
    """The booker of a booker-based item."""
    return {
        "firstName": first,
        "lastName": last,
        "email": email,
        "phoneNumber": phone,
        "address": address,
        "zipCode": zip_code,
        "city": city,
        "countryCode": country_code,
    }


def make_invoice(
    invoice_id: int,
    number: str,
    kind: InvoiceType,
    *,
    invoice_date: date,
    office_id: int,
    lines: list[dict[str, Any]],
    currency: str = "NOK",
    due_days: int = 14,
    project: tuple[int, str, str] | None = None,
    customer: dict[str, Any] | None = None,
    booker: dict[str, Any] | None = None,
    credited: dict[str, Any] | None = None,
    fields: list[dict[str, Any]] | tuple | None = (),
    status: InvoiceStatus = InvoiceStatus.Unprocessed,
    external_reference: str | None = None,
    error_message: str | None = None,
    created_seconds: int = 9 * 3600,
) -> dict[str, Any]:
    """A contract invoice object; `lines` come from `make_line` (totals are summed here)."""
    lines, totals = finish_lines(lines)
    created = dotnet_timestamp(invoice_date, created_seconds, (invoice_id * 7919) % 10_000_000)
    return {
        "id": invoice_id,
        "invoiceNumber": number,
        "invoiceType": int(kind),
        "invoiceTypeText": kind.name,
        "status": int(status),
        "statusText": status.name,
        "invoiceDate": invoice_date.isoformat(),
        "dueDate": (invoice_date + timedelta(days=due_days)).isoformat(),
        "currency": currency,
        "officeId": office_id,
        "projectId": project[0] if project else None,
        "projectNo": project[1] if project else None,
        "projectName": project[2] if project else None,
        "customerId": customer["id"] if customer else None,
        "customer": invoice_customer(customer) if customer else None,
        "booker": booker,
        "creditedInvoiceId": credited["id"] if credited else None,
        "creditedInvoiceNumber": credited["invoiceNumber"] if credited else None,
        "externalReference": external_reference,
        "errorMessage": error_message,
        "customerInvoiceFields": list(fields) if fields is not None else None,
        "lines": lines,
        **totals,
        "createdDate": created,
        "lastModifiedDate": created,
    }


def po_field(value: str | None) -> dict[str, Any]:
    """A `PO number` customer invoice field."""
    return {"heading": "PO number", "externalReference": "po", "value": value}


def credit_lines(invoice: dict[str, Any], line_nos: list[int] | None = None) -> list[dict]:
    """Lines cancelling `invoice` (all, or those numbered `line_nos`): negative quantities."""
    result = []
    for line in invoice["lines"]:
        if line_nos is not None and line["lineNo"] not in line_nos:
            continue
        qty_centi = -round(line["quantity"] * 100)
        unit_ore = round(line["unitPriceExclVat"] * 100)
        result.append(
            make_line(
                len(result) + 1, line["articleNumber"], line["description"], qty_centi, unit_ore
            )
        )
    return result


# --- Xero shapes


def xero_accounts() -> list[dict[str, Any]]:
    """The chart of accounts of every scenario's Xero organisation (the Xero sandbox's own)."""
    return copy.deepcopy(chart.ACCOUNTS)


def xero_currencies() -> list[dict[str, Any]]:
    """The enabled currencies (NOK, EUR, SEK, GBP, USD; not DKK)."""
    return copy.deepcopy(chart.CURRENCIES)


def xero_contact(
    contact_id: str,
    name: str,
    *,
    email: str | None = None,
    tax_number: str | None = None,
    status: str = "ACTIVE",
    first: str | None = None,
    last: str | None = None,
    city: str | None = None,
    zip_code: str | None = None,
    address: str | None = None,
    country: str | None = "Norway",
    phone: str | None = None,
    currency: str | None = None,
    contact_number: str | None = None,
) -> dict[str, Any]:
    """A Xero contact as the API accepts it."""
    contact: dict[str, Any] = {
        "ContactID": contact_id,
        "ContactStatus": status,
        "Name": name,
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": address or "",
                "City": city or "",
                "PostalCode": zip_code or "",
                "Country": country or "",
            },
            {"AddressType": "STREET"},
        ],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": phone or ""}],
    }
    optional = {
        "ContactNumber": contact_number,
        "FirstName": first,
        "LastName": last,
        "EmailAddress": email,
        "TaxNumber": tax_number,
        "DefaultCurrency": currency,
    }
    contact.update({k: v for k, v in optional.items() if v is not None})
    return contact


def xero_invoice_for(
    invoice: dict[str, Any],
    invoice_id: str,
    contact: dict[str, Any],
    *,
    status: str = "AUTHORISED",
    paid_on: date | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    """The Xero copy (ACCREC) of a Qondor invoice, as the demo mapping would have written it."""
    items = []
    sub = tax = 0
    for line in invoice["lines"]:
        excl = round(line["amountExclVat"] * 100)
        vat = round(line["vatAmount"] * 100)
        sub, tax = sub + excl, tax + vat
        items.append(
            {
                "LineItemID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{invoice_id}/{line['lineNo']}")),
                "Description": line["description"],
                "Quantity": line["quantity"],
                "UnitAmount": line["unitPriceExclVat"],
                "AccountCode": ACCOUNT_FOR_ARTICLE[line["articleNumber"]],
                "TaxType": TAX_TYPE_FOR_RATE[int(line["vatPercentage"])],
                "TaxAmount": money(vat),
                "LineAmount": money(excl),
            }
        )
    total = sub + tax
    paid = total if status == "PAID" else 0
    result: dict[str, Any] = {
        "Type": "ACCREC",
        "InvoiceID": invoice_id,
        "InvoiceNumber": invoice["invoiceNumber"],
        "Reference": reference or "",
        "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
        "Date": invoice["invoiceDate"],
        "DueDate": invoice["dueDate"],
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": items,
        "SubTotal": money(sub),
        "TotalTax": money(tax),
        "Total": money(total),
        "AmountDue": money(total - paid),
        "AmountPaid": money(paid),
        "AmountCredited": 0.0,
        "CurrencyCode": invoice["currency"],
    }
    if status == "PAID":
        result["FullyPaidOnDate"] = (
            paid_on or date.fromisoformat(invoice["invoiceDate"])
        ).isoformat()
    return result
