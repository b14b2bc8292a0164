"""An httpx client over ASGI for the web app, on SQLite and PostgreSQL (the shared `db` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from kneehab.config import Settings
from kneehab.library.load import load_library
from kneehab.store.db import Database
from kneehab.web.app import create_app

# A fixed local time: a Tuesday morning.
NOW = datetime(2025, 3, 4, 8, 30, tzinfo=timezone(timedelta(hours=1)))
TODAY: date = NOW.date()
NO_FLAGS = {f"RF{n:02d}": "no" for n in range(1, 17)}
INTAKE_FORM = {
    "age": "58",
    "knee": "right",
    "onset": "gradual",
    "weeks_since_onset": "10",
    "pain_now": "4",
    "pain_worst_week": "6",
    "condition": "medial_knee_oa",
    "sex": "female",
    "equipment": ["chair"],
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def library():  # type: ignore[no-untyped-def]
    return load_library()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def client(db: Database, library, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(Settings(), db=db, library=library, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kneehab.test") as c:
        yield c


@pytest.fixture
def enroll_form() -> Callable[..., dict[str, object]]:
    def make(**changes: object) -> dict[str, object]:
        return {**INTAKE_FORM, **changes}

    return make


async def enrol(client: httpx.AsyncClient, **changes: object) -> httpx.Response:
    """Go through first run in the browser way: red flags (all no), then the intake form."""
    r = await client.post("/start", data=NO_FLAGS)
    assert r.status_code == 200 and "About your knee" in r.text
    return await client.post("/start/intake", data={**INTAKE_FORM, **changes})


def seed_history(db: Database, library, today: date, days: int = 16) -> int:  # type: ignore[no-untyped-def]
    """A steady course through the services, back-dated: every scheduled session done in full and
    easy, a check-in each morning, the last session yesterday and today's check-in still to do."""
    from kneehab import services
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.records import CheckIn, Session, SessionEntry

    start = today - timedelta(days=days)
    at = lambda d, h: datetime(d.year, d.month, d.day, h, tzinfo=UTC)  # noqa: E731
    pid = services.enroll(db, DEMO_INTAKE, start=start, now=at(start, 9), library=library).person_id
    for offset in range(days):
        day = start + timedelta(days=offset)
        if offset > 0:
            morning = CheckIn(date=day, morning_pain=3, morning_stiffness=2, avg_pain=3)
            services.check_in(db, pid, morning, today=day, now=at(day, 8), library=library)
        entries = []
        for item in services.today_items(db, pid, today=day, library=library):
            d, sets = item.dose, item.dose.sets or 1
            entries.append(
                SessionEntry(
                    exercise_id=item.exercise_id,
                    sets_done=sets,
                    reps=(d.reps,) * sets if d.reps else None,
                    hold_s=(d.hold_s,) * sets if d.hold_s else None,
                    load_kg=d.load_kg,
                    step_cm=d.step_cm,
                    minutes=d.minutes,
                    side="both" if item.per_side else None,
                    pain_during_max=1,
                    effort="easy",
                    rir=3,
                )
            )
        if entries:
            services.save_session(
                db,
                pid,
                session=Session(date=day, entries=tuple(entries)),
                now=at(day, 18),
                today=day,
                library=library,
            )
    return pid
