"""Qondor's API contract, written down once.

Documented facts (paths, customer/office fields, ProblemDetails) and the **[contract]** parts
that Qondor does not publish (the invoice object, the SetAs* bodies) per
`shared/reference/qondor-api.md`. The Qondor client and the Qondor sandbox both import this
module, and tests validate every payload either side produces against these schemas, so a
correction to the real payloads is one commit here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import jsonschema

DEFAULT_API_URL = "https://qondor.azure-api.net/Prod"
ENVIRONMENTS = ("Prod", "Test", "Dev")
AUTH_HEADER = "Ocp-Apim-Subscription-Key"
RATE_PER_SECOND = 10
DAILY_LIMIT = 100_000
ERROR_MESSAGE_MAX = 1000

# Paths below the environment base (`{base}/{Group}/v1/{Controller}/{Action-or-id}`).
UNPROCESSED_INVOICES = "/Invoicing/v1/Invoice/GetAllUnprocessedInvoices"
INVOICE_BY_ID = "/Invoicing/v1/Invoice/{id}"
INVOICE_BY_EXTERNAL_REFERENCE = "/Invoicing/v1/Invoice/GetByExternalReference"
SET_AS_PROCESSED = "/Invoicing/v1/Invoice/SetAsProcessed"
SET_AS_FAILED = "/Invoicing/v1/Invoice/SetAsFailed"
SET_AS_PAID = "/Invoicing/v1/Invoice/SetAsPaid"
CUSTOMER_BY_ID = "/Customer/v1/Customer/{id}"
CUSTOMERS_BY_OFFICE = "/Customer/v1/Customer/GetAll"
CUSTOMER_BY_EXTERNAL_REFERENCE = "/Customer/v1/Customer/GetByExternalReference"
OFFICES = "/Office/v1/Office/GetAll"


class InvoiceType(IntEnum):
    """`invoiceType`; the name is `invoiceTypeText`."""

    OfferInvoice = 1
    FormInvoice = 2
    BookingInvoice = 3
    CreditCardPayment = 4
    CreditNote = 5


class InvoiceStatus(IntEnum):
    """`status`; the name is `statusText`."""

    Unprocessed = 0
    Processed = 1
    Failed = 2
    Paid = 3


# `invoiceKind` added to Singer records (docs/architecture.md): the type as a plain word.
INVOICE_KINDS: dict[InvoiceType, str] = {
    InvoiceType.OfferInvoice: "offer",
    InvoiceType.FormInvoice: "form",
    InvoiceType.BookingInvoice: "booking",
    InvoiceType.CreditCardPayment: "card_payment",
    InvoiceType.CreditNote: "credit_note",
}

# Legal transitions: call name -> (from status, to status).
TRANSITIONS: dict[str, tuple[InvoiceStatus, InvoiceStatus]] = {
    "SetAsProcessed": (InvoiceStatus.Unprocessed, InvoiceStatus.Processed),
    "SetAsFailed": (InvoiceStatus.Unprocessed, InvoiceStatus.Failed),
    "SetAsPaid": (InvoiceStatus.Processed, InvoiceStatus.Paid),
}

_str = {"type": "string"}
_nstr = {"type": ["string", "null"]}
_nint = {"type": ["integer", "null"]}
_num = {"type": "number"}
_nnum = {"type": ["number", "null"]}
_date = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_ndate = {"type": ["string", "null"], "format": "date"}
_timestamp = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"}
_nbool = {"type": ["boolean", "null"]}

CONTACT_PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "externalReference": _nstr,
        "firstName": _nstr,
        "lastName": _nstr,
        "email": _nstr,
        "phoneNumber": _nstr,
        "isActive": _nbool,
    },
    "required": ["id"],
}

# CustomerDetails, field names from Qondor's own SDK.
CUSTOMER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "officeId": _nint,
        "name": _str,
        "legalName": _nstr,
        "externalReference": _nstr,
        "address": _nstr,
        "address2": _nstr,
        "zipCode": _nstr,
        "city": _nstr,
        "country": _nstr,
        "countryCode": _nstr,
        "organisationNumber": _nstr,
        "vatNumber": _nstr,
        "phoneNumber": _nstr,
        "faxNumber": _nstr,
        "customerNumber": _nstr,
        "isInvoiceable": _nbool,
        "invoiceCurrency": _nstr,
        "invoiceAddressEnabled": _nbool,
        "invoiceAddress": _nstr,
        "invoiceAddress2": _nstr,
        "invoiceZipCode": _nstr,
        "invoiceCity": _nstr,
        "invoiceCountry": _nstr,
        "invoiceCountryCode": _nstr,
        "invoiceAdditionalInformation": _nstr,
        "invoiceEmail": _nstr,
        "isActive": _nbool,
        "contactPersons": {"type": ["array", "null"], "items": CONTACT_PERSON_SCHEMA},
        "remarks": _nstr,
    },
    "required": ["id", "name"],
}

CUSTOMER_SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "externalReference": _nstr,
        "name": _str,
        "organisationNumber": _nstr,
        "city": _nstr,
        "customerNumber": _nstr,
        "officeId": _nint,
        "isActive": _nbool,
        "invoiceEmail": _nstr,
    },
    "required": ["id", "name"],
}

# Qondor's office fields, plus the two API-processing settings the sandbox carries.
OFFICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": _str,
        "internalName": _nstr,
        "publicName": _nstr,
        "address": _nstr,
        "zipCode": _nstr,
        "city": _nstr,
        "country": _nstr,
        "countryCode": _nstr,
        "externalReference": _nstr,
        "useApiToProcessInvoices": {"type": "boolean"},
        "invoiceApiStartDate": _ndate,
    },
    "required": ["id", "name"],
}

# [contract] The short customer embedded in an invoice.
INVOICE_CUSTOMER_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "integer"},
        "name": _str,
        "organisationNumber": _nstr,
        "vatNumber": _nstr,
        "invoiceEmail": _nstr,
    },
    "required": ["id", "name"],
}

# [contract] The booker of booker-based items (no company customer).
BOOKER_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "firstName": _nstr,
        "lastName": _nstr,
        "email": _nstr,
        "phoneNumber": _nstr,
        "address": _nstr,
        "zipCode": _nstr,
        "city": _nstr,
        "countryCode": _nstr,
    },
}

INVOICE_LINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "lineNo": {"type": "integer"},
        "articleNumber": _nstr,
        "description": _nstr,
        "quantity": _num,
        "unitPriceExclVat": _num,
        "vatPercentage": _num,
        "amountExclVat": _num,
        "vatAmount": _num,
        "amountInclVat": _num,
    },
    "required": ["lineNo", "articleNumber", "quantity", "unitPriceExclVat", "amountExclVat"],
}

INVOICE_FIELD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"heading": _nstr, "externalReference": _nstr, "value": _nstr},
}

# [contract] The invoice ("payment") object, in full, from the queue and from Invoice/{id}.
INVOICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "invoiceNumber": _str,
        "invoiceType": {"type": "integer", "enum": [t.value for t in InvoiceType]},
        "invoiceTypeText": {"type": "string", "enum": [t.name for t in InvoiceType]},
        "status": {"type": "integer", "enum": [s.value for s in InvoiceStatus]},
        "statusText": {"type": "string", "enum": [s.name for s in InvoiceStatus]},
        "invoiceDate": _date,
        "dueDate": _ndate,
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "officeId": {"type": "integer"},
        "projectId": _nint,
        "projectNo": _nstr,
        "projectName": _nstr,
        "customerId": _nint,
        "customer": INVOICE_CUSTOMER_SCHEMA,
        "booker": BOOKER_SCHEMA,
        "creditedInvoiceId": _nint,
        "creditedInvoiceNumber": _nstr,
        "externalReference": _nstr,
        "errorMessage": _nstr,
        "customerInvoiceFields": {"type": ["array", "null"], "items": INVOICE_FIELD_SCHEMA},
        "lines": {"type": "array", "items": INVOICE_LINE_SCHEMA},
        "totalExclVat": _num,
        "totalVat": _num,
        "totalInclVat": _num,
        "createdDate": _timestamp,
        "lastModifiedDate": _timestamp,
    },
    "required": [
        "id",
        "invoiceNumber",
        "invoiceType",
        "status",
        "invoiceDate",
        "currency",
        "officeId",
        "lines",
        "totalExclVat",
        "totalVat",
        "totalInclVat",
    ],
}

SET_AS_PROCESSED_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"invoiceId": {"type": "integer"}, "externalReference": {"type": "string"}},
    "required": ["invoiceId", "externalReference"],
    "additionalProperties": False,
}
SET_AS_FAILED_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoiceId": {"type": "integer"},
        "errorMessage": {"type": "string", "maxLength": ERROR_MESSAGE_MAX},
    },
    "required": ["invoiceId", "errorMessage"],
    "additionalProperties": False,
}
SET_AS_PAID_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"invoiceId": {"type": "integer"}, "paidDate": _date},
    "required": ["invoiceId", "paidDate"],
    "additionalProperties": False,
}
SET_AS_BODIES = {
    "SetAsProcessed": SET_AS_PROCESSED_BODY,
    "SetAsFailed": SET_AS_FAILED_BODY,
    "SetAsPaid": SET_AS_PAID_BODY,
}

# ASP.NET ProblemDetails (400 validation) and APIM's 401 body.
PROBLEM_DETAILS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": _str,
        "title": _str,
        "status": {"type": "integer"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "traceId": _str,
        "detail": _nstr,
    },
    "required": ["title", "status"],
}
UNAUTHORIZED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"statusCode": {"const": 401}, "message": _str},
    "required": ["statusCode", "message"],
}
VALIDATION_PROBLEM_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.1"
NOT_FOUND_PROBLEM_TYPE = "https://tools.ietf.org/html/rfc9110#section-15.5.5"

SCHEMAS: dict[str, dict[str, Any]] = {
    "invoice": INVOICE_SCHEMA,
    "customer": CUSTOMER_SCHEMA,
    "customer_summary": CUSTOMER_SUMMARY_SCHEMA,
    "office": OFFICE_SCHEMA,
    "problem_details": PROBLEM_DETAILS_SCHEMA,
    "unauthorized": UNAUTHORIZED_SCHEMA,
    **SET_AS_BODIES,
}


# Qondor's .NET timestamps: up to 7 fractional digits, `Z`, an offset, or nothing (taken as UTC).
TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)


def timestamp_as_rfc3339(value: str) -> str:
    """A Qondor timestamp as RFC 3339 in UTC with microseconds (`2026-11-20T09:14:03.123456+00:00`).

    The 7th fractional digit (100 ns) is dropped: no warehouse keeps it. ValueError if unreadable.
    """
    match = TIMESTAMP.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a Qondor timestamp")
    seconds, fraction, zone = match.groups()
    zone = "+00:00" if not zone or zone.upper() == "Z" else zone
    moment = datetime.fromisoformat(f"{seconds}.{(fraction or '0')[:6]:0<6}{zone}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def validate(kind: str, payload: Any) -> None:
    """Raise `jsonschema.ValidationError` unless `payload` matches the contract's `kind`."""
    jsonschema.validate(
        payload, SCHEMAS[kind], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
