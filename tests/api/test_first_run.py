"""First run over HTTP: red flags stop the flow; intake builds the program; mistakes keep answers."""

from __future__ import annotations

import httpx
import pytest
from api_support import (
    FIRST_RUN_STEPS,
    INTAKE_FORM,
    NO_FLAGS,
    SAFETY_NO,
    SAFETY_STEPS,
    answer_steps,
    enrol,
)
from markupsafe import escape

pytestmark = pytest.mark.anyio

INTAKE_JSON = {
    "age": 58,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 4,
    "pain_worst_week": 6,
    "red_flags": [],
}


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
    assert first.url.path == "/start/1" and "Step 1 of 10" in first.text
    # The signs that need help now come first: an emergency stops after one short screen.
    asked = ("RF03", "RF04", "chest_symptoms", "cold_foot", "RF05", "RF10", "RF02")
    assert [f'name="{q}"' in first.text for q in asked] == [
        True, True, True, True, False, False, False,
    ]  # fmt: skip
    r = await client.post("/start/1", data={**SAFETY_NO, "RF03": "yes"})
    assert r.status_code == 200
    assert "Call emergency services now" in r.text
    assert 'href="/program"' not in r.text and 'href="/today"' not in r.text
    assert "<form" not in r.text.split('<main id="main"')[1]
    # Nothing was saved, and the answers are gone: the questions start again from the first step.
    assert (await client.get("/api/v1/program")).status_code == 404
    assert (await client.get("/start/2")).headers["location"] == "/start/1"


async def test_urgent_answer_stops_at_its_step(client: httpx.AsyncClient) -> None:
    assert (await client.post("/start/1", data=SAFETY_NO)).headers["location"] == "/start/2"
    r = await client.post("/start/2", data={**NO_FLAGS, "RF02": "yes"})
    assert r.status_code == 200 and "Get a medical check today" in r.text
    assert "Step 3 of 10" not in r.text


async def test_chest_symptoms_are_asked_of_everyone_and_stop_at_once(
    client: httpx.AsyncClient,
) -> None:
    """RULES RF17 (v2): no calf or leg symptoms needed; "Call emergency services now." on step 1."""
    first = await client.get("/start/1")
    assert "new chest pain or pressure, sudden breathlessness" in first.text
    r = await client.post("/start/1", data={**SAFETY_NO, "chest_symptoms": "yes"})
    assert r.status_code == 200 and "Call emergency services now" in r.text
    assert "Step 2 of 10" not in r.text and (await client.get("/api/v1/program")).status_code == 404


async def test_the_cold_foot_is_a_question_of_its_own(client: httpx.AsyncClient) -> None:
    missing = await client.post(
        "/start/1", data={k: v for k, v in SAFETY_NO.items() if k != "cold_foot"}
    )
    # Issue 9 §2: in plain words, next to the question, and linked from the box at the top.
    assert (
        missing.status_code == 422
        and 'href="#cold_foot">Question 4: answer yes or no' in missing.text
    )
    assert 'id="cold_foot-error"' in missing.text and "cold_foot:" not in missing.text
    r = await client.post("/start/1", data={**SAFETY_NO, "cold_foot": "yes"})
    assert r.status_code == 200 and "Call emergency services now" in r.text


async def test_numbness_after_an_injury_this_week_is_an_emergency(
    client: httpx.AsyncClient,
) -> None:
    """RULES RF10 (v2): numbness within 7 days of an injury; the injury is asked beside it."""
    await client.post("/start/1", data=SAFETY_NO)
    step2 = await client.get("/start/2")
    assert 'name="injured_this_week"' in step2.text
    r = await client.post("/start/2", data={**NO_FLAGS, "RF10": "yes", "injured_this_week": "yes"})
    assert r.status_code == 200 and "Call emergency services now" in r.text
    twin = await client.post(
        "/api/v1/screening",
        json={"answers": {**{k: False for k in NO_FLAGS}, "RF10": True}, "injured_this_week": True},
    )
    assert twin.json()["level"] == "emergency" and twin.json()["rules"] == ["RF10"]


async def test_numbness_without_a_recent_injury_is_urgent(client: httpx.AsyncClient) -> None:
    await client.post("/start/1", data=SAFETY_NO)
    r = await client.post("/start/2", data={**NO_FLAGS, "RF10": "yes"})
    assert r.status_code == 200 and "Get a medical check today" in r.text


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
    chest = await client.post(
        "/api/v1/screening",
        json={"answers": {k: False for k in NO_FLAGS}, "chest_symptoms": True},
    )
    assert chest.json()["level"] == "emergency" and chest.json()["rules"] == ["RF17"]
    assert "RF17" not in chest.json()["message"] + " ".join(chest.json()["reasons"])


async def test_unanswered_question_is_named_and_answers_are_kept(client: httpx.AsyncClient) -> None:
    for n in (1, 2, 3):
        await client.post(f"/start/{n}", data=SAFETY_NO)
    answers = {k: v for k, v in NO_FLAGS.items() if k != "RF08"}
    answers["RF12"] = "yes"
    r = await client.post("/start/4", data=answers)
    assert r.status_code == 422
    assert 'href="#RF08">Question 13: answer yes or no' in r.text and "RF07" not in r.text
    assert 'aria-describedby="RF08-error"' in r.text
    assert 'name="RF12" value="yes" checked' in r.text


async def test_steps_go_in_order_and_going_back_keeps_answers(client: httpx.AsyncClient) -> None:
    # A later step waits until the ones before are answered.
    skipped = await client.get("/start/7")
    assert skipped.status_code == 303 and skipped.headers["location"] == "/start/1"
    for n in range(1, SAFETY_STEPS + 1):
        r = await client.post(f"/start/{n}", data={**SAFETY_NO, "RF14": "yes"})
        assert r.status_code == 303 and r.headers["location"] == f"/start/{n + 1}"
    # The answers are kept on the server, never in the page or the address; the browser holds a key.
    cookie = r.headers["set-cookie"]
    assert "kneehab_first_run=" in cookie and "HttpOnly" in cookie and "Path=/start" in cookie
    about = await client.get("/start/6")
    assert (
        "Step 6 of 10" in about.text and 'href="/start/5"' in about.text and "← Back" in about.text
    )
    await client.post("/start/6", data=INTAKE_FORM)
    back = await client.get("/start/5")
    assert (
        'name="RF14" value="yes" checked' in back.text
        and 'name="RF13" value="no" checked' in back.text
    )
    again = await client.get("/start/6")
    assert 'value="58"' in again.text and 'name="sex" value="female" checked' in again.text
    assert (await client.get("/start/11")).status_code == 404


async def test_intake_mistake_names_the_field_and_keeps_answers(client: httpx.AsyncClient) -> None:
    r = await enrol(client, age="200")
    assert r.status_code == 422
    assert "Enter your age in years, from 10 to 110." in r.text and "age: got" not in r.text
    assert 'name="age"' in r.text and 'value="200"' in r.text and "Step 6 of 10" in r.text
    # Only this step's questions are judged: the knee step is still to come.
    assert "knee:" not in r.text
    assert (await client.get("/api/v1/program")).status_code == 404
    missing = await client.post("/start/6", data={"sex": "male"})
    assert missing.status_code == 422 and "Enter your age in years." in missing.text
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
        "/program/swaps",  # D-10: the session holds 6; the other candidates are swaps
        "/program/take",  # print it, or add it to a calendar (issue 14)
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
            "condition": "unknown",
            "onset": "gradual",
            "weeks_since_onset": 3,
            "pain_now": 2,
            "pain_worst_week": 3,
            "red_flags": [],
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
    assert len(twin["questions"]) == 18 and groups[0]["url"] == "/start/1"
    assert groups[0]["questions"] == ["RF03", "RF04", "chest_symptoms", "cold_foot"]
    assert FIRST_RUN_STEPS == 10


async def test_out_of_scope_fact_withholds_program_everywhere(client: httpx.AsyncClient) -> None:
    # Issue 9 §3: age 14 after "No" to "under 16" is caught at the step (see test_form_errors); an intake
    # that is out of scope on its own facts (the API takes it whole) withholds the program everywhere.
    body = {**INTAKE_JSON, "age": 14}
    assert (await client.post("/api/v1/enroll", json=body)).status_code == 201
    r = await client.get("/program")
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
    # RULES C-14: `condition` and `red_flags` are answers, never filled in for a missing field.
    assert any(p.startswith("condition: is required") for p in problems)
    assert any(p.startswith("red_flags: is required") for p in problems)


async def test_the_intake_steps_ask_the_v2_questions(client: httpx.AsyncClient) -> None:
    """RULES D-11, E10, D-5, C-14: examined? floor? falls? the bottom stair (kept only without a step); no
    answer is filled in for the person (no condition chosen in advance)."""
    await answer_steps(client, NO_FLAGS, {})  # stops at the first intake step, which is empty
    await client.post("/start/6", data=INTAKE_FORM)
    what = await client.get("/start/7")
    assert 'name="condition" value="unknown" checked' not in what.text
    r = await client.post("/start/7", data={"mcl_grade": ""})
    assert r.status_code == 422 and "Choose what a clinician told you it is" in r.text
    await client.post("/start/7", data={"condition": "unknown"})
    pain = await client.get("/start/8")
    assert "Has a doctor or physical therapist examined your knee for this problem?" in pain.text
    r = await client.post("/start/8", data={"pain_now": "4", "pain_worst_week": "6"})
    assert r.status_code == 422 and 'id="assessed-error"' in r.text
    assert "Choose yes, no or not sure." in r.text
    await client.post(
        "/start/8", data={"pain_now": "4", "pain_worst_week": "6", "assessed": "not_sure"}
    )
    moving = await client.get("/start/9")
    assert "Can you get down to the floor and up again safely on your own?" in moving.text
    assert (
        "Have you fallen in the past year, or do you feel unsteady when standing or walking?"
        in moving.text
    )
    assert 'name="stair_height_cm"' in moving.text
    r = await client.post("/start/9", data={"floor_transfer": "no"})
    assert r.status_code == 422 and 'href="#falls_or_unsteady"' in r.text
    bad = await client.post(
        "/start/9",
        data={"floor_transfer": "no", "falls_or_unsteady": "not_sure", "stair_height_cm": "45"},
    )
    assert bad.status_code == 422 and "Enter the height of your bottom stair in cm" in bad.text
    await client.post(
        "/start/9",
        data={"floor_transfer": "no", "falls_or_unsteady": "not_sure", "stair_height_cm": "18"},
    )
    r = await client.post("/start/10", data={"equipment": ["chair"]})
    assert r.status_code == 303 and r.headers["location"] == "/program"
    intake = (await client.get("/api/v1/export")).json()["intakes"][0]["intake"]
    assert intake["assessed"] == "not_sure" and intake["floor_transfer"] == "no"
    assert intake["falls_or_unsteady"] == "not_sure" and intake["stair_height_cm"] == 18
    assert intake["condition"] == "unknown" and intake["red_flags"] == []


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
    """Stopping at a step with a warning sign never under-calls it: step 1 holds only the questions that are
    an emergency on any yes (the chest question and the cold foot among them), so it stops only on an
    emergency; step 2 holds the two whose yes is an emergency with a detail (calf symptoms with chest
    symptoms, numbness with a cold foot or an injury this week, asked beside it). After step 2 every question
    that can make the answers an emergency has been asked, so a later step can add at most urgent."""
    from kneehab.domain.red_flags import FIELD_QUESTIONS_BY_FIELD, QUESTIONS_BY_ID
    from kneehab.domain.types import Level
    from kneehab.web.viewmodels.first_run import SAFETY, STEPS
    from kneehab.web.viewmodels.start import FOLLOW_UPS

    def tier(q: str) -> Level:
        return (FIELD_QUESTIONS_BY_FIELD.get(q) or QUESTIONS_BY_ID[q]).tier

    first, second, *rest = [s for s in STEPS if s.kind == SAFETY]
    assert all(tier(q) == Level.EMERGENCY for q in first.fields)
    assert set(first.fields) == {"RF03", "RF04", "chest_symptoms", "cold_foot"}
    assert {"RF05", "RF10"} <= set(second.fields) and set(FOLLOW_UPS) <= set(second.fields)
    assert all(tier(q) != Level.EMERGENCY for q in second.fields)
    assert all(tier(q) != Level.EMERGENCY for s in rest for q in s.fields)
    assert not {"RF05", "RF10"} & {q for s in rest for q in s.fields}
