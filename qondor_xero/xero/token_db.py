"""A standard Xero app's tokens in a database: one row per app and tenant (see `token_store`).

Its own module so that SQLAlchemy is imported only by a run whose `token_store` is a database URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .errors import XeroAuthError
from .token_store import Cipher


class DatabaseTokenStore:
    """One row per (client id, tenant) in table `qondor_xero_tokens` of any SQLAlchemy database."""

    def __init__(self, url: str, client_id: str, tenant_id: str | None, key: str | None = None):
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise XeroAuthError("token_store is not a valid database URL") from None
        self.description = parsed.render_as_string(hide_password=True)
        self._password = parsed.password or ""
        self.client_id = client_id
        self.tenant_id = tenant_id or ""
        self.cipher = Cipher(key)
        self.encrypted = self.cipher.active
        try:
            self.engine = sa.create_engine(parsed)
        except (ImportError, sa.exc.ArgumentError) as exc:
            raise XeroAuthError(
                f"token_store {self.description}: {self._safe(exc)} (a PostgreSQL store needs "
                "`pip install qondor-xero[postgres]`)"
            ) from None
        if parsed.get_backend_name() == "sqlite":
            _immediate_transactions(self.engine)
        self.table = TABLE
        self._conn: Any = None  # the connection holding the row lock, inside locked()
        self._ready = False

    def _safe(self, exc: BaseException) -> str:
        """An error's first line without the database password."""
        orig = getattr(exc, "orig", None) or exc
        text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return text.replace(self._password, "***") if self._password else text

    def _fail(self, exc: BaseException) -> XeroAuthError:
        return XeroAuthError(f"Xero token store {self.description}: {self._safe(exc)}")

    def _create_table(self) -> None:
        if self._ready:
            return
        try:
            self.table.metadata.create_all(self.engine, checkfirst=True)
        except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
            # Another process created it at the same moment.
            if not sa.inspect(self.engine).has_table(self.table.name):
                raise
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None
        self._ready = True

    def _where(self) -> Any:
        t = self.table
        return (t.c.client_id == self.client_id) & (t.c.tenant_id == self.tenant_id)

    def _resolve_tenant(self, conn: Any) -> None:
        """No tenant_id set: use the app's only stored tenant, as `connect` stored it."""
        if self.tenant_id:
            return
        t = self.table
        rows = conn.execute(sa.select(t.c.tenant_id).where(t.c.client_id == self.client_id)).all()
        if len(rows) == 1:
            self.tenant_id = rows[0].tenant_id

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """A transaction holding this app and tenant's row locked until it ends."""
        self._create_table()
        try:
            with self.engine.begin() as conn:
                self._resolve_tenant(conn)
                stmt = _insert(self.engine, self.table).values(
                    client_id=self.client_id, tenant_id=self.tenant_id, tokens="{}"
                )
                conn.execute(stmt.on_conflict_do_nothing())
                conn.execute(
                    sa.select(self.table.c.client_id).where(self._where()).with_for_update()
                )
                self._conn = conn
                try:
                    yield
                finally:
                    self._conn = None
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    def _row(self, conn: Any) -> Any:
        return conn.execute(sa.select(self.table).where(self._where())).first()

    def read(self) -> dict[str, Any]:
        """The stored tokens of this app and tenant ({} when none)."""
        self._create_table()
        try:
            if self._conn is not None:
                row = self._row(self._conn)
            else:
                with self.engine.connect() as conn:
                    self._resolve_tenant(conn)
                    row = self._row(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None
        if row is None:
            return {}
        return self.cipher.open(row.tokens, bool(row.encrypted), self.description)

    def stored_plaintext(self) -> bool:
        """Whether this app and tenant's row holds tokens unencrypted."""
        if not self.read():
            return False
        with self.engine.connect() as conn:
            row = self._row(conn)
        return row is not None and not row.encrypted

    def write(self, data: dict[str, Any]) -> None:
        """Replace the tokens (inside `locked()`: in its transaction; else in one of its own)."""
        if self._conn is None:
            with self.locked():
                self._update(self._conn, data)
            return
        self._update(self._conn, data)

    def _update(self, conn: Any, data: dict[str, Any]) -> None:
        text, encrypted = self.cipher.seal(data)
        conn.execute(
            self.table.update()
            .where(self._where())
            .values(tokens=text, encrypted=encrypted, updated_at=datetime.now(UTC))
        )


TABLE = sa.Table(
    "qondor_xero_tokens",
    sa.MetaData(),
    sa.Column("client_id", sa.String(200), primary_key=True),
    sa.Column("tenant_id", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Text, nullable=False),
    sa.Column("encrypted", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)


def _insert(engine: Any, table: Any) -> Any:
    """The dialect's INSERT that has `on_conflict_do_nothing`."""
    dialects = {"postgresql": postgresql, "sqlite": sqlite}
    if engine.dialect.name not in dialects:
        raise XeroAuthError(
            f"token_store: {engine.dialect.name} is not supported; "
            "use postgresql+psycopg:// or sqlite:///"
        )
    return dialects[engine.dialect.name].insert(table)


def _immediate_transactions(engine: Any) -> None:
    """SQLite has no row locks: take the write lock when a transaction begins (SQLAlchemy's
    documented recipe for pysqlite)."""

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
