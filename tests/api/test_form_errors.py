"""Issue 9 §2 and §3 over HTTP: mistakes read like help next to their field (the GOV.UK error-summary
pattern), the API keeps its machine field names and gains a plain `message` per problem, contradictory
answers are caught at their step, a stopped outcome is no dead end, optional fields say so, yesterday's
check-in can be added the next day, and the intake's goals are offered on the outcomes form."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from api_support import (
    CHECK_IDS,
    FIELDS_NO,
    INTAKE_FORM,
    NO_FLAGS,
    SAFETY_NO,
    SAFETY_STEPS,
    Clock,
    answer_steps,
    enrol,
    pass_check,
)

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


def _summary(html: str) -> str:
    m = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert m, "no error summary on the page"
    return m.group(0)


def _links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', _summary(html))


# ---- §2: the API keeps its machine names and gains plain words ------------------------------------------


async def test_api_problems_keep_machine_names_and_gain_a_plain_message(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/v1/enroll", json={**INTAKE_JSON, "age": 6})
    body = r.json()
    assert r.status_code == 422
    assert body["problems"][0].startswith("age: got 6")  # unchanged for integrators
    assert body["errors"][0] == {
        "field": "age",
        "problem": body["problems"][0],
        "message": "Enter your age in years, from 10 to 110.",
    }
    r = await client.post(
        "/api/v1/enroll", json={k: v for k, v in INTAKE_JSON.items() if k != "pain_now"}
    )
    assert r.json()["errors"][0]["message"] == "Choose how much your knee hurts right now."
    assert all(e["message"] for e in r.json()["errors"])


async def test_api_bad_json_names_the_body_not_a_position(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/enroll", content=b"{bad", headers={"content-type": "application/json"}
    )
    body = r.json()
    assert r.status_code == 422
    assert body["problems"][0].startswith("body: not valid JSON")  # was "[0]: jSON decode error"
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["message"].startswith("The request body is not valid JSON")


async def test_api_outcomes_problem_gains_plain_message(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/api/v1/outcomes", json={"psfs": [{"activity": "Stairs", "score": 11}]})
    err = r.json()["errors"][0]
    assert r.status_code == 422 and err["field"] == "psfs[0].score"
    assert err["message"] == "Enter how well you can do activity 1, 10 or less."


# ---- §2: pages show each mistake next to its field, linked from the box at the top ----------------------


async def test_step_1_box_links_to_each_question_without_repeating_them(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/start/1", data={})
    assert r.status_code == 422
    assert _links(r.text) == [
        ("RF03", "Question 1: answer yes or no."),
        ("RF04", "Question 2: answer yes or no."),
        ("chest_symptoms", "Question 3: answer yes or no."),
        ("cold_foot", "Question 4: answer yes or no."),
    ]
    summary = _summary(r.text)
    assert "knee" not in summary and "RF03:" not in r.text  # the questions are not repeated
    for q in ("RF03", "RF04", "chest_symptoms", "cold_foot"):
        assert f'aria-describedby="{q}-error"' in r.text
        assert f'<p class="field-error" id="{q}-error">' in r.text
        assert f'id="{q}" name="{q}"' in r.text  # the link's target
    assert "<title>Error: " in r.text


async def test_intake_mistakes_are_plain_and_next_to_their_field(
    client: httpx.AsyncClient,
) -> None:
    r = await enrol(client, age="6", weeks_since_onset="")
    assert r.status_code == 422
    assert _links(r.text) == [
        ("age", "Enter your age in years, from 10 to 110."),
        ("weeks_since_onset", "Enter how many weeks ago it started."),
    ]
    assert 'aria-describedby="age-error" aria-invalid="true"' in r.text
    assert 'aria-describedby="weeks_since_onset-hint weeks_since_onset-error"' in r.text
    assert "got &#39;6&#39;" not in r.text and "is required" not in r.text
    assert 'value="6"' in r.text  # the answer is kept


async def test_pain_step_mistakes_name_the_question_in_words(client: httpx.AsyncClient) -> None:
    r = await enrol(client, pain_now="")
    assert r.status_code == 422 and "Step 8 of 10" in r.text
    assert ("pain_now", "Choose how much your knee hurts right now.") in _links(r.text)
    assert 'id="pain_now" name="pain_now"' in r.text
    assert 'aria-describedby="pain_now-error"' in r.text


async def test_outcomes_form_mistakes_are_next_to_the_field(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/outcomes", data={"psfs_activity_1": "Stairs", "psfs_score_1": "11"})
    assert r.status_code == 422
    assert _links(r.text) == [
        ("psfs_score_1", "Enter how well you can do activity 1, from 0 to 10.")
    ]
    assert 'aria-describedby="psfs_score_1-error" aria-invalid="true"' in r.text
    assert "psfs_score_1: got" not in r.text


async def test_checkin_mistake_is_next_to_the_field(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/checkin", data={"morning_stiffness": "2"})
    assert r.status_code == 422
    assert _links(r.text) == [("morning_pain", "Choose your knee pain this morning.")]
    assert 'aria-describedby="morning_pain-error"' in r.text
    assert "<title>Error: Morning check-in · kneehab</title>" in r.text


async def test_delete_confirmation_mistake_is_next_to_the_box(client: httpx.AsyncClient) -> None:
    """My data: 'Delete everything' without the box ticked says so beside the box, linked from the top."""
    await enrol(client)
    r = await client.post("/data/delete", data={})
    assert r.status_code == 422
    assert _links(r.text) == [("confirm", "Tick the box to confirm. Deleting cannot be undone.")]
    assert '<p class="field-error" id="confirm-error">' in r.text
    assert (
        'id="confirm" name="confirm" value="yes" aria-describedby="confirm-error" aria-invalid="true"'
        in r.text
    )
    assert "confirm: tick" not in r.text  # the machine line stays for integrators
    assert "<title>Error: My data · kneehab</title>" in r.text
    assert (await client.get("/data")).status_code == 200  # nothing was deleted


async def test_record_form_mistakes_are_plain_and_next_to_their_field(
    client: httpx.AsyncClient,
) -> None:
    """The record form (Today without the player): each mistake beside its field in plain words, not
    "Bridge: sets_done: got 'abc'; input should be a valid integer"."""
    await enrol(client)
    await pass_check(client)
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    r = await client.post("/today/entries", data={"exercise_id": first, "sets_done": "abc"})
    assert r.status_code == 422
    assert _links(r.text) == [
        ("sets_done", "Enter how many sets you did, as a whole number from 0 to 10."),
        ("pain_during_max", "Choose the most knee pain you felt during it, from 0 to 10."),
    ]
    assert 'aria-describedby="sets_done-error" aria-invalid="true"' in r.text
    assert 'value="abc"' in r.text  # the answer is kept
    assert 'id="f-pain_during_max" aria-describedby="pain_during_max-error"' in r.text
    assert '<p class="field-error" id="pain_during_max-error">' in r.text
    assert 'id="pain_during_max" name="pain_during_max"' in r.text  # the link's target
    assert "got &#39;abc&#39;" not in r.text and "is required" not in r.text
    assert "sets_done:" not in r.text and "pain_during_max:" not in r.text
    # A count over the model's limit: the limit is read from the model, in words.
    r = await client.post(
        "/today/entries", data={"exercise_id": first, "sets_done": "12", "pain_during_max": "1"}
    )
    assert _links(r.text) == [
        ("sets_done", "Enter how many sets you did, as a whole number from 0 to 10.")
    ]


async def test_stop_form_mistakes_are_next_to_their_field_all_at_once(
    client: httpx.AsyncClient,
) -> None:
    """'Stop — it hurts' sent with nothing chosen: both mistakes at once, each beside its question."""
    await enrol(client)
    r = await client.post("/today/stop", data={})
    assert r.status_code == 422
    assert _links(r.text) == [
        ("exercise_id", "Choose the exercise that hurt."),
        ("pain_now", "Choose how much your knee hurts right now."),
    ]
    for field in ("exercise_id", "pain_now"):
        assert f'id="f-{field}" aria-describedby="{field}-error"' in r.text
        assert f'<p class="field-error" id="{field}-error">' in r.text
        assert f'id="{field}" name="{field}"' in r.text  # the link's target: the first choice
    assert "is required" not in r.text and "exercise_id:" not in r.text
    # The exercise chosen is kept; only the pain is asked for again.
    r = await client.post("/today/stop", data={"exercise_id": "bridge", "sharp_pain": "yes"})
    assert _links(r.text) == [("pain_now", "Choose how much your knee hurts right now.")]
    assert 'value="bridge" checked' in r.text and 'name="sharp_pain" value="yes" checked' in r.text


# ---- §3: contradictions are caught at their step ---------------------------------------------------------


async def test_age_under_16_after_no_to_under_16_is_caught_at_the_age_step(
    client: httpx.AsyncClient,
) -> None:
    r = await enrol(client, age="12")
    assert r.status_code == 422 and "Step 6 of 10" in r.text
    assert "You gave your age as 12, but answered No to question 18" in r.text
    assert (await client.get("/api/v1/program")).status_code == 404  # nobody enrolled
    # The way to fix it: back one step, where the under-16 question is; a yes there stops (out of scope) …
    back = await client.get("/start/5")
    assert back.status_code == 200 and 'name="RF15"' in back.text
    r = await client.post("/start/5", data={**SAFETY_NO, "RF15": "yes"})
    assert r.status_code == 200 and "Please see a clinician for your program" in r.text
    # … and even that stop is no dead end: a mistaken answer can be changed, the others kept.
    assert 'href="/start/5">Change my answers' in r.text
    again = await client.get("/start/5")
    assert 'name="RF15" value="yes" checked' in again.text
    assert 'name="RF13" value="no" checked' in again.text
    ok = await client.post("/start/5", data={**SAFETY_NO})
    assert ok.headers["location"] == "/start/6"


async def test_worst_pain_this_week_lower_than_now_is_questioned(
    client: httpx.AsyncClient,
) -> None:
    r = await enrol(client, pain_now="6", pain_worst_week="3")
    assert r.status_code == 422 and "Step 8 of 10" in r.text
    assert "You chose 3 for the worst this week, but 6 for right now" in r.text
    assert (
        "pain_worst_week",
        "Check the worst pain this week: 3 is lower than your pain now (6).",
    ) in _links(r.text)
    ok = await client.post(
        "/start/8", data={"pain_now": "6", "pain_worst_week": "6", "assessed": "yes"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/start/9"


# ---- §3: a stopped outcome keeps My data and a way to correct ------------------------------------------


async def test_withheld_program_keeps_my_data_and_a_way_to_start_again(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/v1/enroll", json={**INTAKE_JSON, "age": 14})).status_code == 201
    for path in ("/program", "/today", "/checkin", "/outcomes"):
        r = await client.get(path, follow_redirects=True)
        assert "Please see a clinician for your program" in r.text, path
        assert '<nav class="site-nav"' in r.text and 'href="/data"' in r.text, path
        assert 'href="/program"' not in r.text  # nothing to click past (RULES D-2)
        assert '<form method="post" action="/start/again">' in r.text  # nothing recorded yet
    assert (await client.get("/data")).status_code == 200
    assert (await client.get("/data/export.json")).status_code == 200


async def test_first_run_emergency_offers_to_change_the_answer(client: httpx.AsyncClient) -> None:
    r = await client.post("/start/1", data={**SAFETY_NO, "RF03": "yes"})
    assert "Call emergency services now" in r.text
    assert 'href="/start/1">Change my answers' in r.text
    assert "<form" not in r.text.split('<main id="main"')[1]


# ---- §3: optional fields are marked optional -------------------------------------------------------------


async def test_optional_fields_say_so(client: httpx.AsyncClient) -> None:
    await enrol(client)
    checkin = (await client.get("/checkin")).text
    for legend in (
        "Knee stiffness this morning (0 = none, 10 = worst)",
        "Your average knee pain over the last day",
        "Anything new since yesterday? Tick all that apply.",
    ):
        assert f'{legend} <span class="optional">(optional)</span>' in checkin
    assert 'Knee pain this morning <span class="optional">' not in checkin
    outcomes = (await client.get("/outcomes")).text
    assert outcomes.count('<span class="optional">(optional)</span>') == 3


async def test_intake_optional_fields_say_so(client: httpx.AsyncClient) -> None:
    await answer_steps(client, NO_FLAGS, {})
    await client.post("/start/6", data=INTAKE_FORM)
    what = (await client.get("/start/7")).text
    assert 'which grade? <span class="optional">(optional)</span>' in what
    await client.post("/start/7", data={"condition": "unknown"})
    await client.post("/start/8", data={"pain_now": "4", "pain_worst_week": "6", "assessed": "no"})
    moving = (await client.get("/start/9")).text
    assert 'in cm? <span class="optional">(optional)</span>' in moving
    await client.post("/start/9", data={"floor_transfer": "yes", "falls_or_unsteady": "no"})
    home = (await client.get("/start/10")).text
    assert home.count('<span class="optional">(optional)</span>') == 3


# ---- §3: yesterday's check-in the next day -----------------------------------------------------------


async def test_yesterdays_checkin_can_be_added_the_next_day(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await enrol(client)
    start = clock.now.date()
    # The first day offers only this morning (the course had not started yesterday).
    first = (await client.get("/checkin")).text
    assert 'name="date" value="' + start.isoformat() + '"' in first and "Which morning" not in first
    clock.now += timedelta(days=2)
    today, yesterday = start + timedelta(days=2), start + timedelta(days=1)
    form = (await client.get("/checkin")).text
    assert "Which morning is this check-in for?" in form
    assert f'value="{yesterday.isoformat()}"' in form and "Yesterday morning" in form
    r = await client.post("/checkin", data={"date": yesterday.isoformat(), "morning_pain": "3"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/checkin/changes?day={yesterday.isoformat()}"
    changes = await client.get(r.headers["location"])
    assert f"{yesterday:%A} {yesterday.day} {yesterday:%B %Y}" in changes.text
    dates = [c["date"] for c in (await client.get("/api/v1/export")).json()["checkins"]]
    assert dates == [yesterday.isoformat()]
    # Once added, it is not offered again; a second one for that morning is refused in plain words.
    form = (await client.get("/checkin")).text
    assert "Which morning" not in form and f'value="{yesterday.isoformat()}"' not in form
    again = await client.post("/checkin", data={"date": yesterday.isoformat(), "morning_pain": "3"})
    assert again.status_code == 422
    assert "A check-in for that morning is already recorded." in again.text
    older = await client.post("/checkin", data={"date": start.isoformat(), "morning_pain": "3"})
    assert older.status_code == 422 and "Choose this morning or yesterday morning." in older.text
    # Today's check-in, then the page offers nothing more to add.
    r = await client.post("/checkin", data={"date": today.isoformat(), "morning_pain": "2"})
    assert r.status_code == 303
    done = (await client.get("/checkin")).text
    assert "You have checked in today" in done and "Add yesterday" not in done


async def test_when_today_is_done_yesterday_is_offered_on_its_own(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await enrol(client)
    clock.now += timedelta(days=1)
    yesterday = clock.now.date() - timedelta(days=1)
    r = await client.post("/checkin", data={"morning_pain": "2"})  # no date: this morning
    assert r.status_code == 303
    done = (await client.get("/checkin")).text
    assert f'href="/checkin?day={yesterday.isoformat()}"' in done
    form = (await client.get(f"/checkin?day={yesterday.isoformat()}")).text
    assert "Yesterday morning" in form and f'name="date" value="{yesterday.isoformat()}"' in form
    r = await client.post("/checkin", data={"date": yesterday.isoformat(), "morning_pain": "4"})
    assert r.headers["location"] == f"/checkin/changes?day={yesterday.isoformat()}"


async def test_a_back_dated_checkin_keeps_the_gates(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await enrol(client)
    start = clock.now.date()
    clock.now += timedelta(days=1)
    # Before the program started: refused, naming the field.
    r = await client.post(
        "/api/v1/checkins",
        json={"date": (start - timedelta(days=1)).isoformat(), "morning_pain": 2},
    )
    assert r.status_code == 422 and r.json()["problems"][0].startswith("date:")
    assert r.json()["errors"][0]["message"].startswith("That morning is before your program")
    r = await client.post("/api/v1/checkins", json={"date": start.isoformat(), "morning_pain": 2})
    assert r.status_code == 201
    # Yesterday's check-in does not stand in for today's safety check (RULES §1.1, 409).
    first = (await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"]
    entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1, "side": "both"}
    r = await client.post("/api/v1/today/entries", json=entry)
    assert r.status_code == 409 and "/api/v1/today/check" in r.json()["detail"]
    # After today: refused, as before.
    tomorrow = (clock.now + timedelta(days=1)).date().isoformat()
    r = await client.post("/api/v1/checkins", json={"date": tomorrow, "morning_pain": 2})
    assert r.status_code == 422


async def test_a_withheld_program_takes_no_back_dated_checkin(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    assert (await client.post("/api/v1/enroll", json={**INTAKE_JSON, "age": 14})).status_code == 201
    start = clock.now.date()
    clock.now += timedelta(days=1)
    r = await client.post("/api/v1/checkins", json={"date": start.isoformat(), "morning_pain": 2})
    assert r.status_code == 409
    page = await client.post("/checkin", data={"date": start.isoformat(), "morning_pain": "2"})
    assert "Please see a clinician for your program" in page.text
    assert (await client.get("/api/v1/export")).json()["checkins"] == []


# ---- §3: the intake's goals on the outcomes form ----------------------------------------------------------


async def test_goals_from_the_intake_are_offered_on_the_outcomes_form(
    client: httpx.AsyncClient,
) -> None:
    r = await enrol(client, goals="Walk the dog\nClimb the stairs\n")
    assert r.status_code == 303
    page = (await client.get("/outcomes")).text
    assert 'id="psfs_activity_1" name="psfs_activity_1" value="Walk the dog"' in page
    assert 'id="psfs_activity_2" name="psfs_activity_2" value="Climb the stairs"' in page
    assert "The goals you gave at the start are filled in" in page
    twin = (await client.get("/api/v1/outcomes")).json()
    assert [r["activity"] for r in twin["psfs_rows"][:3]] == [
        "Walk the dog",
        "Climb the stairs",
        "",
    ]
    assert twin["activities_from"] == "goals"
    # Once rated, the activities rated last time are offered instead.
    saved = await client.post(
        "/outcomes", data={"psfs_activity_1": "Kneel to garden", "psfs_score_1": "3"}
    )
    assert saved.status_code == 303
    twin = (await client.get("/api/v1/outcomes")).json()
    assert (
        twin["psfs_rows"][0]["activity"] == "Kneel to garden" and twin["activities_from"] == "last"
    )


async def test_no_goals_leaves_the_rows_empty(client: httpx.AsyncClient) -> None:
    await enrol(client)
    twin = (await client.get("/api/v1/outcomes")).json()
    assert all(r["activity"] == "" for r in twin["psfs_rows"]) and twin["activities_from"] == ""


async def test_safety_steps_still_need_every_answer(client: httpx.AsyncClient) -> None:
    """The plain words change nothing of what is required (a guard for the flow above)."""
    for n in range(1, SAFETY_STEPS + 1):
        r = await client.post(f"/start/{n}", data={**FIELDS_NO, **NO_FLAGS})
        assert r.status_code == 303
    assert CHECK_IDS  # the short set is unchanged


async def test_offered_activities_left_unrated_are_not_a_mistake(client: httpx.AsyncClient) -> None:
    """Goals filled in for the person and not rated today are skipped; only chair stands are saved."""
    await enrol(client, goals="Walk the dog\nClimb the stairs")
    r = await client.post(
        "/outcomes",
        data={
            "psfs_activity_1": "Walk the dog",
            "psfs_activity_2": "Climb the stairs",
            "chair_stand_30s": "11",
        },
    )
    assert r.status_code == 303
    saved = (await client.get("/api/v1/export")).json()["outcomes"]
    assert [o["measure"] for o in saved] == ["chair_stand_30s"]
    # A name the person typed without a score is still asked about.
    r = await client.post("/outcomes", data={"psfs_activity_3": "Kneel", "walk_40m": "30"})
    assert r.status_code == 422
    assert "Enter how well you can do activity 3, from 0 to 10, or clear the activity" in r.text


async def test_a_checkin_that_locks_the_program_keeps_my_data(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/checkin", data={"morning_pain": "2", "new_symptoms": "cold_foot"})
    assert r.status_code == 200 and "Call emergency services now" in r.text
    assert 'href="/data">My data</a>' in r.text and 'href="/program"' not in r.text
    assert "delete everything and answer the questions again" in r.text
    assert "/start/again" not in r.text  # a check-in was recorded: not reopened
    later = await client.get("/today", follow_redirects=True)
    assert "Call emergency services now" in later.text and 'href="/data">My data</a>' in later.text


async def test_an_intake_that_stopped_can_be_reopened_and_corrected(
    client: httpx.AsyncClient,
) -> None:
    """A mistaken tap at the last steps (pain at rest 9 instead of 4) stopped the program at enrolment:
    'Change my answers' reopens the answers (nothing else was recorded), and the corrected ones enrol."""
    r = await enrol(client, pain_now="9", pain_worst_week="9")
    assert r.status_code == 200 and "Change my answers" in r.text
    page = await client.get("/program")
    assert '<form method="post" action="/start/again">' in page.text
    again = await client.post("/start/again")
    assert again.status_code == 303 and again.headers["location"] == "/start/6"
    assert (await client.get("/api/v1/program")).status_code == 404  # the stored intake is gone
    about = await client.get("/start/6")
    assert 'value="58"' in about.text and 'name="knee" value="right" checked' in about.text
    pain = await client.get("/start/8")
    assert 'name="pain_now" value="9" checked' in pain.text
    safety = await client.get("/start/5")
    assert 'name="RF15" value="no" checked' in safety.text
    for n in (6, 7):
        assert (await client.post(f"/start/{n}", data=INTAKE_FORM)).status_code == 303
    r = await client.post("/start/8", data={**INTAKE_FORM, "pain_now": "4", "pain_worst_week": "6"})
    assert r.headers["location"] == "/start/9"
    for n in (9, 10):
        r = await client.post(f"/start/{n}", data=INTAKE_FORM)
    assert r.status_code == 303 and r.headers["location"] == "/program"
    assert (await client.get("/api/v1/program")).status_code == 200


async def test_a_course_with_records_is_not_reopened(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/start/again")
    assert r.status_code == 409 and "My data" in r.text
    assert (await client.get("/api/v1/program")).status_code == 200  # nothing deleted
