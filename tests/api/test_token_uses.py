"""Requests with a personal access token under concurrency (issue 10 §2 and §6, issue 11 §5): every use
is in the audit trail, committed before the answer, the chain verifies, and the waits for the database's
write lock hold neither the event loop nor the thread pool."""

from __future__ import annotations

import asyncio
import fcntl
import os

import httpx
import pytest
from api_support import SETTINGS, Clock, blocked_by, table_locked, web_client
from sqlalchemy import text

from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import accounts, audit
from kneehab.store import db as db_module
from kneehab.store.db import Database, open_database, sqlite_path
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _token_uses(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.execute(
            text("SELECT resource, request_id FROM audit_log WHERE action = 'token_use'")
        )
        return [(r.resource, r.request_id) for r in rows]


async def _me(client: httpx.AsyncClient, secret: str) -> tuple[int, str]:
    """The status and the request's id (its trail row carries it)."""
    r = await client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    return r.status_code, r.headers["x-request-id"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the turn another process holds
async def test_token_uses_waiting_for_the_write_lock_hold_no_thread_and_commit_together(
    db: Database, library, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Another process holds SQLite's writers' turn while 48 token requests come in: more than the
    thread pool's 40 threads. Each waited for its trail row on a thread of its own, so the pool was
    full and a request that needs a thread (/readyz) waited behind them until the turn's 1 s bound
    refused them all (503). Now they wait without threads: /readyz answers meanwhile; once the turn
    is free all 48 uses are written in one transaction (they queued while its writer waited for
    the turn), each request gets 200, and the chain verifies."""
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 1.0)
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        secret = accounts.create_token(
            db, "ann@example.org", scope="read", name="app", actor=SERVER_ADMIN, now=clock()
        ).secret
        done: list[tuple[str, int]] = []
        ids: list[str] = []
        status, first = await _me(c, secret)  # the database's batches exist from here
        assert status == 200
        batches = accounts._TOKEN_BATCHES[db]
        batches_before = batches.batches
        before = audit.verify(db).rows

        async def use() -> None:
            status, rid = await _me(c, secret)
            done.append(("token", status))
            ids.append(rid)

        fd = os.open(f"{sqlite_path(db.url)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        held = [True]

        def end_turn() -> None:  # the other process's turn ends
            if held.pop():
                os.close(fd)

        async def look_meanwhile() -> None:
            await asyncio.sleep(0.2)  # every token request is waiting for its write by now
            r = await c.get("/readyz")
            done.append(("readyz", r.status_code))
            end_turn()

        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            await asyncio.gather(look_meanwhile(), *(use() for _ in range(48)))
        finally:
            if held:
                end_turn()
    assert done[0] == ("readyz", 200)  # answered while the token requests waited
    assert done[1:] == [("token", 200)] * 48
    assert batches.batches - batches_before == 1  # one transaction, one sync, for the 48
    checked = audit.verify(db)
    assert checked.ok and checked.rows == before + 48
    assert sorted(r for _, r in _token_uses(db)) == sorted([first, *ids])


async def test_token_uses_at_once_in_two_app_processes_are_each_recorded_and_the_chain_holds(
    db: Database, db_url: str, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """Two app workers (two engines on one database, each with its own batches) answer token
    requests of several accounts at once: every use has its own trail row with its request id,
    each token's last-used time is kept, and the chain verifies end to end."""
    other_db = open_database(db_url, upgrade=False)
    try:
        apps = [
            create_app(SETTINGS, db=where, library=library, clock=clock) for where in (db, other_db)
        ]
        async with (
            web_client(apps[0], sign_up="ann@example.org") as first,
            web_client(apps[1], sign_up="bob@example.org") as second,
        ):
            secrets_ = [
                accounts.create_token(
                    db, email, scope="write", name="app", actor=SERVER_ADMIN, now=clock()
                ).secret
                for email in ("ann@example.org", "bob@example.org")
            ]
            before = audit.verify(db).rows
            # Each worker serves both accounts' tokens.
            calls = [_me((first, second)[n % 2], secrets_[(n // 2) % 2]) for n in range(64)]
            answers = await asyncio.gather(*calls)
        assert all(status == 200 for status, _ in answers)
        checked = audit.verify(db)
        assert checked.ok and checked.rows == before + 64
        assert sorted(r for _, r in _token_uses(db)) == sorted(rid for _, rid in answers)
        with db.read() as s:
            used = s.execute(text("SELECT last_used_at FROM access_tokens")).scalars().all()
        assert len(used) == 2 and all(u is not None for u in used)
    finally:
        other_db.close()


async def test_a_revoked_token_is_refused_and_leaves_no_trail_row(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        made = accounts.create_token(
            db, "ann@example.org", scope="read", name="app", actor=SERVER_ADMIN, now=clock()
        )
        status, rid = await _me(c, made.secret)
        assert status == 200
        accounts.revoke_token(db, made.token_id, actor=SERVER_ADMIN, now=clock())
        before = audit.verify(db).rows
        assert (await _me(c, made.secret))[0] == 401
        assert (await _me(c, "kh_not-a-token"))[0] == 401
    assert audit.verify(db).rows == before
    assert [r for _, r in _token_uses(db)] == [rid]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_token_use_that_cannot_get_its_turn_in_time_is_a_503_to_retry(
    db: Database, library, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Its trail row cannot be written while another process keeps SQLite's writers' turn past the
    bound: the request is refused (503, nothing answered, no row), and the next one is served."""
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 0.3)
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        secret = accounts.create_token(
            db, "ann@example.org", scope="read", name="app", actor=SERVER_ADMIN, now=clock()
        ).secret
        before = audit.verify(db).rows
        fd = os.open(f"{sqlite_path(db.url)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            assert (await _me(c, secret))[0] == 503
        finally:
            os.close(fd)
        assert audit.verify(db).rows == before
        assert (await _me(c, secret))[0] == 200
    assert audit.verify(db).rows == before + 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # a read is a round trip there
async def test_a_token_request_waiting_for_postgresql_leaves_the_event_loop_free(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """The token's lookup was a read on the event loop: while PostgreSQL was slow to answer it (here
    the tokens' table is locked by another transaction; under load, a stalled disk) nothing else of
    the worker ran, /healthz included (docs/benchmarks.md, tokens4: a 0.8 s lookup froze a worker).
    Now the lookup goes with the use's batch, on its thread: /healthz answers while the token
    request waits; once the table is free the request answers 200 and its use is in the trail."""
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up="ann@example.org") as c:
        secret = accounts.create_token(
            db, "ann@example.org", scope="read", name="app", actor=SERVER_ADMIN, now=clock()
        ).secret
        assert (await _me(c, secret))[0] == 200  # the batches and their connection exist
        before = audit.verify(db).rows
        done: list[tuple[str, int]] = []
        with table_locked(db, "access_tokens") as (holder_pid, release):

            async def use() -> None:
                done.append(("token", (await _me(c, secret))[0]))

            async def look_meanwhile() -> None:
                waiting = await asyncio.to_thread(blocked_by, db, holder_pid)
                done.append(("healthz", (await c.get("/healthz")).status_code))
                assert waiting
                release()

            await asyncio.gather(use(), look_meanwhile())
    assert done == [("healthz", 200), ("token", 200)]  # /healthz answered while the token waited
    checked = audit.verify(db)
    assert checked.ok and checked.rows == before + 1
