"""Xero identity: `/connect/token` (client credentials, rotating refresh tokens), bearer checks.

Tokens are opaque random strings stored in SQLite, so they survive a restart. The clock can be
moved forward by the admin API (`POST /_sandbox/clock`) to test expiry without waiting.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from sandbox.common.settings import Settings
from sandbox.db import Database

REFRESH_GRACE_SECONDS = 30 * 60
REFRESH_LIFETIME_SECONDS = 60 * 24 * 3600
SCOPES = "accounting.transactions accounting.contacts accounting.settings.read"


@dataclass
class TokenInfo:
    """A valid access token: its client and, for a custom connection, its one tenant."""

    client_id: str
    tenant_id: str | None  # None: standard app, the request must name the tenant


class AuthProblem(Exception):
    """A 401 or 403 in Xero's ProblemDetails form."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """Xero's JSON body for this problem."""
        return {
            "Type": None,
            "Title": "Unauthorized" if self.status == 401 else "Forbidden",
            "Status": self.status,
            "Detail": self.detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        }


class Identity:
    """Issues and checks tokens for one sandbox organisation."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.offset = 0.0  # seconds added to the real clock
        self._lock = threading.Lock()

    def now(self) -> float:
        """The identity clock (real time plus any admin advance)."""
        return time.time() + self.offset

    # ---------------------------------------------------------------- /connect/token

    def token_response(self, body: bytes, authorization: str | None) -> tuple[int, dict[str, Any]]:
        """Answer a form POST to /connect/token: (status, JSON body)."""
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
                basic_id, _, basic_secret = decoded.partition(":")
                client_id, client_secret = unquote(basic_id), unquote(basic_secret)
            except (ValueError, UnicodeDecodeError):
                return 400, {"error": "invalid_client"}
        if not (
            client_id == self.settings.xero_client_id
            and client_secret is not None
            and secrets.compare_digest(client_secret, self.settings.xero_client_secret)
        ):
            return 400, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            access = self._issue_access(client_id, self.settings.xero_tenant_id)
            return 200, {
                "access_token": access,
                "expires_in": self.settings.token_ttl,
                "token_type": "Bearer",
                "scope": form.get("scope") or SCOPES,
            }
        if grant == "refresh_token":
            return self._refresh(client_id, form.get("refresh_token") or "")
        return 400, {"error": "unsupported_grant_type"}

    def _issue_access(self, client_id: str, tenant_id: str | None) -> str:
        with self.db.write() as conn:
            return _store_token(
                conn, "access", client_id, tenant_id, self.now(), self.settings.token_ttl
            )

    def mint_refresh_token(self, client_id: str | None = None) -> str:
        """A fresh refresh token, as if a user had just authorised the app (admin only)."""
        client_id = client_id or self.settings.xero_client_id
        with self.db.write() as conn:
            return _store_token(
                conn, "refresh", client_id, None, self.now(), REFRESH_LIFETIME_SECONDS
            )

    def _refresh(self, client_id: str, refresh_token: str) -> tuple[int, dict[str, Any]]:
        invalid = (400, {"error": "invalid_grant"})
        now = self.now()
        with self._lock, self.db.write() as conn:
            row = conn.execute(
                "SELECT * FROM xero_tokens WHERE token = ? AND kind = 'refresh'", (refresh_token,)
            ).fetchone()
            if row is None or row["client_id"] != client_id or row["expires"] < now:
                return invalid
            if row["used_at"] is not None:
                if now - row["used_at"] > REFRESH_GRACE_SECONDS:
                    return invalid
                successor = row["successor"]  # the grace period: same successor again
            else:
                successor = _store_token(
                    conn, "refresh", client_id, None, now, REFRESH_LIFETIME_SECONDS
                )
                conn.execute(
                    "UPDATE xero_tokens SET used_at = ?, successor = ? WHERE token = ?",
                    (now, successor, refresh_token),
                )
            access = self._issue_access(client_id, None)
        return 200, {
            "access_token": access,
            "expires_in": self.settings.token_ttl,
            "token_type": "Bearer",
            "refresh_token": successor,
            "scope": SCOPES + " offline_access",
        }

    # ---------------------------------------------------------------- bearer checks

    def check_bearer(self, authorization: str | None) -> TokenInfo:
        """The token behind an Authorization header, or AuthProblem(401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthProblem(401, "AuthenticationUnsuccessful")
        token = authorization[7:].strip()
        row = self.db.query_one(
            "SELECT client_id, tenant_id, expires FROM xero_tokens "
            "WHERE token = ? AND kind = 'access'",
            (token,),
        )
        if row is None:
            raise AuthProblem(401, "AuthenticationUnsuccessful")
        if row["expires"] <= self.now():
            at = datetime.fromtimestamp(row["expires"], UTC).strftime("%m/%d/%Y %H:%M:%S")
            raise AuthProblem(401, f"TokenExpired: token expired at {at}")
        return TokenInfo(row["client_id"], row["tenant_id"])

    def tenant_for(self, info: TokenInfo, header_tenant: str | None) -> str:
        """The tenant a request acts on, or AuthProblem(403) when it is missing or wrong."""
        wanted = (header_tenant or "").strip().lower()
        if not wanted:
            if info.tenant_id is None:
                raise AuthProblem(403, "AuthenticationUnsuccessful")
            return info.tenant_id
        if wanted != self.settings.xero_tenant_id.lower():
            raise AuthProblem(403, "AuthenticationUnsuccessful")
        return self.settings.xero_tenant_id

    def connections(self) -> list[dict[str, Any]]:
        """The organisations this app is connected to (one)."""
        created = "2026-01-05T09:00:00.0000000"
        return [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.settings.xero_tenant_id)),
                "authEventId": str(uuid.uuid5(uuid.NAMESPACE_DNS, self.settings.xero_client_id)),
                "tenantId": self.settings.xero_tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": self.settings.xero_tenant_name,
                "createdDateUtc": created,
                "updatedDateUtc": created,
            }
        ]


def _store_token(
    conn: sqlite3.Connection,
    kind: str,
    client_id: str,
    tenant_id: str | None,
    now: float,
    lifetime: float,
) -> str:
    """Create and store a new `kind` token ("access" or "refresh"); the token."""
    token = ("sbx-at-" if kind == "access" else "sbx-rt-") + secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO xero_tokens (token, kind, client_id, tenant_id, created, expires) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (token, kind, client_id, tenant_id, now, now + lifetime),
    )
    return token
