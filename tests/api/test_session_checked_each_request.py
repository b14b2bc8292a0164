"""A signed-in browser's session is read from the database on every request (issue 11 §5 made the read
cheap: one statement on a connection each thread keeps, store/point_read.py), so what another process
does to it counts at the next request: signing out everywhere, removing the account. Its rare writes
(last seen, at most once a minute; an expired session deleted) still happen. On SQLite and PostgreSQL;
each "process" is an app with its own Database (its own engine and kept connections)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from api_support import PASSWORD, SETTINGS, Clock, login, web_client
from sqlalchemy import select, update

from kneehab.services import accounts
from kneehab.store.db import Database, open_database
from kneehab.store.tables import AccountRow, AuthSessionRow
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def other_db(db_url: str, db: Database) -> Iterator[Database]:
    """The same database opened again, as another server process opens it."""
    other = open_database(db_url, upgrade=False)
    try:
        yield other
    finally:
        other.close()


def _sessions(db: Database) -> list[AuthSessionRow]:
    with db.read() as s:
        return list(s.scalars(select(AuthSessionRow)))


async def test_signing_out_everywhere_in_another_process_counts_at_the_next_request(
    db: Database,
    other_db: Database,
    library,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    one = create_app(SETTINGS, db=db, library=library, clock=clock)
    two = create_app(SETTINGS, db=other_db, library=library, clock=clock)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(web_client(one))  # signs up: a session on `one`
        for _ in range(3):  # `one` has looked the session up, on the connection it keeps
            assert (await first.get("/api/v1/me")).status_code == 200
        other = await login(two, "alice@example.org", stack)
        r = await other.post("/signout/everywhere")
        assert r.status_code == 303
        r = await first.get("/api/v1/me")
        assert r.status_code == 401, r.text
        assert (await first.get("/api/v1/today")).status_code == 401
        assert _sessions(db) == []


async def test_a_removed_account_is_signed_out_at_its_next_request(
    db: Database,
    other_db: Database,
    library,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    one = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(one) as c:
        assert (await c.get("/api/v1/me")).status_code == 200
        found = accounts.find(other_db, "alice@example.org")
        assert found is not None
        with other_db.write() as s:  # the account marked removed (its sessions left in place)
            s.execute(
                update(AccountRow).where(AccountRow.id == found.id).values(removed_at=clock.now)
            )
        assert (await c.get("/api/v1/me")).status_code == 401
        assert _sessions(db) == []  # the lookup's write: the session is deleted


async def test_the_last_seen_time_is_written_once_a_minute_and_an_idle_session_ends(
    db: Database,
    library,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as c:
        (signed,) = _sessions(db)
        clock.now += timedelta(seconds=50)
        assert (await c.get("/api/v1/me")).status_code == 200
        assert _sessions(db)[0].last_seen_at == signed.last_seen_at  # within the minute: a read
        clock.now += timedelta(seconds=20)
        assert (await c.get("/api/v1/me")).status_code == 200
        assert _sessions(db)[0].last_seen_at == clock.now
        clock.now += timedelta(hours=SETTINGS.session_idle_hours, seconds=1)
        assert (await c.get("/api/v1/me")).status_code == 401
        assert _sessions(db) == []
        r = await c.post("/api/v1/auth/login", json={"email": "alice@example.org",
                                                      "password": PASSWORD})  # fmt: skip
        assert r.status_code == 200
        assert (await c.get("/api/v1/me")).status_code == 200
