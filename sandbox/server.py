"""Runs both fake APIs in one process: two uvicorn servers on one asyncio loop, one SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn

from sandbox.common.faults import ConnectionDropped
from sandbox.common.settings import Settings
from sandbox.db import Database

log = logging.getLogger("sandbox")


class _HideDroppedConnections(logging.Filter):
    """Keeps uvicorn from printing a traceback for connections a fault rule dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def build_apps(settings: Settings, db: Database) -> dict[str, Any]:
    """The ASGI apps to serve, by name ("xero", and "qondor" once sandbox.qondor.app exists)."""
    from sandbox.xero.app import create_app as create_xero_app

    apps: dict[str, Any] = {"xero": create_xero_app(settings, db)}
    try:
        qondor = importlib.import_module("sandbox.qondor.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("sandbox.qondor", "sandbox.qondor.app"):
            raise
        log.info("Qondor API not available yet (no sandbox.qondor.app): serving Xero only")
    else:
        apps["qondor"] = qondor.create_app(settings, db)
    return apps


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `_serve_all` (two share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: `_serve_all` stops every server on SIGINT/SIGTERM."""
        yield


async def _serve_all(settings: Settings, apps: dict[str, Any], log_level: str) -> None:
    ports = {"xero": settings.xero_port, "qondor": settings.qondor_port}
    servers = []
    for name, app in apps.items():
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=ports[name],
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        servers.append(_QuietServer(config))

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    for name in apps:
        log.info("%s API on http://%s:%d", name.capitalize(), settings.host, ports[name])
    await asyncio.gather(*(server.serve() for server in servers))


def serve(settings: Settings, log_level: str = "warning") -> int:
    """Open the database, build the apps and serve until interrupted."""
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    db = Database(settings.db_path)
    apps = build_apps(settings, db)
    log.info("database %s%s", settings.db_path, " (no limits)" if settings.no_limits else "")
    try:
        asyncio.run(_serve_all(settings, apps, log_level))
    except KeyboardInterrupt:
        return 0
    except SystemExit as exc:  # uvicorn exits when a port cannot be bound
        log.error("sandbox: could not start (is a port in use?), exit code %s", exc.code)
        return 1
    return 0
