"""`qondor-xero connect`: connect a standard Xero app with the authorization-code flow and PKCE.

It prints Xero's authorize URL (and opens a browser where there is one), receives Xero's
redirect on a loopback port, checks `state`, exchanges the code (with the PKCE verifier), lists
`/connections`, picks the tenant and stores the refresh token in the token store, replacing any
stored one. It prints what to put in the environment's settings, never a secret.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from qondor_xero.http import redact
from qondor_xero.xero import scopes as sc
from qondor_xero.xero.token_store import open_token_store
from qondor_xero.xero.urls import check_url

XERO_IDENTITY = "https://identity.xero.com"
XERO_AUTHORIZE = "https://login.xero.com/identity/connect/authorize"
DEFAULT_PORT = 8765


class ConnectError(RuntimeError):
    """Connecting failed; the message is the one line to print."""


@dataclass(frozen=True)
class Connected:
    """What `connect` stored: the tenant, its name, the scopes granted, the store it went to."""

    tenant_id: str
    tenant_name: str
    granted: list[str]
    store: str


def authorize_url_for(identity_url: str) -> str:
    """Xero's sign-in page lives on login.xero.com; elsewhere (the sandbox) beside the identity URL."""
    if identity_url.rstrip("/") == XERO_IDENTITY:
        return XERO_AUTHORIZE
    return identity_url.rstrip("/") + "/identity/connect/authorize"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 defines them."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pick_tenant(
    connections: list[dict[str, Any]],
    wanted: str | None,
    choose: Callable[[list[dict[str, Any]]], int] | None = None,
) -> dict[str, Any]:
    """The organisation to use: `wanted`, the only one, or the one `choose` returns the index of."""
    orgs = [c for c in connections if c.get("tenantType", "ORGANISATION") == "ORGANISATION"]
    if wanted:
        for org in orgs:
            if str(org.get("tenantId", "")).lower() == wanted.lower():
                return org
        raise ConnectError(
            f"tenant {wanted} is not among the connected organisations: {_names(orgs)}"
        )
    if len(orgs) == 1:
        return orgs[0]
    if not orgs:
        raise ConnectError("Xero connected no organisation: run connect again and pick one")
    if choose is None:
        raise ConnectError(
            f"{len(orgs)} organisations are connected: {_names(orgs)}; pass --tenant ID"
        )
    return orgs[choose(orgs)]


def _names(orgs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{o.get('tenantName')} ({o.get('tenantId')})" for o in orgs) or "none"


class _Redirect(http.server.BaseHTTPRequestHandler):
    """Takes Xero's redirect to the loopback port and hands its query to the waiting command."""

    path_wanted = "/"
    received: list[dict[str, str]]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        if url.path != self.path_wanted:
            self.send_error(404)
            return
        self.received.append({k: v[-1] for k, v in parse_qs(url.query).items()})
        body = b"<!doctype html><p>Xero answered; you can close this window.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the query holds the code."""


def wait_for_redirect(
    redirect_uri: str, port: int, timeout: float, ready: Callable[[], None]
) -> dict[str, str]:
    """Serve the redirect URI on 127.0.0.1:`port` until Xero redirects to it; its parameters."""
    received: list[dict[str, str]] = []
    handler = type(
        "Redirect",
        (_Redirect,),
        {"path_wanted": urlsplit(redirect_uri).path or "/", "received": received},
    )
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ConnectError(
            f"cannot listen on 127.0.0.1:{port} for the redirect: {exc.strerror}"
        ) from None
    server.timeout = 0.5
    thread = threading.Thread(target=lambda: _serve_until(server, received, timeout), daemon=True)
    thread.start()
    ready()
    thread.join()
    server.server_close()
    if not received:
        raise ConnectError(f"Xero did not redirect to {redirect_uri} within {timeout:.0f} s")
    return received[0]


def _serve_until(server: http.server.HTTPServer, received: list, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not received and time.monotonic() < deadline:
        server.handle_request()


def connect(
    settings: dict[str, Any],
    *,
    tenant: str | None = None,
    port: int | None = None,
    redirect_uri: str | None = None,
    open_browser: bool = True,
    timeout: float = 300.0,
    say: Callable[[str], None] = print,
    choose: Callable[[list[dict[str, Any]]], int] | None = None,
) -> Connected:
    """Run the whole flow; return what was stored. Raises ConnectError with one line."""
    for key in ("client_id", "client_secret", "token_store"):
        if not settings.get(key):
            why = " (a standard app's refresh token lives there)" if key == "token_store" else ""
            raise ConnectError(f"{key} is not set{why}: set it in the environment first")
    client_id, secret = settings["client_id"], settings["client_secret"]
    hidden = [secret]
    try:
        identity = check_url(settings.get("identity_url") or XERO_IDENTITY, "identity_url")
        api = check_url(settings.get("api_url") or "https://api.xero.com/api.xro/2.0", "api_url")
    except ValueError as exc:
        raise ConnectError(str(exc)) from None
    port = port or urlsplit(redirect_uri or "").port or DEFAULT_PORT
    redirect_uri = redirect_uri or f"http://localhost:{port}/callback"
    wanted = sc.parse(settings.get("scopes")) or sc.default_request(standard_app=True)
    if sc.OFFLINE_ACCESS not in wanted:
        wanted.append(sc.OFFLINE_ACCESS)  # without it Xero sends no refresh token
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    url = (
        authorize_url_for(identity)
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(wanted),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )

    def show() -> None:
        say("Open this address, sign in to Xero and allow access to the organisation:")
        say(f"  {url}")
        if open_browser:
            webbrowser.open(url)
        say(f"Waiting for Xero to redirect to {redirect_uri} ...")

    answer = wait_for_redirect(redirect_uri, port, timeout, show)
    if not secrets.compare_digest(answer.get("state", ""), state):
        raise ConnectError(
            "the redirect's state does not match this request: ignored; run connect again"
        )
    if answer.get("error"):
        raise ConnectError(f"Xero did not connect the app: {answer['error']}")
    if not answer.get("code"):
        raise ConnectError("Xero's redirect carried no code")
    hidden.append(answer["code"])

    session = requests.Session()
    resp = session.post(
        identity.rstrip("/") + "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    tokens = _json(resp)
    if resp.status_code != 200 or not tokens.get("access_token"):
        error = tokens.get("error") or f"HTTP {resp.status_code}"
        raise ConnectError(redact(f"Xero refused the authorization code: {error}", hidden))
    if not tokens.get("refresh_token"):
        raise ConnectError("Xero sent no refresh token: the app must be granted offline_access")
    hidden += [tokens["access_token"], tokens["refresh_token"]]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(api))
    listed = session.get(
        f"{origin}/connections",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=30,
    )
    if listed.status_code != 200 or not isinstance(_json(listed, []), list):
        raise ConnectError(f"GET /connections failed: HTTP {listed.status_code}")
    org = pick_tenant(listed.json(), tenant, choose)
    granted = sc.granted_by(tokens["access_token"]) or sc.parse(tokens.get("scope"))

    store = open_token_store(settings["token_store"], client_id, str(org["tenantId"]))
    now = time.time()
    lifetime = float(tokens.get("expires_in") or 1800)
    data = {
        "client_id": client_id,
        "tenant_id": str(org["tenantId"]),
        "refresh_token": tokens["refresh_token"],
        "access_token": tokens["access_token"],
        "obtained_at": now,
        "expires_at": now + lifetime,
        "scope": " ".join(granted),
    }
    if settings.get("refresh_token"):
        # A refresh_token still in the settings would otherwise win over this new one.
        data["seed"] = settings["refresh_token"]
    with store.locked():
        store.write(data)
    return Connected(
        str(org["tenantId"]), str(org.get("tenantName") or ""), granted, store.description
    )


def _json(resp: requests.Response, default: Any = None) -> Any:
    try:
        return resp.json()
    except ValueError:
        return {} if default is None else default
