"""singer-sdk's standard tap tests for tap-xero, run against the sandbox's Xero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from xero_invoices import seed_invoices, xero_invoice

from tap_xero.tap import TapXero

# The runner keeps this dict; the sandbox's URLs are put in before its first sync.
CONFIG: dict = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}

_StandardTests = get_tap_test_class(
    TapXero,
    config=CONFIG,
    # Credit notes are selected only on request, so the default sync gives them no records.
    suite_config=SuiteConfig(ignore_no_records_for_streams=["credit_notes", "credit_note_lines"]),
)


class TestTapXero(_StandardTests):
    """The standard suite, over paid, unpaid and voided invoices (and a draft) in the sandbox's Xero."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def seeded_sandbox(cls, sandbox):
        """Seed the sandbox and point the tap at it before the suite's one sync."""
        now = datetime.now(UTC)
        seed_invoices(
            sandbox,
            [
                xero_invoice("STD-1", now - timedelta(days=3), "PAID"),
                xero_invoice("STD-2", now - timedelta(days=2)),
                xero_invoice("STD-3", now - timedelta(days=1), "PAID"),
                xero_invoice("STD-DRAFT", now - timedelta(days=1), "DRAFT"),
                xero_invoice("STD-VOID", now - timedelta(hours=5), "VOIDED"),  # invoice_changes
            ],
        )
        CONFIG.update(sandbox.xero_config())
        return sandbox
