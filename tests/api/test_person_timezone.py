"""Issue 11 §1: each person has a timezone and "today" is their date everywhere. A person on a
Pacific island (UTC+14) enrolled at noon UTC starts tomorrow by the server's calendar, and their Today
page is for their date; an unknown zone is refused by name."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from api_support import CHECK_IDS, INTAKE_FORM, NO_FLAGS, SETTINGS, Clock, answer_steps, web_client
from test_integrator import INTAKE

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
NOON_UTC = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_today_is_the_persons_own_date(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOON_UTC))
    async with web_client(app) as c:
        r = await c.post("/api/v1/enroll?timezone=Pacific/Kiritimati", json=INTAKE)
        assert r.status_code == 201, r.text
        pid = r.json()["person_id"]
        assert services.history_of(db, on_machine(pid), today=date(2026, 3, 3)).start == date(
            2026, 3, 3
        )
        today = (await c.get("/api/v1/today")).json()
        assert today["day"] == "2026-03-03", today.get("day")
        assert services.person_today(db, on_machine(pid), NOON_UTC) == date(2026, 3, 3)
        services.set_timezone(db, on_machine(pid), "America/Los_Angeles")  # 04:00 on the 2nd there
        assert services.person_today(db, on_machine(pid), NOON_UTC) == date(2026, 3, 2)


async def test_an_unknown_timezone_is_refused_by_name(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOON_UTC))
    async with web_client(app) as c:
        for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "x" * 64):
            r = await c.post("/api/v1/enroll", params={"timezone": bad}, json=INTAKE)
            assert r.status_code == 422, (bad, r.text)
            assert "timezone" in r.text
        me = (await c.get("/api/v1/me")).json()
        assert me["person_id"] is None  # nothing was saved


async def test_the_saved_program_keeps_the_browsers_timezone(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOON_UTC))
    async with web_client(app, sign_up=None) as c:
        r = await answer_steps(c, NO_FLAGS, INTAKE_FORM)
        assert r.headers["location"] == "/start/save"
        page = await c.get("/start/save")
        assert 'name="timezone"' in page.text and "/static/js/timezone.js" in page.text
        form = {"email": "kiri@example.org", "password": "a long pass phrase",
                "timezone": "Pacific/Kiritimati"}  # fmt: skip
        assert (await c.post("/start/save", data=form)).status_code == 303
        me = (await c.get("/api/v1/me")).json()
        assert services.person_today(db, on_machine(me["person_id"]), NOON_UTC) == date(2026, 3, 3)


async def test_a_person_ahead_of_the_server_can_record_todays_session(
    db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    """Found in review: the entry was checked against the server's date, so a person whose day had
    already begun (UTC+14 at noon UTC) got 422 'after today' for every exercise of their session."""
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOON_UTC))
    async with web_client(app) as c:
        r = await c.post("/api/v1/enroll?timezone=Pacific/Kiritimati", json=INTAKE)
        assert r.status_code == 201, r.text
        answers = {q: False for q in CHECK_IDS}
        assert (await c.post("/api/v1/today/check", json={"answers": answers})).status_code == 200
        today = (await c.get("/api/v1/today")).json()
        first = today["sections"][0]["items"][0]["card"]["id"]
        entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1}
        r = await c.post("/api/v1/today/entries", json=entry)
        assert r.status_code == 200, r.text
        pid = (await c.get("/api/v1/me")).json()["person_id"]
        assert [e.day for e in services.history(db, on_machine(pid)).entries] == [date(2026, 3, 3)]
