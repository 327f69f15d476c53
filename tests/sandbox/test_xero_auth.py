"""Xero identity in the sandbox: tokens, rotation of refresh tokens, expiry, tenants."""

from __future__ import annotations

import base64

import requests

XERO_CLIENT_ID = "sandbox-client"
XERO_CLIENT_SECRET = "sandbox-secret"
XERO_TENANT_ID = "00000000-0000-4000-8000-000000000001"


def token(box, **form) -> requests.Response:
    return requests.post(f"{box.identity_url}/connect/token", data=form, timeout=30)


def basic(client_id: str = XERO_CLIENT_ID, secret: str = XERO_CLIENT_SECRET) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def get_accounts(box, access: str, tenant: str | None = XERO_TENANT_ID) -> requests.Response:
    headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
    if tenant is not None:
        headers["xero-tenant-id"] = tenant
    return requests.get(f"{box.xero_api_url}/Accounts", headers=headers, timeout=30)


def test_client_credentials_with_basic_auth_gives_a_30_minute_bearer_token(sandbox):
    response = requests.post(
        f"{sandbox.identity_url}/connect/token",
        data={"grant_type": "client_credentials"},
        headers=basic(),
        timeout=30,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert "refresh_token" not in body
    assert get_accounts(sandbox, body["access_token"]).status_code == 200


def test_client_credentials_in_form_fields_work_too(sandbox):
    response = token(
        sandbox,
        grant_type="client_credentials",
        client_id=XERO_CLIENT_ID,
        client_secret=XERO_CLIENT_SECRET,
    )
    assert response.status_code == 200


def test_wrong_secret_is_invalid_client_and_not_echoed(sandbox):
    response = token(
        sandbox, grant_type="client_credentials", client_id=XERO_CLIENT_ID, client_secret="guess"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}
    assert "guess" not in response.text


def test_unknown_grant_type_is_refused(sandbox):
    response = token(
        sandbox, grant_type="password", client_id=XERO_CLIENT_ID, client_secret=XERO_CLIENT_SECRET
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_connections_lists_the_one_organisation(sandbox):
    response = requests.get(
        f"{sandbox.xero_url}/connections",
        headers={"Authorization": f"Bearer {sandbox.xero_token()}"},
        timeout=30,
    )
    assert response.status_code == 200
    [org] = response.json()
    assert org["tenantId"] == XERO_TENANT_ID
    assert org["tenantType"] == "ORGANISATION"
    assert org["tenantName"] == "Sandbox Org"
    assert {"id", "createdDateUtc", "updatedDateUtc"} <= set(org)


def test_missing_or_unknown_token_is_401_with_xeros_body(sandbox):
    no_token = requests.get(f"{sandbox.xero_api_url}/Accounts", timeout=30)
    bad_token = get_accounts(sandbox, "not-a-token")
    for response in (no_token, bad_token):
        assert response.status_code == 401
        body = response.json()
        assert body["Title"] == "Unauthorized"
        assert body["Status"] == 401
        assert body["Type"] is None


def test_wrong_tenant_is_403_and_custom_connection_may_omit_the_tenant(sandbox):
    access = sandbox.xero_token()
    wrong = get_accounts(sandbox, access, tenant="11111111-1111-4111-8111-111111111111")
    assert wrong.status_code == 403
    assert wrong.json()["Title"] == "Forbidden"
    assert wrong.json()["Detail"] == "AuthenticationUnsuccessful"
    assert get_accounts(sandbox, access, tenant=None).status_code == 200


def test_access_token_expires_after_token_ttl(start_sandbox):
    with start_sandbox(token_ttl=60) as box:
        access = box.xero_token()
        assert get_accounts(box, access).status_code == 200
        box.advance_clock(61)
        expired = get_accounts(box, access)
        assert expired.status_code == 401
        assert expired.json()["Detail"].startswith("TokenExpired")
        assert get_accounts(box, box.xero_token(fresh=True)).status_code == 200


def test_refresh_tokens_rotate_with_a_30_minute_grace(start_sandbox):
    with start_sandbox() as box:
        first = box.mint_refresh_token()
        form = {"client_id": XERO_CLIENT_ID, "client_secret": XERO_CLIENT_SECRET}
        answer = token(box, grant_type="refresh_token", refresh_token=first, **form)
        assert answer.status_code == 200
        second = answer.json()["refresh_token"]
        assert second != first
        access = answer.json()["access_token"]
        # a standard app's token must name the tenant
        assert get_accounts(box, access).status_code == 200
        assert get_accounts(box, access, tenant=None).status_code == 403

        # the response was "lost": the old token still works within 30 minutes, same successor
        box.advance_clock(29 * 60)
        again = token(box, grant_type="refresh_token", refresh_token=first, **form)
        assert again.status_code == 200
        assert again.json()["refresh_token"] == second

        box.advance_clock(2 * 60)
        late = token(box, grant_type="refresh_token", refresh_token=first, **form)
        assert late.status_code == 400
        assert late.json() == {"error": "invalid_grant"}

        third = token(box, grant_type="refresh_token", refresh_token=second, **form)
        assert third.status_code == 200
        assert third.json()["refresh_token"] not in (first, second)


def test_unknown_refresh_token_is_invalid_grant(sandbox):
    answer = token(
        sandbox,
        grant_type="refresh_token",
        refresh_token="never-issued",
        client_id=XERO_CLIENT_ID,
        client_secret=XERO_CLIENT_SECRET,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant"}
