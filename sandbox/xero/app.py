"""The fake Xero: identity (`/connect/token`, `/connections`) and the Accounting API routes."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.common.faults import FaultMiddleware, FaultRule, FaultSet
from sandbox.common.requestlog import RequestLog, RequestLogMiddleware, header
from sandbox.common.settings import Settings
from sandbox.db import Database
from sandbox.xero import chart, payments, render, store, tracking, writes
from sandbox.xero.auth import Identity
from sandbox.xero.consent import consent_routes
from sandbox.xero.dates import msdate, parse_modified_since
from sandbox.xero.gate import (
    API_PREFIX,
    NOT_FOUND_TEXT,
    IdempotencyStore,
    RateLimits,
    XeroGate,
)
from sandbox.xero.validation import valid_guid
from sandbox.xero.where import QueryError, order_to_sql, where_to_sql

MAINTENANCE_TEXT = "The Xero API is currently offline for maintenance"
MAX_BODY_BYTES = 3_500_000
MAX_PAGE_SIZE = 1000


class XeroSandbox:
    """The state one Xero app instance works on (shared by routes and admin)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.identity = Identity(settings, db)
        self.limits = RateLimits(settings)
        self.log = RequestLog()
        self.faults = FaultSet(seed=settings.seed)


def bad_request(
    message: str, error_number: int = 16, type_: str = "QueryParseException"
) -> JSONResponse:
    """Xero's 400 for a request it cannot understand."""
    return JSONResponse({"ErrorNumber": error_number, "Type": type_, "Message": message}, 400)


def not_found() -> PlainTextResponse:
    """Xero's plain-text 404."""
    return PlainTextResponse(NOT_FOUND_TEXT, 404)


def _params(request: Request) -> dict[str, str]:
    """Query parameters with case-insensitive names (Xero does not care about case)."""
    return {k.lower(): v for k, v in request.query_params.items()}


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _truthy(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join('?' for _ in values)})"


# ---------------------------------------------------------------- reads


def list_query(
    request: Request, table: store.Table, extra: dict[str, tuple[str, str]]
) -> tuple[list[str], list[Any], str | None, int, int, bool]:
    """Conditions, params, order, page, pageSize and summaryOnly from a GET's parameters.

    `extra` maps list parameters (lower-case name) to (column, kind) where kind is `guid`
    or `str`. Raises QueryError for anything Xero would refuse.
    """
    q = _params(request)
    conditions: list[str] = []
    params: list[Any] = []
    if q.get("where"):
        sql, args = where_to_sql(q["where"], table.fields, table.type_name)
        conditions.append(sql)
        params += args
    since = header(request.scope, "if-modified-since")
    if since:
        ms = parse_modified_since(since)
        if ms is None:
            raise QueryError(f"If-Modified-Since: '{since}' is not a date-time")
        conditions.append("updated > ?")
        params.append(ms)
    for name, (column, kind) in extra.items():
        values = _csv(q.get(name))
        if not values:
            continue
        if kind == "guid":
            bad = [x for x in values if not valid_guid(x)]
            if bad:
                raise QueryError(f"{name}: '{bad[0]}' is not a valid GUID")
            values = [str(uuid.UUID(x)) for x in values]
        conditions.append(_in(column, values))
        params += values
    if _truthy(q.get("createdbymyapp")):  # false means no filter, as at Xero
        conditions.append("by_app = 1")
    order = order_to_sql(q["order"], table.fields, table.type_name) if q.get("order") else None
    try:
        page = int(q.get("page", "1"))
        page_size = int(q.get("pagesize", "100"))
    except ValueError:
        raise QueryError("page and pageSize must be whole numbers") from None
    if page < 1 or page_size < 1:
        raise QueryError("page and pageSize must be at least 1")
    return (
        conditions,
        params,
        order,
        page,
        min(page_size, MAX_PAGE_SIZE),
        _truthy(q.get("summaryonly")),
    )


def list_endpoint(
    key: str,
    table: store.Table,
    render_one: Callable[..., dict[str, Any]],
    extra: dict[str, tuple[str, str]],
    base: Callable[[Request], tuple[list[str], list[Any]]] | None = None,
    paged: bool = True,
) -> Callable[[Request], Any]:
    """A GET endpoint that lists objects of one table with Xero's filters and paging."""

    def endpoint(request: Request) -> Response:
        sandbox: XeroSandbox = request.app.state.sandbox
        try:
            conditions, params, order, page, size, summary = list_query(request, table, extra)
        except QueryError as exc:
            return bad_request(str(exc))
        if base:
            more, args = base(request)
            conditions += more
            params += args
        docs, total = store.select(
            sandbox.db, table, conditions, params, order, page if paged else None, size
        )
        items = [render_one(d, summary) for d in docs]
        extra_fields = {}
        if paged:
            extra_fields["pagination"] = {
                "page": page,
                "pageSize": size,
                "pageCount": (total + size - 1) // size,
                "itemCount": total,
            }
        return JSONResponse(render.envelope(key, items, **extra_fields))

    return endpoint


def get_one_endpoint(
    key: str,
    table: store.Table,
    render_one: Callable[[dict[str, Any]], dict[str, Any]],
    number_column: str | None = None,
) -> Callable[[Request], Any]:
    """GET /{Things}/{id}: one object by id (or by number for invoices and credit notes)."""

    def endpoint(request: Request) -> Response:
        sandbox: XeroSandbox = request.app.state.sandbox
        ident = request.path_params["ident"]
        doc = store.get(sandbox.db, table, ident) if valid_guid(ident) else None
        if doc is None and number_column:
            doc = store.find_one(sandbox.db, table, f"{number_column} = ?", [ident])
        if doc is None:
            return not_found()
        return JSONResponse(render.envelope(key, [render_one(doc)]))

    return endpoint


# Xero's answer to a contact read it cannot filter efficiently in a very large organisation.
HIGH_VOLUME_TEXT = (
    "Your request is not filtering Contacts efficiently, given the extremely high volume for "
    "this organisation. Please check https://developer.xero.com/documentation/api/"
    "efficient-data-retrieval for tips on making Contact retrieval more efficient."
)
# Contact fields Xero filters efficiently (its "optimised" filters), as stored columns.
_EFFICIENT_CONTACT_COLUMNS = {"name", "email", "account_number", "contact_id"}


def _inefficient_contact_read(request: Request) -> bool:
    """Whether a GET /Contacts filters on anything but Xero's optimised fields (Name,
    EmailAddress, AccountNumber, ContactID), or reads everything in one unpaged answer.

    IDs, searchTerm and paged reading (`page`) are efficient."""
    q = _params(request)
    if q.get("where"):
        try:
            sql, _args = where_to_sql(q["where"], store.CONTACTS.fields, "Contact")
        except QueryError:
            return False  # answered as a malformed query
        columns = {c for c, _kind in store.CONTACTS.fields.values()}
        used = {word for word in re.findall(r"[a-z_]+", sql) if word in columns}
        return not used <= _EFFICIENT_CONTACT_COLUMNS
    return not (q.get("ids") or q.get("searchterm") or q.get("page"))


def high_volume_guard(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """GET /Contacts: above the configured number of contacts, refuse inefficient reads."""

    def guarded(request: Request) -> Any:
        sandbox: XeroSandbox = request.app.state.sandbox
        limit = sandbox.settings.xero_high_volume_contacts
        if limit is not None and _inefficient_contact_read(request):
            count = sandbox.db.query_one("SELECT COUNT(*) AS n FROM xero_contacts")["n"]
            if count > limit:
                return bad_request(HIGH_VOLUME_TEXT, 10, "HighVolumeException")
        return endpoint(request)

    return guarded


def _contact_scope(request: Request) -> tuple[list[str], list[Any]]:
    """Contacts: archived ones only with includeArchived (or IDs); `searchTerm` matching."""
    q = _params(request)
    conditions: list[str] = []
    params: list[Any] = []
    if not (_truthy(q.get("includearchived")) or q.get("ids")):
        conditions.append("status != 'ARCHIVED'")
    term = (q.get("searchterm") or "").strip()
    if term:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = ("name", "first_name", "last_name", "email", "contact_number")
        conditions.append(" OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns))
        params += [pattern] * len(columns)
    return conditions, params


# ---------------------------------------------------------------- writes


def _error_element(element: Any, errors: list[str], flag: str) -> dict[str, Any]:
    out = dict(element) if isinstance(element, dict) else {}
    out["StatusAttributeString"] = "ERROR"
    out[flag] = True
    out["ValidationErrors"] = [{"Message": m} for m in errors]
    return out


def write_endpoint(
    key: str,
    write_one: Callable[[XeroSandbox, Any, writes.WriteOptions], writes.Outcome],
    render_one: Callable[[dict[str, Any]], dict[str, Any]],
    error_flag: str = "HasErrors",
    answer: Callable[[XeroSandbox, dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[Request], Any]:
    """A PUT/POST endpoint: every element written on its own, answered in Xero's two modes.

    `answer` renders a written object for the answer when that differs from `render_one`.
    """

    async def endpoint(request: Request) -> Response:
        sandbox: XeroSandbox = request.app.state.sandbox
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return PlainTextResponse("Request Entity Too Large", 413)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return bad_request("Invalid Json data", 14, "PostDataInvalidException")
        if isinstance(body, dict) and key in body:
            elements = body[key]
        elif isinstance(body, dict) and body:
            elements = [body]
        else:
            elements = None
        if not isinstance(elements, list) or not elements:
            return bad_request(
                f"The request body must hold a non-empty '{key}' list",
                14,
                "PostDataInvalidException",
            )
        params = _params(request)
        summarize = params.get("summarizeerrors", "true").lower() != "false"
        options = writes.WriteOptions(
            unit_dp=4 if params.get("unitdp") == "4" else 2,
            tax_skew=request.scope.get("sandbox", {}).get("tax_skew"),
        )

        def run() -> list[tuple[writes.Outcome, dict[str, Any] | None]]:
            done = [write_one(sandbox, element, options) for element in elements]
            show = answer or (lambda _sb, doc: render_one(doc))
            return [(o, show(sandbox, o.doc) if o.ok and o.doc is not None else None) for o in done]

        answered = await run_in_threadpool(run)
        outcomes = [o for o, _item in answered]
        failed = [o for o in outcomes if not o.ok]
        if summarize and failed:
            return JSONResponse(
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "A validation exception occurred",
                    "Elements": [_error_element(o.element, o.errors, error_flag) for o in failed],
                },
                400,
            )
        items = []
        for o, item in answered:
            if item is not None:
                item["StatusAttributeString"] = "OK"
                items.append(item)
            else:
                items.append(_error_element(o.element, o.errors, error_flag))
        return JSONResponse(render.envelope(key, items))

    return endpoint


async def allocations(request: Request) -> Response:
    """PUT /CreditNotes/{id}/Allocations."""
    sandbox: XeroSandbox = request.app.state.sandbox
    ident = request.path_params["ident"]
    if not valid_guid(ident) or store.get(sandbox.db, store.CREDIT_NOTES, ident) is None:
        return not_found()

    def write_allocation(
        sb: XeroSandbox, element: Any, _options: writes.WriteOptions
    ) -> writes.Outcome:
        return payments.allocate_credit(sb.db, ident, element)

    def render_allocation(doc: dict[str, Any]) -> dict[str, Any]:
        out = dict(doc)
        out["Date"] = msdate(doc["Date"])
        return out

    return await write_endpoint("Allocations", write_allocation, render_allocation)(request)


async def payment_delete(request: Request) -> Response:
    """POST /Payments/{id} with `{"Status": "DELETED"}`: Xero's only change to a payment."""
    sandbox: XeroSandbox = request.app.state.sandbox
    ident = request.path_params["ident"]
    if not valid_guid(ident) or store.get(sandbox.db, store.PAYMENTS, ident) is None:
        return not_found()

    def delete(sb: XeroSandbox, element: Any, _options: writes.WriteOptions) -> writes.Outcome:
        return payments.delete_payment(sb.db, ident, element)

    return await write_endpoint("Payments", delete, render.payment, "HasValidationErrors")(request)


# ---------------------------------------------------------------- identity


async def token(request: Request) -> Response:
    """POST /connect/token."""
    sandbox: XeroSandbox = request.app.state.sandbox
    body = await request.body()
    status, payload = await run_in_threadpool(
        sandbox.identity.token_response, body, request.headers.get("authorization")
    )
    return JSONResponse(payload, status, headers={"Cache-Control": "no-store"})


def connections(request: Request) -> Response:
    """GET /connections (the gate has checked the bearer token)."""
    sandbox: XeroSandbox = request.app.state.sandbox
    return JSONResponse(sandbox.identity.connections())


async def fallback(request: Request) -> Response:
    """Any other path: Xero's plain-text 404."""
    return not_found()


def fault_response(rule: FaultRule) -> Response:
    """An injected fault in Xero's style (429 with its headers, 503 plain text, ...)."""
    headers = dict(rule.headers)
    if rule.status == 429:
        headers.setdefault("Retry-After", str(rule.retry_after))
        headers.setdefault("X-Rate-Limit-Problem", rule.problem)
    if rule.body is not None:
        if isinstance(rule.body, str):
            return PlainTextResponse(rule.body, rule.status or 500, headers=headers)
        return JSONResponse(rule.body, rule.status or 500, headers=headers)
    if rule.status == 503:
        return PlainTextResponse(MAINTENANCE_TEXT, 503, headers=headers)
    if rule.status == 404:
        return PlainTextResponse(NOT_FOUND_TEXT, 404, headers=headers)
    if rule.status == 429:
        return JSONResponse(
            {
                "Title": "Too Many Requests",
                "Status": 429,
                "Detail": f"Rate limit exceeded: {rule.problem}",
            },
            429,
            headers=headers,
        )
    return JSONResponse(
        {
            "ErrorNumber": 500,
            "Type": "UnknownErrorException",
            "Message": "An error occurred in Xero. Check the API Status page for current service status.",
        },
        rule.status or 500,
        headers=headers,
    )


def _document_routes(
    kind: writes.DocumentKind,
    table: store.Table,
    render_one: Callable[..., dict[str, Any]],
    list_filters: dict[str, tuple[str, str]],
    number_column: str,
) -> list[Route]:
    """Invoices or credit notes: list (GET), create (PUT), create or update (POST), one (GET)."""
    key = f"{table.type_name}s"  # "Invoices", "CreditNotes"
    path = f"{API_PREFIX}/{key}"
    filters = {
        "ids": (table.id_column, "guid"),
        **list_filters,
        "contactids": ("contact_id", "guid"),
        "statuses": ("status", "str"),
    }

    def with_contact(sandbox: XeroSandbox, doc: dict[str, Any]) -> dict[str, Any]:
        """A written document as Xero answers it: with its whole contact (addresses, phones,
        groups, persons), as Xero's own example answer to PUT /Invoices has it."""
        out = render_one(doc)
        contact = store.get(sandbox.db, store.CONTACTS, doc["Contact"]["ContactID"])
        if contact is not None:
            out["Contact"] = render.contact(contact)
        return out

    def save(create_only: bool) -> Callable[[Request], Any]:
        return write_endpoint(
            key,
            lambda sb, el, opts: writes.save_document(sb.db, kind, el, create_only, options=opts),
            render_one,
            answer=with_contact,
        )

    return [
        Route(path, list_endpoint(key, table, render_one, filters), methods=["GET"]),
        Route(path, save(True), methods=["PUT"]),
        Route(path, save(False), methods=["POST"]),
        Route(
            f"{path}/{{ident}}",
            get_one_endpoint(key, table, render_one, number_column),
            methods=["GET"],
        ),
    ]


def _routes() -> list[Route]:
    a = API_PREFIX
    contact_list = high_volume_guard(
        list_endpoint(
            "Contacts",
            store.CONTACTS,
            render.contact,
            {"ids": ("contact_id", "guid")},
            _contact_scope,
        )
    )
    payment_list = list_endpoint(
        "Payments",
        store.PAYMENTS,
        lambda d, summary=False: render.payment(d),
        {"ids": ("payment_id", "guid")},
    )
    account_list = list_endpoint(
        "Accounts", store.ACCOUNTS, lambda d, summary=False: render.account(d), {}, paged=False
    )
    currency_list = list_endpoint(
        "Currencies", store.CURRENCIES, lambda d, summary=False: dict(d), {}, paged=False
    )

    def contact_write(create_only: bool) -> Callable[[Request], Any]:
        return write_endpoint(
            "Contacts",
            lambda sb, el, _opts: writes.save_contact(sb.db, el, create_only),
            render.contact,
            "HasValidationErrors",
        )

    payment_write = write_endpoint(
        "Payments",
        lambda sb, el, _opts: payments.create_payment(sb.db, el),
        render.payment,
        "HasValidationErrors",
    )
    return [
        Route("/connect/token", token, methods=["POST"]),
        Route("/connections", connections, methods=["GET"]),
        Route(f"{a}/Contacts", contact_list, methods=["GET"]),
        Route(f"{a}/Contacts", contact_write(True), methods=["PUT"]),
        Route(f"{a}/Contacts", contact_write(False), methods=["POST"]),
        Route(
            f"{a}/Contacts/{{ident}}",
            get_one_endpoint("Contacts", store.CONTACTS, render.contact),
            methods=["GET"],
        ),
        *_document_routes(
            writes.INVOICE,
            store.INVOICES,
            render.invoice,
            {"invoicenumbers": ("invoice_number", "str")},
            "invoice_number",
        ),
        *_document_routes(
            writes.CREDIT_NOTE, store.CREDIT_NOTES, render.credit_note, {}, "credit_note_number"
        ),
        Route(f"{a}/CreditNotes/{{ident}}/Allocations", allocations, methods=["PUT"]),
        Route(f"{a}/Payments", payment_list, methods=["GET"]),
        Route(f"{a}/Payments", payment_write, methods=["PUT", "POST"]),
        Route(
            f"{a}/Payments/{{ident}}",
            get_one_endpoint("Payments", store.PAYMENTS, render.payment),
            methods=["GET"],
        ),
        Route(f"{a}/Payments/{{ident}}", payment_delete, methods=["POST"]),
        Route(f"{a}/Accounts", account_list, methods=["GET"]),
        Route(
            f"{a}/Accounts/{{ident}}",
            get_one_endpoint("Accounts", store.ACCOUNTS, render.account),
            methods=["GET"],
        ),
        Route(f"{a}/Currencies", currency_list, methods=["GET"]),
        Route(f"{a}/TaxRates", tax_rate_list, methods=["GET"]),
        *tracking.routes(a),
    ]


async def tax_rate_list(request: Request) -> Response:
    """GET /TaxRates: every tax type of the organisation, archived ones included."""
    return JSONResponse(render.envelope("TaxRates", chart.tax_rates()))


def create_app(settings: Settings, db: Database) -> Any:
    """The Xero ASGI app: routes and admin inside, then idempotency, faults, the optional
    OpenAPI check, gate and log."""
    from sandbox.xero.admin import admin_routes, ensure_seeded

    sandbox = XeroSandbox(settings, db)
    store.create_schema(db)
    ensure_seeded(sandbox)
    routes = admin_routes(sandbox) + consent_routes() + _routes()
    routes.append(
        Route("/{path:path}", fallback, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    )
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    wrapped: Any = IdempotencyStore(app, db)
    wrapped.clock = lambda: time.time() + sandbox.identity.offset
    wrapped = FaultMiddleware(wrapped, sandbox.faults, fault_response)
    if settings.openapi_strict:  # after the gate: a refused token or tenant is answered first
        from sandbox.spec_file import openapi_spec_path
        from sandbox.xero.openapi import OpenAPISpec, OpenAPIStrict

        wrapped = OpenAPIStrict(wrapped, OpenAPISpec(settings.openapi_spec or openapi_spec_path()))
    wrapped = XeroGate(wrapped, sandbox.identity, sandbox.limits)
    wrapped = RequestLogMiddleware(
        wrapped, sandbox.log, lambda scope: header(scope, "xero-tenant-id")
    )
    wrapped.sandbox = sandbox
    return wrapped
