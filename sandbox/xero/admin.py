"""The Xero sandbox's admin API under /_sandbox/: reset, seed, state, pay, void, remove
payments, tokens, clock, page."""

from __future__ import annotations

import html
import json
import logging
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sandbox.common.admin import (
    AdminError,
    admin_endpoint,
    fault_routes,
    health_route,
    load_scenario,
    read_json,
    request_log_routes,
)
from sandbox.xero import payments, render, scopes, store, tracking, writes
from sandbox.xero.dates import now_ms, parse_request_date
from sandbox.xero.seed import SeedError, seed_defaults, seed_objects
from sandbox.xero.totals import as_decimal, money
from sandbox.xero.validation import valid_guid

if TYPE_CHECKING:
    from sandbox.xero.app import XeroSandbox

log = logging.getLogger("sandbox")


def reset(
    sandbox: XeroSandbox, scenario: str = "empty", seed: int = 1, size: int | None = None
) -> dict[str, int]:
    """Delete every Xero object, limit count, log entry and fault, put the identity clock back
    to real time; seed a scenario."""
    built = load_scenario(scenario, seed=seed, size=size)
    store.clear_data(sandbox.db, drop_indexes=True)
    sandbox.limits.reset()
    sandbox.identity.offset = 0.0  # no test depends on what an earlier one did to the clock
    sandbox.log.clear()
    sandbox.faults.clear()
    try:
        counts = seed_defaults(sandbox.db, getattr(built, "xero", None) or {})
    finally:
        store.create_schema(sandbox.db)  # the indexes, built once over the seeded rows
    sandbox.db.set_meta("xero.seeded", scenario)
    return counts


def ensure_seeded(sandbox: XeroSandbox) -> None:
    """Seed the configured scenario when the database has never been seeded."""
    if sandbox.db.get_meta("xero.seeded"):
        return
    name = sandbox.settings.scenario
    try:
        counts = reset(sandbox, name, sandbox.settings.seed, sandbox.settings.size)
    except ValueError as exc:
        log.info("Xero: %s; seeding 'empty' instead", exc)
        name = "empty"
        counts = reset(sandbox, name, sandbox.settings.seed, None)
    log.info("Xero seeded with scenario %s: %s", name, counts)


def state(sandbox: XeroSandbox) -> dict[str, list[dict[str, Any]]]:
    """Every stored object in Xero's shapes."""
    db = sandbox.db
    return {
        "accounts": [render.account(d) for d in store.all_docs(db, store.ACCOUNTS)],
        "currencies": store.all_docs(db, store.CURRENCIES),
        "contacts": [render.contact(d) for d in store.all_docs(db, store.CONTACTS)],
        "invoices": [render.invoice(d) for d in store.all_docs(db, store.INVOICES)],
        "creditNotes": [render.credit_note(d) for d in store.all_docs(db, store.CREDIT_NOTES)],
        "payments": [render.payment(d) for d in store.all_docs(db, store.PAYMENTS)],
        "trackingCategories": [
            tracking.render_category(d, include_archived=True)
            for d in store.all_docs(db, store.TRACKING_CATEGORIES)
        ],
        "brandingThemes": [
            {"BrandingThemeID": d["BrandingThemeID"], "Name": d["Name"]}
            for d in store.all_docs(db, store.BRANDING_THEMES)
        ],
    }


def find_invoice(db: Any, ref: Any, action: str) -> dict[str, Any]:
    """The invoice named by id, number or `{"InvoiceID"|"InvoiceNumber": ...}`."""
    if isinstance(ref, dict):
        ref = ref.get("InvoiceID") or ref.get("InvoiceNumber") or ""
    invoice = store.get(db, store.INVOICES, str(ref)) if valid_guid(ref) else None
    if invoice is None:
        invoice = store.find_one(
            db, store.INVOICES, "invoice_number = ? AND status != 'DELETED'", [str(ref)]
        )
    if invoice is None:
        raise AdminError(f"{action}: invoice {ref!r} does not exist")
    return invoice


def pay(
    sandbox: XeroSandbox, refs: list[Any], date: Any = None, amount: Any = None
) -> list[dict[str, Any]]:
    """Pay each invoice (by id or number) into account 090: its AmountDue, or `amount` (a part)."""
    db = sandbox.db
    day = parse_request_date(date) if date else now_ms() // 86_400_000 * 86_400_000
    if day is None:
        raise AdminError(f"pay: field 'date': {date!r} is not a date")
    part = as_decimal(amount) if amount is not None else None
    if amount is not None and (part is None or part <= 0):
        raise AdminError(f"pay: field 'amount': {amount!r} is not a positive number")
    account = store.find_one(db, store.ACCOUNTS, "code = '090'", [])
    if account is None:
        raise AdminError("pay: account 090 does not exist in this organisation")
    paid = []
    with db.write():
        for ref in refs:
            invoice = find_invoice(db, ref, "pay")
            if invoice["Status"] != "AUTHORISED" or invoice["AmountDue"] <= 0:
                raise AdminError(
                    f"pay: invoice {ref!r} is {invoice['Status']} with AmountDue "
                    f"{invoice['AmountDue']}; only AUTHORISED invoices with an amount due can be paid"
                )
            if part is not None and money(part) > money(invoice["AmountDue"]):
                raise AdminError(
                    f"pay: invoice {ref!r}: amount {amount} exceeds AmountDue {invoice['AmountDue']}"
                )
            payment = payments.apply_payment(
                db,
                invoice,
                account,
                invoice["AmountDue"] if part is None else part,
                day,
                "Paid in sandbox",
            )
            paid.append(render.payment(payment))
    return paid


def void(sandbox: XeroSandbox, refs: list[Any]) -> list[dict[str, Any]]:
    """What a Xero user does to a sent invoice: void it (AUTHORISED, no payments) or delete it
    (DRAFT, SUBMITTED), by the same rules as the API's status update."""
    done = []
    for ref in refs:
        invoice = find_invoice(sandbox.db, ref, "void")
        status = "VOIDED" if invoice["Status"] == "AUTHORISED" else "DELETED"
        element = {"InvoiceID": invoice["InvoiceID"], "Status": status}
        out = writes.save_document(sandbox.db, writes.INVOICE, element, create_only=False)
        if not out.ok or out.doc is None:
            raise AdminError(
                f"void: invoice {ref!r} ({invoice['Status']}): {'; '.join(out.errors)}"
            )
        done.append(render.invoice(out.doc))
    return done


def remove_payments(sandbox: XeroSandbox, refs: list[Any]) -> list[dict[str, Any]]:
    """Delete every payment of each invoice, as Xero's "Remove and Redo" (the API's delete)."""
    removed = []
    for ref in refs:
        invoice = find_invoice(sandbox.db, ref, "remove-payments")
        ids = [p["PaymentID"] for p in invoice.get("Payments", [])]
        if not ids:
            raise AdminError(f"remove-payments: invoice {ref!r} has no payments")
        for payment_id in ids:
            out = payments.delete_payment(sandbox.db, payment_id, {"Status": "DELETED"})
            if not out.ok or out.doc is None:
                raise AdminError(f"remove-payments: payment {payment_id}: {'; '.join(out.errors)}")
            removed.append(render.payment(out.doc))
    return removed


def admin_routes(sandbox: XeroSandbox) -> list[Route]:
    """Every /_sandbox/ route of the Xero half."""

    @admin_endpoint
    async def reset_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        if not isinstance(body, dict):
            raise AdminError("reset: body must be a JSON object")
        counts = await run_in_threadpool(
            reset,
            sandbox,
            body.get("scenario", "empty"),
            int(body.get("seed", 1)),
            body.get("size"),
        )
        return JSONResponse({"status": "ok", "seeded": counts})

    @admin_endpoint
    async def seed_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        if not isinstance(body, dict):
            raise AdminError("seed: body must be a JSON object")
        try:
            if "scenario" in body:
                built = load_scenario(body["scenario"], int(body.get("seed", 1)), body.get("size"))
                counts = await run_in_threadpool(
                    seed_objects, sandbox.db, getattr(built, "xero", {}) or {}
                )
            else:
                counts = await run_in_threadpool(seed_objects, sandbox.db, body)
        except SeedError as exc:
            raise AdminError(str(exc)) from exc
        return JSONResponse({"status": "ok", "seeded": counts})

    async def state_endpoint(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(state, sandbox))

    @admin_endpoint
    async def pay_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        refs = body.get("invoices") if isinstance(body, dict) else None
        if not isinstance(refs, list) or not refs:
            raise AdminError("pay: field 'invoices' must be a non-empty list of ids or numbers")
        made = await run_in_threadpool(pay, sandbox, refs, body.get("date"), body.get("amount"))
        return JSONResponse({"payments": made})

    @admin_endpoint
    async def void_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        refs = body.get("invoices") if isinstance(body, dict) else None
        if not isinstance(refs, list) or not refs:
            raise AdminError("void: field 'invoices' must be a non-empty list of ids or numbers")
        return JSONResponse({"invoices": await run_in_threadpool(void, sandbox, refs)})

    @admin_endpoint
    async def remove_payments_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        refs = body.get("invoices") if isinstance(body, dict) else None
        if not isinstance(refs, list) or not refs:
            raise AdminError(
                "remove-payments: field 'invoices' must be a non-empty list of ids or numbers"
            )
        return JSONResponse({"payments": await run_in_threadpool(remove_payments, sandbox, refs)})

    @admin_endpoint
    async def refresh_token_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        granted = body.get("scope")
        if granted is not None and not isinstance(granted, str):
            raise AdminError("refresh-tokens: field 'scope' must be a space-separated string")
        token = await run_in_threadpool(
            sandbox.identity.mint_refresh_token, body.get("client_id"), scopes.parse(granted)
        )
        return JSONResponse({"refresh_token": token})

    @admin_endpoint
    async def clock_endpoint(request: Request) -> Response:
        body = await read_json(request, {}) or {}
        try:
            advance = float(body.get("advance_seconds", 0))
        except (TypeError, ValueError):
            raise AdminError("clock: field 'advance_seconds' must be a number") from None
        sandbox.identity.offset += advance
        return JSONResponse({"offset_seconds": sandbox.identity.offset})

    async def page(request: Request) -> Response:
        return HTMLResponse(await run_in_threadpool(overview_page, sandbox))

    return [
        health_route("xero"),
        Route("/_sandbox/reset", reset_endpoint, methods=["POST"]),
        Route("/_sandbox/seed", seed_endpoint, methods=["POST"]),
        Route("/_sandbox/state", state_endpoint, methods=["GET"]),
        Route("/_sandbox/pay", pay_endpoint, methods=["POST"]),
        Route("/_sandbox/void", void_endpoint, methods=["POST"]),
        Route("/_sandbox/remove-payments", remove_payments_endpoint, methods=["POST"]),
        Route("/_sandbox/refresh-tokens", refresh_token_endpoint, methods=["POST"]),
        Route("/_sandbox/clock", clock_endpoint, methods=["POST"]),
        Route("/_sandbox/", page, methods=["GET"]),
        Route("/_sandbox", page, methods=["GET"]),
        *request_log_routes(sandbox.log),
        *fault_routes(sandbox.faults),
    ]


def overview_page(sandbox: XeroSandbox, limit: int = 200) -> str:
    """A read-only HTML page of the latest contacts, invoices and payments."""
    db = sandbox.db

    def table(title: str, headers: list[str], rows: list[list[Any]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
        )
        return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"

    contacts = db.query(
        "SELECT name, email, tax_number, status FROM xero_contacts ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    invoices = db.query(
        "SELECT invoice_number, contact_name, status, total, amount_due, currency FROM xero_invoices ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    payments = db.query("SELECT doc FROM xero_payments ORDER BY id DESC LIMIT ?", (limit,))
    pay_rows = []
    for r in payments:
        p = json.loads(r["doc"])
        pay_rows.append([p["Invoice"].get("InvoiceNumber"), p["Amount"], p["Account"].get("Code")])
    return (
        "<!doctype html><meta charset=utf-8><title>Xero sandbox</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>"
        f"<h1>{html.escape(sandbox.settings.xero_tenant_name)} (Xero sandbox)</h1>"
        + table("Contacts", ["Name", "Email", "Tax number", "Status"], [list(r) for r in contacts])
        + table(
            "Invoices",
            ["Number", "Contact", "Status", "Total", "Due", "Currency"],
            [list(r) for r in invoices],
        )
        + table("Payments", ["Invoice", "Amount", "Account"], pay_rows)
    )
