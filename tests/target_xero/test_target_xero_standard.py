"""singer-sdk's target test harness for target-xero, fed `.singer` files of real message streams
(as MeltanoLabs target-postgres keeps them): a schema change, a duplicate record, a warehouse
row off its schema, a record before its schema, an unknown stream; each checked against the sandbox's Xero and Qondor.

The SDK's own generic fixtures carry streams target-xero refuses by design (it syncs only
customers, invoices and credit_notes), so of its standard tests only the stream-agnostic ones
run here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import TargetCliPrintsTest, TargetRecordBeforeSchemaTest
from singer_sdk.testing.templates import TargetFileTestTemplate
from target_xero_pipeline import by, queued, target_config

from target_xero.target import TargetXero

SINGER = Path(__file__).resolve().parent / "singer"
# The runner keeps this dict; the sandbox's settings are put in before each test's run.
CONFIG: dict = {}


def outcome(box, numbers: list[str]) -> dict[str, tuple]:
    """Each number's Qondor status, how many Xero invoices have it, and whether the item's
    externalReference is that invoice's id (both None when nothing was written)."""
    queue, xero = queued(box.qondor_state()), box.xero_state()["invoices"]
    held = by(xero, "InvoiceNumber")
    return {
        n: (
            queue[n]["statusText"],
            sum(i["InvoiceNumber"] == n for i in xero),
            queue[n]["externalReference"] == (held.get(n) or {}).get("InvoiceID"),
        )
        for n in numbers
    }


class _File(TargetFileTestTemplate):
    @property
    def singer_filepath(self) -> Path:
        return SINGER / f"{self.name.removeprefix('xero_')}.singer"


class XeroSchemaUpdates(_File):
    """The invoices schema gains a property mid-stream: records under both schemas sync."""

    name = "xero_schema_updates"

    def validate(self) -> None:
        done = outcome(self.resource, ["100202", "100203"])
        assert done == {"100202": ("Processed", 1, True), "100203": ("Processed", 1, True)}


class XeroDuplicateRecords(_File):
    """The same invoice record twice (an at-least-once replay): one Xero invoice, one ack."""

    name = "xero_duplicate_records"

    def validate(self) -> None:
        assert outcome(self.resource, ["100202"]) == {"100202": ("Processed", 1, True)}
        writes = [r for r in self.resource.xero_requests() if r["path"].endswith("/Invoices")]
        assert [r["method"] for r in writes if r["method"] != "GET"] == ["PUT"]  # one write


class XeroWarehouseRowOffSchema(_File):
    """A warehouse row (invoice_lines) that breaks its schema does not stop the run: target-xero
    takes lines from their invoice, so the row is ignored unvalidated and the invoice syncs."""

    name = "xero_warehouse_row_off_schema"

    def validate(self) -> None:
        assert outcome(self.resource, ["100202"]) == {"100202": ("Processed", 1, True)}


class XeroRecordBeforeSchema(_File):
    """An invoice before its schema: the run refuses it and writes nothing."""

    name = "xero_record_before_schema"

    def test(self) -> None:
        with pytest.raises(RecordsWithoutSchemaException):
            self.runner.sync_all()

    def validate(self) -> None:
        assert outcome(self.resource, ["100202"]) == {"100202": ("Unprocessed", 0, True)}
        assert not [r for r in self.resource.xero_requests() if r["method"] != "GET"]


class XeroUnknownStream(_File):
    """A stream target-xero does not sync stops the run with one line, before any write."""

    name = "xero_unknown_stream"

    def test(self) -> None:
        with pytest.raises(SystemExit) as stopped:
            self.runner.sync_all()
        assert "unknown stream 'offices'" in str(stopped.value)

    def validate(self) -> None:
        assert outcome(self.resource, ["100202"]) == {"100202": ("Unprocessed", 0, True)}
        assert not [r for r in self.resource.xero_requests() if r["method"] != "GET"]


_Standard = get_target_test_class(
    TargetXero,
    config=CONFIG,
    include_target_tests=False,
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[
                TargetCliPrintsTest,
                TargetRecordBeforeSchemaTest,
                XeroSchemaUpdates,
                XeroDuplicateRecords,
                XeroWarehouseRowOffSchema,
                XeroRecordBeforeSchema,
                XeroUnknownStream,
            ],
        )
    ],
)


class TestTargetXero(_Standard):
    """Each test on a sandbox freshly reset to the demo."""

    @pytest.fixture
    def resource(self, sandbox):
        sandbox.reset("demo")
        CONFIG.clear()
        CONFIG.update(target_config(sandbox))
        return sandbox
