"""Fixtures of the payment sync tests: the sandbox as an invoice sync left it."""

from __future__ import annotations

from typing import Any

import pytest
from payment_world import World, seed_synced_world


@pytest.fixture
def world(sandbox: Any) -> World:
    """The shared sandbox reset to the after-invoice-sync world."""
    return seed_synced_world(sandbox)
