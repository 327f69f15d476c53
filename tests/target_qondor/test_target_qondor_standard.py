"""singer-sdk's standard target tests for target-qondor, and `.singer` files of real message
streams (a schema change, a duplicate record, a record before its schema, an unknown stream),
each checked against the sandbox's Qondor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.templates import TargetFileTestTemplate

from qondor_xero.qondor.contract import InvoiceStatus, InvoiceType
from sandbox.scenarios.common import make_customer, make_invoice, make_line, make_office
from target_qondor.target import TargetQondor

SINGER = Path(__file__).resolve().parent / "singer"
# The Xero InvoiceIDs the .singer files carry, as each item's external reference.
REFS = {7001: "7a0c3d2e-0001-4000-8000-000000007001", 7002: "7a0c3d2e-0002-4000-8000-000000007002"}
# The runner keeps this dict; the sandbox's settings are put in before each test's run.
CONFIG: dict = {"api_key": "placeholder"}


def statuses(box) -> dict[int, tuple[str, str | None]]:
    """(statusText, paidDate) of items 7001 and 7002."""
    items = {i["id"]: i for i in box.qondor_state()["invoices"]}
    return {n: (items[n]["statusText"], items[n].get("paidDate")) for n in REFS}


def set_as_paid_calls(box) -> int:
    return sum(r["path"].endswith("/SetAsPaid") for r in box.qondor_requests())


class _File(TargetFileTestTemplate):
    @property
    def singer_filepath(self) -> Path:
        return SINGER / f"{self.name.removeprefix('qondor_')}.singer"


class QondorSchemaUpdates(_File):
    """The invoices schema gains a property mid-stream: records under both are marked Paid."""

    name = "qondor_schema_updates"

    def validate(self) -> None:
        assert statuses(self.resource) == {
            7001: ("Paid", "2026-11-25"),
            7002: ("Paid", "2026-11-26"),
        }


class QondorDuplicateRecords(_File):
    """The same PAID record twice: Paid once, one SetAsPaid."""

    name = "qondor_duplicate_records"

    def validate(self) -> None:
        assert statuses(self.resource)[7001] == ("Paid", "2026-11-25")
        assert set_as_paid_calls(self.resource) == 1


class QondorRecordBeforeSchema(_File):
    """A record before its schema: the run refuses it and marks nothing."""

    name = "qondor_record_before_schema"

    def test(self) -> None:
        with pytest.raises(RecordsWithoutSchemaException):
            self.runner.sync_all()

    def validate(self) -> None:
        assert statuses(self.resource)[7001] == ("Processed", None)
        assert set_as_paid_calls(self.resource) == 0


class QondorUnknownStream(_File):
    """A stream target-qondor does not use is ignored; the invoices still go through."""

    name = "qondor_unknown_stream"

    def validate(self) -> None:
        assert statuses(self.resource)[7001] == ("Paid", "2026-11-25")


_Standard = get_target_test_class(
    TargetQondor,
    config=CONFIG,
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[
                QondorSchemaUpdates,
                QondorDuplicateRecords,
                QondorRecordBeforeSchema,
                QondorUnknownStream,
            ],
        )
    ],
)


class TestTargetQondor(_Standard):
    """The SDK's standard suite and ours, each on Qondor items 7001-7002, Processed."""

    @pytest.fixture
    def resource(self, sandbox):
        sandbox.reset()
        office = make_office(1, "Qondor Oslo", "Oslo", "0150", start_date=date(2026, 1, 1))
        customer = make_customer(77, 1, "Fjord Events AS", org="923456789")
        invoices = [
            make_invoice(
                n,
                str(n),
                InvoiceType.OfferInvoice,
                invoice_date=date(2026, 11, 2),
                office_id=1,
                customer=customer,
                lines=[make_line(1, "VAT25", "Hotel", 100, 300000)],
                status=InvoiceStatus.Processed,
                external_reference=ref,
            )
            for n, ref in REFS.items()
        ]
        sandbox.admin(
            sandbox.qondor_url,
            "POST",
            "seed",
            {"offices": [office], "customers": [customer], "invoices": invoices},
        )
        sandbox.qondor_requests(clear=True)
        CONFIG.update(sandbox.qondor_config())
        return sandbox
