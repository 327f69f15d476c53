"""The `postgres_database` fixture gives each test its own empty database on a real server."""

from __future__ import annotations

import psycopg


def test_each_test_gets_its_own_empty_database(postgres_database):
    with psycopg.connect(postgres_database.url) as db:
        assert db.execute("SELECT current_database()").fetchone()[0] == postgres_database.name
        tables = db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
        assert tables == 0
        db.execute("CREATE TABLE probe (id int)")
