"""Fixtures every test can use: the local sandbox (Qondor and Xero APIs) and Xero's OpenAPI spec.

- `sandbox` (session): one server started with `python -m sandbox serve --no-limits --scenario
  empty` on free ports and a temp database. Tests that need known data call `sandbox.reset(...)`
  first; tests must not rely on what another test left behind.
- `start_sandbox(**flags)`: a factory of private servers with other flags, used as a context
  manager: `with start_sandbox(xero_rate_per_minute=3) as box: ...`.
- `xero_openapi` (session): Xero's OpenAPI description loaded once, with `.check(response)` to
  validate a sandbox answer against it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from sandbox.process import SandboxProcess, free_port, serve_flags
from sandbox.spec_file import missing_spec_reason, openapi_spec_path

XERO_SPEC_SERVER = "https://api.xero.com/api.xro/2.0"

XERO_CLIENT_ID = "sandbox-client"
XERO_CLIENT_SECRET = "sandbox-secret"
XERO_TENANT_ID = "00000000-0000-4000-8000-000000000001"
QONDOR_KEY = "sandbox-qondor-key"

# Flags that set a limit: passing one to start_sandbox() means "real limits" unless no_limits
# is given explicitly.
LIMIT_FLAGS = {
    "xero_rate_per_minute",
    "xero_concurrency",
    "xero_daily_limit",
    "xero_app_rate_per_minute",
    "xero_window_seconds",
    "qondor_rate_per_second",
    "qondor_daily_limit",
}


class SandboxServer(SandboxProcess):
    """A running `python -m sandbox serve` subprocess and helpers to drive its admin API.

    Attributes: `xero_url` (origin), `xero_api_url` (origin + /api.xro/2.0), `identity_url`
    (origin; the token endpoint is `{identity_url}/connect/token`), `qondor_url`, `db_path`,
    `log_path`, `flags` (the settings it was started with), `http` (a requests session).
    Lifecycle (`start`, `stop`, `log_tail`), `admin` and the `*_state` calls come from
    sandbox.process.SandboxProcess.
    """

    def __init__(self, workdir: Path, **flags: Any) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.flags = {"scenario": "empty", **flags}
        super().__init__(
            Path(self.flags.pop("db", None) or workdir / "sandbox.db"),
            workdir / "sandbox.log",
            xero_port=self.flags.pop("xero_port", None),
            qondor_port=self.flags.pop("qondor_port", None),
            args=serve_flags(self.flags),
        )
        self.identity_url = self.xero_url
        self.http = requests.Session()
        self._token: str | None = None

    # ---------------------------------------------------------------- admin API

    def reset(self, scenario: str = "empty", seed: int = 1, size: int | None = None) -> None:
        """Empty both APIs (data, request logs, faults, rate-limit counts) and seed a scenario."""
        body = {"scenario": scenario, "seed": seed, "size": size}
        self.admin(self.xero_url, "POST", "reset", body)
        self.admin(self.qondor_url, "POST", "reset")
        self.admin(self.qondor_url, "POST", "seed", body)
        self.admin(self.qondor_url, "DELETE", "requests")
        self.admin(self.qondor_url, "DELETE", "faults")

    def xero_requests(self, clear: bool = False) -> list[dict[str, Any]]:
        """The Xero request log (method, path, query, status, time, tenant), optionally clearing it."""
        return self.admin(self.xero_url, "GET", f"requests?clear={str(clear).lower()}")["requests"]

    def qondor_requests(self, clear: bool = False) -> list[dict[str, Any]]:
        """The Qondor request log, optionally clearing it."""
        return self.admin(self.qondor_url, "GET", f"requests?clear={str(clear).lower()}")[
            "requests"
        ]

    def xero_fault(self, rule: dict[str, Any]) -> None:
        """Add a Xero fault rule, e.g. `{"method": "PUT", "path": "/api.xro/2.0/Invoices",
        "status": 503, "count": 1}` or `{"path": "...", "drop": True}` (see sandbox/README.md)."""
        self.admin(self.xero_url, "POST", "faults", rule)

    def qondor_fault(self, rule: dict[str, Any]) -> None:
        """Add a Qondor fault rule (same format as `xero_fault`)."""
        self.admin(self.qondor_url, "POST", "faults", rule)

    def clear_faults(self) -> None:
        """Remove every fault rule of both APIs."""
        self.admin(self.xero_url, "DELETE", "faults")
        self.admin(self.qondor_url, "DELETE", "faults")

    def pay(self, invoices: list[str], date: str | None = None) -> list[dict[str, Any]]:
        """Pay Xero invoices (InvoiceIDs or InvoiceNumbers) in full into account 090; the payments."""
        body: dict[str, Any] = {"invoices": list(invoices)}
        if date:
            body["date"] = date
        return self.admin(self.xero_url, "POST", "pay", body)["payments"]

    def xero_seed(self, **objects: Any) -> dict[str, int]:
        """Add Xero objects in Xero's shapes (accounts, currencies, contacts, invoices, creditNotes)."""
        return self.admin(self.xero_url, "POST", "seed", objects)["seeded"]

    def mint_refresh_token(self) -> str:
        """A refresh token as if a user had just connected a standard app."""
        return self.admin(self.xero_url, "POST", "refresh-tokens", {})["refresh_token"]

    def advance_clock(self, seconds: float) -> None:
        """Move the Xero identity clock forward (token expiry, refresh grace, idempotency)."""
        self.admin(self.xero_url, "POST", "clock", {"advance_seconds": seconds})
        self._token = None  # the cached access token may have expired on the moved clock

    # ---------------------------------------------------------------- settings for plugins

    def xero_config(self) -> dict[str, str]:
        """Settings for target-xero / tap-xero pointing at this sandbox."""
        return {
            "api_url": self.xero_api_url,
            "identity_url": self.identity_url,
            "client_id": XERO_CLIENT_ID,
            "client_secret": self.flags.get("xero_client_secret", XERO_CLIENT_SECRET),
            "tenant_id": self.flags.get("xero_tenant_id", XERO_TENANT_ID),
        }

    def qondor_config(self) -> dict[str, str]:
        """Settings for tap-qondor / target-qondor pointing at this sandbox."""
        return {"api_url": self.qondor_url, "api_key": self.flags.get("qondor_key", QONDOR_KEY)}

    # ---------------------------------------------------------------- raw Xero calls for tests

    def xero_token(self, fresh: bool = False) -> str:
        """An access token from client credentials (cached unless `fresh`)."""
        if self._token is None or fresh:
            basic = base64.b64encode(f"{XERO_CLIENT_ID}:{XERO_CLIENT_SECRET}".encode()).decode()
            response = self.http.post(
                f"{self.identity_url}/connect/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
                timeout=30,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def xero(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call to the Accounting API (`path` like `/Invoices`) with token and tenant headers."""
        headers = {
            "Authorization": f"Bearer {self.xero_token()}",
            "xero-tenant-id": XERO_TENANT_ID,
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        return self.http.request(
            method, self.xero_api_url + path, headers=headers, timeout=60, **kwargs
        )


@pytest.fixture(autouse=True)
def _own_pacing_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test's runs share Xero's minute budget with each other, not with other tests whose
    sandboxes once had the same port (see qondor_xero.xero.pacing.budget_file)."""
    monkeypatch.setenv("QX_PACING_DIR", str(tmp_path_factory.mktemp("pacing")))


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a server that cannot be reached)."""
    return free_port()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """The shared sandbox (no limits, scenario "empty"); call `.reset(...)` before relying on data."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"), no_limits=True).start()
    yield server
    server.stop()


@pytest.fixture
def start_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., contextlib.AbstractContextManager[SandboxServer]]]:
    """A factory of private sandboxes: `with start_sandbox(xero_daily_limit=3) as box: ...`.

    Keyword arguments are `serve` flags with underscores (`scenario`, `size`, `seed`,
    `token_ttl`, `xero_rate_per_minute`, `xero_window_seconds`, `openapi_strict`, ...).
    `no_limits` defaults to True unless a limit flag is given. Servers still running at the end
    of the test are stopped.
    """
    started: list[SandboxServer] = []

    @contextlib.contextmanager
    def factory(**flags: Any) -> Iterator[SandboxServer]:
        if flags.get("openapi_strict"):
            require_openapi_spec()
        flags.setdefault("no_limits", not (LIMIT_FLAGS & set(flags)))
        server = SandboxServer(tmp_path_factory.mktemp("private-sandbox"), **flags)
        started.append(server)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    yield factory
    for server in started:
        server.stop()


class XeroOpenAPI:
    """Xero's OpenAPI description; `check(response)` validates a sandbox answer against it."""

    def __init__(self, path: Path) -> None:
        from sandbox.xero.openapi import OpenAPISpec

        # Loaded as the sandbox's --openapi-strict loads it (without checking the spec itself).
        self.spec = OpenAPISpec(path).spec

    def errors(self, response: requests.Response) -> list[str]:
        """Why a sandbox response does not fit the spec (empty when it fits)."""
        from openapi_core.datatypes import RequestParameters

        request = response.request
        url = urlsplit(request.url)
        path = url.path
        if path.startswith("/api.xro/2.0"):
            path = path[len("/api.xro/2.0") :]
        body = request.body.encode() if isinstance(request.body, str) else request.body

        class _Request:
            host_url = "https://api.xero.com"
            method = request.method.lower()
            content_type = request.headers.get("Content-Type", "application/json")
            parameters = RequestParameters(
                query=_query(url.query), header=dict(request.headers), cookie={}, path={}
            )

        _Request.path = "/api.xro/2.0" + path
        _Request.body = body

        class _Response:
            status_code = response.status_code
            content_type = response.headers.get("Content-Type", "application/json").split(";")[0]
            headers = dict(response.headers)
            data = response.content

        from openapi_core.templating.paths.exceptions import PathNotFound

        try:
            self.spec.validate_response(_Request(), _Response())
        except PathNotFound as exc:
            return [f"no such path in the spec: {exc}"]
        except Exception as exc:  # openapi-core raises one error naming the first problem
            from sandbox.xero.openapi import explain

            return [explain(exc)]
        return []

    def check(self, response: requests.Response) -> Any:
        """Assert the response fits Xero's spec; return its JSON."""
        problems = self.errors(response)
        assert not problems, f"{response.request.method} {response.request.url}: {problems}"
        return response.json()


def _query(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text, keep_blank_values=True))


@pytest.fixture(scope="session")
def xero_openapi() -> XeroOpenAPI:
    """Xero's accounting OpenAPI spec, loaded once per session (about two seconds)."""
    return XeroOpenAPI(require_openapi_spec())


@dataclass(frozen=True)
class PostgresDatabase:
    """A fresh, empty database on the test PostgreSQL server, dropped after the test."""

    name: str
    url: str  # postgresql://user:password@host:port/name

    @property
    def sqlalchemy_url(self) -> str:
        """The same database as SQLAlchemy names it with the psycopg (3) driver."""
        return self.url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def postgres_database() -> Iterator[PostgresDatabase]:
    """A new database on the server `QX_TEST_POSTGRES_URL` names (`.ci/run` starts one with
    `.ci/postgres.sh`); skips with one line where there is none, fails where `CI` is set."""
    server = os.environ.get("QX_TEST_POSTGRES_URL")
    reason = None
    if not server:
        reason = (
            "no PostgreSQL server: set QX_TEST_POSTGRES_URL (e.g. from `sudo bash .ci/postgres.sh`)"
        )
    else:
        import psycopg

        try:
            admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            reason = f"PostgreSQL at QX_TEST_POSTGRES_URL refused the connection: {str(exc).strip().splitlines()[0]}"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"qx_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(server)
        try:
            yield PostgresDatabase(name, parts._replace(path=f"/{name}").geturl())
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def require_openapi_spec() -> Path:
    """The spec's path; without it the test skips saying how to get it (fails where CI is set:
    our CI has the spec and must not silently lose the checks against it)."""
    reason = missing_spec_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return openapi_spec_path()


def as_json(data: Any) -> str:
    """Compact JSON (handy in assertion messages)."""
    return json.dumps(data, separators=(",", ":"), default=str)
