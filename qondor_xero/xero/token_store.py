"""Where a standard Xero app's rotating tokens are kept between runs, and the lock around a refresh.

`token_store` is a file path (one machine: a 0600 JSON file, atomically replaced, guarded by an
fcntl lock on a sibling `.lock` file) or a database URL (several machines: `postgresql+psycopg://`
or `sqlite:///`, one row per app and tenant, locked with `SELECT ... FOR UPDATE` on PostgreSQL and
an IMMEDIATE transaction on SQLite). Both keep the same interface: `with store.locked(): read(),
write()` reads and replaces the tokens while no other process can.

In a database the tokens are encrypted with Fernet when `QONDOR_XERO_TOKEN_KEY` holds a key
(`Fernet.generate_key()`); a row written without a key is read as plaintext and encrypted at the
next write once a key is set.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .errors import XeroAuthError

KEY_VARIABLE = "QONDOR_XERO_TOKEN_KEY"
DATABASE_PREFIXES = ("postgresql", "postgres://", "sqlite:")


class FileTokenStore:
    """The newest tokens of one Xero app connection, kept in a 0600 JSON file."""

    encrypted = False

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.description = str(self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cross-process lock of this store (blocks while another process holds it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read(self) -> dict[str, Any]:
        """Return the stored tokens ({} when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise XeroAuthError(f"Xero token store {self.path} is not valid JSON") from None
        if not isinstance(data, dict):
            raise XeroAuthError(f"Xero token store {self.path} does not hold a JSON object")
        return data

    def write(self, data: dict[str, Any]) -> None:
        """Replace the store atomically with `data`; the file is created 0600."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class Cipher:
    """Fernet encryption of the stored tokens, or plaintext without a key."""

    def __init__(self, key: str | None):
        self._fernet = None
        if key:
            from cryptography.fernet import Fernet

            try:
                self._fernet = Fernet(key.strip().encode())
            except ValueError:
                raise XeroAuthError(
                    f"{KEY_VARIABLE} is not a Fernet key (32 url-safe base64-encoded bytes, "
                    "e.g. from `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`)"
                ) from None

    @property
    def active(self) -> bool:
        """Whether tokens are encrypted when written."""
        return self._fernet is not None

    def seal(self, data: dict[str, Any]) -> tuple[str, bool]:
        """(text to store, whether it is encrypted)."""
        text = json.dumps(data)
        if self._fernet is None:
            return text, False
        return self._fernet.encrypt(text.encode()).decode(), True

    def open(self, text: str, encrypted: bool, where: str) -> dict[str, Any]:
        """The tokens from stored `text`; one clear line when the key is missing or wrong."""
        if encrypted:
            if self._fernet is None:
                raise XeroAuthError(
                    f"Xero token store {where} is encrypted: set {KEY_VARIABLE} to its key"
                )
            from cryptography.fernet import InvalidToken

            try:
                text = self._fernet.decrypt(text.encode()).decode()
            except InvalidToken:
                raise XeroAuthError(
                    f"Xero token store {where}: {KEY_VARIABLE} does not decrypt the stored "
                    "tokens (they were encrypted with another key)"
                ) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise XeroAuthError(f"Xero token store {where} holds a row that is not JSON") from None
        return data if isinstance(data, dict) else {}


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


def is_database_url(value: str) -> bool:
    """Whether a `token_store` setting names a database rather than a file."""
    return value.startswith(DATABASE_PREFIXES)


def open_token_store(
    value: str | os.PathLike[str], client_id: str, tenant_id: str | None
) -> FileTokenStore | DatabaseTokenStore:
    """The store a `token_store` setting names (a database URL or a file path)."""
    text = os.fspath(value)
    if is_database_url(text):
        return DatabaseTokenStore(text, client_id, tenant_id, os.environ.get(KEY_VARIABLE))
    return FileTokenStore(text)
