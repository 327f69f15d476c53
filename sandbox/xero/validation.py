"""Xero's validation messages (worded as Xero words them) and the checks of single fields."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlparse

# Contacts
CONTACT_NAME_REQUIRED = "The contact name must be specified."
CONTACT_NAME_TOO_LONG = "The contact name must not be longer than 255 characters."
CONTACT_NAME_TAKEN = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
CONTACT_NUMBER_TOO_LONG = "The Contact Number must not be longer than 50 characters."
EMAIL_INVALID = "Email address must be valid."
CONTACT_STATUS_INVALID = "ContactStatus must be ACTIVE or ARCHIVED."
CONTACT_NOT_FOUND = "The contact with ContactID {id} could not be found."
CONTACT_EXISTS = "A contact with ContactID {id} already exists; use POST to update it."

# Invoices and credit notes
TYPE_INVALID = "{label} Type must be one of {types}."
CONTACT_REQUIRED = "A Contact must be specified for this type of transaction"
CONTACT_ARCHIVED = "The contact {name} has been archived. Archived contacts cannot be used."
NUMBER_NOT_UNIQUE = "{short} # must be unique."
NUMBER_TOO_LONG = "{short} # must not be longer than 255 characters."
DOCUMENT_NOT_FOUND = "The {label} with ID {id} could not be found."
DOCUMENT_EXISTS = "The {label} with ID {id} already exists; use POST to update it."
STATUS_NOT_WRITABLE = (
    "The status '{status}' cannot be set through the API; use DRAFT, SUBMITTED or AUTHORISED."
)
NOT_MODIFIABLE = "{label} not of valid status for modification"
HAS_ALLOCATIONS = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)
DATE_INVALID = "'{value}' is not a valid date for {field}."
DUE_DATE_REQUIRED = "Due Date is required for a document with status {status}."
CURRENCY_NOT_ENABLED = "Organisation is not subscribed to currency {code}"
LINE_AMOUNT_TYPES_INVALID = "LineAmountTypes must be Exclusive, Inclusive or NoTax."
LINE_ITEMS_REQUIRED = "A {label} must have at least one line item to be {status}."
DESCRIPTION_REQUIRED = "The description field is mandatory for each line item."
ACCOUNT_CODE_REQUIRED = "The account code or ID must be specified"
ACCOUNT_CODE_INVALID = "Account code '{code}' is not a valid code for this document."
ACCOUNT_ARCHIVED = (
    "Account code '{code}' has been archived, or has been deleted. "
    "Each line item must reference a valid account."
)
TAX_TYPE_INVALID = (
    "The TaxType code '{code}' does not exist or cannot be used for this type of transaction."
)
NUMBER_INVALID = "{field} must be a number."
TOTAL_NEGATIVE = "{label} total must not be negative."
URL_INVALID = "The Url '{value}' is not a valid absolute URL."
REFERENCE_TOO_LONG = "Reference must not be longer than 255 characters."

# Payments and allocations
PAYMENT_TARGET_REQUIRED = (
    "An Invoice (InvoiceID or InvoiceNumber) must be specified for the payment."
)
INVOICE_NOT_FOUND = "Invoice could not be found."
PAYMENT_ACCOUNT_REQUIRED = "An Account (Code or AccountID) must be specified for the payment."
PAYMENT_ACCOUNT_INVALID = "Account code '{code}' is not a valid code for this document."
PAYMENT_ACCOUNT_TYPE = "Account type is invalid for making a payment to/from"
PAYMENT_NOT_AUTHORISED = "Payments can only be made against Authorised documents"
PAYMENT_AMOUNT_POSITIVE = "Payment amount must be greater than zero."
PAYMENT_TOO_LARGE = "Payment amount exceeds the amount outstanding on this document"
PAYMENT_DATE_REQUIRED = "Payment Date must be specified."
PAYMENT_ONLY_DELETE = "Payments can only be deleted: Status must be DELETED."
PAYMENT_ALREADY_DELETED = "This payment has already been deleted."
PAYMENT_RECONCILED = "Payment cannot be deleted because it has been reconciled."
ALLOCATION_NOT_AUTHORISED = "Allocations can only be made from Authorised credit notes"
ALLOCATION_INVOICE_STATUS = "Allocations can only be made to Authorised invoices"
ALLOCATION_OVER_CREDIT = "The amount allocated exceeds the remaining credit on the credit note."
ALLOCATION_OVER_DUE = "The amount allocated exceeds the amount due on the invoice."
ALLOCATION_AMOUNT_POSITIVE = "Allocation amount must be greater than zero."
ALLOCATION_CURRENCY = "The invoice and the credit note must be in the same currency."

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(value: Any) -> bool:
    """Whether an email address looks deliverable (empty is allowed)."""
    return value in (None, "") or (isinstance(value, str) and bool(_EMAIL.match(value)))


def valid_guid(value: Any) -> bool:
    """Whether a value is a GUID."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def valid_url(value: Any) -> bool:
    """Whether a value is an absolute http(s) URL (empty is allowed)."""
    if value in (None, ""):
        return True
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)
