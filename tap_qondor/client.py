"""What every tap-qondor stream shares: the run's one read of Qondor's queue, and its customers."""

from __future__ import annotations

import json
import logging
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from singer_sdk.streams import Stream

from qondor_xero.mapping import Mapping
from qondor_xero.qondor import QondorClient, contract

if TYPE_CHECKING:
    from tap_qondor.tap import TapQondor

InvoiceType = contract.InvoiceType
SPOOL_IN_MEMORY = 8 << 20  # kept items beyond this are spooled to disk


class QueueSnapshot:
    """The queue as read once at the start of a run, filtered by mapping and `include_types`.

    Qondor answers with the whole queue at once; its kept items are spooled as JSON lines to a
    temporary file (on disk when large) and parsed again as each stream emits them, so the run
    holds one item at a time rather than the whole queue.
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
        self._spool: IO[bytes] | None = None
        self._starts = array("q")  # where each kept item's line starts in the spool
        self._types = bytearray()  # and its invoiceType
        # customerId → invoice numbers of the kept items that name it, in queue order
        self._named: dict[int, list[str]] = {}

    def read(self) -> int:
        """Read the queue (once): spool the items that pass the filters; how many were kept."""
        if self._spool is not None:
            return len(self._types)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        queued = 0
        skipped = {"type": 0, "filter": 0}
        try:
            for item, text in self.client.iter_unprocessed_invoices():
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
                self._starts.append(spool.tell())
                self._types.append(item["invoiceType"])
                # JSON text holds no raw line break but between tokens, where a space is alike.
                spool.write(text.replace("\n", " ").encode("utf-8") + b"\n")
                if item.get("customerId") is not None:
                    self._named.setdefault(item["customerId"], []).append(
                        str(item.get("invoiceNumber"))
                    )
        except BaseException:
            spool.close()
            raise
        self._spool = spool
        self.logger.info(
            "Qondor queue: %d items, %d emitted, %d left out by include_types, "
            "%d by the office/project filters",
            queued,
            len(self._types),
            skipped["type"],
            skipped["filter"],
        )
        return len(self._types)

    def items_of(self, types: Iterable[InvoiceType]) -> Iterator[dict[str, Any]]:
        """The kept items of the given types, in queue order, each with `invoiceKind`."""
        self.read()
        wanted = {int(t) for t in types}
        spool = self._spool
        assert spool is not None
        for start, kind in zip(self._starts, self._types, strict=True):
            if kind in wanted:
                spool.seek(start)  # each step seeks: two streams may read at once
                item = json.loads(spool.readline())
                item["invoiceKind"] = contract.INVOICE_KINDS[InvoiceType(kind)]
                yield item

    def close(self) -> None:
        """Remove the spooled queue."""
        if self._spool is not None:
            self._spool.close()

    @cached_property
    def customers(self) -> list[dict[str, Any]]:
        """CustomerDetails of every customer the kept items name, each fetched once, queue order."""
        self.read()
        named = self._named
        found = self.client.get_customers(named)
        for customer_id, numbers in named.items():
            if found.get(customer_id) is None:
                self.logger.warning(
                    "Qondor customer %s (named by invoice %s) was not found (404); "
                    "its items are emitted without a customer record",
                    customer_id,
                    ", ".join(numbers),
                )
        return [customer for customer in found.values() if customer is not None]


def invoice_kind(item: dict[str, Any]) -> str | None:
    """The `invoiceKind` word for a queued item, or None for an unknown type."""
    try:
        return contract.INVOICE_KINDS[InvoiceType(item.get("invoiceType"))]
    except (ValueError, KeyError):
        return None


class QondorStream(Stream):
    """A stream read from the run's queue snapshot; full table, no bookmark that could skip items."""

    primary_keys = ("id",)
    replication_key = None

    @property
    def queue(self) -> QueueSnapshot:
        """The tap's one queue read for this run."""
        tap: TapQondor = self._tap  # type: ignore[assignment]
        return tap.queue
