"""POST /api/v1/today/entries checks, then writes (issue 11 §2): a change that another server stores
between the route's check and the write is what the write goes by, on SQLite and PostgreSQL (RULES
C-13: a set of an exercise paused meanwhile is taken and flagged, never taken as in the session)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_support import CHECK_IDS, NOW, SETTINGS, TODAY, Clock, enrol, web_client
from sqlalchemy import event

from history_seed import seed_history
from kneehab import services
from kneehab.access import Action
from kneehab.domain.records import ClinicianAction
from kneehab.services import replay
from kneehab.services.acting import Acting, authorize, on_machine
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
FULL_SET_NO = {"answers": {f"RF{k:02d}": False for k in range(1, 17)}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_pause_stored_between_the_check_and_the_write_flags_the_set(
    db: Database, library, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as c:
        pid = seed_history(db, library, TODAY, days=12)  # the signed-up person's course
        r = await c.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
        assert r.status_code == 200, r.text
        r = await c.post("/api/v1/rescreen", json=FULL_SET_NO)  # §1.1: the weekly full set
        assert r.status_code == 200, r.text
        first, second, *_ = [
            e["id"] for e in (await c.get("/api/v1/today")).json()["plan"]["exercises"]
        ]
        # The day's first write keeps the snapshot after yesterday; the later ones reuse the course.
        r = await c.post("/api/v1/today/entries", json=_entry(second))
        assert r.status_code == 200 and r.json()["paused"] is False, r.text
        pause = ClinicianAction.model_validate(
            {"date": TODAY, "action": "pause", "exercise_id": first, "reason": "in clinic"}
        )
        checked = services.course_and_check

        def then_another_server_pauses(db_: Database, who: Acting, **kw: Any) -> Any:
            found = checked(db_, who, **kw)
            kept = replay.reused_course(pid)  # what the route's check just read
            with (
                db.write() as s
            ):  # another server's clinician action: this process keeps its course
                authorize(s, on_machine(pid), Action.CLINICAL_ACTION)
                repo.add_event(s, pid, pause, now=NOW + timedelta(minutes=1), by="clinician")
            assert replay.reused_course(pid) is kept
            return found

        monkeypatch.setattr(services, "course_and_check", then_another_server_pauses)
        r = await c.post("/api/v1/today/entries", json=_entry(first))
        assert r.status_code == 200, r.text
        assert r.json()["paused"] is True and "noted for your physio" in r.json()["message"]
        logged = services.entries_of_day(db, on_machine(pid), day=TODAY)
        assert [(r.entry.exercise_id, r.paused_when_logged) for r in logged] == [
            (second, False),
            (first, True),
        ]


def _entry(exercise_id: str) -> dict[str, object]:
    return {"exercise_id": exercise_id, "sets_done": 1, "pain_during_max": 1, "side": "both"}


async def test_a_locked_program_is_refused_before_the_safety_questions_then_them(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The route's order of refusals (one read now): a program locked by today's answers (E1) first,
    though those answers also leave the session waiting for the full questions (§1.1)."""
    await enrol(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    r = await client.post("/api/v1/today/entries", json=_entry(first))
    assert r.status_code == 409 and "/api/v1/today/check" in r.json()["detail"]  # not answered
    r = await client.post(
        "/api/v1/today/check", json={"answers": {q: q == "RF07" for q in CHECK_IDS}}
    )
    assert r.status_code == 200 and r.json()["stop"]["level"] == "urgent"
    r = await client.post("/api/v1/today/entries", json=_entry(first))
    assert r.status_code == 409 and "Get a medical assessment today" in r.json()["detail"]
    assert "/api/v1/today/check" not in r.json()["detail"]
    pid = services.current_person_id(db)
    assert pid is not None and services.entries_of_day(db, on_machine(pid), day=TODAY) == ()


async def test_the_route_checks_in_one_read_then_writes(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The course and today's safety answers are read in one transaction before the write (two
    before): the session's own lookup aside, a set is one read and one write."""
    await enrol(client)
    r = await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    assert r.status_code == 200, r.text
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    begun: list[str] = []

    def begin(conn: Any) -> None:
        begun.append("write" if conn.get_execution_options().get("kneehab_begin") else "read")

    event.listen(db.engine, "begin", begin)
    try:
        r = await client.post("/api/v1/today/entries", json=_entry(first))
    finally:
        event.remove(db.engine, "begin", begin)
    assert r.status_code == 200 and r.json()["recorded"], r.text
    assert begun == ["read", "write"]
