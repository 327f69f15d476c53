"""The sensors' cheap question, asked with the project's own clients: is there work?

- Qondor: does the queue hold an item in this mapping's offices and projects (one GET, the same
  queue read a run starts with)?
- Xero: has any invoice changed since the payment bookmark (one GET /Invoices with
  If-Modified-Since and summaryOnly)?

Settings come from Meltano once per customer (`meltano invoke --dump=config target-xero`, a
few CPU-seconds) and are kept until the project's or the environment's file changes; clients
are kept too, so their pacers, access tokens and tenant ids live across sensor ticks.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qondor_xero.mapping import Mapping, load_mapping
from qondor_xero.qondor import QondorClient, contract
from qondor_xero.validate import settings_from_environment
from qondor_xero.xero.client import XeroClient
from tap_xero.bookmarks import as_utc

from .customers import Customer

PAYMENT_STATE_ID = "{environment}:tap-xero-to-target-qondor"
DEFAULT_TYPES = frozenset(contract.InvoiceType)  # tap-qondor's default include_types: all five


@dataclass(frozen=True)
class Work:
    """What a check found: queued items for this customer, and whether Xero changed."""

    queued: int
    xero_changed: bool
    why: str

    @property
    def any(self) -> bool:
        """Whether a run has something to do."""
        return bool(self.queued or self.xero_changed)

    @property
    def meltano_job(self) -> str:
        """The cheapest Meltano job that does it: payments alone when Qondor has nothing."""
        return "qondor-xero-sync" if self.queued else "payment-sync"


@dataclass
class _Kept:
    stamp: tuple[float, ...]
    settings: dict[str, Any]
    mapping: Mapping | None
    mapping_stamp: float
    qondor: QondorClient
    xero: XeroClient


class Checker:
    """Asks each customer's partners whether there is work; one per code location process."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        read_settings: Callable[[str, Path], dict[str, Any]] = settings_from_environment,
    ) -> None:
        self.project_dir = Path(project_dir)
        self._read_settings = read_settings
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()
        self._engines: dict[str, Any] = {}

    def find_work(self, customer: Customer) -> Work:
        """Ask Qondor first (a queued item settles it), then Xero; partner errors propagate."""
        kept = self._for(customer)
        queued = self._queued(kept)
        if queued:
            return Work(queued, False, f"{queued} item(s) queued in Qondor")
        bookmark = self.payment_bookmark(customer.environment)
        if bookmark is None:
            return Work(0, True, "no payment bookmark yet: the first payment sync is due")
        if self._xero_changed_since(kept, bookmark):
            return Work(0, True, f"Xero invoices changed since {bookmark:%Y-%m-%d %H:%M:%S} UTC")
        return Work(0, False, "nothing queued in Qondor, no Xero invoice changed")

    # --- Qondor --------------------------------------------------------------------------

    def _queued(self, kept: _Kept) -> int:
        """Items the run would emit (stops reading at the first one: the answer is spooled)."""
        for item in kept.qondor.iter_unprocessed_invoices():
            if item.get("invoiceType") not in DEFAULT_TYPES:
                continue
            if kept.mapping and not kept.mapping.includes(
                item.get("officeId"), item.get("projectId")
            ):
                continue
            return 1
        return 0

    # --- Xero ----------------------------------------------------------------------------

    def _xero_changed_since(self, kept: _Kept, bookmark: datetime) -> bool:
        """Whether an invoice's UpdatedDateUTC is after the bookmark (If-Modified-Since, one page)."""
        from qondor_xero.xero.dates import parse_xero_date

        since = bookmark.replace(microsecond=0)
        for invoice in kept.xero.iter_invoices(modified_since=since, summary_only=True):
            updated = invoice.get("UpdatedDateUTC")
            if updated and as_utc(parse_xero_date(updated)) > bookmark:
                return True
        return False

    def payment_bookmark(self, environment: str) -> datetime | None:
        """The payment sync's bookmark in Meltano's system database, or None before its first run."""
        state_id = PAYMENT_STATE_ID.format(environment=environment)
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            with self._engine().connect() as connection:
                row = connection.execute(
                    text("SELECT completed_state FROM state WHERE state_id = :id"), {"id": state_id}
                ).first()
        except (OperationalError, ProgrammingError):  # no system database or no state table yet
            return None
        if not row or not row[0]:
            return None
        state = json.loads(row[0]) if isinstance(row[0], str) else row[0]
        bookmarks = (state.get("singer_state") or {}).get("bookmarks") or {}
        value = (bookmarks.get("invoices") or {}).get("replication_key_value")
        return as_utc(datetime.fromisoformat(value)) if value else None

    def _engine(self) -> Any:
        """An engine on Meltano's system database (as `meltano` itself would find it)."""
        uri = os.environ.get("MELTANO_DATABASE_URI") or (
            f"sqlite:///{self.project_dir / '.meltano' / 'meltano.db'}"
        )
        with self._lock:
            if uri not in self._engines:
                from sqlalchemy import create_engine

                self._engines[uri] = create_engine(uri, pool_pre_ping=True, pool_size=2)
            return self._engines[uri]

    # --- settings and clients, kept across ticks ------------------------------------------

    def _for(self, customer: Customer) -> _Kept:
        stamp = self._stamp(customer)
        with self._lock:
            kept = self._kept.get(customer.environment)
        if kept and kept.stamp == stamp and kept.mapping_stamp == _mtime(kept.mapping):
            return kept
        settings = self._read_settings(customer.environment, self.project_dir)
        mapping_file = settings.get("mapping_file")
        mapping = load_mapping(mapping_file) if mapping_file else None
        kept = _Kept(
            stamp,
            settings,
            mapping,
            _mtime(mapping),
            QondorClient(settings["qondor_api_url"], settings["qondor_api_key"]),
            XeroClient(
                settings["api_url"],
                settings["identity_url"],
                settings["client_id"],
                settings["client_secret"],
                tenant_id=settings.get("tenant_id") or None,
                token_store=settings.get("token_store") or None,
                refresh_token=settings.get("refresh_token") or None,
            ),
        )
        with self._lock:
            old = self._kept.get(customer.environment)
            self._kept[customer.environment] = kept
        if old:
            old.qondor.close()
        return kept

    def _stamp(self, customer: Customer) -> tuple[float, ...]:
        """When the files that decide a customer's settings last changed."""
        files = [self.project_dir / "meltano.yml", customer.source]
        return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in files)

    def secrets(self, environment: str) -> list[str]:
        """The customer's secret values known here (for redaction), empty before its first check."""
        kept = self._kept.get(environment)
        if not kept:
            return []
        names = ("client_secret", "qondor_api_key", "refresh_token")
        return [str(kept.settings[n]) for n in names if kept.settings.get(n)]


def _mtime(mapping: Mapping | None) -> float:
    """When the mapping file last changed (0 without one)."""
    path = Path(mapping.path) if mapping else None
    return path.stat().st_mtime if path and path.exists() else 0.0
