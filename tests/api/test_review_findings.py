"""Defects a security review of issue 10's change found, each with the test that would have caught it:
a second person could not start first run in the browser; a join link allowed unlimited password
guessing; /claim trusted a proxy's loopback address; "Who has looked at my data" could show a deleted
person's trail to whoever got their id next; a link could be used twice at once, and older links
stayed valid after a newer one."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from api_support import INTAKE_FORM, NOW, PASSWORD, SAFETY_NO, SETTINGS, Clock, web_client
from sqlalchemy import text
from test_integrator import INTAKE

from kneehab.domain.identity import SERVER_ADMIN
from kneehab.errors import NotFound
from kneehab.services import accounts
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_second_person_starts_first_run_in_the_browser(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up="first@example.org") as first:
        assert (await first.post("/api/v1/enroll", json=INTAKE)).status_code == 201
    async with web_client(app, sign_up=None) as second:
        page = await second.get("/start/1")
        assert page.status_code == 200 and "Step 1 of" in page.text
        r = await second.post("/start/1", data=SAFETY_NO)
        assert r.headers["location"] == "/start/2"
    async with web_client(app, sign_up="invited@example.org") as invited:  # an account, no program
        assert (await invited.get("/start/1")).status_code == 200


async def test_a_join_link_does_not_allow_guessing_the_password(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    clinic = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=NOW)
    bob = accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=clinic,
                               password=PASSWORD, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up="sam@example.org") as sam:
        assert (await sam.post("/api/v1/enroll", json=INTAKE)).status_code == 201
    bob_actor = accounts.account_actor(db, bob.account_id)
    made = accounts.invite(db, "sam@example.org", role="person", actor=bob_actor, now=NOW)
    assert made.invitation is not None
    async with web_client(app, sign_up=None) as guesser:
        statuses = [
            (await guesser.post(
                "/account/password", data={"link": made.invitation, "password": f"guess {n}"}
            )).status_code
            for n in range(6)
        ]  # fmt: skip
        assert statuses[:5] == [422] * 5 and statuses[5] == 429  # throttled like a sign-in
        r = await guesser.post(
            "/account/password", data={"link": made.invitation, "password": PASSWORD}
        )
        assert r.status_code == 429  # even the right password waits
    with db.engine.connect() as conn:
        failed = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'invite_used' AND outcome = 'failed'"
            )
        ).scalar_one()
    assert failed == 5


async def test_claim_is_not_offered_through_a_proxy(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    from history_seed import seed_history

    seed_history(db, library, NOW.date(), days=2)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM accounts"))
        conn.execute(
            text("INSERT INTO accounts (email, name, role, person_id, created_at) "
                 "SELECT 'person-' || id || '@kneehab.local', '', 'person', id, created_at FROM persons")
        )  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up=None) as c:
        assert 'href="/claim"' in (await c.get("/signin")).text  # the machine itself
        proxied = await c.get("/signin", headers={"x-forwarded-for": "203.0.113.9"})
        assert 'href="/claim"' not in proxied.text
        r = await c.post("/claim", data={"email": "x@example.org", "password": PASSWORD},
                         headers={"forwarded": "for=203.0.113.9"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/signin"


async def test_a_reused_person_id_does_not_inherit_the_trail(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    clinic = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=NOW)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=clinic,
                         password=PASSWORD, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    clock = Clock(NOW)
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with AsyncExitStack() as stack:
        bee = await stack.enter_async_context(web_client(app, sign_up="bee@example.org"))
        first = (await bee.post("/api/v1/enroll", json=INTAKE)).json()["person_id"]
        bee_id = next(
            a.id for a in accounts.list_accounts(db, SERVER_ADMIN) if a.email == "bee@example.org"
        )
        with db.engine.begin() as conn:  # Bee is in Bob's clinic, and Bob looks
            conn.execute(text("UPDATE persons SET clinic_id = :c"), {"c": clinic})
            conn.execute(
                text("UPDATE accounts SET clinic_id = :c WHERE id = :i"), {"c": clinic, "i": bee_id}
            )
        bob = await stack.enter_async_context(web_client(app, sign_up=None))
        await bob.post(
            "/api/v1/auth/login", json={"email": "bob@example.org", "password": PASSWORD}
        )
        assert (await bob.get(f"/api/v1/patients/{first}/progress")).status_code == 200
        assert (await bee.delete("/api/v1/person", params={"confirm": "true"})).status_code == 204
        clock.now = NOW + timedelta(minutes=5)
        cee = await stack.enter_async_context(web_client(app, sign_up="cee@example.org"))
        second = (await cee.post("/api/v1/enroll", json=INTAKE)).json()["person_id"]
        items = (await cee.get("/api/v1/me/audit")).json()["items"]
        assert items == [], (first, second, items)


async def test_a_link_works_once_and_a_newer_one_ends_the_older(db: Database) -> None:
    made = accounts.add_account(db, "dee@example.org", role="person", clinic_id=None,
                                password=None, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    assert made.invitation is not None
    reset = accounts.reset_link(db, "dee@example.org", actor=SERVER_ADMIN, now=NOW)
    with pytest.raises(NotFound):  # the invitation ended when the reset was made
        accounts.use_link(db, made.invitation, PASSWORD, now=NOW)
    accounts.use_link(db, reset, PASSWORD, now=NOW)
    with pytest.raises(NotFound):
        accounts.use_link(db, reset, "another passphrase", now=NOW)


def test_the_same_email_at_the_same_moment_is_a_conflict_not_a_500(db: Database) -> None:
    from kneehab.errors import Conflict
    from kneehab.store import account_repo

    with pytest.raises(Conflict), db.write() as s:
        for _ in range(2):  # two inserts of one email reach the database (the check came first)
            account_repo.add_account(
                s, email="eve@example.org", role="person", name="", clinic_id=None,
                person_id=None, password_hash=None, now=NOW,
            )  # fmt: skip


_ = INTAKE_FORM


async def test_an_app_s_token_use_is_listed_for_the_person(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 §6: a token is "anyone other than that person": the app's reads are listed."""
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up="fay@example.org") as fay:
        assert (await fay.post("/api/v1/enroll", json=INTAKE)).status_code == 201
        made = accounts.create_token(db, "fay@example.org", scope="read", name="diary app",
                                     actor=SERVER_ADMIN, now=NOW)  # fmt: skip
        async with web_client(app, sign_up=None) as diary:
            diary.headers["authorization"] = f"Bearer {made.secret}"
            assert (await diary.get("/api/v1/progress")).status_code == 200
        items = (await fay.get("/api/v1/me/audit")).json()["items"]
        # Newest first: the app's read, and the server admin making the token on her account.
        assert [i["action"] for i in items] == ["token_use", "token_create"]
        assert "sign_in" not in {i["action"] for i in items}  # her own sign-in is not listed
