"""`/identity/connect/authorize`: the page where a person lets a standard app into their Xero.

As at Xero: a bad `client_id` or an unregistered `redirect_uri` is shown as an error page (never
redirected to); every other problem, and the person's answer, goes back to the redirect URI with
`error=...` or a one-time `code`, and always the `state` the app sent. With `--auto-consent`
the sandbox consents at once, so tests and scripts need no browser.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.xero import scopes

AUTHORIZE_PATH = "/identity/connect/authorize"
FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _error_page(message: str) -> HTMLResponse:
    body = f"<!doctype html><title>Xero</title><h1>Sorry, something went wrong</h1><p>{escape(message)}</p>"
    return HTMLResponse(body, 400)


def _back(redirect_uri: str, **params: str) -> RedirectResponse:
    """302 to the app's redirect URI with `params` (empty ones left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{query}", 302)


def _consent_page(request: dict[str, str], granted: list[str], org: str) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{escape(request.get(k, ""))}">' for k in FIELDS
    )
    items = "".join(f"<li>{escape(s)}</li>" for s in granted)
    body = (
        "<!doctype html><title>Xero: allow access</title>"
        f"<h1>{escape(request['client_id'])} wants access to {escape(org)}</h1>"
        f"<ul>{items}</ul>"
        f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}'
        '<button name="decision" value="allow">Allow access</button> '
        '<button name="decision" value="deny">Cancel</button></form>'
    )
    return HTMLResponse(body)


async def authorize(request: Request) -> Response:
    """GET shows the consent page (or consents at once); POST is the person's answer."""
    sandbox = request.app.state.sandbox
    settings = sandbox.settings
    if request.method == "POST":
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        fields = {k: (form.get(k) or [""])[-1] for k in (*FIELDS, "decision")}
    else:
        fields = {k: request.query_params.get(k, "") for k in FIELDS}
    if fields["client_id"] != settings.xero_client_id or settings.xero_app_kind == "custom":
        return _error_page("Invalid client_id: this app cannot be connected this way.")
    redirect_uri = fields["redirect_uri"]
    if redirect_uri not in settings.xero_redirect_uris.split():
        return _error_page(
            "Invalid redirect_uri: it does not match any redirect URI registered for this app."
        )
    state = fields["state"]
    if fields["response_type"] != "code":
        return _back(redirect_uri, error="unsupported_response_type", state=state)
    method = fields["code_challenge_method"]
    if fields["code_challenge"] and method != "S256":
        return _back(redirect_uri, error="invalid_request", state=state)
    requested = scopes.parse(fields["scope"])
    if not requested or sandbox.identity.invalid_scopes(requested):
        return _back(redirect_uri, error="invalid_scope", state=state)
    if request.method == "GET" and not settings.auto_consent:
        return _consent_page(fields, requested, settings.xero_tenant_name)
    if request.method == "POST" and fields.get("decision") != "allow":
        return _back(redirect_uri, error="access_denied", state=state)
    code = await run_in_threadpool(
        sandbox.identity.issue_code,
        fields["client_id"],
        redirect_uri,
        requested,
        fields["code_challenge"],
    )
    return _back(redirect_uri, code=code, scope=" ".join(requested), state=state)


def consent_routes() -> list[Route]:
    """The authorize endpoint (GET and the consent form's POST)."""
    return [Route(AUTHORIZE_PATH, authorize, methods=["GET", "POST"])]
