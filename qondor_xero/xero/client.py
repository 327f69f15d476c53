"""XeroClient: the Accounting API calls this integration makes, paced, retried and explained.

How every request behaves is in `_call`: pacing per tenant, bearer token (refreshed once on 401),
429 minute/concurrent → wait Retry-After, 429 day → XeroDailyLimitReached at once, 5xx and dropped
connections → bounded exponential backoff with jitter (writes resend the same Idempotency-Key),
other 4xx → a typed error naming the call.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from qondor_xero.http import redact, retry_after, session_for
from qondor_xero.pacing import Backoff, Retry, send_paced

from . import scopes as sc
from . import where as w
from .auth import XeroAuth
from .dates import format_if_modified_since
from .errors import (
    XeroAuthError,
    XeroDailyLimitReached,
    XeroError,
    XeroRateLimited,
    XeroServerError,
    XeroTenantError,
    XeroValidationError,
)
from .pacing import XeroPacer, pacer_for
from .refusals import refusal, scope_refusal
from .urls import check_url, checked_guids, chunk_values, endpoint_name
from .writes import (
    WriteResult,
    element_result,
    encode_json,
    idempotency_key,
    oversized_result,
    split_batches,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
_DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry: 5xx/connection failures with backoff, 429s by waiting Retry-After."""

    server_retries: int = 5
    rate_limit_retries: int = 10
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    default_retry_after: float = 60.0
    max_retry_after: float = 300.0  # a longer minute/concurrent wait is refused, not slept


class XeroClient:
    """One Xero organisation's Accounting API (no Singer here)."""

    def __init__(
        self,
        api_url: str,
        identity_url: str,
        client_id: str,
        client_secret: str,
        tenant_id: str | None = None,
        token_store: str | os.PathLike[str] | None = None,
        rate_per_minute: int = 60,
        concurrency: int = 5,
        *,
        refresh_token: str | None = None,
        scopes: list[str] | str | None = None,
        wanted_scopes: list[str] | None = None,
        window_seconds: float = 60.0,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
    ):
        self.api_url = check_url(api_url, "api_url")
        self.identity_url = check_url(identity_url, "identity_url")
        if not client_id or not client_secret:
            raise XeroAuthError("Xero client_id and client_secret are both required")
        parts = urlsplit(self.api_url)
        self.api_origin = f"{parts.scheme}://{parts.netloc}"
        self._tenant_id = tenant_id or None
        self.rate_per_minute = rate_per_minute
        self.concurrency = concurrency
        self.window_seconds = window_seconds
        self.retry = retry or RetryPolicy()
        self.backoff = Backoff(self.retry.backoff_factor, self.retry.backoff_max, jitter=True)
        self._timeout = timeout
        self._session = session_for(self.api_url)
        pool = max(10, concurrency * 2)
        adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._auth = XeroAuth(
            self.identity_url,
            client_id,
            client_secret,
            refresh_token=refresh_token,
            token_store=token_store,
            tenant_id=tenant_id or None,
            scopes=sc.parse(scopes),
            wanted_scopes=wanted_scopes,
            session=self._session,
        )
        self._counts_lock = threading.Lock()
        self._tenant_lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # "GET /Contacts" -> calls sent (retries included)
        self.throttled: Counter[str] = Counter()  # 429s received by X-Rate-Limit-Problem

    # ---- tenant -------------------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        """The tenant setting, or the single organisation listed by `/connections`."""
        with self._tenant_lock:
            if self._tenant_id is None:
                self._tenant_id = self._discover_tenant()
            return self._tenant_id

    def _discover_tenant(self) -> str:
        url = f"{self.api_origin}/connections"
        connections = self._call("GET", "/connections", url=url, tenant_scoped=False)
        if not isinstance(connections, list):
            raise XeroTenantError("GET /connections answered something other than a list")
        orgs = [c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]
        if len(orgs) == 1:
            return str(orgs[0]["tenantId"])
        if not orgs:
            raise XeroTenantError(
                "No Xero organisation is connected to this app (GET /connections is empty); "
                "connect one or set tenant_id"
            )
        names = ", ".join(f"{c.get('tenantName')} ({c.get('tenantId')})" for c in orgs)
        raise XeroTenantError(
            f"{len(orgs)} Xero organisations are connected to this app: {names}; "
            "set tenant_id to the one to use"
        )

    def granted_scopes(self) -> list[str]:
        """The scopes Xero granted this connection (read from the access token)."""
        self._auth.access_token()
        return list(self._auth.granted or [])

    @property
    def token_store(self) -> Any:
        """The token store this client keeps its tokens in (None without one)."""
        return self._auth.store

    @property
    def standard_app(self) -> bool:
        """Whether this connection runs on a refresh token (a standard app)."""
        return self._auth.uses_refresh_token

    def pacer(self) -> XeroPacer:
        """The process-wide pacer of this client's tenant."""
        return pacer_for(
            self.api_origin,
            self.tenant_id,
            self.rate_per_minute,
            self.concurrency,
            self.window_seconds,
        )

    # ---- reads --------------------------------------------------------------------------------

    def get_accounts(self) -> list[dict]:
        """The chart of accounts."""
        return self._call("GET", "/Accounts").get("Accounts") or []

    def get_currencies(self) -> list[dict]:
        """The organisation's enabled currencies."""
        return self._call("GET", "/Currencies").get("Currencies") or []

    def get_tax_rates(self) -> list[dict]:
        """Every tax rate of the organisation (TaxType, EffectiveRate, Status), archived included."""
        return self._call("GET", "/TaxRates").get("TaxRates") or []

    def get_tracking_categories(self) -> list[dict]:
        """Every tracking category with its options, archived ones included (settings scope)."""
        params = {"includeArchived": "true"}
        return (
            self._call("GET", "/TrackingCategories", params=params).get("TrackingCategories") or []
        )

    def get_branding_themes(self) -> list[dict]:
        """The organisation's branding themes (settings scope)."""
        return self._call("GET", "/BrandingThemes").get("BrandingThemes") or []

    def create_tracking_option(self, category_id: str, name: str) -> WriteResult:
        """Add option `name` to a tracking category (PUT, settings scope); `obj` is the option."""
        path = f"/TrackingCategories/{checked_guids([category_id], 'category_id')[0]}/Options"
        sent = {"Name": name}
        try:
            options = self._call("PUT", path, body=sent).get("Options") or []
        except XeroValidationError as exc:
            return WriteResult(False, None, exc.messages or [str(exc)], sent)
        return element_result(options[0], sent) if options else WriteResult(False, None, [], sent)

    def iter_contacts(
        self,
        where: str | None = None,
        ids: Iterable[str] | None = None,
        include_archived: bool = False,
        summary_only: bool = False,
    ) -> Iterator[dict]:
        """Contacts matching every given filter, page by page."""
        params: dict[str, str] = {}
        if where:
            params["where"] = where
        if include_archived:
            params["includeArchived"] = "true"
        if summary_only:
            params["summaryOnly"] = "true"
        lists = {"IDs": checked_guids(ids, "ids")} if ids is not None else {}
        yield from self._iter_lists("/Contacts", "Contacts", params, lists)

    def iter_invoices(
        self,
        where: str | None = None,
        ids: Iterable[str] | None = None,
        invoice_numbers: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
        contact_ids: Iterable[str] | None = None,
        modified_since: datetime | date | str | None = None,
        order: str | None = None,
        created_by_my_app: bool | None = None,
        summary_only: bool = False,
    ) -> Iterator[dict]:
        """Invoices matching every given filter, page by page (lists chunked to fit the URL)."""
        params: dict[str, str] = {}
        if statuses is not None:
            statuses = list(statuses)
            if not statuses:
                return  # no status wanted: nothing matches
            params["Statuses"] = ",".join(statuses)
        if order:
            params["order"] = order
        if created_by_my_app is not None:
            params["createdByMyApp"] = "true" if created_by_my_app else "false"
        if summary_only:
            params["summaryOnly"] = "true"
        lists: dict[str, list[str]] = {}
        if ids is not None:
            lists["IDs"] = checked_guids(ids, "ids")
        if contact_ids is not None:
            lists["ContactIDs"] = checked_guids(contact_ids, "contact_ids")
        headers = _modified_since(modified_since)
        if invoice_numbers is None:
            if where:
                params["where"] = where
            yield from self._iter_lists("/Invoices", "Invoices", params, lists, headers)
            return
        numbers = [str(n) for n in invoice_numbers]
        # A comma cannot be sent inside the InvoiceNumbers list: ask for those one by one.
        plain = [n for n in numbers if "," not in n]
        if plain:
            if where:
                params["where"] = where
            plain_lists = {**lists, "InvoiceNumbers": plain}
            yield from self._iter_lists("/Invoices", "Invoices", params, plain_lists, headers)
        for number in dict.fromkeys(n for n in numbers if "," in n):
            one = {**params, "where": w.and_(where, w.eq("InvoiceNumber", number))}
            yield from self._iter_lists("/Invoices", "Invoices", one, lists, headers)

    def iter_credit_notes(
        self,
        where: str | None = None,
        ids: Iterable[str] | None = None,
        modified_since: datetime | date | str | None = None,
        order: str | None = None,
    ) -> Iterator[dict]:
        """Credit notes matching every given filter, page by page."""
        params: dict[str, str] = {}
        if where:
            params["where"] = where
        if order:
            params["order"] = order
        lists = {"IDs": checked_guids(ids, "ids")} if ids is not None else {}
        headers = _modified_since(modified_since)
        yield from self._iter_lists("/CreditNotes", "CreditNotes", params, lists, headers)

    def iter_payments(
        self,
        where: str | None = None,
        modified_since: datetime | date | str | None = None,
        order: str | None = None,
    ) -> Iterator[dict]:
        """Payments matching `where`, changed since `modified_since`, page by page."""
        params: dict[str, str] = {}
        if where:
            params["where"] = where
        if order:
            params["order"] = order
        headers = _modified_since(modified_since)
        yield from self._iter_lists("/Payments", "Payments", params, {}, headers)

    def _iter_lists(
        self,
        path: str,
        key: str,
        params: dict[str, str],
        lists: dict[str, list[str]],
        headers: dict[str, str] | None = None,
    ) -> Iterator[dict]:
        """Page through `path` once per combination of list chunks (lists are ANDed by Xero)."""
        combos: list[dict[str, str]] = [{}]
        for name, values in lists.items():
            if not values:
                return  # an empty id list matches nothing
            combos = [
                {**c, name: ",".join(chunk)} for c in combos for chunk in chunk_values(values)
            ]
        for combo in combos:
            yield from self._iter_pages(path, key, {**params, **combo}, headers)

    def _iter_pages(
        self, path: str, key: str, params: dict[str, str], headers: dict[str, str] | None
    ) -> Iterator[dict]:
        page = 1
        while True:
            body = self._call(
                "GET",
                path,
                params={**params, "page": str(page), "pageSize": str(PAGE_SIZE)},
                headers=headers,
                what=f"GET {path} (page {page})",
            )
            items = body.get(key) or []
            yield from items
            pagination = body.get("pagination") or {}
            page_count = pagination.get("pageCount")
            if page_count is not None and page >= int(page_count):
                return
            if page_count is None and len(items) < PAGE_SIZE:
                return
            page += 1

    # ---- writes -------------------------------------------------------------------------------

    def save_contacts(self, contacts: list[dict]) -> list[WriteResult]:
        """Create or update contacts (POST; update when ContactID is given), one result each."""
        return self._write("POST", "/Contacts", "Contacts", contacts, "contacts")

    def save_invoices(self, invoices: list[dict]) -> list[WriteResult]:
        """Create or update invoices (POST; by InvoiceID or InvoiceNumber), one result each."""
        return self._write(
            "POST", "/Invoices", "Invoices", invoices, "invoices", _DOCUMENT_WRITE_PARAMS
        )

    def create_invoices(self, invoices: list[dict]) -> list[WriteResult]:
        """Create invoices only (PUT): a number already in Xero is refused, never overwritten."""
        return self._write(
            "PUT", "/Invoices", "Invoices", invoices, "invoices", _DOCUMENT_WRITE_PARAMS
        )

    def create_credit_notes(self, credit_notes: list[dict]) -> list[WriteResult]:
        """Create credit notes only (PUT): a number already in Xero is refused."""
        return self._write(
            "PUT",
            "/CreditNotes",
            "CreditNotes",
            credit_notes,
            "credit notes",
            _DOCUMENT_WRITE_PARAMS,
        )

    def save_credit_notes(self, credit_notes: list[dict]) -> list[WriteResult]:
        """Create or update credit notes (POST), one result each."""
        return self._write(
            "POST",
            "/CreditNotes",
            "CreditNotes",
            credit_notes,
            "credit notes",
            _DOCUMENT_WRITE_PARAMS,
        )

    def create_payments(self, payments: list[dict]) -> list[WriteResult]:
        """Create payments (PUT), one result each."""
        return self._write("PUT", "/Payments", "Payments", payments, "payments")

    def allocate_credit_note(self, credit_note_id: str, allocations: list[dict]) -> WriteResult:
        """Allocate a credit note to invoices; `obj` is `{"Allocations": [...stored]}`."""
        path = f"/CreditNotes/{checked_guids([credit_note_id], 'credit_note_id')[0]}/Allocations"
        what = f"PUT /CreditNotes/{credit_note_id}/Allocations ({len(allocations)} allocations)"
        sent = {"Allocations": allocations}
        try:
            body = self._call("PUT", path, params=_WRITE_PARAMS, body=sent, what=what)
            returned = body.get("Allocations") or []
        except XeroValidationError as exc:
            if not exc.elements:
                return WriteResult(False, None, exc.messages or [str(exc)], sent)
            returned = exc.elements
        results = [element_result(r, s) for r, s in zip(returned, allocations, strict=False)]
        errors = [m for r in results for m in r.errors]
        if all(r.ok for r in results) and len(returned) == len(allocations):
            return WriteResult(True, {"Allocations": returned}, [], sent)
        return WriteResult(False, None, errors or ["Xero did not store every allocation"], sent)

    def _write(
        self,
        method: str,
        path: str,
        key: str,
        elements: list[dict],
        noun: str,
        params: dict[str, str] | None = None,
    ) -> list[WriteResult]:
        """Send elements in batches; one WriteResult per element in input order.

        A systemic failure (auth, daily limit, server down) raises; the exception's
        `.partial_results` then holds the results of the batches already written (None = unsent).
        """
        elements = list(elements)
        results: list[WriteResult | None] = [None] * len(elements)
        batches, oversized = split_batches(elements, key)
        for index in oversized:
            results[index] = oversized_result(elements[index])
        for batch in batches:
            sent = [elements[i] for i in batch]
            what = f"{method} {path} ({len(sent)} {noun})"
            try:
                try:
                    body = self._call(
                        method, path, params=params or _WRITE_PARAMS, body={key: sent}, what=what
                    )
                    returned = body.get(key) or []
                except XeroValidationError as exc:
                    if len(exc.elements) != len(sent):
                        raise
                    returned = exc.elements
                if len(returned) != len(sent):
                    raise XeroError(
                        f"{what} failed: Xero answered {len(returned)} elements for {len(sent)} sent",
                        call=what,
                    )
            except XeroError as exc:
                exc.partial_results = results  # type: ignore[attr-defined]
                raise
            for index, obj in zip(batch, returned, strict=True):
                results[index] = element_result(obj, elements[index])
        return [r for r in results if r is not None]

    # ---- one HTTP call ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        what: str | None = None,
        url: str | None = None,
        tenant_scoped: bool = True,
    ) -> Any:
        """Send one request with pacing and the retry rules; return the decoded JSON body."""
        call = f"{method} {endpoint_name(path)}"
        what = what or f"{method} {path}"
        url = url or self.api_url + path
        data = encode_json(body) if body is not None else None
        send_headers = {"Accept": "application/json", **(headers or {})}
        tenant = self.tenant_id if tenant_scoped else ""
        if tenant_scoped:
            send_headers["xero-tenant-id"] = tenant
        if data is not None:
            send_headers["Content-Type"] = "application/json"
            send_headers["Idempotency-Key"] = idempotency_key(tenant, method, path, params, data)
        pacer = self.pacer() if tenant_scoped else None
        backoffs = 0  # backoff waits so far: the next one is twice as long
        refreshed = False
        failures = 0
        throttles = 0
        token = ""

        def attempt() -> tuple[requests.Response, float]:
            nonlocal token
            token = self._auth.access_token()
            send_headers["Authorization"] = f"Bearer {token}"
            started = time.monotonic()
            return self._request(method, url, params, data, send_headers), started

        def back_off(reason: str) -> Retry:
            nonlocal backoffs
            backoffs += 1
            wait = self.backoff.delay(backoffs)
            log.warning("%s: %s; retrying in %.2f s", what, reason, wait)
            return Retry(wait)

        def decide(
            sent: tuple[requests.Response, float] | None, dropped: BaseException | None, _: int
        ) -> Any:
            nonlocal refreshed, failures, throttles
            with self._counts_lock:
                self.calls[call] += 1
            if sent is None:
                why = f"connection failed ({type(dropped).__name__})"
                log.debug("%s %s -> %s", method, path, why)
                failures += 1
                if failures > self.retry.server_retries:
                    raise XeroServerError(f"{what} failed: {why} after {failures} tries", call=what)
                return back_off(why)
            resp, started = sent
            if pacer is not None:
                pacer.observe(resp.headers)
            status = resp.status_code
            ms = (time.monotonic() - started) * 1000
            log.debug("%s %s -> %s in %.0f ms", method, path, status, ms)
            if status < 300 or status == 304:
                return _json(resp) if status != 304 and resp.content else {}
            if status == 401 and self._reason(resp) == "AuthorizationUnsuccessful":
                # A new token would carry the same scopes: stop, naming the one this call needs.
                raise scope_refusal(method, path, what, self._auth.granted)
            if status == 401 and not refreshed:
                refreshed = True
                self._auth.token_rejected(token)
                return Retry()
            if status == 429:
                problem = (resp.headers.get("X-Rate-Limit-Problem") or "minute").lower()
                with self._counts_lock:
                    self.throttled[problem] += 1
                wait = _retry_after(resp, self.retry.default_retry_after)
                if problem == "day":
                    resumes = datetime.now(UTC) + timedelta(seconds=wait)
                    raise XeroDailyLimitReached(tenant, resumes, call=what)
                throttles += 1
                if wait > self.retry.max_retry_after:
                    raise XeroRateLimited(
                        f"{what} failed: Xero refused with 429 ({problem} limit) and asks to "
                        f"wait {wait:.0f} s, longer than {self.retry.max_retry_after:.0f} s",
                        status=429,
                        call=what,
                    )
                if throttles > self.retry.rate_limit_retries:
                    raise XeroRateLimited(
                        f"{what} failed: Xero kept refusing with 429 ({problem} limit) "
                        f"after {throttles} waits",
                        status=429,
                        call=what,
                    )
                log.warning(
                    "Xero %s rate limit hit on %s: waiting %.1f s (Retry-After)",
                    problem,
                    what,
                    wait,
                )
                return Retry(wait, hold=True)
            if status >= 500:
                failures += 1
                reason = f"HTTP {status} {self._reason(resp)}".strip()
                if failures > self.retry.server_retries:
                    raise XeroServerError(
                        f"{what} failed: {reason} after {failures} tries", status=status, call=what
                    )
                if resp.headers.get("Retry-After"):
                    wait = min(_retry_after(resp, 1.0), self.retry.backoff_max)
                    log.warning("Xero answered %s to %s: waiting %.1f s", reason, what, wait)
                    return Retry(wait)
                return back_off(reason)
            raise refusal(resp, what, tenant, self._reason(resp), self._auth.secrets())

        return send_paced(
            attempt, decide, pacer=pacer, dropped=_DROPPED, sleep=lambda s: time.sleep(s)
        )

    def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        data: bytes | None,
        headers: dict[str, str],
    ) -> requests.Response:
        resp = self._session.request(
            method, url, params=params, data=data, headers=headers, timeout=self._timeout
        )
        _ = resp.content  # read the whole body inside the slot (a drop raises here)
        return resp

    def _reason(self, resp: requests.Response) -> str:
        """Xero's own words on a failed call (JSON Detail/Message or plain text), secrets removed."""
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            text = str(
                body.get("Detail")
                or body.get("Message")
                or body.get("Title")
                or body.get("error")
                or ""
            )
        else:
            text = resp.text.strip()
        return redact(" ".join(text.split()), self._auth.secrets())[:300]


_WRITE_PARAMS = {"summarizeErrors": "false"}
# Invoices and credit notes: unit amounts Xero derives from LineAmount keep four decimals.
_DOCUMENT_WRITE_PARAMS = {**_WRITE_PARAMS, "unitdp": "4"}


def _modified_since(value: datetime | date | str | None) -> dict[str, str] | None:
    return {"If-Modified-Since": format_if_modified_since(value)} if value else None


def _retry_after(resp: requests.Response, default: float) -> float:
    """Retry-After in seconds, else `default`."""
    wait = retry_after(resp)
    return default if wait is None else wait


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise XeroServerError(
            f"{resp.request.method} {urlsplit(resp.url).path} answered {resp.status_code} "
            "with a body that is not JSON",
            status=resp.status_code,
        ) from None
