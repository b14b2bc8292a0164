"""First run over HTTP: red flags stop the flow; intake builds the program; mistakes keep answers."""

from __future__ import annotations

import httpx
import pytest
from markupsafe import escape

from conftest import FIRST_RUN_STEPS, INTAKE_FORM, NO_FLAGS, answer_steps, enrol

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_nobody_enrolled_goes_to_start_and_api_says_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/today")
    assert r.status_code == 303 and r.headers["location"] == "/start"
    r = await client.get("/api/v1/program")
    assert r.status_code == 404
    assert "answer the safety questions" in r.json()["detail"]


async def test_emergency_answer_stops_with_nothing_to_click_past(client: httpx.AsyncClient) -> None:
    first = await client.get("/start", follow_redirects=True)
    assert first.url.path == "/start/1" and "Step 1 of 8" in first.text
    # The signs that need help now come first: an emergency stops after one short screen.
    assert [f'name="{q}"' in first.text for q in ("RF03", "RF04", "RF05", "RF10", "RF02")] == [
        True, True, True, True, False,
    ]  # fmt: skip
    r = await client.post("/start/1", data={**NO_FLAGS, "RF03": "yes"})
    assert r.status_code == 200
    assert "Call emergency services now" in r.text
    assert 'href="/program"' not in r.text and 'href="/today"' not in r.text
    assert "<form" not in r.text.split('<main id="main"')[1]
    # Nothing was saved, and the answers are gone: the questions start again from the first step.
    assert (await client.get("/api/v1/program")).status_code == 404
    assert (await client.get("/start/2")).headers["location"] == "/start/1"


async def test_urgent_answer_stops_at_its_step(client: httpx.AsyncClient) -> None:
    assert (await client.post("/start/1", data=NO_FLAGS)).headers["location"] == "/start/2"
    r = await client.post("/start/2", data={**NO_FLAGS, "RF02": "yes"})
    assert r.status_code == 200 and "Get a medical check today" in r.text
    assert "Step 3 of 8" not in r.text


async def test_cold_foot_detail_raises_numbness_to_emergency(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/screening",
        json={
            "answers": {**{k: False for k in NO_FLAGS}, "RF10": True},
            "cold_foot": True,
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["level"] == "emergency" and body["stop"]["heading"] == "Call emergency services now"


async def test_unanswered_question_is_named_and_answers_are_kept(client: httpx.AsyncClient) -> None:
    for n in (1, 2):
        await client.post(f"/start/{n}", data=NO_FLAGS)
    answers = {k: v for k, v in NO_FLAGS.items() if k != "RF08"}
    answers["RF12"] = "yes"
    r = await client.post("/start/3", data=answers)
    assert r.status_code == 422
    assert "RF08: please answer yes or no" in r.text and "RF07" not in r.text
    assert 'name="RF12" value="yes" checked' in r.text


async def test_steps_go_in_order_and_going_back_keeps_answers(client: httpx.AsyncClient) -> None:
    # A later step waits until the ones before are answered.
    skipped = await client.get("/start/6")
    assert skipped.status_code == 303 and skipped.headers["location"] == "/start/1"
    for n in range(1, 5):
        r = await client.post(f"/start/{n}", data={**NO_FLAGS, "RF14": "yes"})
        assert r.status_code == 303 and r.headers["location"] == f"/start/{n + 1}"
    # The answers are kept on the server, never in the page or the address; the browser holds a key.
    cookie = r.headers["set-cookie"]
    assert "kneehab_first_run=" in cookie and "HttpOnly" in cookie and "Path=/start" in cookie
    about = await client.get("/start/5")
    assert (
        "Step 5 of 8" in about.text and 'href="/start/4"' in about.text and "← Back" in about.text
    )
    await client.post("/start/5", data=INTAKE_FORM)
    back = await client.get("/start/4")
    assert (
        'name="RF14" value="yes" checked' in back.text
        and 'name="RF13" value="no" checked' in back.text
    )
    again = await client.get("/start/5")
    assert 'value="58"' in again.text and 'name="sex" value="female" checked' in again.text
    assert (await client.get("/start/9")).status_code == 404


async def test_intake_mistake_names_the_field_and_keeps_answers(client: httpx.AsyncClient) -> None:
    r = await enrol(client, age="200")
    assert r.status_code == 422
    assert "age: got &#39;200&#39;; input should be less than or equal to 110" in r.text
    assert 'name="age"' in r.text and 'value="200"' in r.text and "Step 5 of 8" in r.text
    # Only this step's questions are judged: the knee step is still to come.
    assert "knee:" not in r.text
    assert (await client.get("/api/v1/program")).status_code == 404
    missing = await client.post("/start/5", data={"sex": "male"})
    assert missing.status_code == 422 and "age: is required" in missing.text
    assert 'name="sex" value="male" checked' in missing.text


async def test_intake_builds_the_program_and_its_json_twin_matches(
    client: httpx.AsyncClient,
) -> None:
    r = await enrol(client)
    assert r.status_code == 303 and r.headers["location"] == "/program"
    page = await client.get("/program")
    twin = (await client.get("/api/v1/program")).json()
    assert page.status_code == 200
    names = [ex["name"] for s in twin["sections"] for ex in s["exercises"]]
    assert names and all(escape(n) in page.text for n in names)
    assert next(s["label"] for s in twin["sections"]) == "Warm-up"
    assert [m["url"] for m in twin["more"]] == [
        "/program/avoid",
        "/program/equipment",
        "/program/advice#ice-heat",
        "/program/advice#see-a-professional",
    ]
    # Pictures are files, not inlined: the page only references them.
    assert "<svg" not in page.text and twin["review_notice"] == ""
    assert '<img class="figure small" src="/figures/' in page.text
    # A second enrolment is refused: nothing already saved is replaced.
    again = await client.post(
        "/api/v1/enroll",
        json={
            "age": 40,
            "knee": "left",
            "onset": "gradual",
            "weeks_since_onset": 3,
            "pain_now": 2,
            "pain_worst_week": 3,
        },
    )
    assert again.status_code == 409


async def test_soon_answer_shows_program_with_review_notice(client: httpx.AsyncClient) -> None:
    r = await answer_steps(client, {**NO_FLAGS, "RF12": "yes"}, {**INTAKE_FORM, "age": "60"})
    assert r.status_code == 303 and r.headers["location"] == "/program"
    assert 'kneehab_first_run=""' in r.headers["set-cookie"]  # first run is over: the key is gone
    page = await client.get("/program")
    assert "Book a review within 1–2 weeks" in page.text
    assert (await client.get("/api/v1/program")).json()["review_notice"]
    assert (await client.get("/start/1")).headers["location"] == "/program"


async def test_screening_twin_lists_the_steps(client: httpx.AsyncClient) -> None:
    twin = (await client.get("/api/v1/screening")).json()
    groups = twin["groups"]
    assert [q for g in groups for q in g["questions"]] == [q["id"] for q in twin["questions"]]
    assert len(twin["questions"]) == 16 and groups[0]["url"] == "/start/1"
    assert groups[0]["questions"] == ["RF03", "RF04", "RF05", "RF10"]
    assert FIRST_RUN_STEPS == 8


async def test_out_of_scope_fact_withholds_program_everywhere(client: httpx.AsyncClient) -> None:
    r = await enrol(client, age="14")
    assert r.status_code == 200 and "Please see a clinician for your program" in r.text
    assert "Please see a clinician" in (await client.get("/today")).text
    api = await client.get("/api/v1/today")
    assert api.status_code == 409 and api.json()["problems"]


async def test_api_enroll_validates_and_names_fields(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/enroll", json={"age": 5, "knee": "middle"})
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert any(p.startswith("age:") for p in problems)
    assert any(p.startswith("knee:") and "allowed" in p for p in problems)
    assert any(p.startswith("onset: is required") for p in problems)


async def test_unknown_pages_are_404_in_the_right_format(client: httpx.AsyncClient) -> None:
    html = await client.get("/nowhere")
    assert html.status_code == 404 and "text/html" in html.headers["content-type"]
    api = await client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.json()["detail"]


async def test_openapi_documents_every_json_twin(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    for p in (
        "/api/v1/program",
        "/api/v1/today",
        "/api/v1/checkins",
        "/api/v1/progress",
        "/api/v1/export",
        "/api/v1/screening",
        "/api/v1/enroll",
        "/api/v1/data",
        "/api/v1/program/exercises/{exercise_id}",
        "/api/v1/program/avoid",
        "/api/v1/program/equipment",
        "/api/v1/program/advice",
        "/api/v1/today/check",
        "/api/v1/outcomes",
    ):
        assert p in paths, p


async def test_every_question_that_can_be_an_emergency_comes_first() -> None:
    """Stopping at the first step with a warning sign never under-calls it: every question (and follow-up
    detail) that can make the answers an emergency is on step 1, so a later step can add at most urgent."""
    from kneehab.domain.red_flags import QUESTIONS_BY_ID
    from kneehab.domain.types import Level
    from kneehab.web.viewmodels.first_run import SAFETY, STEPS
    from kneehab.web.viewmodels.start import FOLLOW_UPS

    first, *rest = [s for s in STEPS if s.kind == SAFETY]
    assert set(FOLLOW_UPS) <= set(first.fields)
    assert all(QUESTIONS_BY_ID[q].tier != Level.EMERGENCY for s in rest for q in s.fields)
    assert {q for q in first.fields if QUESTIONS_BY_ID[q].tier == Level.EMERGENCY} == {
        "RF03",
        "RF04",
    }
