"""What every tap-qondor stream shares: the run's one read of Qondor's queue, and its customers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk.streams import Stream

from qondor_xero.mapping import Mapping
from qondor_xero.qondor import QondorClient, contract

if TYPE_CHECKING:
    from tap_qondor.tap import TapQondor

InvoiceType = contract.InvoiceType


class QueueSnapshot:
    """The queue as read once at the start of a run, filtered by mapping and `include_types`."""

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

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        """Queued items that pass the office/project filters and `include_types`, in queue order."""
        queued = self.client.get_unprocessed_invoices()
        kept: list[dict[str, Any]] = []
        skipped = {"type": 0, "filter": 0}
        for item in queued:
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
            kept.append({**item, "invoiceKind": kind})
        self.logger.info(
            "Qondor queue: %d items, %d emitted, %d left out by include_types, "
            "%d by the office/project filters",
            len(queued),
            len(kept),
            skipped["type"],
            skipped["filter"],
        )
        return kept

    def items_of(self, types: Iterable[InvoiceType]) -> Iterator[dict[str, Any]]:
        """The kept items of the given types."""
        wanted = set(types)
        return (item for item in self.items if item["invoiceType"] in wanted)

    @cached_property
    def customers(self) -> list[dict[str, Any]]:
        """CustomerDetails of every customer the kept items name, each fetched once, queue order."""
        named: dict[int, list[str]] = {}
        for item in self.items:
            if item.get("customerId") is not None:
                named.setdefault(item["customerId"], []).append(str(item.get("invoiceNumber")))
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
