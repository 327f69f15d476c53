"""singer-sdk's standard tap tests for tap-qondor, run against the sandbox's Qondor (demo queue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_qondor.tap import TapQondor

DEMO_MAPPING = str(Path(__file__).resolve().parents[2] / "mappings" / "demo.yml")

# The runner keeps this dict; the sandbox's URL and key are put in before its first sync.
CONFIG: dict = {"api_key": "placeholder", "mapping_file": DEMO_MAPPING}

_StandardTests = get_tap_test_class(TapQondor, config=CONFIG, suite_config=SuiteConfig())


class TestTapQondor(_StandardTests):
    """The standard suite over the demo queue: 43 items, their customers, six credit notes."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def demo_sandbox(cls, sandbox):
        """Reset the sandbox to the demo and point the tap at it before the suite's one sync."""
        sandbox.reset("demo")
        CONFIG.update(sandbox.qondor_config())
        return sandbox
