"""`python -m sandbox serve` as a subprocess: ports, start, wait until healthy, admin calls, stop.

Used by `make demo` (sandbox/demo.py), the test fixtures (tests/conftest.py) and the
benchmark harness (benchmarks/sandbox_proc.py). Standard library only: importing it does not
need the `sandbox` extra (starlette, uvicorn); only the server it starts does.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
# The folder that holds the `sandbox` package: `python -m sandbox` finds it from there even
# when the package is not installed.
PACKAGE_PARENT = Path(__file__).resolve().parents[1]
# Calls to the local sandbox never go through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxError(RuntimeError):
    """The sandbox did not start or answer, or an admin call failed."""


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and not one this process
    was already given: the kernel can hand the same free port to two binds in a row."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (a port in TIME_WAIT counts as free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def serve_flags(flags: Mapping[str, Any]) -> list[str]:
    """`serve` arguments from keywords: `{"no_limits": True, "size": 5}` → `--no-limits --size 5`.

    True gives a bare flag; False and None leave the flag out.
    """
    args: list[str] = []
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args += [flag, str(value)]
    return args


def call_json(
    method: str,
    url: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> Any:
    """One HTTP call with an optional JSON body; the decoded answer (None when empty).

    A non-2xx answer raises SandboxError naming the call, its status and the start of its body.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise SandboxError(f"{method} {url}: {exc.code} {detail}") from None
    return json.loads(raw) if raw.strip() else None


class SandboxProcess:
    """A `python -m sandbox serve` subprocess on 127.0.0.1 with its own database, until stopped.

    Ports left out are picked free. `args` are more `serve` arguments (see `serve_flags`). With
    `detach`, the server runs in its own session: Ctrl-C in the terminal does not reach it, so the
    owner stops it (or leaves it running on purpose). Also a context manager: start on enter,
    stop on exit.
    """

    def __init__(
        self,
        db_path: Path,
        log_path: Path,
        *,
        xero_port: int | None = None,
        qondor_port: int | None = None,
        args: list[str] | None = None,
        detach: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.log_path = Path(log_path)
        self.xero_port = int(xero_port or free_port())
        self.qondor_port = int(qondor_port or free_port())
        self.args = list(args or [])
        self.detach = detach
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None

    @property
    def xero_url(self) -> str:
        """Origin of the Xero half: identity server (`/connect/token`) and admin API."""
        return f"http://{HOST}:{self.xero_port}"

    @property
    def xero_api_url(self) -> str:
        """Base of Xero's Accounting API (`{xero_url}/api.xro/2.0`)."""
        return f"{self.xero_url}/api.xro/2.0"

    @property
    def qondor_url(self) -> str:
        """Origin of the Qondor half."""
        return f"http://{HOST}:{self.qondor_port}"

    def command(self) -> list[str]:
        """The command line that starts this server."""
        return [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--xero-port",
            str(self.xero_port),
            "--qondor-port",
            str(self.qondor_port),
            "--db",
            str(self.db_path),
            *self.args,
        ]

    def start(self, *, timeout: float = 60.0, fresh: bool = False) -> Self:
        """Start the server and wait until both halves answer `/_sandbox/health`.

        `fresh` deletes the database first, so the scenario is seeded anew; otherwise an existing
        database is served as it is (a restart). The server's output is appended to `log_path`.
        Raises SandboxError, with the last lines of that output, if it exits or does not answer
        within `timeout` seconds. Ports picked by `free_port` that another process took in the
        meantime are picked again (twice at most).
        """
        for attempt in range(3):
            before = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                return self._start(timeout=timeout, fresh=fresh)
            except SandboxError:
                taken = (
                    self.log_path.exists()
                    and b"address already in use" in (self.log_path.read_bytes()[before:])
                )
                if not taken or attempt == 2 or not self._repick_ports():
                    raise
        raise AssertionError("unreachable")

    def _repick_ports(self) -> bool:
        """Pick new ports in place of ones `free_port` gave; False if a caller chose them."""
        if not {self.xero_port, self.qondor_port} <= _HANDED_OUT:
            return False
        self.xero_port, self.qondor_port = free_port(), free_port()
        return True

    def _start(self, *, timeout: float, fresh: bool) -> Self:
        for port in (self.qondor_port, self.xero_port):
            if not port_is_free(port):
                raise SandboxError(
                    f"port {port} is already in use (another sandbox? `make sandbox` still "
                    f"running?): stop whatever listens on it, e.g. `lsof -i :{port}`"
                )
        if fresh:
            for path in self.db_path.parent.glob(self.db_path.name + "*"):
                path.unlink()  # the database and its -wal / -shm / -journal files
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PACKAGE_PARENT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.detach,
            )
        for api, base in (("xero", self.xero_url), ("qondor", self.qondor_url)):
            while not self._healthy(base, api, self.process.pid):
                if self.process.poll() is not None:
                    raise SandboxError(
                        f"the sandbox exited with code {self.process.returncode} at start; "
                        f"its last output ({self.log_path}):\n{self.log_tail()}"
                    )
                if time.monotonic() - started > timeout:
                    self.stop()
                    raise SandboxError(
                        f"the sandbox did not answer on {base}/_sandbox/health within "
                        f"{timeout:.0f} s; its last output ({self.log_path}):\n{self.log_tail()}"
                    )
                time.sleep(0.1)
        self.start_seconds = time.monotonic() - started
        return self

    @staticmethod
    def _healthy(base: str, api: str, pid: int) -> bool:
        """Whether this server's `api` half answers on `base`. Another sandbox that took the
        port first also answers there; its pid tells it apart, and this one then exits with
        "address already in use" (and `start` picks new ports)."""
        try:
            with _DIRECT.open(f"{base}/_sandbox/health", timeout=2) as response:
                answer = json.loads(response.read() or b"{}")
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return isinstance(answer, dict) and answer.get("api") == api and answer.get("pid") == pid

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it has not exited within `timeout` s."""
        if not self.running:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server printed, each prefixed `  | `."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            text = []
        return "\n".join(f"  | {line}" for line in text) or "  | (no output)"

    def admin(
        self, base: str, method: str, path: str, body: Any = None, timeout: float = 120.0
    ) -> Any:
        """Call `{base}/_sandbox/{path}`; its JSON answer, SandboxError on a non-2xx status."""
        return call_json(method, f"{base}/_sandbox/{path}", body, timeout=timeout)

    def xero_state(self) -> dict[str, Any]:
        """Every stored Xero object: accounts, currencies, contacts, invoices, creditNotes, payments."""
        return self.admin(self.xero_url, "GET", "state")

    def qondor_state(self) -> dict[str, Any]:
        """Every stored Qondor object."""
        return self.admin(self.qondor_url, "GET", "state")

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
