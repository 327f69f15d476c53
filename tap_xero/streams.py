"""tap-xero streams: Xero invoices (and credit notes) changed since the bookmark, their lines,
and the changes Qondor cannot show.

Each family (`invoices`, `credit_notes`) is one read of Xero per run (tap_xero/read.py); its
child streams are built from that read and cost no call.
"""

from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException
from singer_sdk.helpers.types import Context
from typing_extensions import override

from qondor_xero.xero.client import PAGE_SIZE

from .bookmarks import Replays, as_utc, iter_changed, sync_start
from .changes import CHANGES, invoice_change, removed_payment_change
from .read import DocumentRead
from .records import credit_note_record, invoice_record, line_records, xero_datetime

# How the SDK stops a stream at `--test`'s record limit: no error of ours.
STOPPED_BY_TEST = (AbortedSyncFailedException, AbortedSyncPausedException)

if TYPE_CHECKING:
    from .tap import TapXero

# Drafts are not read; VOIDED and DELETED are, so a table and the change report follow Xero.
READ_STATUSES = ("AUTHORISED", "PAID", "VOIDED", "DELETED")
CREDIT_NOTE_STATUSES = ("AUTHORISED", "PAID")
ORDER = "UpdatedDateUTC ASC"
# The parent's state: [[id, UpdatedDateUTC], ...] already emitted in the next run's overlap.
REPLAYS_KEY = "emitted_in_overlap"

_money = th.NumberType
_contact = th.ObjectType(
    th.Property("ContactID", th.StringType),
    th.Property("Name", th.StringType),
)


class XeroStream(Stream):
    """A stream built from its family's one incremental read of Xero on UpdatedDateUTC."""

    replication_key = "UpdatedDateUTC"
    # Not sorted as emitted: overlap re-reads can bring an older stamp after a newer one. The SDK
    # then keeps the bookmark as the largest stamp seen, capped by its signpost (the moment the
    # tap started), so an invoice updated while the run reads is read again next run.
    is_sorted = False
    family: str  # the stream whose read this one is built from: "invoices" or "credit_notes"
    # True on a stream whose rows need the documents' LineItems: the read is then whole.
    uses_line_items = False

    @override
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
        """The oldest UpdatedDateUTC this stream's bookmark asks for."""
        start_date = self.xero_tap.start_date  # checked first: the SDK parses it too
        return sync_start(
            self.get_starting_timestamp(context),
            lookback_days=self.xero_tap.payment_lookback_days,
            now=datetime.now(UTC),
            start_date=start_date,
        )

    def family_streams(self) -> list[XeroStream]:
        """The streams built from the same read as this one."""
        return [
            s
            for s in self.xero_tap.streams.values()
            if isinstance(s, XeroStream) and s.family == self.family
        ]

    @property
    def needs_line_items(self) -> bool:
        """Whether the family's read must carry LineItems: a selected stream of it uses them.

        Otherwise the read asks for `summaryOnly=true`: Xero leaves out the lines (egress).
        """
        return any(s.selected and s.uses_line_items for s in self.family_streams())

    def family_read(self) -> DocumentRead:
        """The family's read, made on first use: from the parent stream's bookmark when it is
        selected (the children follow it), else from the earliest selected child's."""
        reads = self.xero_tap.reads
        read = reads.get(self.family)
        if read is None:
            parent = self.xero_tap.streams[self.family]
            assert isinstance(parent, DocumentStream)
            read = reads[self.family] = DocumentRead(
                parent.fetch, parent.id_field, parent.nothing_leaves
            )
        if not read.done:
            selected = [s for s in self.family_streams() if s.selected]
            chosen = [s for s in selected if s.name == self.family] or selected
            start = min(s.start_moment(None) for s in chosen)
            self.logger.info("Reading %s updated since %s", self.family, start.isoformat())
            # What the parent emitted in its overlap last run is skipped, but only when the read
            # starts from the parent's bookmark (the pairs belong to it).
            parent = self.xero_tap.streams[self.family]
            pairs = parent.get_context_state(None).get(REPLAYS_KEY) if parent in chosen else None
            read.read(start, Replays.from_state(pairs) if parent in chosen else None)
        return read

    @override
    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """This stream's rows from the family's read."""
        yield from self.rows(self.family_read())

    def rows(self, read: DocumentRead) -> Iterator[dict[str, Any]]:
        """The rows built from the read documents."""
        raise NotImplementedError


_LINE = th.PropertiesList(
    th.Property("LineNo", th.IntegerType, required=True, description="Position, from 1"),
    th.Property("LineItemID", th.StringType),
    th.Property("Description", th.StringType),
    th.Property("ItemCode", th.StringType),
    th.Property("AccountCode", th.StringType),
    th.Property("TaxType", th.StringType),
    th.Property("Quantity", th.NumberType),
    th.Property("UnitAmount", _money),
    th.Property("DiscountRate", th.NumberType),
    th.Property("TaxAmount", _money),
    th.Property("LineAmount", _money),
    th.Property("TrackingCategory1", th.StringType),
    th.Property("TrackingOption1", th.StringType),
    th.Property("TrackingCategory2", th.StringType),
    th.Property("TrackingOption2", th.StringType),
    th.Property("UpdatedDateUTC", th.DateTimeType, required=True),
).to_dict()


def _line_schema(kind: str) -> dict[str, Any]:
    """A line row's schema: the document's id and number, then the line's fields."""
    schema = copy.deepcopy(_LINE)
    schema["properties"] = {
        f"{kind}ID": {"type": "string", "description": f"`{kind}ID` of the document"},
        f"{kind}Number": {"type": ["string", "null"]},
        **schema["properties"],
    }
    schema["required"] = [f"{kind}ID", *schema["required"]]
    return schema


class DocumentStream(XeroStream):
    """Invoices or credit notes themselves: the family's parent, which owns the Xero read."""

    id_field: str
    # True when no change takes a document out of `fetch`'s filter (it only moves to the end of
    # the order): the read then reads each page once (bookmarks.iter_changed).
    nothing_leaves = False

    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """Documents with UpdatedDateUTC >= `since`, oldest first, paged by the client."""
        raise NotImplementedError

    def to_record(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The Singer record for one Xero document."""
        raise NotImplementedError

    @override
    def rows(self, read: DocumentRead) -> Iterator[dict[str, Any]]:
        """Every document read, once per change; then the overlap's pairs go into the state."""
        newest: datetime | None = None
        for doc in read:
            record = self.to_record(doc)
            stamp = xero_datetime(record["UpdatedDateUTC"])
            newest = stamp if newest is None or stamp > newest else newest
            yield record
        if read.replays is not None:
            state = self.get_context_state(None)
            state[REPLAYS_KEY] = read.replays.to_state(self.next_bookmark(newest))

    def next_bookmark(self, newest: datetime | None) -> datetime | None:
        """The bookmark the SDK keeps after this run: the newest stamp emitted, capped by the
        signpost (the run's start); the previous bookmark when nothing was emitted."""
        if newest is None:
            previous = self.get_context_state(None).get("replication_key_value")
            return as_utc(xero_datetime(previous)) if previous else None
        signpost = self.get_replication_key_signpost(None)
        return min(newest, as_utc(signpost)) if isinstance(signpost, datetime) else newest


class LinesStream(XeroStream):
    """The line items of every document its family read, one row each."""

    number_field: str
    uses_line_items = True

    @override
    def rows(self, read: DocumentRead) -> Iterator[dict[str, Any]]:
        """Each document's lines, in read order."""
        for doc in read:
            yield from line_records(doc, read.id_field, self.number_field)


def _document_schema(
    kind: str, types: str, statuses: str, *amounts: str, extra: tuple[th.Property, ...] = ()
) -> dict[str, Any]:
    """The record schema of an invoice or a credit note (`kind` names its id and number fields)."""
    return th.PropertiesList(
        th.Property(f"{kind}ID", th.StringType, required=True),
        th.Property(f"{kind}Number", th.StringType),
        th.Property("Type", th.StringType, description=types),
        th.Property("Status", th.StringType, description=statuses),
        th.Property("Reference", th.StringType),
        th.Property("Contact", _contact),
        th.Property("Date", th.DateType),
        th.Property("DueDate", th.DateType),
        th.Property("CurrencyCode", th.StringType),
        th.Property("Total", _money),
        *(th.Property(amount, _money) for amount in amounts),
        th.Property("FullyPaidOnDate", th.DateType),
        th.Property("UpdatedDateUTC", th.DateTimeType, required=True),
        *extra,
    ).to_dict()


class InvoicesStream(DocumentStream):
    """Invoices with status AUTHORISED, PAID, VOIDED or DELETED, with their payment fields."""

    name = "invoices"
    family = "invoices"
    primary_keys = ("InvoiceID",)
    id_field = "InvoiceID"
    # READ_STATUSES hold every status an invoice can move to once it is read (VOIDED and
    # DELETED are final; Xero never takes one back to DRAFT or SUBMITTED).
    nothing_leaves = True
    schema = _document_schema(
        "Invoice",
        "ACCREC (sales) or ACCPAY (bill)",
        "AUTHORISED, PAID, VOIDED or DELETED",
        "AmountDue",
        "AmountPaid",
        "AmountCredited",
        extra=(th.Property("Url", th.StringType, description="Link to the source document"),),
    )

    @override
    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """Invoices of READ_STATUSES modified since `since`, oldest first."""
        return self.xero_tap.xero.iter_invoices(
            statuses=list(READ_STATUSES),
            modified_since=since,
            order=ORDER,
            created_by_my_app=True if self.config.get("created_by_my_app") else None,
            summary_only=not self.needs_line_items,
        )

    @override
    def to_record(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The `invoices` record for a Xero invoice."""
        return invoice_record(doc)


class InvoiceLinesStream(LinesStream):
    """The line items of every invoice read, one row each (key: InvoiceID, LineNo)."""

    name = "invoice_lines"
    family = "invoices"
    primary_keys = ("InvoiceID", "LineNo")
    number_field = "InvoiceNumber"
    schema = _line_schema("Invoice")


class InvoiceChangesStream(XeroStream):
    """Sales invoices Qondor cannot follow: voided, deleted, part paid, a payment removed."""

    name = "invoice_changes"
    family = "invoices"
    primary_keys = ("InvoiceID", "Change", "UpdatedDateUTC")
    schema = th.PropertiesList(
        th.Property("InvoiceID", th.StringType, required=True),
        th.Property("Change", th.StringType(allowed_values=list(CHANGES)), required=True),
        th.Property("InvoiceNumber", th.StringType),
        th.Property("Status", th.StringType, description="The invoice's status as read"),
        th.Property("CurrencyCode", th.StringType),
        th.Property("Contact", _contact),
        th.Property("Total", _money),
        th.Property("AmountPaid", _money),
        th.Property("AmountDue", _money),
        th.Property("PaymentID", th.StringType, description="The removed payment"),
        th.Property("PaymentAmount", _money),
        th.Property("PaymentDate", th.DateType),
        th.Property(
            "UpdatedDateUTC",
            th.DateTimeType,
            required=True,
            description="When Xero changed the invoice (or deleted the payment)",
        ),
    ).to_dict()

    @override
    def rows(self, read: DocumentRead) -> Iterator[dict[str, Any]]:
        """Changes of the read invoices, then the payments deleted since the read's start."""
        sales: dict[Any, dict[str, Any]] = {}  # InvoiceID → figures
        reopened = False
        for doc in read:
            row = invoice_change(doc)
            if row:
                yield row
            if doc.get("Type") == "ACCREC" and doc.get("InvoiceID"):
                sales[doc["InvoiceID"]] = {k: doc.get(k) for k in REMOVED_PAYMENT_FIELDS}
                reopened = reopened or (
                    doc.get("Status") == "AUTHORISED"
                    and read.start is not None
                    and xero_datetime(doc.get("UpdatedDateUTC")) > read.start
                )
        # A removed payment leaves its invoice AUTHORISED and updated: only then is it looked
        # for. An overlap replay (not after the bookmark) was looked at by the run before.
        if not reopened or read.start is None:
            return
        for payment in iter_changed(
            self.deleted_payments,
            read.start,
            key=lambda p: p.get("PaymentID"),
            updated=lambda p: xero_datetime(p.get("UpdatedDateUTC")),
            page_size=PAGE_SIZE,
            nothing_leaves=True,  # a deleted payment stays deleted
        ):
            ref = (payment.get("Invoice") or {}).get("InvoiceID")
            row = removed_payment_change(payment, sales.get(ref))
            if row:
                yield row

    def deleted_payments(self, since: datetime) -> Iterable[dict[str, Any]]:
        """Payments deleted (Status DELETED) since `since`, oldest change first."""
        return self.xero_tap.xero.iter_payments(
            where='Status=="DELETED"', modified_since=since, order=ORDER
        )


REMOVED_PAYMENT_FIELDS = (
    "InvoiceID",
    "InvoiceNumber",
    "Status",
    "CurrencyCode",
    "Contact",
    "Total",
    "AmountPaid",
    "AmountDue",
)


class CreditNotesStream(DocumentStream):
    """Credit notes with status AUTHORISED or PAID (not needed by target-qondor)."""

    name = "credit_notes"
    family = "credit_notes"
    primary_keys = ("CreditNoteID",)
    id_field = "CreditNoteID"
    selected_by_default = False
    schema = _document_schema(
        "CreditNote", "ACCRECCREDIT or ACCPAYCREDIT", "AUTHORISED or PAID", "RemainingCredit"
    )

    @override
    def fetch(self, since: datetime) -> Iterable[dict[str, Any]]:
        """AUTHORISED and PAID credit notes modified since `since`, oldest first."""
        where = " OR ".join(f'Status=="{status}"' for status in CREDIT_NOTE_STATUSES)
        return self.xero_tap.xero.iter_credit_notes(where=where, modified_since=since, order=ORDER)

    @override
    def to_record(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The `credit_notes` record for a Xero credit note."""
        return credit_note_record(doc)


class CreditNoteLinesStream(LinesStream):
    """The line items of every credit note read (key: CreditNoteID, LineNo)."""

    name = "credit_note_lines"
    family = "credit_notes"
    primary_keys = ("CreditNoteID", "LineNo")
    number_field = "CreditNoteNumber"
    selected_by_default = False
    schema = _line_schema("CreditNote")


STREAM_TYPES = (
    InvoicesStream,
    InvoiceLinesStream,
    InvoiceChangesStream,
    CreditNotesStream,
    CreditNoteLinesStream,
)
