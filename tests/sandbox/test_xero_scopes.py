"""The sandbox's Xero app: its kind, its era's scopes, JWT access tokens carrying `scope`, the
401 AuthorizationUnsuccessful for a call outside them, and the authorization-code flow with PKCE
(consent page, auto-consent, and the code exchange's errors)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlsplit

import requests

CLIENT = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
TENANT = "00000000-0000-4000-8000-000000000001"
REDIRECT = "http://localhost:8765/callback"
NEEDED = "accounting.contacts accounting.invoices accounting.payments accounting.settings.read"


def token(box, **form) -> requests.Response:
    return requests.post(f"{box.identity_url}/connect/token", data={**CLIENT, **form}, timeout=30)


def claims(access_token: str) -> dict:
    """The JWT's payload, decoded as any client would read it."""
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def call(box, method: str, path: str, access: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {access}", "xero-tenant-id": TENANT}
    return requests.request(
        method, f"{box.xero_api_url}{path}", headers=headers, timeout=30, **kwargs
    )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(box, challenge: str, redirect: str = REDIRECT, **params) -> requests.Response:
    query = {
        "response_type": "code",
        "client_id": "sandbox-client",
        "redirect_uri": redirect,
        "scope": f"{NEEDED} offline_access",
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return requests.get(
        f"{box.xero_url}/identity/connect/authorize",
        params=query,
        allow_redirects=False,
        timeout=30,
    )


def redirected(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def test_a_granular_connection_without_payments_is_refused_payments_only(start_sandbox):
    granted = "accounting.contacts accounting.invoices accounting.settings.read"
    with start_sandbox(xero_app_kind="custom", xero_scopes=granted) as box:
        answer = token(box, grant_type="client_credentials")
        assert answer.status_code == 200
        access = answer.json()["access_token"]
        assert claims(access)["scope"] == granted.split()  # a JWT carrying scope, as Xero's
        assert claims(access)["client_id"] == "sandbox-client"
        assert call(box, "GET", "/Invoices", access).status_code == 200
        assert call(box, "GET", "/Currencies", access).status_code == 200
        assert call(box, "GET", "/TaxRates", access).status_code == 200
        refused = call(box, "PUT", "/Payments", access, json={"Payments": []})
        assert refused.status_code == 401
        assert refused.json()["Detail"] == "AuthorizationUnsuccessful"
        assert refused.json()["Title"] == "Unauthorized"
        # settings.read allows reading accounts, not writing them
        assert call(box, "PUT", "/Accounts", access, json={}).status_code == 401
        # asking for a scope the connection was not granted is refused at the token endpoint
        asked = token(box, grant_type="client_credentials", scope="accounting.payments")
        assert (asked.status_code, asked.json()) == (400, {"error": "invalid_scope"})
        subset = token(box, grant_type="client_credentials", scope="accounting.invoices.read")
        assert claims(subset.json()["access_token"])["scope"] == ["accounting.invoices.read"]
        read_only = subset.json()["access_token"]
        assert call(box, "GET", "/Invoices", read_only).status_code == 200
        assert call(box, "POST", "/Invoices", read_only, json={"Invoices": []}).status_code == 401
        assert call(box, "GET", "/Contacts", read_only).status_code == 401
        assert call(box, "GET", "/TaxRates", read_only).status_code == 401


def test_broad_scopes_exist_only_for_apps_created_before_march_2026(start_sandbox):
    with start_sandbox(xero_app_kind="custom") as granular:
        asked = token(granular, grant_type="client_credentials", scope="accounting.transactions")
        assert (asked.status_code, asked.json()) == (400, {"error": "invalid_scope"})
    broad = "accounting.transactions accounting.contacts accounting.settings"
    with start_sandbox(xero_app_era="broad", xero_app_kind="custom", xero_scopes=broad) as box:
        access = token(box, grant_type="client_credentials").json()["access_token"]
        assert claims(access)["scope"] == broad.split()
        payment = call(box, "PUT", "/Payments", access, json={"Payments": []})
        assert payment.status_code != 401  # accounting.transactions covers payments


def test_each_kind_of_app_takes_only_its_own_grants(start_sandbox):
    with start_sandbox(xero_app_kind="custom") as custom:
        refresh = custom.mint_refresh_token()
        assert token(custom, grant_type="refresh_token", refresh_token=refresh).json() == {
            "error": "unauthorized_client"
        }
        page = authorize(custom, pkce()[1])
        assert page.status_code == 400 and "Invalid client_id" in page.text
    with start_sandbox(xero_app_kind="standard") as standard:
        assert token(standard, grant_type="client_credentials").json() == {
            "error": "unauthorized_client"
        }


def test_consent_page_allows_or_denies_and_the_code_exchange_checks_pkce(start_sandbox):
    with start_sandbox(xero_app_kind="standard") as box:
        verifier, challenge = pkce()
        page = authorize(box, challenge)
        assert page.status_code == 200
        assert "Allow access" in page.text and "accounting.payments" in page.text
        fields = dict(
            (k, v)
            for k, v in (
                ("response_type", "code"),
                ("client_id", "sandbox-client"),
                ("redirect_uri", REDIRECT),
                ("scope", f"{NEEDED} offline_access"),
                ("state", "st-123"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            )
        )
        url = f"{box.xero_url}/identity/connect/authorize"
        denied = requests.post(url, data={**fields, "decision": "deny"}, allow_redirects=False)
        assert redirected(denied) == {"error": "access_denied", "state": "st-123"}
        allowed = redirected(
            requests.post(url, data={**fields, "decision": "allow"}, allow_redirects=False)
        )
        assert allowed["state"] == "st-123"
        code = allowed["code"]

        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        wrong = token(box, **form, code_verifier=secrets.token_urlsafe(48))
        assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
        elsewhere = token(box, **{**form, "redirect_uri": "http://localhost:9999/cb"})
        assert elsewhere.json() == {"error": "invalid_grant"}
        good = token(box, **form, code_verifier=verifier)
        assert good.status_code == 200, good.text
        answer = good.json()
        assert answer["refresh_token"] and answer["expires_in"] == 1800
        assert set(claims(answer["access_token"])["scope"]) == {*NEEDED.split(), "offline_access"}
        assert call(box, "GET", "/Invoices", answer["access_token"]).status_code == 200
        reused = token(box, **form, code_verifier=verifier)
        assert reused.json() == {"error": "invalid_grant"}  # a code is single-use


def test_auto_consent_redirects_back_and_codes_expire_after_five_minutes(start_sandbox):
    with start_sandbox(xero_app_kind="standard", auto_consent=True) as box:
        verifier, challenge = pkce()
        back = redirected(authorize(box, challenge))
        assert back["state"] == "st-123" and back["code"]
        box.advance_clock(5 * 60 + 1)
        late = token(
            box,
            grant_type="authorization_code",
            code=back["code"],
            redirect_uri=REDIRECT,
            code_verifier=verifier,
        )
        assert late.json() == {"error": "invalid_grant"}

        unregistered = authorize(box, challenge, redirect="http://evil.example/cb")
        assert unregistered.status_code == 400  # shown, never redirected to
        assert "redirect_uri" in unregistered.text
        broad = authorize(box, challenge, scope="accounting.transactions offline_access")
        assert redirected(broad) == {"error": "invalid_scope", "state": "st-123"}
        # without offline_access there is no refresh token
        back = redirected(authorize(box, challenge, scope="accounting.invoices.read"))
        answer = token(
            box,
            grant_type="authorization_code",
            code=back["code"],
            redirect_uri=REDIRECT,
            code_verifier=verifier,
        ).json()
        assert "refresh_token" not in answer and answer["access_token"]
