"""Payments against invoices and credit-note allocations in the fake organisation.

Like `writes.py`, each function handles one element in its own transaction and returns an
`Outcome` with the stored document or the element's validation errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.db import Database
from sandbox.xero import store
from sandbox.xero import validation as v
from sandbox.xero.dates import now_ms, parse_request_date
from sandbox.xero.totals import as_decimal, money
from sandbox.xero.writes import Outcome, account_by_code


def create_payment(db: Database, element: Any, by_app: bool = True) -> Outcome:
    """Record one payment against an AUTHORISED invoice."""
    out = Outcome(element)
    if not isinstance(element, dict):
        out.errors.append("A payment must be a JSON object.")
        return out
    errors = out.errors
    with db.write():
        ref = element.get("Invoice") or {}
        invoice = None
        if isinstance(ref, dict) and ref.get("InvoiceID"):
            invoice = (
                store.get(db, store.INVOICES, ref["InvoiceID"])
                if v.valid_guid(ref["InvoiceID"])
                else None
            )
        elif isinstance(ref, dict) and ref.get("InvoiceNumber"):
            invoice = store.find_one(
                db,
                store.INVOICES,
                "invoice_number = ? AND status != 'DELETED'",
                [str(ref["InvoiceNumber"])],
            )
        else:
            errors.append(v.PAYMENT_TARGET_REQUIRED)
        if invoice is None and not errors:
            errors.append(v.INVOICE_NOT_FOUND)
        account = _payment_account(db, element.get("Account"), errors)
        date = parse_request_date(element.get("Date")) if element.get("Date") else None
        if element.get("Date") and date is None:
            errors.append(v.DATE_INVALID.format(value=element.get("Date"), field="Date"))
        elif not element.get("Date"):
            errors.append(v.PAYMENT_DATE_REQUIRED)
        amount = as_decimal(element.get("Amount"))
        if amount is None or amount <= 0:
            errors.append(v.PAYMENT_AMOUNT_POSITIVE)
        if invoice is not None:
            if invoice["Status"] != "AUTHORISED":
                errors.append(v.PAYMENT_NOT_AUTHORISED)
            elif amount is not None and money(amount) > money(invoice["AmountDue"]):
                errors.append(v.PAYMENT_TOO_LARGE)
        if errors:
            return out
        assert (
            invoice is not None and account is not None and amount is not None and date is not None
        )
        out.doc = apply_payment(
            db, invoice, account, money(amount), date, element.get("Reference", "")
        )
    return out


def _payment_account(db: Database, ref: Any, errors: list[str]) -> dict[str, Any] | None:
    if not isinstance(ref, dict) or not (ref.get("Code") or ref.get("AccountID")):
        errors.append(v.PAYMENT_ACCOUNT_REQUIRED)
        return None
    if ref.get("AccountID"):
        account = (
            store.get(db, store.ACCOUNTS, ref["AccountID"])
            if v.valid_guid(ref["AccountID"])
            else None
        )
    else:
        account = account_by_code(db, str(ref["Code"]))
    if account is None or account.get("Status") != "ACTIVE":
        errors.append(
            v.PAYMENT_ACCOUNT_INVALID.format(code=ref.get("Code") or ref.get("AccountID"))
        )
        return None
    if account.get("Type") != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append(v.PAYMENT_ACCOUNT_TYPE)
        return None
    return account


def apply_payment(
    db: Database,
    invoice: dict[str, Any],
    account: dict[str, Any],
    amount: Any,
    date_ms: int,
    reference: str = "",
) -> dict[str, Any]:
    """Store a payment and move the invoice's AmountDue/AmountPaid/Status (caller validated)."""
    now = now_ms()
    payment_id = str(uuid.uuid4())
    amount = money(amount)
    payment = {
        "PaymentID": payment_id,
        "Date": date_ms,
        "Amount": float(amount),
        "BankAmount": float(amount),
        "CurrencyRate": 1.0,
        "Reference": reference or "",
        "IsReconciled": False,
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT" if invoice.get("Type") == "ACCREC" else "ACCPAYPAYMENT",
        "Account": {"AccountID": account["AccountID"], "Code": account.get("Code")},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice.get("Type"),
            "CurrencyCode": invoice.get("CurrencyCode"),
            "Contact": invoice.get("Contact", {}),
        },
        "UpdatedDateUTC": now,
    }
    invoice["AmountPaid"] = float(money(invoice.get("AmountPaid", 0)) + amount)
    invoice["AmountDue"] = float(money(invoice["AmountDue"]) - amount)
    invoice.setdefault("Payments", []).append(
        {
            "PaymentID": payment_id,
            "Date": date_ms,
            "Amount": float(amount),
            "Reference": reference or "",
            "CurrencyRate": 1.0,
        }
    )
    if money(invoice["AmountDue"]) == 0:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = date_ms
    invoice["UpdatedDateUTC"] = now
    with db.write() as conn:
        store.save(conn, store.PAYMENTS, [payment])
        store.save(conn, store.INVOICES, [invoice])
    return payment


def allocate_credit(db: Database, credit_note_id: str, element: Any) -> Outcome:
    """Allocate part of an AUTHORISED credit note to an AUTHORISED invoice."""
    out = Outcome(element)
    errors = out.errors
    if not isinstance(element, dict):
        errors.append("An allocation must be a JSON object.")
        return out
    with db.write() as conn:
        note = (
            store.get(db, store.CREDIT_NOTES, credit_note_id)
            if v.valid_guid(credit_note_id)
            else None
        )
        if note is None:
            errors.append(v.DOCUMENT_NOT_FOUND.format(label="Credit Note", id=credit_note_id))
            return out
        ref = element.get("Invoice") or {}
        invoice = None
        if isinstance(ref, dict) and ref.get("InvoiceID") and v.valid_guid(ref["InvoiceID"]):
            invoice = store.get(db, store.INVOICES, ref["InvoiceID"])
        if invoice is None:
            errors.append(v.INVOICE_NOT_FOUND)
        amount = as_decimal(element.get("Amount"))
        if amount is None or amount <= 0:
            errors.append(v.ALLOCATION_AMOUNT_POSITIVE)
        date = parse_request_date(element.get("Date")) if element.get("Date") else note["Date"]
        if date is None:
            errors.append(v.DATE_INVALID.format(value=element.get("Date"), field="Date"))
        if note.get("Status") != "AUTHORISED":
            errors.append(v.ALLOCATION_NOT_AUTHORISED)
        if invoice is not None:
            if invoice.get("Status") != "AUTHORISED":
                errors.append(v.ALLOCATION_INVOICE_STATUS)
            if invoice.get("CurrencyCode") != note.get("CurrencyCode"):
                errors.append(v.ALLOCATION_CURRENCY)
        if amount is not None and amount > 0:
            if money(amount) > money(note.get("RemainingCredit", 0)):
                errors.append(v.ALLOCATION_OVER_CREDIT)
            if invoice is not None and money(amount) > money(invoice.get("AmountDue", 0)):
                errors.append(v.ALLOCATION_OVER_DUE)
        if errors:
            return out
        assert invoice is not None and amount is not None and date is not None
        amount = money(amount)
        now = now_ms()
        allocation = {
            "AllocationID": str(uuid.uuid4()),
            "Amount": float(amount),
            "Date": date,
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            },
        }
        note.setdefault("Allocations", []).append(allocation)
        note["RemainingCredit"] = float(money(note["RemainingCredit"]) - amount)
        if money(note["RemainingCredit"]) == 0:
            note["Status"] = "PAID"
            note["FullyPaidOnDate"] = date
        note["UpdatedDateUTC"] = now
        invoice["AmountCredited"] = float(money(invoice.get("AmountCredited", 0)) + amount)
        invoice["AmountDue"] = float(money(invoice["AmountDue"]) - amount)
        invoice.setdefault("CreditNotes", []).append(
            {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note.get("CreditNoteNumber", ""),
                "AppliedAmount": float(amount),
                "Date": date,
                "Total": note.get("Total"),
            }
        )
        if money(invoice["AmountDue"]) == 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = date
        invoice["UpdatedDateUTC"] = now
        store.save(conn, store.CREDIT_NOTES, [note])
        store.save(conn, store.INVOICES, [invoice])
        out.doc = {
            **allocation,  # as stored on the credit note, plus the note itself
            "CreditNote": {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note.get("CreditNoteNumber", ""),
            },
        }
    return out


def delete_payment(db: Database, payment_id: str, element: Any) -> Outcome:
    """Delete one payment as Xero does (`POST /Payments/{id}` with Status DELETED).

    The payment stays readable with Status DELETED; its invoice gets the amount back as due,
    drops it from its Payments, and a PAID invoice is AUTHORISED again. Both are updated now.
    """
    out = Outcome(element)
    errors = out.errors
    if not isinstance(element, dict) or element.get("Status") != "DELETED":
        errors.append(v.PAYMENT_ONLY_DELETE)
        return out
    with db.write() as conn:
        payment = store.get(db, store.PAYMENTS, payment_id) if v.valid_guid(payment_id) else None
        if payment is None:
            errors.append(v.DOCUMENT_NOT_FOUND.format(label="Payment", id=payment_id))
            return out
        if payment.get("Status") == "DELETED":
            errors.append(v.PAYMENT_ALREADY_DELETED)
            return out
        if payment.get("IsReconciled"):
            errors.append(v.PAYMENT_RECONCILED)
            return out
        now = now_ms()
        invoice = store.get(db, store.INVOICES, payment["Invoice"]["InvoiceID"])
        if invoice is not None:
            amount = money(payment["Amount"])
            invoice["AmountPaid"] = float(money(invoice.get("AmountPaid", 0)) - amount)
            invoice["AmountDue"] = float(money(invoice["AmountDue"]) + amount)
            invoice["Payments"] = [
                p for p in invoice.get("Payments", []) if p.get("PaymentID") != payment_id
            ]
            if invoice["Status"] == "PAID":
                invoice["Status"] = "AUTHORISED"
                invoice.pop("FullyPaidOnDate", None)
            invoice["UpdatedDateUTC"] = now
            store.save(conn, store.INVOICES, [invoice])
            payment["Invoice"].update(
                Status=invoice["Status"],
                AmountDue=invoice["AmountDue"],
                AmountPaid=invoice["AmountPaid"],
            )
        payment["Status"] = "DELETED"
        payment["UpdatedDateUTC"] = now
        store.save(conn, store.PAYMENTS, [payment])
        out.doc = payment
    return out
