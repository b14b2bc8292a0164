"""The re-screen page as the first run's safety steps (RULES §1.1, D-2): a few at a time, the signs that need
help now first (the chest question among them, RF17 v2), stopping at once on a stopping answer; the outcome is the one the JSON twin gives for the
same answers, and `POST /api/v1/rescreen` still takes all 16 at once."""

from __future__ import annotations

import httpx
import pytest
from api_support import CHECK_ALL_NO, NO_FLAGS, RESCREEN_STEPS, SAFETY_NO, enrol, rescreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _questions(html: str) -> list[str]:
    return [q for q in SAFETY_NO if f'name="{q}"' in html]


async def test_steps_a_few_at_a_time_in_first_run_order(client: httpx.AsyncClient) -> None:
    await enrol(client)
    start = await client.get("/rescreen")
    assert start.status_code == 303 and start.headers["location"] == "/rescreen/1"
    first = await client.get("/rescreen/1")
    assert first.status_code == 200 and "Step 1 of 5" in first.text
    assert _questions(first.text) == ["RF03", "RF04", "chest_symptoms", "cold_foot"]
    assert 'action="/rescreen/1"' in first.text and 'href="/program">← Back' in first.text
    # A later step waits until the ones before are answered; there is no step 6.
    assert (await client.get("/rescreen/3")).headers["location"] == "/rescreen/1"
    assert (await client.get("/rescreen/6")).status_code == 404
    r = await client.post("/rescreen/1", data=SAFETY_NO)
    assert r.status_code == 303 and r.headers["location"] == "/rescreen/2"
    cookie = r.headers["set-cookie"]
    assert "kneehab_rescreen=" in cookie and "HttpOnly" in cookie and "Path=/rescreen" in cookie
    second = await client.get("/rescreen/2")
    assert "Step 2 of 5" in second.text and 'href="/rescreen/1">← Back' in second.text
    assert _questions(second.text) == ["RF02", "RF05", "RF10"]
    # The first run's "injured in the last 7 days?" detail is not asked in a course.
    assert 'name="injured_this_week"' not in second.text
    back = await client.get("/rescreen/1")
    assert 'name="RF03" value="no" checked' in back.text


async def test_all_no_clears_todays_session(client: httpx.AsyncClient) -> None:
    await enrol(client, age="45")  # under 55: a new injury is not RF01 (C-14 v2)
    await client.post("/today/check", data={**CHECK_ALL_NO, "new_injury": "yes"})
    assert (await client.get("/today")).headers["location"] == "/rescreen"
    for n in range(1, RESCREEN_STEPS):
        r = await client.post(f"/rescreen/{n}", data=SAFETY_NO)
        assert r.headers["location"] == f"/rescreen/{n + 1}"
        assert (await client.get("/today")).status_code == 303  # nothing is saved before the end
    done = await client.post(f"/rescreen/{RESCREEN_STEPS}", data=SAFETY_NO)
    assert done.status_code == 200 and "No warning signs" in done.text
    assert 'kneehab_rescreen=""' in done.headers["set-cookie"]  # the answers are gone
    assert (await client.get("/today")).status_code == 200
    assert (await client.get("/rescreen/2")).headers["location"] == "/rescreen/1"


async def test_emergency_stops_at_step_1_and_locks_the_program(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/rescreen/1", data={**SAFETY_NO, "RF04": "yes"})
    assert r.status_code == 200 and "Call emergency services now" in r.text
    assert "Step 2 of 5" not in r.text and "<form" not in r.text.split('<main id="main"')[1]
    assert 'kneehab_rescreen=""' in r.headers["set-cookie"]
    assert "Call emergency services now" in (await client.get("/program")).text
    assert (await client.get("/api/v1/today")).status_code == 409


async def test_urgent_stops_at_its_step(client: httpx.AsyncClient) -> None:
    await enrol(client)
    await client.post("/rescreen/1", data=SAFETY_NO)
    r = await client.post("/rescreen/2", data={**NO_FLAGS, "RF02": "yes"})
    assert r.status_code == 200 and "Get a medical check today" in r.text
    assert "Step 3 of 5" not in r.text
    assert "Get a medical check today" in (await client.get("/program")).text


async def test_missing_answer_is_named_and_answers_are_kept(client: httpx.AsyncClient) -> None:
    await enrol(client)
    for n in (1, 2, 3):
        await client.post(f"/rescreen/{n}", data=SAFETY_NO)
    answers = {k: v for k, v in NO_FLAGS.items() if k != "RF08"} | {"RF12": "yes"}
    r = await client.post("/rescreen/4", data=answers)
    assert r.status_code == 422 and "Step 4 of 5" in r.text
    assert 'href="#RF08">Question 13: answer yes or no' in r.text and "RF07" not in r.text
    assert 'name="RF12" value="yes" checked' in r.text


CASES = [{q: "yes"} for q in NO_FLAGS] + [
    {},
    {"RF05": "yes", "chest_symptoms": "yes"},
    {"RF10": "yes", "cold_foot": "yes"},
    {"cold_foot": "yes"},
    {"chest_symptoms": "yes"},
    {"RF12": "yes", "RF02": "yes"},
    {"RF14": "yes", "RF16": "yes"},
]


async def test_stepwise_outcome_is_the_json_twins(client: httpx.AsyncClient) -> None:
    """For every single yes (and the details, and a few pairs) the steps end on the page the JSON twin
    names for the same answers, all 16 at once."""
    await enrol(client)
    for case in CASES:
        page = await rescreen(client, case)
        body = {
            "answers": {q: case.get(q) == "yes" for q in NO_FLAGS},
            "cold_foot": case.get("cold_foot") == "yes",
            "chest_symptoms": case.get("chest_symptoms") == "yes",
        }
        twin = (await client.post("/api/v1/rescreen", json=body)).json()
        heading = (twin["stop"] or twin["result"])["heading"]
        assert page.status_code == 200 and f"<h1>{heading}</h1>" in page.text, (case, twin)


async def test_json_twin_still_takes_all_16(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/api/v1/rescreen", json={"answers": {"RF01": False}})
    assert r.status_code == 422 and len(r.json()["problems"]) == 15
    ok = await client.post("/api/v1/rescreen", json={"answers": {q: False for q in NO_FLAGS}})
    assert ok.status_code == 200 and ok.json()["level"] == "ok"
    assert set(ok.json()) == {"level", "stop", "result"}
