"""Issue 10 §3: the step-by-step answers live in the database, keyed by the hash of a random HttpOnly
cookie: another server process continues them, a restart loses nothing, and they expire after 24 h."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from api_support import NOW, SAFETY_NO, SETTINGS, Clock
from sqlalchemy import text

from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_another_process_continues_the_steps(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(NOW)
    first = create_app(SETTINGS, db=db, library=library, clock=clock)
    second = create_app(
        SETTINGS, db=db, library=library, clock=clock
    )  # another worker, or a restart
    jar = httpx.Cookies()
    for app, step in ((first, 1), (first, 2), (second, 3)):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", cookies=jar
        ) as c:
            r = await c.post(f"/start/{step}", data=SAFETY_NO)
            assert r.status_code == 303 and r.headers["location"] == f"/start/{step + 1}", r.text
            jar = c.cookies
    key = jar.get("kneehab_first_run")
    assert key
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash, data FROM drafts")).all()
    assert len(stored) == 1 and stored[0][0] != key  # only the key's hash is kept
    # A day later the answers are gone: the steps start again.
    clock.now = NOW + timedelta(hours=24, minutes=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://127.0.0.1", cookies=jar
    ) as c:
        r = await c.post("/start/4", data=SAFETY_NO)
        assert r.status_code == 303 and r.headers["location"] == "/start/1"
