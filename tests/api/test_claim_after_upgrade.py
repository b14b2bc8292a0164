"""Issue 10 §7: after the upgrade, the one person of a database made before accounts claims their
course by choosing an email and password, from the machine itself only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_support import NOW, PASSWORD, SETTINGS, Clock, web_client
from sqlalchemy import text

from kneehab.demo import seed_demo
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _upgraded(db: Database, library) -> int:  # type: ignore[no-untyped-def]
    """A course stored before accounts, as migration 0005 leaves it (tests/integration/
    test_migration_0005.py checks the migration itself): a placeholder account without a password."""
    pid = seed_demo(db, today=NOW.date(), now=datetime.now(UTC), library=library).person_id
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (email, name, role, person_id, created_at) "
                "SELECT 'person-' || id || '@kneehab.local', '', 'person', id, created_at "
                "FROM persons"
            )
        )
    return pid


async def test_the_person_claims_their_course_from_this_machine(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    pid = _upgraded(db, library)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up=None, client_address=("192.168.1.20", 5000)) as phone:
        page = await phone.get("/signin")
        assert "/claim" not in page.text  # not from another machine
        assert (await phone.get("/claim")).headers["location"] == "/signin"
    async with web_client(app, sign_up=None) as here:
        assert (await here.get("/")).headers["location"] == "/signin"
        assert 'href="/claim"' in (await here.get("/signin")).text
        r = await here.post("/claim", data={"email": "me@example.org", "password": "short"})
        assert r.status_code == 422 and "at least 8 characters" in r.text
        r = await here.post("/claim", data={"email": "me@example.org", "password": PASSWORD})
        assert r.status_code == 303
        me = (await here.get("/api/v1/me")).json()
        assert me["email"] == "me@example.org" and me["person_id"] == pid
        assert (await here.get("/api/v1/program")).status_code == 200
    async with web_client(app, sign_up=None) as later:
        assert "/claim" not in (await later.get("/signin")).text  # claimed once
