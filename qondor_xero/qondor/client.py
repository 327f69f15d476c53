"""HTTP client for Qondor's API: subscription-key auth, 10 calls/s pacing, retries, typed errors.

Knows nothing of Singer. Paths, enums and limits come from `contract`.
"""

from __future__ import annotations

import collections
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from urllib.parse import quote, urlsplit

import ijson
import requests

from qondor_xero.http import is_loopback, json_or_none, redact, retry_after, send, session_for
from qondor_xero.pacing import Backoff, Pacer, Retry, send_paced

from . import contract
from .errors import (
    QondorAuthError,
    QondorDailyLimit,
    QondorError,
    QondorNotFound,
    QondorRateLimited,
    QondorServerError,
    QondorValidationError,
)

log = logging.getLogger("qondor_xero.qondor")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
LOOPBACK_NAMES = frozenset({"localhost"})
SPOOL_IN_MEMORY = 8 << 20  # a larger queue answer is spooled to disk


@dataclass(frozen=True)
class Ack:
    """Outcome of a SetAs* call; `changed` is False when the item was already in that state."""

    invoice_id: int
    changed: bool


def check_api_url(api_url: str) -> str:
    """Return `api_url` without a trailing slash; plain http is allowed only for loopback hosts."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Qondor api_url {api_url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"Qondor api_url {api_url!r} uses plain http; only https is allowed for non-local hosts"
        )
    return api_url.strip().rstrip("/")


class QondorClient:
    """Qondor's invoicing, customer and office calls over one `requests.Session`."""

    def __init__(
        self,
        api_url: str = contract.DEFAULT_API_URL,
        api_key: str = "",
        rate_per_second: float = float(contract.RATE_PER_SECOND),
        *,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        max_retry_after: float = 60.0,
        timeout: float = 60.0,
        customer_workers: int = 4,
    ):
        if not api_key:
            raise ValueError("Qondor api_key is empty")
        self.api_url = check_api_url(api_url)
        self._api_key = api_key
        self.max_attempts = max(1, max_attempts)
        self.backoff = Backoff(factor=backoff_base)
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self.customer_workers = max(1, customer_workers)
        # Tap and target share one key: the first call leaves the key's last window alone.
        self.pacer = Pacer.per_second(rate_per_second, start_full=True, name="Qondor")
        self.calls: collections.Counter[str] = collections.Counter()
        self._calls_lock = threading.Lock()
        self.session = session_for(self.api_url)
        self.session.headers.update(
            {
                contract.AUTH_HEADER: api_key,
                "Accept": "application/json",
                "User-Agent": "qondor-xero",
            }
        )

    def __repr__(self) -> str:
        return f"QondorClient({self.api_url!r})"

    # --- the queue and invoices -------------------------------------------------------------

    def get_unprocessed_invoices(self) -> list[dict]:
        """Every item in the processing queue (contract invoice objects)."""
        return list(self.iter_unprocessed_invoices())

    def iter_unprocessed_invoices(self) -> Iterator[dict]:
        """Each item in the processing queue, parsed one at a time.

        The queue is one unpaged answer: it is downloaded to a spooled temporary file (on disk
        when large) and parsed element by element (ijson), so a large queue is never whole in
        memory.
        """
        what = f"GET {contract.UNPROCESSED_INVOICES}"
        with self._request("GET", contract.UNPROCESSED_INVOICES, spool=True) as body:
            try:
                yield from _array_of_objects(body)
            except (ijson.JSONError, ValueError) as exc:
                why = str(exc).strip().splitlines()[0]
                raise QondorServerError(
                    f"{what}: the answer is not a JSON array of invoices ({why})", call=what
                ) from None

    def get_invoice(self, invoice_id: int) -> dict:
        """One invoice by id; `QondorNotFound` when there is none."""
        return self._request("GET", contract.INVOICE_BY_ID, path_args={"id": invoice_id})

    def get_invoice_by_external_reference(self, external_reference: str) -> dict | None:
        """The invoice whose externalReference is `external_reference`, or None."""
        try:
            return self._request(
                "GET",
                contract.INVOICE_BY_EXTERNAL_REFERENCE,
                params={"externalReference": external_reference},
            )
        except QondorNotFound:
            return None

    def set_as_processed(self, invoice_id: int, external_reference: str) -> Ack:
        """Mark an item Processed with the finance id; already so with the same id is no change."""
        body = {"invoiceId": invoice_id, "externalReference": external_reference}
        done = (contract.InvoiceStatus.Processed, contract.InvoiceStatus.Paid)
        return self._acknowledge(
            contract.SET_AS_PROCESSED,
            body,
            lambda current: (
                current.get("status") in done
                and current.get("externalReference") == external_reference
            ),
        )

    def set_as_failed(self, invoice_id: int, error_message: str) -> Ack:
        """Mark an item Failed with a message (trimmed to 1,000 chars); same message again is no change."""
        message = trim_error_message(error_message)
        body = {"invoiceId": invoice_id, "errorMessage": message}
        return self._acknowledge(
            contract.SET_AS_FAILED,
            body,
            lambda current: (
                current.get("status") == contract.InvoiceStatus.Failed
                and current.get("errorMessage") == message
            ),
        )

    def set_as_paid(self, invoice_id: int, paid_date: str) -> Ack:
        """Mark a Processed item Paid on `paid_date` (YYYY-MM-DD); already Paid is no change."""
        body = {"invoiceId": invoice_id, "paidDate": str(paid_date)}
        return self._acknowledge(
            contract.SET_AS_PAID,
            body,
            lambda current: current.get("status") == contract.InvoiceStatus.Paid,
        )

    def _acknowledge(self, path: str, body: dict[str, Any], already: Callable[[dict], bool]) -> Ack:
        """PUT one acknowledgement; refused for an item `already` in the wanted state: no change."""
        invoice_id = body["invoiceId"]
        try:
            self._request("PUT", path, json=body)
            return Ack(invoice_id, True)
        except QondorValidationError as refused:
            current = self._current(invoice_id, refused)
            if already(current):
                return Ack(invoice_id, False)
            raise self._refusal(refused, invoice_id, current) from None

    # --- customers and offices --------------------------------------------------------------

    def get_customer(self, customer_id: int) -> dict:
        """CustomerDetails for one customer; `QondorNotFound` when there is none."""
        return self._request("GET", contract.CUSTOMER_BY_ID, path_args={"id": customer_id})

    def get_customers(self, ids: Iterable[int]) -> dict[int, dict | None]:
        """CustomerDetails for each distinct id (None for a 404), fetched concurrently within pacing.

        The first other error stops the fetching (calls already under way finish) and is raised.
        """
        return dict(self.iter_customers(ids))

    def iter_customers(self, ids: Iterable[int]) -> Iterator[tuple[int, dict | None]]:
        """(id, CustomerDetails or None for a 404) for each distinct id, in order, as they arrive.

        Fetched concurrently within pacing; the first other error stops the fetching (calls
        already under way finish) and is raised once the fetched ones are yielded.
        """
        unique = list(dict.fromkeys(ids))
        if not unique:
            return
        failures: list[QondorError] = []
        stop = threading.Event()

        def fetch(customer_id: int) -> dict | None:
            if stop.is_set():
                return None
            try:
                return self.get_customer(customer_id)
            except QondorNotFound:
                return None
            except QondorError as exc:
                failures.append(exc)  # before stop: a fetch skipped by stop is never a 404
                stop.set()
                return None

        workers = min(self.customer_workers, len(unique))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qondor-customer") as pool:
            for customer_id, customer in zip(unique, pool.map(fetch, unique), strict=True):
                if failures:
                    break
                yield customer_id, customer
        if failures:
            raise failures[0]

    def get_offices(self) -> list[dict]:
        """Every office of the account."""
        return self._request("GET", contract.OFFICES) or []

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # --- HTTP -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        template: str,
        *,
        path_args: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        spool: bool = False,
    ) -> Any:
        """Send one call with pacing and retries; return the parsed JSON body (None when empty).

        With `spool`, a successful body is returned unparsed, as a binary file at its start.
        """
        path = template.format(**{k: quote(str(v), safe="") for k, v in (path_args or {}).items()})
        call = f"{method} {template}"
        what = f"{method} {path}"
        url = self.api_url + path

        def attempt() -> tuple[requests.Response, IO[bytes] | None, float]:
            with self._calls_lock:
                self.calls[call] += 1
            started = time.monotonic()
            response = send(
                self.session, method, url, params=params, json=json,
                timeout=self.timeout, stream=spool,
            )  # fmt: skip
            body = None
            if spool and response.status_code < 400:
                body = _spooled(response)
            elif spool:
                _ = response.content  # an error's body is read now, for its message
            return response, body, started

        def decide(
            sent: tuple[requests.Response, IO[bytes] | None, float] | None,
            dropped: BaseException | None,
            number: int,
        ) -> Any:
            last = number == self.max_attempts
            if sent is None:
                reason = self._redact(f"{type(dropped).__name__}: {dropped}".splitlines()[0])
                log.debug("%s failed (attempt %d): %s", what, number, reason)
                if last:
                    raise QondorServerError(
                        f"{what}: could not reach Qondor after {number} attempts ({reason})",
                        call=call,
                    ) from None
                return Retry(self.backoff.delay(number))
            response, body, started = sent
            elapsed = (time.monotonic() - started) * 1000
            status = response.status_code
            log.debug("%s -> %d in %.0f ms (attempt %d)", what, status, elapsed, number)
            if status < 400:
                return body if spool else _json_or_none(response)
            if status in RETRY_STATUSES:
                wait = retry_after(response)
                if status == 429 and wait is not None and wait > self.max_retry_after:
                    raise self._daily_limit(what, call, wait, response)
                if not last and (wait is None or wait <= self.max_retry_after):
                    return Retry(wait if wait is not None else self.backoff.delay(number))
            raise self._error(what, call, response, number)

        return send_paced(
            attempt,
            decide,
            pacer=self.pacer,
            dropped=(requests.RequestException,),
            sleep=lambda seconds: self._sleep(seconds),
        )

    def _sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def _error(
        self, what: str, call: str, response: requests.Response, attempts: int
    ) -> QondorError:
        """The typed error for a final non-2xx response."""
        status = response.status_code
        detail = self._redact(describe_problem(response))
        text = f"{what}: {status} {detail}".rstrip()
        if status == 401:
            return QondorAuthError(f"{text} (check the Qondor api_key)", status=status, call=call)
        if status == 403:
            if "quota" in detail.lower():
                return self._daily_limit(what, call, retry_after(response), response)
            return QondorAuthError(text, status=status, call=call)
        if status == 404:
            return QondorNotFound(text, status=status, call=call)
        if status == 429:
            if "quota" in detail.lower():
                return self._daily_limit(what, call, retry_after(response), response)
            return QondorRateLimited(
                f"{text} (still rate limited after {attempts} attempts)", status=status, call=call
            )
        if status >= 500:
            return QondorServerError(
                f"{text} (after {attempts} attempts)" if status in RETRY_STATUSES else text,
                status=status,
                call=call,
            )
        errors = _problem_errors(response)
        return QondorValidationError(text, status=status, call=call, errors=errors)

    def _daily_limit(
        self, what: str, call: str, wait: float | None, response: requests.Response
    ) -> QondorDailyLimit:
        resumes_at = datetime.now(UTC) + timedelta(seconds=wait) if wait else None
        when = f"; resumes at {resumes_at:%Y-%m-%d %H:%M} UTC" if resumes_at else ""
        return QondorDailyLimit(
            f"{what}: Qondor daily API limit reached "
            f"({contract.DAILY_LIMIT:,} calls per 24 h){when}",
            resumes_at=resumes_at,
            status=response.status_code,
            call=call,
        )

    def _current(self, invoice_id: int, refused: QondorValidationError) -> dict:
        """Read the invoice a SetAs* call was refused for (to tell 'already done' from an error)."""
        try:
            return self.get_invoice(invoice_id)
        except QondorNotFound:
            raise refused from None

    def _refusal(
        self, refused: QondorValidationError, invoice_id: int, current: dict
    ) -> QondorValidationError:
        """The refusal, with the invoice's current status and reference appended."""
        state = current.get("statusText") or _status_name(current.get("status"))
        ref = current.get("externalReference")
        extra = f" (invoice {invoice_id} is {state}" + (
            f", externalReference {ref!r})" if ref else ")"
        )
        return QondorValidationError(
            str(refused) + extra, status=refused.status, call=refused.call, errors=refused.errors
        )

    def _redact(self, text: str) -> str:
        return redact(text, [self._api_key])


def trim_error_message(message: str) -> str:
    """One line of at most 1,000 characters (Qondor's errorMessage limit), ending in … when cut."""
    text = " ".join(str(message).split())
    limit = contract.ERROR_MESSAGE_MAX
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_problem(response: requests.Response) -> str:
    """One readable line from a ProblemDetails, APIM error or plain-text body."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:300] or (response.reason or "")
    if not isinstance(body, dict):
        return " ".join(str(body).split())[:300]
    parts: list[str] = []
    title = body.get("title") or body.get("message")
    if title:
        parts.append(str(title).strip())
    if body.get("detail"):
        parts.append(str(body["detail"]).strip())
    errors = body.get("errors")
    if isinstance(errors, dict):
        for field, messages in errors.items():
            joined = "; ".join(str(m) for m in messages) if isinstance(messages, list) else messages
            parts.append(f"{field}: {joined}")
    if body.get("traceId"):
        parts.append(f"(traceId {body['traceId']})")
    return " ".join(" ".join(parts).split())


def _problem_errors(response: requests.Response) -> dict[str, list[str]]:
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return {}
    return errors if isinstance(errors, dict) else {}


def _spooled(response: requests.Response) -> IO[bytes]:
    """The whole body in a temporary file (in memory while small), positioned at its start."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (returned)
    try:
        for chunk in response.iter_content(chunk_size=1 << 16):
            body.write(chunk)
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def _json_or_none(response: requests.Response) -> Any:
    """The body as JSON, None when empty; a body that is not JSON is Qondor's fault."""
    body = json_or_none(response)
    if body is None and response.content and response.content.strip() != b"null":
        raise QondorServerError(
            f"{response.request.method} {urlsplit(response.url).path}: "
            f"{response.status_code} with a body that is not JSON"
        )
    return body


def _status_name(status: Any) -> str:
    try:
        return contract.InvoiceStatus(status).name
    except ValueError:
        return str(status)


def _array_of_objects(body: IO[bytes]) -> Iterator[dict]:
    """The objects of the JSON array in `body`; an empty body is an empty array."""
    skipped = 0
    while True:
        chunk = body.read(4096)
        text = chunk.removeprefix(b"\xef\xbb\xbf") if skipped == 0 else chunk
        text = text.lstrip()
        if text or not chunk:
            break
        skipped += len(chunk)
    if not text:
        return
    if not text.startswith(b"["):
        raise ValueError(f"it starts with {text[:20].decode('utf-8', 'replace')!r}, not '['")
    body.seek(skipped + len(chunk) - len(text))
    for item in ijson.items(body, "item", use_float=True):
        if not isinstance(item, dict):
            raise ValueError("an element is not an object")
        yield item
