"""A signed-in browser's session lookup on PostgreSQL leaves the worker's event loop free.

Every cookie request looks its session up first. That read ran on the event loop: one round trip to
PostgreSQL, during which nothing else of the worker ran. While the server was slow to answer (here the
sessions' table is locked by another transaction; in production, a stalled disk or network) the worker
answered nothing, /healthz included, so a balancer would have taken a healthy worker out. The lookup
is now awaited on an asyncio connection (store/point_read.py `first_waiting`).
"""

from __future__ import annotations

import asyncio

import pytest
from api_support import SETTINGS, Clock, blocked_by, table_locked, web_client
from sqlalchemy import text

from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_session_lookup_waiting_for_postgresql_leaves_the_event_loop_free(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        assert (await c.get("/api/v1/me")).status_code == 200  # the lookup's connection exists
        done: list[tuple[str, int]] = []
        with table_locked(db, "auth_sessions") as (holder_pid, release):

            async def signed_in_request() -> None:
                done.append(("me", (await c.get("/api/v1/me")).status_code))

            async def look_meanwhile() -> None:
                waiting = await asyncio.to_thread(blocked_by, db, holder_pid)
                done.append(("healthz", (await c.get("/healthz")).status_code))
                assert waiting
                release()

            await asyncio.gather(signed_in_request(), look_meanwhile())
    assert done == [("healthz", 200), ("me", 200)]  # /healthz answered while the lookup waited


async def test_a_lookup_connection_the_server_closed_is_replaced(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL ended the lookup's connection (a restart, an idle timeout): the next request is
    still recognised (read again through the pool), and the one after it on a new connection."""
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        assert (await c.get("/api/v1/me")).status_code == 200
        kept = db.point_reads._async
        assert kept is not None
        pid = kept[2].info.backend_pid
        # Autocommit: each query sees pg_stat_activity afresh (a transaction keeps one snapshot).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :p")
            for _ in range(500):  # the backend ends on its own signal, soon after
                if admin.execute(gone, {"p": pid}).scalar_one():
                    break
                await asyncio.sleep(0.01)
            assert admin.execute(gone, {"p": pid}).scalar_one()
        for _ in range(3):
            r = await c.get("/api/v1/me")
            assert r.status_code == 200, r.text
            assert r.json()["email"] == "ann@example.org"
        again = db.point_reads._async
        assert again is not None and again[2] is not kept[2] and not again[2].closed
