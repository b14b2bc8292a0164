"""A worker's PostgreSQL connections stay open once made (store/db.py, PG_POOL_SIZE): the pool
closed every connection beyond 5 as it came back, so each burst of requests opened new ones again,
a server process each (most of the p99 at 32 connections, docs/benchmarks.md)."""

from __future__ import annotations

import pytest

from kneehab.store.db import PG_POOL_SIZE, Database


def _burst(db: Database, size: int) -> set[int]:
    """`size` connections held at once, as a burst of requests holds them; their server processes."""
    held = [db.engine.connect() for _ in range(size)]
    try:
        return {int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in held}
    finally:
        for conn in held:
            conn.close()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_next_burst_reuses_the_connections_of_the_last(db: Database) -> None:
    size = PG_POOL_SIZE - 3  # the sign-in's and the test's own connections aside
    first = _burst(db, size)
    assert len(first) == size
    assert _burst(db, size) == first  # no new server process for the second burst
