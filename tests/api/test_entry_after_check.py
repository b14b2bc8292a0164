"""POST /api/v1/today/entries checks, then writes (issue 11 §2): a change that another server stores
between the route's check and the write is what the write goes by, on SQLite and PostgreSQL (RULES
C-13: a set of an exercise paused meanwhile is taken and flagged, never taken as in the session)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import CHECK_IDS, NOW, SETTINGS, TODAY, Clock, web_client
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
        checked = services.check_status

        def then_another_server_pauses(db_: Database, who: Acting, *, day: object) -> None:
            checked(db_, who, day=day)  # type: ignore[arg-type]
            kept = replay.reused_course(pid)  # what the route's check just read
            with (
                db.write() as s
            ):  # another server's clinician action: this process keeps its course
                authorize(s, on_machine(pid), Action.CLINICAL_ACTION)
                repo.add_event(s, pid, pause, now=NOW + timedelta(minutes=1), by="clinician")
            assert replay.reused_course(pid) is kept

        monkeypatch.setattr(services, "check_status", then_another_server_pauses)
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
