"""Today's session, Stop — it hurts, check-in → changes, progress, export and delete, over HTTP."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from api_support import NOW, TODAY, enrol, pass_check, rescreen

from history_seed import seed_history
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_entry_and_player_state_are_saved_and_come_back(client: httpx.AsyncClient) -> None:
    await enrol(client)
    today = (await client.get("/api/v1/today")).json()
    first = today["plan"]["exercises"][0]
    assert next(e["block_label"] for e in today["plan"]["exercises"]) == "Warm-up"
    # RULES §1.1: the page asks today's short safety questions first.
    assert today["check_due"] is True
    first_visit = await client.get("/today")
    assert first_visit.status_code == 303 and first_visit.headers["location"] == "/today/check"
    await pass_check(client)
    body = {
        "exercise_id": first["id"],
        "sets_done": 2,
        "hold_s": [30, 30],
        "pain_during_max": 2,
        "effort": "easy",
        "side": "both",
    }
    r = await client.post("/api/v1/today/entries", json=body)
    assert r.status_code == 200 and r.json() == {
        "exercise_id": first["id"],
        "recorded": True,
        "paused": False,
        "not_in_session": False,
        "stop": False,
        "message": "Recorded.",
        "rules": [],
        "next_url": None,
    }
    state = {"signature": today["plan"]["signature"], "step": 5, "results": {"0": {"seconds": 30}}}
    assert (await client.post("/api/v1/today/state", json={"state": state})).status_code == 204
    again = (await client.get("/api/v1/today")).json()
    # The player's saves keep today's answers: no questions again.
    assert again["saved_state"] == state and again["done"] == 1 and again["check_due"] is False
    page = await client.get("/today")
    assert "Done: 2 sets · pain 2/10 · easy" in page.text


async def test_bad_entry_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    await enrol(client)
    await pass_check(client)
    r = await client.post(
        "/api/v1/today/entries",
        json={"exercise_id": "bridge", "sets_done": 2, "pain_during_max": 11},
    )
    assert r.status_code == 422
    assert r.json()["problems"][0].startswith("pain_during_max: got 11")
    r = await client.post(
        "/api/v1/today/entries",
        json={"exercise_id": "moonwalk", "sets_done": 1, "pain_during_max": 1},
    )
    assert r.status_code == 422 and "moonwalk" in r.json()["detail"]


async def test_form_entry_without_javascript(client: httpx.AsyncClient) -> None:
    await enrol(client)
    await pass_check(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    today = await client.get("/today")
    assert f'href="/today/record/{first}"' in today.text
    form = await client.get(f"/today/record/{first}")
    assert form.status_code == 200 and 'name="pain_during_max"' in form.text
    missing = await client.post("/today/entries", data={"exercise_id": first, "sets_done": "2"})
    # In plain words beside the field (not "pain_during_max: is required"), the answers kept.
    assert missing.status_code == 422
    assert "Choose the most knee pain you felt during it, from 0 to 10." in missing.text
    assert 'name="sets_done"' in missing.text and 'value="2"' in missing.text  # answers kept
    ok = await client.post(
        "/today/entries", data={"exercise_id": first, "sets_done": "2", "pain_during_max": "1"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/today#ex-{first}"
    assert "Done: 2 sets · pain 1/10" in (await client.get("/today")).text


async def test_stop_it_hurts_strong_pain_stops_the_session(client: httpx.AsyncClient) -> None:
    await enrol(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    form = await client.get(f"/today/stop?exercise={first}&sets_done=1&hold_s=30")
    assert form.status_code == 200 and 'name="sets_done" value="1"' in form.text
    assert f'value="{first}" checked' in form.text  # the player's exercise, chosen in advance
    r = await client.post(
        "/today/stop",
        data={
            "exercise_id": first,
            "pain_now": "8",
            "sets_done": "1",
            "hold_s": "30",
            "done_for": first,
        },
    )
    # RULES P1: stop for today; the warning-sign questions at the next morning check-in, as the banner
    # says — one message, one way on (back to Today, which says the same).
    assert r.status_code == 200 and "Stop exercising for today" in r.text
    assert "next morning check-in" in r.text or "Tomorrow morning" in r.text
    assert 'href="/rescreen"' not in r.text and 'href="/today"' in r.text
    today = await client.get("/today")
    assert today.status_code == 200 and "Today&#39;s session is stopped" in today.text
    assert "data-player-start" not in today.text and "/today/record/" not in today.text
    again = await rescreen(client)
    assert "No warning signs" in again.text


async def test_stop_with_locking_locks_the_program(client: httpx.AsyncClient) -> None:
    await enrol(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    r = await client.post(
        "/api/v1/today/stop", json={"exercise_id": first, "pain_now": 5, "symptoms": ["locking"]}
    )
    assert r.status_code == 200 and r.json()["stop"]["level"] == "urgent"
    assert "Get a medical check today" in (await client.get("/program")).text
    assert (await client.get("/api/v1/today")).status_code == 409


async def test_checkin_shows_each_change_with_its_reason(
    client: httpx.AsyncClient, db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    seed_history(db, library, TODAY)
    form = await client.get("/checkin")
    assert form.status_code == 200 and "Knee pain this morning" in form.text
    r = await client.post(
        "/checkin", data={"morning_pain": "3", "morning_stiffness": "2", "avg_pain": "3"}
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/checkin/changes?day={TODAY.isoformat()}"
    page = await client.get(r.headers["location"])
    twin = (await client.get("/api/v1/changes", params={"day": TODAY.isoformat()})).json()
    ups = [c for c in twin["changes"] if c["action"] == "progress"]
    assert ups and all("P2" in c["rules"] and c["reason"] for c in ups)
    assert f"{ups[0]['exercise_name']}: Step up" in page.text
    assert ups[0]["before"] in page.text and ups[0]["after"] in page.text
    twice = await client.post("/checkin", data={"morning_pain": "3"})
    assert twice.status_code == 422
    assert "already recorded" in twice.text


async def test_progress_page_and_twin(client: httpx.AsyncClient, db: Database, library) -> None:  # type: ignore[no-untyped-def]
    seed_history(db, library, TODAY)
    page = await client.get("/progress")
    twin = (await client.get("/api/v1/progress")).json()
    assert page.status_code == 200 and "<svg" in twin["pain_chart_svg"]
    assert twin["pain_rows"] and twin["exercises"]
    assert sum(d["state"] == "done" for d in twin["calendar"]) >= 10
    assert twin["outcomes"] == []
    # The summary comes first; each exercise's dose history is on its own page, linked from a row.
    text = page.text
    assert text.index("Knee pain") < text.index("Sessions done") < text.index("Tests and")
    assert text.index("Tests and") < text.index("Your exercises over time")
    bridge = next(e for e in twin["exercises"] if e["exercise_id"] == "bridge")
    assert bridge["url"] == "/progress/exercises/bridge" and f'href="{bridge["url"]}"' in text
    assert bridge["changes"] >= 1 and bridge["now"] in text
    history = (await client.get("/api/v1/progress/exercises/bridge")).json()
    assert history["steps"][0]["dose"] == bridge["now"]  # the latest first
    assert (
        history["steps"][-1]["change"] == "Start" and len(history["steps"]) == bridge["changes"] + 1
    )
    own = await client.get(bridge["url"])
    assert own.status_code == 200 and all(s["dose"] in own.text for s in history["steps"])
    assert 'href="/progress"' in own.text and 'href="/program/exercises/bridge"' in own.text
    missing = await client.get("/api/v1/progress/exercises/moonwalk")
    assert missing.status_code == 404 and "allowed: " in missing.json()["detail"]


async def test_export_and_confirmed_delete(client: httpx.AsyncClient) -> None:
    await enrol(client)
    await pass_check(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    await client.post(
        "/today/entries", data={"exercise_id": first, "sets_done": "2", "pain_during_max": "1"}
    )
    data = (await client.get("/data/export.json")).json()
    assert (
        data
        and "attachment" in (await client.get("/data/export.json")).headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO((await client.get("/data/export.csv")).text)))
    assert len(rows) >= 2 and any(first in ",".join(r) for r in rows[1:])
    refused = await client.post("/data/delete", data={})
    assert refused.status_code == 422 and "confirm" in refused.text
    assert (await client.get("/api/v1/program")).status_code == 200
    api_refused = await client.delete("/api/v1/person")
    assert api_refused.status_code == 422
    done = await client.post("/data/delete", data={"confirm": "yes"})
    assert done.status_code == 200 and "Everything is deleted" in done.text
    assert (await client.get("/today")).headers["location"] == "/start"
    assert NOW.date() == TODAY


async def test_checkin_scales_name_their_own_zero(client: httpx.AsyncClient) -> None:
    """Pain and stiffness share the 0–10 scale, but 0 means "no pain" for one, "no stiffness" for the other."""
    await enrol(client)
    form = (await client.get("/api/v1/checkin")).json()
    assert form["pain_scale"][0]["word"] == "No pain"
    assert form["stiffness_scale"][0]["word"] == "No stiffness"
    assert [o["value"] for o in form["stiffness_scale"]] == list(range(11))
    page = (await client.get("/checkin")).text
    assert page.count("No stiffness") == 1 and page.count("No pain") == 2


async def test_stop_saves_what_was_done_and_asks_which_exercise(client: httpx.AsyncClient) -> None:
    """Issue 9: a bare GET /today/stop is the form (never "exercise_id: '' is not in your program"); a stop
    after 2 of 10 reps is one set of 2 reps, not skipped; the API takes the counts too (bounded)."""
    await enrol(client)
    bare = await client.get("/today/stop")
    assert bare.status_code == 200 and "is not in your program" not in bare.text
    assert "Which exercise hurt?" in bare.text and " checked" not in bare.text.split("pain_now")[0]
    r = await client.post(
        "/api/v1/today/stop",
        json={"exercise_id": "bridge", "pain_now": 3, "sets_done": 1, "reps": [2]},
    )
    assert r.status_code == 200 and "within your limit" in r.json()["result"]["message"]
    assert "should stay within" not in str(r.json()["result"]["reasons"])
    today = (await client.get("/api/v1/today")).json()
    assert today["stopped"] is None
    assert next(e for e in today["plan"]["exercises"] if e["id"] == "bridge")["left_today"]
    bad = await client.post(
        "/api/v1/today/stop",
        json={"exercise_id": "bridge", "pain_now": 3, "sets_done": 1, "reps": [1000]},
    )
    assert bad.status_code == 422
    await client.post(
        "/api/v1/today/stop", json={"exercise_id": "bridge", "pain_now": 9, "sets_done": 0}
    )
    after = (await client.get("/api/v1/today")).json()
    assert after["stopped"] is not None and after["stopped"]["exercise_id"] == "bridge"
    # Pain 9 before the first set was done still counts for the rules (P1): it was not "skipped".
    assert after["banner"] is not None and "P1" in after["banner"]["rules"]


async def test_the_checkin_asks_about_a_new_injury(client: httpx.AsyncClient) -> None:
    """C-14 (v2): the check-in's words include `new_injury` on the web as in the CLI and the API;
    under 55 it is a `soon` flare (a review, cold not heat, a lower limit for 3 weeks)."""
    await enrol(client, age="45")
    page = (await client.get("/checkin")).text
    assert 'value="new_injury"' in page and "A new injury to this knee" in page
    r = await client.post("/checkin", data={"morning_pain": "3", "new_symptoms": "new_injury"})
    assert r.status_code in (200, 303)
    esc = (await client.get("/api/v1/progress")).json()["escalation"]
    assert esc["level"] == "soon" and "C-14" in esc["rules"]
