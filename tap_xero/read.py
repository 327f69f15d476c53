"""One read of Xero's changed documents per run, shared by the streams built from it.

`invoices`, `invoice_lines` and `invoice_changes` all come from one walk of `GET /Invoices`
(and `credit_notes`, `credit_note_lines` from one of `GET /CreditNotes`): a child stream costs
no Xero call. The documents are spooled as JSON lines (on disk when large) and replayed to each
stream, so the run holds one document at a time. No Singer here: streams hand in the fetch.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from qondor_xero.xero.dates import xero_datetime

from .bookmarks import PAGE_SIZE, Replays, iter_changed

SPOOL_IN_MEMORY = 8 << 20  # spooled documents beyond this go to a temporary file

Fetch = Callable[[datetime], Iterable[dict[str, Any]]]


class DocumentRead:
    """Xero documents changed since a start moment, read once, replayable in read order."""

    def __init__(self, fetch: Fetch, id_field: str, nothing_leaves: bool = False) -> None:
        self.fetch = fetch
        self.id_field = id_field
        self.nothing_leaves = nothing_leaves  # iter_changed: read each page once
        self.start: datetime | None = None
        self.replays: Replays | None = None  # the overlap's pairs, when the parent's state has them
        self._file: IO[bytes] | None = None

    @property
    def done(self) -> bool:
        """Whether the read has happened this run."""
        return self._file is not None

    def read(self, start: datetime, replays: Replays | None = None) -> None:
        """Walk Xero from `start` (overlap and keyset paging as `iter_changed`) into the spool;
        a document `replays` says was emitted already, unchanged, is left out."""
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self.replays = replays
        for doc in iter_changed(
            self.fetch,
            start,
            key=lambda d: d.get(self.id_field),
            updated=lambda d: xero_datetime(d.get("UpdatedDateUTC")),
            page_size=PAGE_SIZE,
            replays=replays,
            nothing_leaves=self.nothing_leaves,
        ):
            spool.write(json.dumps(doc).encode("utf-8") + b"\n")
        self.start, self._file = start, spool

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every document read, in read order (oldest change first)."""
        if self._file is None:
            return
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)

    def close(self) -> None:
        """Drop the spool."""
        if self._file is not None:
            self._file.close()
