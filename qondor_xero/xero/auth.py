"""Xero OAuth2: client credentials (custom connection) or rotating refresh tokens (standard app).

Refresh tokens are single-use: each refresh returns a new one that must be stored at once, because
Meltano deletes the config file it gave the plugin. The token store is a JSON file (0600,
atomically replaced) guarded by an fcntl lock on a sibling `.lock` file: under the lock a process
re-reads the store, reuses an access token another process just obtained, or else refreshes with
the newest refresh token and writes the result before letting go.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from .errors import XeroAuthError, XeroServerError

log = logging.getLogger(__name__)

TOKEN_PATH = "/connect/token"


def redact(text: str, hidden: list[str]) -> str:
    """Replace every secret in `hidden` found in `text` with `***`."""
    for value in hidden:
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


class TokenStore:
    """The newest tokens of one Xero app connection, kept in a 0600 JSON file."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock of this store (blocks while another process holds it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read(self) -> dict[str, Any]:
        """Return the stored tokens ({} when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise XeroAuthError(f"Xero token store {self.path} is not valid JSON") from None
        if not isinstance(data, dict):
            raise XeroAuthError(f"Xero token store {self.path} does not hold a JSON object")
        return data

    def write(self, data: dict[str, Any]) -> None:
        """Replace the store atomically with `data`; the file is created 0600."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


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
        session: requests.Session | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ):
        self.token_url = identity_url.rstrip("/") + TOKEN_PATH
        self.client_id = client_id
        self._client_secret = client_secret
        self._seed_refresh_token = refresh_token or None
        self.store = TokenStore(token_store) if token_store else None
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

    def _request_token(self, refresh_token: str | None) -> dict[str, Any]:
        """POST to the token endpoint (a few retries on 5xx or a dropped connection)."""
        if refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
            attempt = "refreshing the Xero access token (refresh_token grant)"
        else:
            form = {"grant_type": "client_credentials"}
            attempt = "getting a Xero access token (client_credentials grant)"
        hidden = [*self.secrets(), refresh_token or ""]
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
                raise XeroAuthError(
                    f"{attempt} failed: {self._describe(resp, hidden)}",
                    status=resp.status_code,
                    call=f"POST {TOKEN_PATH}",
                )
            answer = _json_or_none(resp)
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
        body = _json_or_none(resp)
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
        return redact(text, hidden)[:500]


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
