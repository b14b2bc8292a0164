"""A kept Today (web/kept_views.py) is never older than the records, on SQLite and PostgreSQL: after each
kind of change — through the person's own pages and API, their access token, their physical therapist,
the command line on the machine, a new day, deleting the record and starting again — the person's
Today (page and JSON) equals what a fresh process makes of the same database."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_support import NOW, PASSWORD, SETTINGS, Clock, login, web_client

from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import CheckIn
from kneehab.library.load import default_library
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.backup import backup, restore
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
TODAY = NOW.date()
CHECK_NO = {"answers": {q: False for q in ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10",
                                             "RF12", "new_injury")}}  # fmt: skip
INTAKE_JSON = {
    "age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
    "weeks_since_onset": 10, "pain_now": 4, "pain_worst_week": 6, "red_flags": [],
}  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _clinic(db: Database) -> int:
    early = NOW - timedelta(days=10)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=north, name="Bob Physio",
                         password=PASSWORD, actor=SERVER_ADMIN, now=early)  # fmt: skip
    account = accounts.add_account(db, "maria@example.org", role="person", clinic_id=north,
                                   name="Maria", password=PASSWORD, actor=SERVER_ADMIN, now=early)  # fmt: skip
    return services.enroll(
        db, DEMO_INTAKE, start=TODAY - timedelta(days=3), now=early,
        account_id=account.account_id, library=default_library(), actor=SERVER_ADMIN,
    ).person_id  # fmt: skip


class Fresh:
    """What a process that kept nothing makes of the database now (a new app each look)."""

    def __init__(self, db: Database, library: Any, clock: Clock, email: str) -> None:
        self.db, self.library, self.clock, self.email = db, library, clock, email

    async def today(self) -> tuple[int, Any, str, int, Any]:
        app = create_app(SETTINGS, db=self.db, library=self.library, clock=self.clock)
        async with AsyncExitStack() as stack:
            c = await login(app, self.email, stack)
            return await _look(c)


async def _look(c: httpx.AsyncClient) -> tuple[int, Any, str, int, Any]:
    """Today's JSON (status and body), the Today page's main text, and Progress's JSON."""
    r = await c.get("/api/v1/today")
    page = await c.get("/today")
    main = page.text.split("<main", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r'name="csrf_token" value="[^"]*"', "", main)  # each session has its own
    progress = await c.get("/api/v1/progress")
    return (
        r.status_code, r.json(), f"{page.status_code} {page.headers.get('location')} {main}",
        progress.status_code, progress.json(),
    )  # fmt: skip


async def _same_as_fresh(c: httpx.AsyncClient, fresh: Fresh) -> Any:
    kept = await _look(c)
    again = await _look(c)  # the second look is answered from what the first kept
    assert again == kept
    assert kept == await fresh.today()
    return kept[1]


async def test_every_change_reaches_a_kept_today(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    person_id = _clinic(db)
    clock = Clock(NOW)
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    fresh = Fresh(db, library, clock, "maria@example.org")
    async with AsyncExitStack() as stack:
        maria = await login(app, "maria@example.org", stack)
        bob = await login(app, "bob@example.org", stack)
        first = await _same_as_fresh(maria, fresh)
        assert first["check_due"] is True
        # The person: today's safety check, a saved exercise, the player's place.
        assert (await maria.post("/api/v1/today/check", json=CHECK_NO)).status_code == 200
        checked = await _same_as_fresh(maria, fresh)
        assert checked["check_due"] is False
        ex = checked["plan"]["exercises"][0]
        entry = {"exercise_id": ex["id"], "sets_done": 1, "pain_during_max": 1}
        entry |= {k: [ex[k]] for k in ("reps", "hold_s") if ex[k]}
        entry |= {"minutes": ex["minutes"]} if ex["minutes"] else {}
        entry |= {"side": "both"} if len(ex["sides"]) > 1 else {}
        r = await maria.post("/api/v1/today/entries", json=entry)
        assert r.status_code == 200, r.text
        logged = await _same_as_fresh(maria, fresh)
        assert logged["done"] == checked["done"] + 1
        r = await maria.post("/api/v1/today/state", json={"state": {"step": 3, "set": 1}})
        assert r.status_code == 204, r.text
        placed = await _same_as_fresh(maria, fresh)
        assert placed["saved_state"] != logged["saved_state"]
        # Their physical therapist: a lower dose with a reason, and a note.
        review = (await bob.get(f"/api/v1/patients/{person_id}")).json()
        target = review["items"][0]
        low = {f["key"]: f["low"] for f in target["dose_fields"][:1]}
        r = await bob.post(
            f"/api/v1/patients/{person_id}/actions",
            json={"kind": "set_dose", "exercise_id": target["exercise_id"], "dose": low,
                  "reason": "Start lower."},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        dosed = await _same_as_fresh(maria, fresh)
        assert dosed["plan"] != placed["plan"]
        r = await bob.post(
            f"/api/v1/patients/{person_id}/actions",
            json={"kind": "note", "note": "Ring me if it aches.", "reason": "follow-up"},
        )
        assert r.status_code == 201, r.text
        noted = await _same_as_fresh(maria, fresh)
        assert [n["text"] for n in noted["notes"]] == ["Ring me if it aches."]
        dismiss = f"/api/v1/today/notes/{noted['notes'][0]['id']}/dismiss"
        assert (await maria.post(dismiss)).status_code == 204
        assert (await _same_as_fresh(maria, fresh))["notes"] == []
        # The command line on the machine: a check-in; then a new day.
        services.check_in(
            db, on_machine(person_id), CheckIn(date=TODAY, morning_pain=7),
            today=TODAY, now=NOW, library=library,
        )  # fmt: skip
        await _same_as_fresh(maria, fresh)
        clock.now = NOW + timedelta(days=1)
        tomorrow = await _same_as_fresh(maria, fresh)
        assert tomorrow["check_due"] is True and tomorrow["done"] == 0
        # A warning sign on the machine's re-screen: Today is withheld at once (E1), kept or not.
        services.rescreen(
            db, on_machine(person_id), flags=["RF07"], now=clock.now,
            today=clock.now.date(), library=library,
        )  # fmt: skip
        status, body, _, progress_status, _ = await _look(maria)
        assert status == 409 and progress_status == 409, body
        assert (await _look(maria))[:2] == (await fresh.today())[:2] == (status, body)


async def test_a_token_sees_its_own_writes(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    person_id = _clinic(db)
    secret = accounts.create_token(
        db, "maria@example.org", scope="write", name="phone", actor=SERVER_ADMIN, now=NOW
    ).secret
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    headers = {"authorization": f"Bearer {secret}"}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 123))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers
    ) as c:
        before = (await c.get("/api/v1/today")).json()
        assert len(app.state.web.views) == 2  # the view and its JSON, kept for the token's reads
        assert (await c.post("/api/v1/today/check", json=CHECK_NO)).status_code == 200
        assert (await c.get("/api/v1/today")).json()["check_due"] is False
        services.check_in(
            db, on_machine(person_id), CheckIn(date=TODAY, morning_pain=3),
            today=TODAY, now=NOW, library=library,
        )  # fmt: skip
        after = (await c.get("/api/v1/today")).json()
    fresh = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    transport = httpx.ASGITransport(app=fresh, client=("127.0.0.1", 123))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=headers
    ) as c:
        assert after == (await c.get("/api/v1/today")).json() != before


async def test_a_record_made_again_never_meets_the_old_ones_view(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, db: Database, library, clock: Clock
) -> None:
    """Delete everything, start again under the same clock: SQLite gives the new record the old id
    and the same creation time; its revision is drawn afresh, so Today is the new program's."""
    r = await client.post("/api/v1/enroll", json=INTAKE_JSON)
    assert r.status_code == 201, r.text
    first = (await client.get("/api/v1/today")).json()
    assert (await client.delete("/api/v1/person", params={"confirm": "true"})).status_code == 204
    r = await client.post(
        "/api/v1/enroll", json={**INTAKE_JSON, "condition": "pes_anserine_bursitis"}
    )
    assert r.status_code == 201, r.text
    again = (await client.get("/api/v1/today")).json()
    assert again["plan"] != first["plan"]
    fresh = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(fresh, sign_up=None) as c:
        r = await c.post(
            "/api/v1/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        assert (await c.get("/api/v1/today")).json() == again


async def test_a_restore_while_serving_never_meets_a_kept_view(  # type: ignore[no-untyped-def]
    db: Database, library, tmp_path
) -> None:
    """A backup taken before a write is restored while the app serves, and one other write follows:
    the revision counts back up to the one a kept view was made at, but a restore draws revisions
    afresh, so Today is the restored data's, not the view kept before the restore."""
    person_id = _clinic(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    fresh = Fresh(db, library, Clock(NOW), "maria@example.org")
    async with AsyncExitStack() as stack:
        maria = await login(app, "maria@example.org", stack)
        await _same_as_fresh(maria, fresh)
        copy = backup(db, tmp_path / "before.backup")
        assert (await maria.post("/api/v1/today/check", json=CHECK_NO)).status_code == 200
        assert (await _same_as_fresh(maria, fresh))["check_due"] is False  # kept at this revision
        restore(db, copy, library=library)
        services.check_in(
            db, on_machine(person_id), CheckIn(date=TODAY, morning_pain=2),
            today=TODAY, now=NOW, library=library,
        )  # fmt: skip
        assert (await _same_as_fresh(maria, fresh))["check_due"] is True  # the restored day
