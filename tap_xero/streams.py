"""tap-xero streams: Xero invoices (and credit notes) changed since the bookmark."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException

from qondor_xero.xero.client import PAGE_SIZE

from .bookmarks import iter_changed, sync_start
from .records import credit_note_record, invoice_record, xero_datetime

# How the SDK stops a stream at `--test`'s record limit: no error of ours.
STOPPED_BY_TEST = (AbortedSyncFailedException, AbortedSyncPausedException)

if TYPE_CHECKING:
    from .tap import TapXero

# Drafts never count: only these statuses are read.
READ_STATUSES = ("AUTHORISED", "PAID")
ORDER = "UpdatedDateUTC ASC"

_money = th.NumberType
_contact = th.ObjectType(
    th.Property("ContactID", th.StringType),
    th.Property("Name", th.StringType),
)


class XeroStream(Stream):
    """A Xero collection read incrementally on UpdatedDateUTC with overlap and keyset paging."""

    replication_key = "UpdatedDateUTC"
    # Not sorted as emitted: overlap re-reads can bring an older stamp after a newer one. The SDK
    # then keeps the bookmark as the largest stamp seen, capped by its signpost (the moment the
    # tap started), so an invoice updated while the run reads is read again next run.
    is_sorted = False
    id_field: str

    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """The SDK's log, less its ERROR line when `--test` stops a stream after one record."""
        if level == logging.ERROR and isinstance(sys.exc_info()[1], STOPPED_BY_TEST):
            level = logging.DEBUG
        super().log(message, *args, level=level, **kwargs)

    @property
    def xero_tap(self) -> TapXero:
        """The tap that owns this stream (its Xero client and settings)."""
        return self._tap  # type: ignore[return-value]

    def start_moment(self, context: dict | None) -> datetime:
        """The oldest UpdatedDateUTC this run reads."""
        start_date = self.xero_tap.start_date  # checked first: the SDK parses it too
        return sync_start(
            self.get_starting_timestamp(context),
            lookback_days=self.xero_tap.payment_lookback_days,
            now=datetime.now(UTC),
            start_date=start_date,
        )

    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """Objects with UpdatedDateUTC >= `since`, oldest first, paged by the client."""
        raise NotImplementedError

    def to_record(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The Singer record for one Xero object."""
        raise NotImplementedError

    def get_records(self, context: dict | None) -> Iterator[dict[str, Any]]:
        """Every object changed since the start moment, once per change."""
        start = self.start_moment(context)
        self.logger.info("Reading %s updated since %s", self.name, start.isoformat())
        for obj in iter_changed(
            self.fetch,
            start,
            key=lambda o: o.get(self.id_field),
            updated=lambda o: xero_datetime(o.get("UpdatedDateUTC")),
            page_size=PAGE_SIZE,
        ):
            yield self.to_record(obj)


def _document_schema(kind: str, types: str, *amounts: str) -> dict[str, Any]:
    """The record schema of an invoice or a credit note (`kind` names its id and number fields)."""
    return th.PropertiesList(
        th.Property(f"{kind}ID", th.StringType, required=True),
        th.Property(f"{kind}Number", th.StringType),
        th.Property("Type", th.StringType, description=types),
        th.Property("Status", th.StringType, description="AUTHORISED or PAID"),
        th.Property("Reference", th.StringType),
        th.Property("Contact", _contact),
        th.Property("Date", th.DateType),
        th.Property("DueDate", th.DateType),
        th.Property("CurrencyCode", th.StringType),
        th.Property("Total", _money),
        *(th.Property(amount, _money) for amount in amounts),
        th.Property("FullyPaidOnDate", th.DateType),
        th.Property("UpdatedDateUTC", th.DateTimeType, required=True),
    ).to_dict()


class InvoicesStream(XeroStream):
    """Invoices with status AUTHORISED or PAID, with their payment fields."""

    name = "invoices"
    primary_keys = ("InvoiceID",)
    id_field = "InvoiceID"
    schema = _document_schema(
        "Invoice", "ACCREC (sales) or ACCPAY (bill)", "AmountDue", "AmountPaid", "AmountCredited"
    )

    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """AUTHORISED and PAID invoices modified since `since`, oldest first."""
        return self.xero_tap.xero.iter_invoices(
            statuses=list(READ_STATUSES),
            modified_since=since,
            order=ORDER,
            created_by_my_app=True if self.config.get("created_by_my_app") else None,
        )

    def to_record(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The `invoices` record for a Xero invoice."""
        return invoice_record(obj)


class CreditNotesStream(XeroStream):
    """Credit notes with status AUTHORISED or PAID (not needed by target-qondor)."""

    name = "credit_notes"
    primary_keys = ("CreditNoteID",)
    id_field = "CreditNoteID"
    selected_by_default = False
    schema = _document_schema("CreditNote", "ACCRECCREDIT or ACCPAYCREDIT", "RemainingCredit")

    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """AUTHORISED and PAID credit notes modified since `since`, oldest first."""
        where = " OR ".join(f'Status=="{status}"' for status in READ_STATUSES)
        return self.xero_tap.xero.iter_credit_notes(where=where, modified_since=since, order=ORDER)

    def to_record(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The `credit_notes` record for a Xero credit note."""
        return credit_note_record(obj)
