"""RULES §1.1: "Ask the full set weekly". On a day the weekly full set is due, all "no" to the short
questions before the session is not enough: the full safety questions come first (/rescreen), with words
saying this is the weekly check, and the session waits for them. Once answered, Today opens, and the next
day the short questions alone are asked again."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from api_support import CHECK_ALL_NO, CHECK_IDS, NOW, Clock, enrol, rescreen

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _first_exercise(client: httpx.AsyncClient) -> str:
    return str((await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"])


async def test_day_8_without_a_full_set_asks_the_weekly_one_first(
    client: httpx.AsyncClient, db: Database, clock: Clock
) -> None:
    await enrol(client)  # the intake's safety questions: day 0
    clock.now = NOW + timedelta(days=8)  # no full set of questions since
    assert (await client.get("/today")).headers["location"] == "/today/check"
    r = await client.post("/today/check", data=CHECK_ALL_NO)
    assert r.status_code == 200, r.text
    text = r.text.replace("&#39;", "'")
    assert "This week's full safety check" in text
    assert "Once a week" in text and "today is the day" in text
    assert 'href="/rescreen"' in text and "Answer the weekly safety check now" in text
    # The session waits: Today sends to the full questions, the writes answer 409 and save nothing.
    today = await client.get("/today")
    assert today.status_code == 303 and today.headers["location"] == "/rescreen"
    first = await _first_exercise(client)
    entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    refused = await client.post("/api/v1/today/entries", json=entry)
    assert refused.status_code == 409
    assert "today is a day for the full safety questions" in refused.json()["detail"]
    assert "/api/v1/rescreen" in refused.json()["detail"]
    pid = services.current_person_id(db)
    assert pid is not None
    saved = services.session_check(db, on_machine(pid), day=clock.now.date())
    assert saved is not None and saved["full_set_due"] and not saved["cleared"]
    # The full questions, all no: Today opens and the session may be recorded.
    done = await rescreen(client)
    assert done.status_code == 200 and "You may do today&#39;s session" in done.text
    assert (await client.get("/today")).status_code == 200
    assert (await client.post("/api/v1/today/entries", json=entry)).status_code == 200
    # The next day: the short questions alone, as on any other day.
    clock.now += timedelta(days=1)
    r = await client.post("/today/check", data=CHECK_ALL_NO)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert (await client.get("/today")).status_code == 200


async def test_the_json_twin_names_the_weekly_full_set(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await enrol(client)
    clock.now = NOW + timedelta(days=7)  # a week after the intake's questions
    body = (
        await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    ).json()
    assert body["next_url"] == "/rescreen"
    assert body["result"]["heading"] == "This week's full safety check"
    assert body["result"]["rules"] == ["§1.1"]
    full = {"answers": {f"RF{n:02d}": False for n in range(1, 17)}}
    assert (await client.post("/api/v1/rescreen", json=full)).json()["level"] == "ok"
    first = await _first_exercise(client)
    entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    assert (await client.post("/api/v1/today/entries", json=entry)).status_code == 200


async def test_within_the_week_all_no_is_enough(client: httpx.AsyncClient, clock: Clock) -> None:
    await enrol(client)
    clock.now = NOW + timedelta(days=6)
    r = await client.post("/today/check", data=CHECK_ALL_NO)
    assert r.status_code == 303 and r.headers["location"] == "/today"


async def test_daily_short_questions_do_not_stand_in_for_the_weekly_full_set(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await enrol(client)
    for day in range(1, 8):
        clock.now = NOW + timedelta(days=day)
        r = await client.post("/today/check", data=CHECK_ALL_NO)
        if r.status_code == 200 and "This week's full safety check" in r.text.replace("&#39;", "'"):
            return  # asked within the first week after the intake: the rule holds
        assert r.status_code == 303
    raise AssertionError("seven days of short questions and no weekly full set")
