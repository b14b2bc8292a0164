"""Outcome measures (RULES D-3, §6): PSFS, 30 s chair stand and 40 m fast walk; changes against MDC / MCID."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from api_support import NOW, TODAY, Clock, enrol

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _saved(db: Database) -> int:
    pid = services.current_person_id(db)
    assert pid is not None
    return len(services.history(db, on_machine(pid)).outcomes)


async def test_record_by_form_then_change_shows_on_progress(
    client: httpx.AsyncClient, db: Database, clock: Clock
) -> None:
    clock.now = NOW - timedelta(days=14)
    await enrol(client)
    form = await client.get("/outcomes")
    assert form.status_code == 200 and 'name="psfs_activity_1"' in form.text
    r = await client.post(
        "/outcomes",
        data={
            "psfs_activity_1": "Climbing stairs",
            "psfs_score_1": "3",
            "psfs_activity_2": "Walking the dog",
            "psfs_score_2": "4",
            "chair_stand_30s": "9",
            "walk_40m": "32",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/progress#outcomes"
    clock.now = NOW
    # The activities are offered again, to be rated again.
    again = (await client.get("/api/v1/outcomes")).json()
    assert [row["activity"] for row in again["psfs_rows"][:2]] == [
        "Climbing stairs",
        "Walking the dog",
    ]
    r = await client.post(
        "/api/v1/outcomes",
        json={
            "psfs": [
                {"activity": "Climbing stairs", "score": 7},
                {"activity": "Walking the dog", "score": 5},
            ],
            "chair_stand_30s": 10,
            "walk_40m": 26.5,
        },
    )
    assert r.status_code == 201 and r.json()["measures"] == ["psfs", "chair_stand_30s", "walk_40m"]
    progress = (await client.get("/api/v1/progress")).json()
    by = {c["measure"]: c for c in progress["outcome_changes"]}
    # PSFS mean 3.5 → 6: +2.5 beats the MDC90 of 2; stairs +4 beats 3, the dog +1 does not.
    assert by["psfs"]["meaningful"] is True and "+2.5" in by["psfs"]["change"]
    acts = {a["activity"]: a for a in by["psfs"]["activities"]}
    assert "real change" in acts["Climbing stairs"]["verdict"]
    assert "not yet" in acts["Walking the dog"]["verdict"]
    # Chair stands 9 → 10 is below the 2-stand threshold; 40 m 1.25 → 1.51 m/s beats 0.2 m/s.
    assert by["chair_stand_30s"]["meaningful"] is False
    assert by["walk_40m"]["meaningful"] is True
    page = await client.get("/progress")
    assert "A real change is at least 2 points for the average" in page.text
    assert 'href="/outcomes"' in page.text
    assert _saved(db) == 6


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # Issue 9 §2: in plain words, next to the field, linked from the box at the top.
        ({"chair_stand_30s": "70"}, "Chair stands in 30 s must be 0–60."),
        ({"walk_40m": "2"}, "40 m walk time must be 5–600 seconds."),
        ({"walk_40m": "fast"}, "Enter the time for the 40 m walk in seconds as a number"),
        (
            {"psfs_activity_2": "Stairs", "psfs_score_2": "11"},
            "Enter how well you can do activity 2, from 0 to 10.",
        ),
        ({"psfs_score_1": "5"}, "Enter the name of activity 1, or clear its score."),
        ({"chair_stand_30s": ""}, "Fill in at least one test"),
    ],
)
async def test_bad_form_values_are_422_naming_the_field_and_nothing_is_saved(
    client: httpx.AsyncClient, db: Database, data: dict[str, str], field: str
) -> None:
    await enrol(client)
    # A good value beside the bad one is not saved either.
    r = await client.post("/outcomes", data={"chair_stand_30s": "12", **data})
    assert r.status_code == 422 and field in r.text, r.text
    assert _saved(db) == 0


async def test_bad_api_values_are_422_naming_the_field(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    r = await client.post(
        "/api/v1/outcomes",
        json={"psfs": [{"activity": "Stairs", "score": 12}], "chair_stand_30s": 8},
    )
    assert r.status_code == 422 and r.json()["problems"][0].startswith("psfs[0].score:")
    r = await client.post("/api/v1/outcomes", json={"walk_40m": 1000, "chair_stand_30s": 8})
    assert r.status_code == 422 and r.json()["problems"] == [
        "walk_40m: 40 m walk time must be 5–600 seconds"
    ]
    six = [{"activity": f"a{i}", "score": 5} for i in range(6)]
    r = await client.post("/api/v1/outcomes", json={"psfs": six})
    assert r.status_code == 422 and r.json()["problems"][0].startswith("psfs:")
    assert _saved(db) == 0
    assert TODAY  # the records are dated today (the clock), never later
