"""First run over HTTP: red flags stop the flow; intake builds the program; mistakes keep answers."""

from __future__ import annotations

import httpx
import pytest
from markupsafe import escape

from conftest import NO_FLAGS, enrol

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
    r = await client.post("/start", data={**NO_FLAGS, "RF03": "yes"})
    assert r.status_code == 200
    assert "Call emergency services now" in r.text
    assert 'href="/program"' not in r.text and 'href="/today"' not in r.text
    assert "<form" not in r.text.split('<main id="main"')[1]
    # Nothing was saved: the person still has no program.
    assert (await client.get("/api/v1/program")).status_code == 404


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
    answers = {k: v for k, v in NO_FLAGS.items() if k != "RF07"}
    answers["RF12"] = "yes"
    r = await client.post("/start", data=answers)
    assert r.status_code == 422
    assert "RF07: please answer yes or no" in r.text
    assert 'name="RF12" value="yes" checked' in r.text


async def test_intake_mistake_names_the_field_and_keeps_answers(client: httpx.AsyncClient) -> None:
    r = await enrol(client, age="200")
    assert r.status_code == 422
    assert "age: got &#39;200&#39;; input should be less than or equal to 110" in r.text
    assert 'name="weeks_since_onset"' in r.text and 'value="10"' in r.text
    assert (await client.get("/api/v1/program")).status_code == 404


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
    await client.post("/start", data={**NO_FLAGS, "RF12": "yes"})
    r = await client.post(
        "/start/intake",
        data={
            "flag": ["RF12"],
            "age": "60",
            "knee": "left",
            "onset": "gradual",
            "weeks_since_onset": "20",
            "pain_now": "3",
            "pain_worst_week": "5",
        },
    )
    assert r.status_code == 303
    page = await client.get("/program")
    assert "Book a review within 1–2 weeks" in page.text
    assert (await client.get("/api/v1/program")).json()["review_notice"]


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
