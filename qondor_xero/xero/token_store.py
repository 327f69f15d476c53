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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import XeroAuthError

if TYPE_CHECKING:
    from .token_db import DatabaseTokenStore

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


def is_database_url(value: str) -> bool:
    """Whether a `token_store` setting names a database rather than a file."""
    return value.startswith(DATABASE_PREFIXES)


def open_token_store(
    value: str | os.PathLike[str], client_id: str, tenant_id: str | None
) -> FileTokenStore | DatabaseTokenStore:
    """The store a `token_store` setting names (a database URL or a file path)."""
    text = os.fspath(value)
    if is_database_url(text):
        from .token_db import DatabaseTokenStore  # SQLAlchemy only for a database store

        return DatabaseTokenStore(text, client_id, tenant_id, os.environ.get(KEY_VARIABLE))
    return FileTokenStore(text)
