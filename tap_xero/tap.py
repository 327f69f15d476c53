"""tap-xero: invoice payment status from Xero, incremental on UpdatedDateUTC."""

from __future__ import annotations

import weakref
from datetime import datetime
from functools import cached_property
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from qondor_xero.mapping import MappingError, load_mapping
from qondor_xero.stop import Describe, Faults, SettingError, stops_in_one_line
from qondor_xero.xero import XeroClient
from qondor_xero.xero.dates import xero_datetime
from qondor_xero.xero.errors import XeroError
from qondor_xero.xero.settings import XERO_REQUIRED, XERO_SETTINGS, xero_client

from .bookmarks import DEFAULT_LOOKBACK_DAYS
from .read import DocumentRead
from .records import XeroRecordError
from .streams import STREAM_TYPES

_OWN_SETTINGS = th.PropertiesList(
    th.Property(
        "mapping_file",
        th.StringType,
        description="The customer's mapping file; payment_lookback_days sets the lookback",
    ),
    th.Property(
        "start_date",
        th.StringType,
        description="Read invoices updated since this date instead of the lookback (ISO 8601)",
    ),
    th.Property(
        "created_by_my_app",
        th.BooleanType,
        default=False,
        description="Only read invoices created by this Xero app",
    ),
).to_dict()


class TapXero(Tap):
    """Reads Xero invoices whose status changed within the lookback window."""

    name = "tap-xero"
    package_name = "qondor-xero"  # the distribution: --about and --version know its version

    config_jsonschema = {
        "type": "object",
        "properties": {**XERO_SETTINGS, **_OWN_SETTINGS["properties"]},
        "required": list(XERO_REQUIRED),
        "$schema": _OWN_SETTINGS["$schema"],
    }

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):  # a sync or --test, not --discover
            # Every setting (client URLs, mapping file, start_date) before any output.
            _ = (self.xero, self.payment_lookback_days, self.start_date)

    @override
    def discover_streams(self) -> list[Stream]:
        """invoices, invoice_lines, invoice_changes; credit_notes and credit_note_lines (selected
        only on request)."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in that order (the SDK's `load_streams` sorts them by name)."""
        by_name = super().streams
        return {t.name: by_name[t.name] for t in STREAM_TYPES}

    @cached_property
    def reads(self) -> dict[str, DocumentRead]:
        """Each stream family's one read of Xero this run, by parent stream name (their spools
        are removed with the tap)."""
        reads: dict[str, DocumentRead] = {}
        weakref.finalize(self, _close_reads, reads)
        return reads

    @cached_property
    def xero(self) -> XeroClient:
        """One Xero client for the whole run (its token and pacing are shared)."""
        try:
            return xero_client(self.config)
        except ValueError as bad:  # a URL setting the client refuses (e.g. plain http)
            raise SettingError(f"setting {bad}") from None

    @cached_property
    def payment_lookback_days(self) -> int:
        """Days to look back on a first run: the mapping file's, else 90."""
        path = self.config.get("mapping_file")
        if not path:
            return DEFAULT_LOOKBACK_DAYS
        return load_mapping(path).payment_lookback_days

    @cached_property
    def start_date(self) -> datetime | None:
        """The `start_date` override, if set."""
        value = self.config.get("start_date")
        if not value:
            return None
        try:
            return xero_datetime(value)
        except ValueError:
            raise SettingError(f"setting start_date: {value!r} is not an ISO 8601 date") from None

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; a Xero, mapping or data fault stops it with one clear line."""
        faults: dict[Faults, Describe] = {
            (XeroError, MappingError, SettingError, XeroRecordError): str,
            # The SDK would log its whole settings schema.
            ConfigValidationError: lambda bad: "settings: " + "; ".join(bad.errors),
        }
        with stops_in_one_line(cls.logger, "tap-xero stopped: ", faults):
            super().invoke(*args, **kwargs)


def _close_reads(reads: dict[str, DocumentRead]) -> None:
    for read in reads.values():
        read.close()


if __name__ == "__main__":
    TapXero.cli()
