"""A second fresh PostgreSQL database: Dagster's storage, apart from Meltano's system database
(both keep an `alembic_version` table, so they cannot share one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest


@pytest.fixture
def dagster_database_url(postgres_database) -> Iterator[str]:
    """postgresql://… of a new database on the same server as `postgres_database`, dropped after."""
    import psycopg

    server = os.environ["QX_TEST_POSTGRES_URL"]
    name = f"qx_dagster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlsplit(server)._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
