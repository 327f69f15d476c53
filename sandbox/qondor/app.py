"""The fake Qondor API: Invoice, Customer and Office endpoints behind APIM-style auth and limits.

Every path works with and without an environment prefix (`/Prod`, `/Test`, `/Dev`), as the
real bases `https://qondor.azure-api.net/Prod` etc. and a bare sandbox URL both resolve here.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from qondor_xero.qondor import contract
from sandbox.common import (
    ADMIN_PREFIX,
    FaultMiddleware,
    FaultRule,
    FaultSet,
    RequestLog,
    RequestLogMiddleware,
    Settings,
    admin_endpoint,
    fault_routes,
    header,
    health_route,
    load_scenario,
    mask_secret,
    read_json,
    request_log_routes,
)
from sandbox.common.admin import AdminError
from sandbox.db import Database
from sandbox.qondor import store
from sandbox.qondor.gate import QondorGate, apim_body

log = logging.getLogger("sandbox")

SEEDED_META = "qondor.seeded"
_BODY_FIELDS = {"invoiceId": "InvoiceId", "externalReference": "ExternalReference",
                "errorMessage": "ErrorMessage", "paidDate": "PaidDate"}  # fmt: skip
_NET_TYPES = {"invoiceId": "System.Int32", "paidDate": "System.DateOnly"}


def trace_id() -> str:
    """A W3C trace id like ASP.NET puts in ProblemDetails."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def problem(errors: dict[str, list[str]], detail: str | None = None) -> JSONResponse:
    """400 ValidationProblemDetails."""
    body: dict[str, Any] = {
        "type": contract.VALIDATION_PROBLEM_TYPE,
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": errors,
        "traceId": trace_id(),
    }
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=400)


def not_found(detail: str) -> JSONResponse:
    """404 ProblemDetails."""
    body = {
        "type": contract.NOT_FOUND_PROBLEM_TYPE,
        "title": "Not Found",
        "status": 404,
        "detail": detail,
        "traceId": trace_id(),
    }
    return JSONResponse(body, status_code=404)


def _int_arg(request: Request, name: str) -> int | None | JSONResponse:
    """An integer path or query value; a 400 ProblemDetails when it is not one."""
    raw = request.path_params.get(name, request.query_params.get(name))
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        field = name[0].upper() + name[1:]
        return problem({field: [f"The value '{raw}' is not valid for {field}."]})


def _body_errors(call: str, body: Any) -> dict[str, list[str]]:
    """ASP.NET-style binding/validation errors of a SetAs* body, checked against the contract."""
    if not isinstance(body, dict):
        return {"$": ["The JSON value could not be converted to the request model. Path: $"]}
    errors: dict[str, list[str]] = {}
    for name in contract.SET_AS_BODIES[call]["required"]:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            field = _BODY_FIELDS[name]
            errors[field] = [f"The {field} field is required."]
    for error in store.validator(call).iter_errors(body):
        name = error.path[0] if error.path else None
        if error.validator == "required" or _BODY_FIELDS.get(name) in errors:
            continue
        if error.validator == "maxLength":
            field = _BODY_FIELDS[name]
            message = f"The field {field} must be a string with a maximum length of {error.validator_value}."
            errors.setdefault(field, []).append(message)
        elif name is None:
            errors.setdefault("$", []).append(error.message)
        else:
            net_type = _NET_TYPES.get(name, "System.String")
            message = f"The JSON value could not be converted to {net_type}. Path: $.{name}"
            errors.setdefault(f"$.{name}", []).append(message)
    return errors


def create_app(settings: Settings, db: Database) -> ASGIApp:
    """The Qondor API (a Starlette app behind the log, fault and APIM gate layers) over `db`."""
    store.create_schema(db)
    if db.get_meta(SEEDED_META) is None:
        scenario = load_scenario(settings.scenario, settings.seed, settings.size)
        counts = store.seed(db, getattr(scenario, "qondor", {}) or {}, validate=False)
        db.set_meta(SEEDED_META, settings.scenario)
        log.info("Qondor seeded with scenario %s: %s", settings.scenario, counts)

    request_log = RequestLog()
    faults = FaultSet()
    gate = QondorGate(settings)

    def read(func: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        """A GET endpoint running `func(request)` in a worker thread; NotFound becomes 404."""

        async def endpoint(request: Request) -> Response:
            try:
                result = await run_in_threadpool(func, request)
            except store.NotFound as exc:
                return not_found(str(exc))
            return result if isinstance(result, Response) else JSONResponse(result)

        endpoint.__name__ = func.__name__
        return endpoint

    # --- Invoicing

    async def unprocessed(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b"["
            first = True
            for chunk in store.queue_chunks(db):
                text = ",".join(chunk)
                yield (text if first else "," + text).encode()
                first = False
            yield b"]"

        return StreamingResponse(body(), media_type="application/json; charset=utf-8")

    def invoice_by_id(request: Request) -> Any:
        invoice_id = _int_arg(request, "id")
        return invoice_id if isinstance(invoice_id, Response) else store.get_invoice(db, invoice_id)

    def invoice_by_ref(request: Request) -> Any:
        ref = request.query_params.get("externalReference")
        if not ref:
            return problem({"ExternalReference": ["The externalReference field is required."]})
        return store.get_invoice_by_external_reference(db, ref)

    def set_as(call: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            if not raw.strip():
                return problem({"": ["A non-empty request body is required."]})
            try:
                body = json.loads(raw)
            except ValueError:
                return problem({"$": ["The request body is not valid JSON."]})
            errors = _body_errors(call, body)
            if errors:
                return problem(errors)
            try:
                await run_in_threadpool(store.transition, db, call, body["invoiceId"], body)
            except store.NotFound as exc:
                return not_found(str(exc))
            except store.WrongStatus as exc:
                return problem({"Status": [str(exc)]}, detail=str(exc))
            return Response(status_code=200)

        endpoint.__name__ = call
        return endpoint

    # --- Customers and offices

    def customer_by_id(request: Request) -> Any:
        customer_id = _int_arg(request, "id")
        if isinstance(customer_id, Response):
            return customer_id
        return store.get_customer(db, customer_id)

    def customers_of_office(request: Request) -> Any:
        office_id = _int_arg(request, "officeId")
        if isinstance(office_id, Response):
            return office_id
        return store.customer_summaries(db, office_id)

    def customer_by_ref(request: Request) -> Any:
        ref = request.query_params.get("externalReference")
        if not ref:
            return problem({"ExternalReference": ["The externalReference field is required."]})
        return store.get_customer_by_external_reference(db, ref)

    def all_offices(request: Request) -> Any:
        return store.offices(db)

    api_routes = [
        (contract.UNPROCESSED_INVOICES, unprocessed, "GET"),
        (contract.INVOICE_BY_EXTERNAL_REFERENCE, read(invoice_by_ref), "GET"),
        (contract.SET_AS_PROCESSED, set_as("SetAsProcessed"), "PUT"),
        (contract.SET_AS_FAILED, set_as("SetAsFailed"), "PUT"),
        (contract.SET_AS_PAID, set_as("SetAsPaid"), "PUT"),
        (contract.INVOICE_BY_ID, read(invoice_by_id), "GET"),
        (contract.CUSTOMERS_BY_OFFICE, read(customers_of_office), "GET"),
        (contract.CUSTOMER_BY_EXTERNAL_REFERENCE, read(customer_by_ref), "GET"),
        (contract.CUSTOMER_BY_ID, read(customer_by_id), "GET"),
        (contract.OFFICES, read(all_offices), "GET"),
    ]
    routes = [
        Route(prefix + path, endpoint, methods=[method])
        for prefix in ("", *(f"/{env}" for env in contract.ENVIRONMENTS))
        for path, endpoint, method in api_routes
    ]

    # --- Admin API

    async def seed_scenario(body: dict[str, Any]) -> dict[str, int]:
        extra = sorted(set(body) - {"scenario", "seed", "size"})
        if extra:
            raise AdminError(f"unknown key {extra[0]!r} beside 'scenario'")
        seed_number = body.get("seed")
        scenario = await run_in_threadpool(
            load_scenario,
            str(body["scenario"]),
            settings.seed if seed_number is None else int(seed_number),
            body.get("size"),
        )
        data = getattr(scenario, "qondor", {}) or {}
        return await run_in_threadpool(store.seed, db, data, validate=False)

    @admin_endpoint
    async def reset(request: Request) -> Response:
        """Delete every Qondor object, log entry, fault and count; then seed `scenario` if given."""
        body = await read_json(request, default={}) or {}
        if not isinstance(body, dict):
            raise AdminError("reset: the body must be a JSON object")
        await run_in_threadpool(store.clear_data, db)
        gate.reset()
        request_log.clear()
        faults.clear()
        seeded = await seed_scenario(body) if body.get("scenario") else {}
        return JSONResponse({"status": "ok", "api": "qondor", "seeded": seeded})

    @admin_endpoint
    async def seed(request: Request) -> Response:
        body = await read_json(request, default={})
        if not isinstance(body, dict):
            raise AdminError("seed: the body must be a JSON object")
        try:
            if "scenario" in body:
                counts = await seed_scenario(body)
            else:
                counts = await run_in_threadpool(store.seed, db, body, validate=True)
        except store.SeedError as exc:
            raise AdminError(str(exc)) from exc
        return JSONResponse({"seeded": counts})

    async def get_state(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(store.state, db))

    async def get_counts(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(store.counts, db))

    def patcher(key: str) -> Callable[[Request], Awaitable[Response]]:
        @admin_endpoint
        async def patch_object(request: Request) -> Response:
            try:
                object_id = int(request.path_params["id"])
            except ValueError:
                raise AdminError(f"{key}: id must be an integer") from None
            changes = await read_json(request, default={})
            try:
                doc = await run_in_threadpool(store.patch, db, key, object_id, changes)
            except store.NotFound as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except store.SeedError as exc:
                raise AdminError(str(exc)) from exc
            return JSONResponse(doc)

        return patch_object

    admin_routes = [
        health_route("qondor"),
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/seed", seed, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/state", get_state, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/counts", get_counts, methods=["GET"]),
        *(
            Route(f"{ADMIN_PREFIX}/{key}/{{id}}", patcher(key), methods=["PATCH"])
            for key in store.KINDS
        ),
        *request_log_routes(request_log),
        *fault_routes(faults),
    ]

    async def unknown_path(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if request.url.path.startswith(ADMIN_PREFIX):
            return JSONResponse({"error": f"no admin route {request.url.path}"}, status_code=status)
        message = "Resource not found" if status == 404 else "Method not allowed"
        return JSONResponse({"statusCode": status, "message": message}, status_code=status)

    app = Starlette(
        routes=routes + admin_routes, exception_handlers={404: unknown_path, 405: unknown_path}
    )
    inner = gate.wrap(app)
    inner = FaultMiddleware(inner, faults, render_fault)
    return RequestLogMiddleware(inner, request_log, _identify)


def _identify(scope: Scope) -> str | None:
    """The caller in the request log: the masked subscription key."""
    return mask_secret(header(scope, contract.AUTH_HEADER))


def render_fault(rule: FaultRule) -> Response:
    """An injected error answer in Qondor's (APIM's / ASP.NET's) style."""
    status = rule.status or 500
    headers = dict(rule.headers)
    if status == 429:
        headers.setdefault("Retry-After", str(rule.retry_after))
    if rule.body is not None:
        if isinstance(rule.body, str):
            return Response(rule.body, status_code=status, headers=headers)
        return JSONResponse(rule.body, status_code=status, headers=headers)
    if status == 429:
        body: Any = apim_body(
            429, f"Rate limit is exceeded. Try again in {rule.retry_after} seconds."
        )
    elif status >= 500:
        body = {
            "type": "https://tools.ietf.org/html/rfc9110#section-15.6.1",
            "title": "An error occurred while processing your request.",
            "status": status,
            "traceId": trace_id(),
        }
    else:
        body = apim_body(status, f"Injected fault {status}")
    return JSONResponse(body, status_code=status, headers=headers)
