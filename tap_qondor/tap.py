"""tap-qondor: Qondor's invoice queue and the customers it names, as Singer streams."""

from __future__ import annotations

import weakref
from functools import cached_property
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from typing_extensions import override

from qondor_xero.mapping import Mapping, MappingError, load_mapping
from qondor_xero.qondor import QondorClient, QondorError, check_api_url, contract
from qondor_xero.stop import Describe, Faults, SettingError, stops_in_one_line
from tap_qondor.client import QueueSnapshot
from tap_qondor.streams import STREAM_TYPES

TYPE_NAMES = [t.name for t in contract.InvoiceType]


class TapQondor(Tap):
    """Reads Qondor's queue of unprocessed invoices once per run; emits customers, invoices, credit notes."""

    name = "tap-qondor"
    package_name = "qondor-xero"  # the distribution: --about and --version know its version

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_url",
            th.StringType,
            default=contract.DEFAULT_API_URL,
            description=(
                "Qondor API base URL including the environment (`/Prod`, `/Test`, `/Dev`). "
                "Plain http is accepted only for localhost (the sandbox)."
            ),
        ),
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            description="Qondor subscription key, sent as `Ocp-Apim-Subscription-Key`.",
        ),
        th.Property(
            "mapping_file",
            th.StringType,
            description=(
                "Path to the customer's YAML mapping file; its `offices` and `projects` "
                "filters apply (an empty list means all). Without it nothing is filtered."
            ),
        ),
        th.Property(
            "include_types",
            th.ArrayType(th.StringType(allowed_values=TYPE_NAMES)),
            default=TYPE_NAMES,
            description=(
                "Qondor invoice types to emit: " + ", ".join(TYPE_NAMES) + " (default all five)."
            ),
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            description=(
                "Send ACTIVATE_VERSION with every stream: each run is the whole queue, so a "
                "loader that honours it (target-postgres) drops the rows of items no longer "
                "queued. target-xero ignores it."
            ),
        ),
    ).to_dict()

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):  # a sync or --test, not --discover
            _ = self.client, self.mapping  # a bad setting stops the run before any output

    @override
    def discover_streams(self) -> list[Stream]:
        """The streams in emit order: customers, invoices, credit_notes, invoice_lines, invoice_fields."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        """The streams in emit order (the SDK's `load_streams` sorts them by name)."""
        by_name = super().streams
        return {t.name: by_name[t.name] for t in STREAM_TYPES}

    @cached_property
    def client(self) -> QondorClient:
        """The run's Qondor client (closed with the tap)."""
        api_key = self.config.get("api_key")
        if not api_key:
            raise SettingError("tap-qondor: setting api_key is missing or empty")
        try:
            api_url = check_api_url(self.config.get("api_url") or contract.DEFAULT_API_URL)
        except ValueError as exc:
            raise SettingError(f"tap-qondor: setting api_url: {exc}") from None
        client = QondorClient(api_url, api_key)
        weakref.finalize(self, client.close)
        return client

    @cached_property
    def mapping(self) -> Mapping | None:
        """The mapping file named by `mapping_file`, or None when the setting is empty."""
        path = self.config.get("mapping_file")
        return load_mapping(path) if path else None

    @cached_property
    def queue(self) -> QueueSnapshot:
        """The one read of Qondor's queue the streams share: read by the first stream synced,
        before it emits a record (customers are fetched whole before the first is emitted);
        its spools are removed with the tap."""
        include = self.config.get("include_types") or TYPE_NAMES
        queue = QueueSnapshot(self.client, self.mapping, include, self.logger)
        weakref.finalize(self, queue.close)
        return queue

    @classmethod
    @override
    def invoke(cls, **kwargs: Any) -> None:  # type: ignore[override]
        """Run the tap; a bad setting, mapping file or systemic Qondor fault ends with one line."""
        faults: dict[Faults, Describe] = {
            (SettingError, MappingError, QondorError): None,
            # The SDK would log its whole settings schema.
            ConfigValidationError: lambda bad: "tap-qondor: settings: " + "; ".join(bad.errors),
        }
        with stops_in_one_line(cls.logger, "", faults):
            super().invoke(**kwargs)


if __name__ == "__main__":
    TapQondor.cli()
