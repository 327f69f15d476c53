"""Xero identity: `/connect/token` (client credentials, authorization code with PKCE, rotating
refresh tokens) and bearer checks.

The sandbox models one Xero app (`--xero-app-kind custom|standard|any`, `--xero-app-era
broad|granular`, `--xero-scopes`). Access tokens are JWTs carrying `scope` as Xero's do; every
token is also stored in SQLite, so it survives a restart. The clock can be moved forward by the
admin API (`POST /_sandbox/clock`) to test expiry without waiting.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt

from sandbox.common.settings import Settings
from sandbox.db import Database
from sandbox.xero import scopes

REFRESH_GRACE_SECONDS = 30 * 60
REFRESH_LIFETIME_SECONDS = 60 * 24 * 3600
CODE_LIFETIME_SECONDS = 5 * 60
ISSUER = "https://identity.xero.com"
JWT_KEY_META = "identity.jwt_key"  # not under `xero.`: a data reset keeps it, as tokens survive
# Which grant types each kind of app may use (a custom connection has no user, so no code).
GRANTS = {
    "custom": {"client_credentials"},
    "standard": {"authorization_code", "refresh_token"},
    "any": {"client_credentials", "authorization_code", "refresh_token"},
}


@dataclass
class TokenInfo:
    """A valid access token: its client and, for a custom connection, its one tenant."""

    client_id: str
    tenant_id: str | None  # None: standard app, the request must name the tenant
    scopes: frozenset[str] = frozenset()


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
        if grant not in GRANTS["any"]:
            return 400, {"error": "unsupported_grant_type"}
        if grant not in GRANTS[self.settings.xero_app_kind]:
            return 400, {"error": "unauthorized_client"}
        if grant == "client_credentials":
            granted = self._custom_grant(form.get("scope"))
            if granted is None:
                return 400, {"error": "invalid_scope"}
            access = self._issue_access(client_id, self.settings.xero_tenant_id, granted)
            return 200, {
                "access_token": access,
                "expires_in": self.settings.token_ttl,
                "token_type": "Bearer",
                "scope": " ".join(granted),
            }
        if grant == "authorization_code":
            return self._exchange_code(client_id, form)
        return self._refresh(client_id, form.get("refresh_token") or "")

    def connection_scopes(self) -> list[str]:
        """The scopes this app was granted (`--xero-scopes`, else every one it needs)."""
        era = self.settings.xero_app_era
        return scopes.parse(self.settings.xero_scopes) or scopes.default_grant(era)

    def _custom_grant(self, requested: str | None) -> list[str] | None:
        """A custom connection's token scopes: all it holds, or the subset asked for; None when
        it asks for one it does not hold (Xero's `invalid_scope`)."""
        held = [s for s in self.connection_scopes() if s != scopes.OFFLINE_ACCESS]
        wanted = scopes.parse(requested)
        if not wanted:
            return held
        covered = {*held, *(f"{s}.read" for s in held)}  # a write scope includes its read
        return wanted if set(wanted) <= covered else None

    def invalid_scopes(self, requested: list[str]) -> list[str]:
        """The requested scopes an app of this era may not have (e.g. a broad one after 2026)."""
        return [s for s in requested if s not in scopes.allowed(self.settings.xero_app_era)]

    def _issue_access(self, client_id: str, tenant_id: str | None, granted: list[str]) -> str:
        now = self.now()
        jti = uuid.uuid4().hex
        claims = {
            "nbf": int(now),
            "exp": int(now + self.settings.token_ttl),
            "iss": ISSUER,
            "aud": f"{ISSUER}/resources",
            "client_id": client_id,
            "jti": jti,
            "authentication_event_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, client_id)),
            "scope": list(granted),
        }
        token = jwt.encode(claims, self._jwt_key(), algorithm="HS256")
        with self.db.write() as conn:
            _insert_token(
                conn, token, "access", client_id, tenant_id, now, self.settings.token_ttl, granted
            )
        return token

    def _jwt_key(self) -> str:
        """The key the sandbox signs its access tokens with (kept across restarts)."""
        key = self.db.get_meta(JWT_KEY_META)
        if key is None:
            key = secrets.token_hex(32)
            self.db.set_meta(JWT_KEY_META, key)
        return key

    def mint_refresh_token(
        self, client_id: str | None = None, granted: list[str] | None = None
    ) -> str:
        """A fresh refresh token, as if a user had just authorised the app (admin only)."""
        client_id = client_id or self.settings.xero_client_id
        granted = granted or self.connection_scopes()
        with self.db.write() as conn:
            return _store_token(
                conn, "refresh", client_id, None, self.now(), REFRESH_LIFETIME_SECONDS, granted
            )

    # ---------------------------------------------------------------- authorization code

    def issue_code(
        self, client_id: str, redirect_uri: str, granted: list[str], challenge: str
    ) -> str:
        """A one-time authorization code for a consent just given."""
        code = secrets.token_urlsafe(32)
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO xero_auth_codes (code, client_id, redirect_uri, scope, challenge, "
                "created) VALUES (?, ?, ?, ?, ?, ?)",
                (code, client_id, redirect_uri, " ".join(granted), challenge, self.now()),
            )
        return code

    def _exchange_code(self, client_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """grant_type=authorization_code: the code once, within 5 minutes, with the same
        redirect_uri and (PKCE) the verifier whose S256 hash was the challenge."""
        now = self.now()
        with self._lock, self.db.write() as conn:
            row = conn.execute(
                "SELECT * FROM xero_auth_codes WHERE code = ?", (form.get("code") or "",)
            ).fetchone()
            # Every refusal is Xero's one `invalid_grant`: unknown, used, expired, other
            # redirect URI, or a verifier that does not hash to the challenge.
            valid = (
                row is not None
                and row["client_id"] == client_id
                and row["used_at"] is None
                and now - row["created"] <= CODE_LIFETIME_SECONDS
                and form.get("redirect_uri") == row["redirect_uri"]
                and (
                    not row["challenge"]
                    or _pkce_matches(form.get("code_verifier") or "", row["challenge"])
                )
            )
            if not valid:
                return 400, {"error": "invalid_grant"}
            conn.execute(
                "UPDATE xero_auth_codes SET used_at = ? WHERE code = ?", (now, row["code"])
            )
            granted = scopes.parse(row["scope"])
            answer: dict[str, Any] = {
                "access_token": self._issue_access(client_id, None, granted),
                "expires_in": self.settings.token_ttl,
                "token_type": "Bearer",
                "scope": " ".join(granted),
            }
            if scopes.OFFLINE_ACCESS in granted:
                answer["refresh_token"] = _store_token(
                    conn, "refresh", client_id, None, now, REFRESH_LIFETIME_SECONDS, granted
                )
        return 200, answer

    def _refresh(self, client_id: str, refresh_token: str) -> tuple[int, dict[str, Any]]:
        invalid = (400, {"error": "invalid_grant"})
        now = self.now()
        with self._lock, self.db.write() as conn:
            row = conn.execute(
                "SELECT * FROM xero_tokens WHERE token = ? AND kind = 'refresh'", (refresh_token,)
            ).fetchone()
            if row is None or row["client_id"] != client_id or row["expires"] < now:
                return invalid
            granted = scopes.parse(row["scope"]) or self.connection_scopes()
            if row["used_at"] is not None:
                if now - row["used_at"] > REFRESH_GRACE_SECONDS:
                    return invalid
                successor = row["successor"]  # the grace period: same successor again
            else:
                successor = _store_token(
                    conn, "refresh", client_id, None, now, REFRESH_LIFETIME_SECONDS, granted
                )
                conn.execute(
                    "UPDATE xero_tokens SET used_at = ?, successor = ? WHERE token = ?",
                    (now, successor, refresh_token),
                )
            access = self._issue_access(client_id, None, granted)
        return 200, {
            "access_token": access,
            "expires_in": self.settings.token_ttl,
            "token_type": "Bearer",
            "refresh_token": successor,
            "scope": " ".join(granted),
        }

    # ---------------------------------------------------------------- bearer checks

    def check_bearer(self, authorization: str | None) -> TokenInfo:
        """The token behind an Authorization header, or AuthProblem(401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthProblem(401, "AuthenticationUnsuccessful")
        token = authorization[7:].strip()
        row = self.db.query_one(
            "SELECT client_id, tenant_id, expires, scope FROM xero_tokens "
            "WHERE token = ? AND kind = 'access'",
            (token,),
        )
        if row is None:
            raise AuthProblem(401, "AuthenticationUnsuccessful")
        if row["expires"] <= self.now():
            at = datetime.fromtimestamp(row["expires"], UTC).strftime("%m/%d/%Y %H:%M:%S")
            raise AuthProblem(401, f"TokenExpired: token expired at {at}")
        return TokenInfo(row["client_id"], row["tenant_id"], frozenset(scopes.parse(row["scope"])))

    def check_scope(self, info: TokenInfo, method: str, resource: str) -> None:
        """AuthProblem(401 AuthorizationUnsuccessful) when the token's scopes do not allow the call."""
        needed = scopes.needed(method, resource)
        if needed is not None and not needed & info.scopes:
            raise AuthProblem(401, "AuthorizationUnsuccessful")

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
    granted: list[str],
) -> str:
    """Create and store a new opaque `kind` token (a refresh token); the token."""
    token = "sbx-rt-" + secrets.token_urlsafe(32)
    _insert_token(conn, token, kind, client_id, tenant_id, now, lifetime, granted)
    return token


def _insert_token(
    conn: sqlite3.Connection,
    token: str,
    kind: str,
    client_id: str,
    tenant_id: str | None,
    now: float,
    lifetime: float,
    granted: list[str],
) -> None:
    conn.execute(
        "INSERT INTO xero_tokens (token, kind, client_id, tenant_id, created, expires, scope) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (token, kind, client_id, tenant_id, now, now + lifetime, " ".join(granted)),
    )


def _pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding equals the challenge."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(expected, challenge)
