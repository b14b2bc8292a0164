"""RULES §1.1: before each day's session the short red-flag set (RF04, RF05, RF06, RF07, RF08, RF10, RF12
and "any new injury?") is asked again, once a day, before the player starts; any yes re-screens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from api_support import CHECK_ALL_NO, CHECK_IDS, NOW, TODAY, Clock, enrol, rescreen

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio
# A new injury at 55 or over is RF01, urgent, at once (RULES C-14 v2); these tests are about a new injury that
# sends the person to the full questions, so the person is younger.
UNDER_55 = "45"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_questions_come_once_a_day_before_the_session(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    first = await client.get("/today")
    assert first.status_code == 303 and first.headers["location"] == "/today/check"
    page = await client.get("/today/check")
    assert page.status_code == 200 and "Before today&#39;s session" in page.text
    assert all(f'name="{q}"' in page.text for q in CHECK_IDS)
    assert 'name="RF01"' not in page.text and 'name="RF03"' not in page.text
    questions = (await client.get("/api/v1/today/check")).json()["questions"]
    assert [q["id"] for q in questions] == [
        "RF04", "chest_symptoms", "cold_foot", "RF05", "RF10", "RF06", "RF07", "RF08", "RF12",
        "new_injury",
    ]  # fmt: skip
    r = await client.post("/today/check", data=CHECK_ALL_NO)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert (await client.get("/today")).status_code == 200
    # Answered for today: the questions are not asked again, and the answers are saved.
    assert (await client.get("/today/check")).headers["location"] == "/today"
    pid = services.current_person_id(db)
    assert pid is not None
    saved = services.session_check(db, on_machine(pid), day=TODAY)
    assert saved is not None and saved["cleared"] and saved["new_injury"] is False
    assert saved["answers"] == {q: False for q in CHECK_IDS if q != "new_injury"}


async def test_unanswered_question_is_named_and_nothing_saved(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    r = await client.post("/today/check", data={**CHECK_ALL_NO, "new_injury": ""})
    assert r.status_code == 422 and 'href="#new_injury">Question' in r.text  # issue 9 §2
    api = await client.post("/api/v1/today/check", json={"answers": {"RF04": False}})
    assert api.status_code == 422 and api.json()["problems"][0].startswith("RF05:")
    pid = services.current_person_id(db)
    assert pid is not None and services.session_check(db, on_machine(pid), day=TODAY) is None


async def test_locked_knee_stops_like_stop_it_hurts(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    answers = {q: q == "RF07" for q in CHECK_IDS}
    r = await client.post("/api/v1/today/check", json={"answers": answers})
    body = r.json()
    assert r.status_code == 200 and body["saved"] and body["stop"]["level"] == "urgent"
    # The same path as "Stop — it hurts" (services.rescreen): the program says to get checked today.
    assert "Get a medical check today" in r.json()["stop"]["heading"]
    assert "Get a medical check today" in (await client.get("/program")).text
    pid = services.current_person_id(db)
    assert pid is not None
    saved = services.session_check(db, on_machine(pid), day=TODAY)
    assert saved is not None and saved["answers"]["RF07"] is True and not saved["cleared"]


async def test_new_injury_needs_the_full_questions_before_the_session(
    client: httpx.AsyncClient,
) -> None:
    await enrol(client, age=UNDER_55)
    r = await client.post("/today/check", data={**CHECK_ALL_NO, "new_injury": "yes"})
    assert r.status_code == 200 and "Not today&#39;s session yet" in r.text
    assert 'href="/rescreen"' in r.text
    # No session until the full set is answered ...
    blocked = await client.get("/today")
    assert blocked.status_code == 303 and blocked.headers["location"] == "/rescreen"
    assert (await client.get("/api/v1/today")).json()["check_due"] is True
    # ... and then the session may go ahead.
    full = await rescreen(client)
    assert "No warning signs" in full.text
    assert (await client.get("/today")).status_code == 200


async def test_player_cannot_overwrite_the_saved_answers(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    forged = {"step": 1, "session_check": {"cleared": False}}
    assert (await client.post("/api/v1/today/state", json={"state": forged})).status_code == 204
    pid = services.current_person_id(db)
    assert pid is not None
    saved = services.session_check(db, on_machine(pid), day=TODAY)
    assert saved is not None and saved["cleared"] is True
    assert (await client.get("/api/v1/today")).json()["saved_state"] == {"step": 1}


async def test_session_writes_need_todays_check_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The API enforces what the /today page enforces: no exercise or player state is saved before
    today's check is answered, or after a yes until the full questions are answered (409, nothing saved)."""
    await enrol(client, age=UNDER_55)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    r = await client.post("/api/v1/today/entries", json=entry)
    assert r.status_code == 409 and "/api/v1/today/check" in r.json()["detail"]
    r = await client.post("/api/v1/today/state", json={"state": {"step": 1}})
    assert r.status_code == 409 and "/api/v1/today/check" in r.json()["problems"][0]
    # The pages without JavaScript go to the check instead.
    form = await client.post(
        "/today/entries", data={"exercise_id": first, "sets_done": "1", "pain_during_max": "1"}
    )
    assert form.status_code == 303 and form.headers["location"] == "/today/check"
    record = await client.get(f"/today/record/{first}")
    assert record.status_code == 303 and record.headers["location"] == "/today/check"
    # A yes (a new injury): the full safety questions come first, and the 409 says where.
    yes = {q: q == "new_injury" for q in CHECK_IDS}
    assert (await client.post("/api/v1/today/check", json={"answers": yes})).status_code == 200
    r = await client.post("/api/v1/today/entries", json=entry)
    assert r.status_code == 409 and "/api/v1/rescreen" in r.json()["detail"]
    pid = services.current_person_id(db)
    assert pid is not None and services.history(db, on_machine(pid)).entries == ()
    assert (
        services.load_player_state(db, on_machine(pid), day=TODAY) is not None
    )  # only the check itself
    full = {"answers": {f"RF{n:02d}": False for n in range(1, 17)}}
    assert (await client.post("/api/v1/rescreen", json=full)).json()["level"] == "ok"
    assert (await client.post("/api/v1/today/entries", json=entry)).status_code == 200
    assert (
        await client.post("/api/v1/today/state", json={"state": {"step": 2}})
    ).status_code == 204
    # "Stop — it hurts" is never refused; the schema says which endpoints need the check.
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    for p in ("/api/v1/today/entries", "/api/v1/today/state"):
        assert "/api/v1/today/check" in paths[p]["post"]["description"]
        assert "409" in paths[p]["post"]["responses"]


async def test_the_day_after_a_strong_pain_stop_the_full_questions_come_first(
    client: httpx.AsyncClient, db: Database, clock: Clock
) -> None:
    """RULES §1.1 (v2, EX-41): a stop at pain 8 or more makes the full set of safety questions due
    at the next morning. All 'no' to the short check is then not enough: the session waits (409)
    until the full set is answered, as the stop result told the person."""
    await enrol(client, age=UNDER_55)
    await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    hurt = {"exercise_id": first, "sets_done": 1, "pain_during_max": 9, "side": "both"}
    assert (await client.post("/api/v1/today/entries", json=hurt)).status_code == 200
    clock.now = NOW + timedelta(days=1)
    morning = {"date": (TODAY + timedelta(days=1)).isoformat(), "morning_pain": 2}
    assert (await client.post("/api/v1/checkins", json=morning)).status_code in (200, 201)
    r = await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    assert r.status_code == 200
    body = r.json()
    assert body["next_url"] == "/rescreen" and body["result"]["heading"] == (
        "The full safety questions today"
    )
    assert "P1" in body["result"]["rules"]
    entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    r = await client.post("/api/v1/today/entries", json=entry)
    assert r.status_code == 409 and "/api/v1/rescreen" in r.json()["detail"]
    assert "today is a day for the full safety questions" in r.json()["detail"]
    full = {"answers": {f"RF{n:02d}": False for n in range(1, 17)}}
    assert (await client.post("/api/v1/rescreen", json=full)).json()["level"] == "ok"
    second = (await client.get("/api/v1/today")).json()["plan"]["exercises"]
    other = next(e["id"] for e in second if e["id"] != first)
    entry = {"exercise_id": other, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    assert (await client.post("/api/v1/today/entries", json=entry)).status_code == 200


async def test_after_a_day_stop_my_program_agrees_with_today(client: httpx.AsyncClient) -> None:
    """Issue 9 §1: once 'Stop — it hurts' ended today's session, My program no longer offers to
    start it, and the stopped exercise says when the questions come (every page agrees)."""
    await enrol(client, age=UNDER_55)
    await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    before = await client.get("/program")
    assert "Start today&#39;s session" in before.text or "Start today's session" in before.text
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    stop = {"exercise_id": first, "pain_now": 9}
    assert (await client.post("/api/v1/today/stop", json=stop)).status_code == 200
    after = await client.get("/program")
    text = after.text.replace("&#39;", "'")
    assert "Start today's session" not in text
    assert "Today's session is stopped" in text
    assert "the safety questions come at your next morning check-in" in text
