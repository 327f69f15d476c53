"""Xero OAuth2: client credentials (custom connection) or rotating refresh tokens (standard app).

Refresh tokens are single-use: each refresh returns a new one that must be stored at once, because
Meltano deletes the config file it gave the plugin. The token store (a file or a database, see
`token_store.py`) is locked around a refresh: under the lock a process re-reads the store, reuses
an access token another process just obtained, or else refreshes with the newest refresh token and
writes the result before letting go.

A custom connection asks for the scopes the integration needs; when Xero refuses them
(`invalid_scope`: the connection was not granted one) it takes what the connection holds and says
what is missing, so that the calls that need the missing scope, and only those, stop the run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from qondor_xero.http import json_or_none, redact

from . import scopes as sc
from .errors import XeroAuthError, XeroServerError
from .token_store import FileTokenStore, open_token_store

TokenStore = FileTokenStore  # the name older callers use

log = logging.getLogger(__name__)

TOKEN_PATH = "/connect/token"


class XeroAuth:
    """Hands out a valid access token; refreshes before expiry and once after a 401."""

    def __init__(
        self,
        identity_url: str,
        client_id: str,
        client_secret: str,
        *,
        refresh_token: str | None = None,
        token_store: str | os.PathLike[str] | None = None,
        tenant_id: str | None = None,
        scopes: list[str] | None = None,
        wanted_scopes: list[str] | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ):
        self.token_url = identity_url.rstrip("/") + TOKEN_PATH
        self.client_id = client_id
        self._client_secret = client_secret
        self._seed_refresh_token = refresh_token or None
        self.store = open_token_store(token_store, client_id, tenant_id) if token_store else None
        # Scopes sent with client credentials: the `scopes` setting (as it is), else what the
        # run needs (`wanted_scopes`, or the plugins' defaults), falling back to what is held.
        self.scopes_setting = sc.parse(scopes)
        self.wanted_scopes = sc.parse(wanted_scopes) or sc.default_request(standard_app=False)
        self.granted: list[str] | None = None  # the scopes of the current access token
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._margin = 60.0
        self._refresh_token: str | None = refresh_token or None
        self.token_requests = 0  # calls made to the token endpoint by this process
        if refresh_token and not token_store:
            log.warning(
                "Xero refresh_token is set without token_store: each rotated refresh token is "
                "kept in memory only and lost when this process ends"
            )

    def secrets(self) -> list[str]:
        """Every secret this object knows, for redaction."""
        return [
            s
            for s in (
                self._client_secret,
                self._access_token,
                self._refresh_token,
                self._seed_refresh_token,
            )
            if s
        ]

    @property
    def uses_refresh_token(self) -> bool:
        """Whether this connection runs on a refresh token (a standard app)."""
        return bool(self._refresh_token or self._seed_refresh_token)

    def access_token(self) -> str:
        """Return a token valid for at least the safety margin, refreshing when needed."""
        with self._lock:
            if self._access_token and self._clock() < self._expires_at - self._margin:
                return self._access_token
            return self._renew(failed=None)

    def token_rejected(self, token: str) -> str:
        """After a 401 with `token`: return a different valid token (refreshing if nobody has)."""
        with self._lock:
            fresh = self._clock() < self._expires_at - self._margin
            if self._access_token and self._access_token != token and fresh:
                return self._access_token
            return self._renew(failed=token)

    def _usable(self, data: dict[str, Any]) -> dict[str, Any]:
        """The stored tokens when they belong to this client id, else {}."""
        return data if data.get("client_id") == self.client_id else {}

    def _renew(self, failed: str | None) -> str:
        if self.store is None:
            self._apply(self._request_token(self._refresh_token))
            return self._access_token or ""
        with self.store.locked():
            data = self._usable(self.store.read())
            seed = self._seed_refresh_token
            if seed and data.get("seed") != seed:
                # A refresh token newer than the store was configured (re-authorised): take it.
                data = {"client_id": self.client_id, "seed": seed, "refresh_token": seed}
            stored = data.get("access_token")
            expires_at = float(data.get("expires_at") or 0)
            margin = self._margin_for(expires_at - float(data.get("obtained_at") or 0))
            if stored and stored != failed and self._clock() < expires_at - margin:
                # Another process (or an earlier run) refreshed a moment ago: reuse its token.
                self._access_token, self._expires_at, self._margin = stored, expires_at, margin
                self.granted = sc.granted_by(stored) or sc.parse(data.get("scope"))
                self._refresh_token = data.get("refresh_token") or self._refresh_token
                return stored
            refresh_token = data.get("refresh_token") or self._refresh_token
            answer = self._request_token(refresh_token)
            self._apply(answer)
            data.update(
                client_id=self.client_id,
                access_token=self._access_token,
                obtained_at=self._expires_at - float(answer.get("expires_in") or 1800),
                expires_at=self._expires_at,
            )
            if answer.get("refresh_token"):
                data["refresh_token"] = answer["refresh_token"]
            data["scope"] = " ".join(self.granted or [])
            if seed:
                data["seed"] = seed
            self.store.write(data)
            return self._access_token or ""

    @staticmethod
    def _margin_for(lifetime: float) -> float:
        """Refresh this long before expiry: a minute, or a tenth of a short lifetime."""
        return min(60.0, max(0.0, lifetime) / 10)

    def _apply(self, answer: dict[str, Any]) -> None:
        lifetime = float(answer.get("expires_in") or 1800)
        self._access_token = answer["access_token"]
        self._expires_at = self._clock() + lifetime
        self._margin = self._margin_for(lifetime)
        if answer.get("refresh_token"):
            self._refresh_token = answer["refresh_token"]
        self.granted = sc.granted_by(self._access_token or "") or sc.parse(answer.get("scope"))

    def _request_token(self, refresh_token: str | None) -> dict[str, Any]:
        """A token answer for the refresh token, else for client credentials with scopes."""
        if refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
            return self._post_token(form, "refreshing the Xero access token (refresh_token grant)")
        attempt = "getting a Xero access token (client_credentials grant)"
        wanted = self.scopes_setting or self.wanted_scopes
        form = {"grant_type": "client_credentials", "scope": " ".join(wanted)}
        try:
            return self._post_token(form, attempt)
        except XeroAuthError as exc:
            if exc.error != "invalid_scope" or self.scopes_setting:
                raise
        # The connection was not granted every scope asked for: take what it holds.
        answer = self._post_token({"grant_type": "client_credentials"}, attempt)
        held = sc.granted_by(answer["access_token"]) or sc.parse(answer.get("scope"))
        log.warning(
            "The Xero connection lacks %s (it holds %s): calls that need them will stop the run; "
            "tick them on the app at developer.xero.com",
            ", ".join(sc.missing(held, wanted)) or "a requested scope",
            " ".join(held) or "no scopes",
        )
        return answer

    def _post_token(self, form: dict[str, str], attempt: str) -> dict[str, Any]:
        """POST to the token endpoint (a few retries on 5xx or a dropped connection)."""
        hidden = [*self.secrets(), form.get("refresh_token", "")]
        for tries in range(4):
            if tries:
                time.sleep(0.2 * 2**tries)
            self.token_requests += 1
            try:
                resp = self._session.post(
                    self.token_url,
                    data=form,
                    auth=(self.client_id, self._client_secret),
                    headers={"Accept": "application/json"},
                    timeout=self._timeout,
                )
            except requests.RequestException as exc:
                reason = redact(type(exc).__name__, hidden)
                log.warning("%s: %s, retrying", attempt, reason)
                continue
            log.debug("POST %s -> %s", TOKEN_PATH, resp.status_code)
            if resp.status_code >= 500 or resp.status_code == 429:
                log.warning("%s: HTTP %s, retrying", attempt, resp.status_code)
                continue
            if resp.status_code != 200:
                body = json_or_none(resp)
                error = XeroAuthError(
                    f"{attempt} failed: {self._describe(resp, hidden)}",
                    status=resp.status_code,
                    call=f"POST {TOKEN_PATH}",
                )
                if isinstance(body, dict):
                    error.error = str(body.get("error") or "")
                raise error
            answer = json_or_none(resp)
            if not isinstance(answer, dict) or not answer.get("access_token"):
                raise XeroAuthError(
                    f"{attempt} failed: the token endpoint sent no access_token",
                    status=resp.status_code,
                    call=f"POST {TOKEN_PATH}",
                )
            return answer
        raise XeroServerError(
            f"{attempt} failed: the token endpoint {self.token_url} did not answer after 4 tries",
            call=f"POST {TOKEN_PATH}",
        )

    def _describe(self, resp: requests.Response, hidden: list[str]) -> str:
        """One line on why the token endpoint refused, with advice, without secrets."""
        body = json_or_none(resp)
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        detail = str(body.get("error_description") or "") if isinstance(body, dict) else ""
        text = f"HTTP {resp.status_code} {error}".strip()
        if detail:
            text += f" ({detail})"
        if error == "invalid_grant":
            text += (
                ": the refresh token is used up, expired or revoked; re-authorise the app"
                " and set a new refresh_token"
            )
        elif error == "invalid_client" or resp.status_code == 401:
            text += ": check client_id and client_secret"
        elif error == "invalid_scope":
            text += ": the app was not granted every scope in `scopes`"
        elif error == "unauthorized_client":
            text += (
                ": this kind of Xero app cannot use this grant (a custom connection uses client"
                " credentials; a standard app needs `qondor-xero connect` and a token_store)"
            )
        return redact(text, hidden)[:500]
