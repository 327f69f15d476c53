"""What every tap-qondor stream shares: the run's one read of Qondor's queue, and its customers."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException
from singer_sdk.helpers.types import Context
from singer_sdk.streams import Stream
from typing_extensions import override

from qondor_xero.mapping import Mapping
from qondor_xero.qondor import QondorClient, QondorError, contract
from qondor_xero.qondor.contract import InvoiceType
from tap_qondor.records import place_null_objects

# How the SDK stops a stream at `--test`'s record limit: no error of ours.
STOPPED_BY_TEST = (AbortedSyncFailedException, AbortedSyncPausedException)
# Not logged as the SDK's "unhandled error" line either: a Qondor fault, which the tap reports
# in one line of its own (tap.py `invoke`).
QUIET = (*STOPPED_BY_TEST, QondorError)

if TYPE_CHECKING:
    from tap_qondor.tap import TapQondor

SPOOL_IN_MEMORY = 8 << 20  # spooled items or customers beyond this go to disk


class LineSpool:
    """JSON texts, one a line, in a temporary file (on disk past SPOOL_IN_MEMORY), read by position."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self.starts = array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def append(self, text: str) -> None:
        """Add one JSON text (json.dumps: never a line break inside)."""
        self.file.seek(0, 2)
        self.starts.append(self.file.tell())
        self.file.write(text.encode("utf-8") + b"\n")

    def load(self, index: int) -> Any:
        """The value of the index-th text (each read seeks: two readers may interleave)."""
        self.file.seek(self.starts[index])
        return json.loads(self.file.readline())

    def close(self) -> None:
        """Remove the file."""
        self.file.close()


class QueueSnapshot:
    """The queue as read once at the start of a run, filtered by mapping and `include_types`.

    Qondor answers with the whole queue at once; its kept items (and later the customers they
    name) are spooled as JSON lines to temporary files, on disk when large, and parsed again as
    each stream emits them: the run holds one item at a time rather than the whole queue.
    """

    def __init__(
        self,
        client: QondorClient,
        mapping: Mapping | None,
        include_types: Iterable[str],
        logger: logging.Logger,
    ):
        self.client = client
        self.mapping = mapping
        self.include_types = {InvoiceType[name] for name in include_types}
        self.logger = logger
        self._items: LineSpool | None = None
        self._types = bytearray()  # each kept item's invoiceType
        # customerId → invoice numbers of the kept items that name it, in queue order
        self._named: dict[int, list[str]] = {}
        self._customers: LineSpool | None = None
        self._office_names: dict[int, str | None] | None = None

    def read(self) -> int:
        """Read the queue (once): spool the items that pass the filters; how many were kept."""
        if self._items is not None:
            return len(self._items)
        spool = LineSpool()
        queued = 0
        skipped = {"type": 0, "filter": 0}
        try:
            for item in self.client.iter_unprocessed_invoices():
                queued += 1
                kind = invoice_kind(item)
                if kind is None:
                    self.logger.warning(
                        "Qondor item %s (invoice %s): unknown invoiceType %r, not emitted",
                        item.get("id"),
                        item.get("invoiceNumber"),
                        item.get("invoiceType"),
                    )
                    continue
                if InvoiceType(item["invoiceType"]) not in self.include_types:
                    skipped["type"] += 1
                    continue
                if self.mapping and not self.mapping.includes(
                    item.get("officeId"), item.get("projectId")
                ):
                    skipped["filter"] += 1
                    continue
                spool.append(json.dumps(item, ensure_ascii=False))
                self._types.append(item["invoiceType"])
                if item.get("customerId") is not None:
                    self._named.setdefault(item["customerId"], []).append(
                        str(item.get("invoiceNumber"))
                    )
        except BaseException:
            spool.close()
            raise
        self._items = spool
        self.logger.info(
            "Qondor queue: %d items, %d emitted, %d left out by include_types, "
            "%d by the office/project filters",
            queued,
            len(spool),
            skipped["type"],
            skipped["filter"],
        )
        return len(spool)

    def items_of(self, types: Iterable[InvoiceType]) -> Iterator[dict[str, Any]]:
        """The kept items of the given types, in queue order, each with `invoiceKind`."""
        self.read()
        assert self._items is not None
        wanted = {int(t) for t in types}
        for index, kind in enumerate(self._types):
            if kind in wanted:
                item = self._items.load(index)
                item["invoiceKind"] = contract.INVOICE_KINDS[InvoiceType(kind)]
                if self.mapping and self.mapping.needs_office_names:
                    item["officeName"] = self.office_names().get(item.get("officeId"))
                yield item

    def office_names(self) -> dict[int, str | None]:
        """Office id → name (one read of Qondor's offices), for tracking and branding by office."""
        if self._office_names is None:
            self._office_names = {o["id"]: o.get("name") for o in self.client.get_offices()}
        return self._office_names

    def fetch_customers(self) -> int:
        """Fetch (once) every customer the kept items name, spooled in queue order; how many."""
        if self._customers is not None:
            return len(self._customers)
        self.read()
        spool = LineSpool()
        missing: list[int] = []
        try:
            for customer_id, customer in self.client.iter_customers(self._named):
                if customer is None:
                    missing.append(customer_id)
                else:
                    spool.append(json.dumps(customer))
        except BaseException:
            spool.close()
            raise
        self._customers = spool
        for customer_id in missing:
            self.logger.warning(
                "Qondor customer %s (named by invoice %s) was not found (404); "
                "its items are emitted without a customer record",
                customer_id,
                ", ".join(self._named[customer_id]),
            )
        return len(spool)

    def customers(self) -> Iterator[dict[str, Any]]:
        """CustomerDetails of every customer the kept items name, each fetched once, queue order."""
        self.fetch_customers()
        assert self._customers is not None
        for index in range(len(self._customers)):
            yield self._customers.load(index)

    def close(self) -> None:
        """Remove the spooled queue and customers."""
        for spool in (self._items, self._customers):
            if spool is not None:
                spool.close()


def invoice_kind(item: dict[str, Any]) -> str | None:
    """The `invoiceKind` word for a queued item, or None for an unknown type."""
    try:
        return contract.INVOICE_KINDS[InvoiceType(item["invoiceType"])]
    except (ValueError, KeyError):
        return None


class QondorStream(Stream):
    """A stream read from the run's queue snapshot; full table, no bookmark that could skip items."""

    primary_keys: tuple[str, ...] = ("id",)
    replication_key = None

    @override
    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """The SDK's log, less its ERROR line when `--test` stops a stream after one record or
        a Qondor fault stops the run (the tap says why in one line)."""
        if level == logging.ERROR and isinstance(sys.exc_info()[1], QUIET):
            level = logging.DEBUG
        super().log(message, *args, level=level, **kwargs)

    @property
    def queue(self) -> QueueSnapshot:
        """The tap's one queue read for this run."""
        tap: TapQondor = self._tap  # type: ignore[assignment]
        return tap.queue

    @property
    def flatten_depth(self) -> int:
        """How many object levels the SDK's flattening turns into columns (0: not flattened)."""
        stream_map = self.stream_maps[0]
        if not stream_map.flattening_enabled or stream_map.flattening_options is None:
            return 0
        return stream_map.flattening_options.max_level

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """The row with its null objects placed so that every loader stores NULL."""
        place_null_objects(row, self.schema, self.flatten_depth)
        return row
