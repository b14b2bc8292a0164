"""Issue 9 §2 and §3 in Chromium: each mistake in plain words next to its field and linked from the box at the
top (the GOV.UK error-summary pattern); contradictions caught at their step; a stop with a way to My data and
to change a mistaken answer; optional fields marked; yesterday's check-in the next day; the intake's goals on the
outcomes form. axe-core runs on every changed page, with and without its mistakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from e2e_support import Server, answer_step, check_axe, shoot
from test_stop_and_player import ready

from history_seed import signed_up_account
from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services.acting import on_machine

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
SAFETY_STEPS = 5


def _pick(page, legend: str, value: str) -> None:  # type: ignore[no-untyped-def]
    group = page.locator("fieldset", has=page.locator("legend", has_text=legend)).first
    group.locator(f'label.choice:has(input[value="{value}"])').click()


def _described(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """The text a screen reader reads as the control's description (its aria-describedby targets)."""
    return str(
        page.locator(selector).first.evaluate(
            """e => (e.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
                 .map(id => document.getElementById(id).textContent.replace(/\\s+/g, ' ').trim())
                 .join(' | ')"""
        )
    )


def _summary_links(page) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    links = page.locator(".error-summary a").all()
    return [(a.get_attribute("href") or "", a.inner_text()) for a in links]


def _enrol(server: Server, start: date, **changes: object) -> int:
    now = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    intake = DEMO_INTAKE.model_copy(update=changes)
    return services.enroll(
        server.db,
        intake,
        start=start,
        now=now,
        library=server.library,
        account_id=signed_up_account(server.db),
        actor=SERVER_ADMIN,
    ).person_id


def test_safety_step_mistakes_are_linked_and_next_to_each_question(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start/1")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert summary.locator("h2").inner_text() == "There is a problem"
    # Short links, not the four questions again.
    assert _summary_links(page) == [
        ("#RF03", "Question 1: answer yes or no."),
        ("#RF04", "Question 2: answer yes or no."),
        ("#chest_symptoms", "Question 3: answer yes or no."),
        ("#cold_foot", "Question 4: answer yes or no."),
    ]
    assert _described(page, "#q-cold_foot") == "Error: Answer yes or no."
    # The mistake sits inside its question's box, and the link takes the person there.
    err = page.locator("#cold_foot-error").bounding_box()
    box = page.locator("#q-cold_foot").bounding_box()
    assert err and box and box["y"] <= err["y"] <= box["y"] + box["height"]
    page.locator('.error-summary a[href="#cold_foot"]').click()
    assert page.evaluate("() => location.hash") == "#cold_foot"
    assert page.evaluate("() => document.activeElement.id") == "cold_foot"
    check_axe(page)
    shoot(page, "issue9-after-safety-step-mistake")


def test_intake_mistake_in_plain_words_beside_the_age(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    for _ in range(SAFETY_STEPS):
        answer_step(page)
    page.get_by_label("Your age in years").fill("6")
    page.get_by_role("button", name="Continue").click()
    page.locator(".error-summary").wait_for()
    links = dict(_summary_links(page))
    assert links["#age"] == "Enter your age in years, from 10 to 110."
    assert links["#knee"] == "Choose which knee hurts."
    assert links["#weeks_since_onset"] == "Enter how many weeks ago it started."
    text = page.locator("main").inner_text()
    assert "got '6'" not in text and "is required" not in text and "age:" not in text
    assert _described(page, "#age") == "Error: Enter your age in years, from 10 to 110."
    assert page.locator("#age").get_attribute("aria-invalid") == "true"
    assert "Error: Enter how many weeks ago it started." in _described(page, "#weeks_since_onset")
    assert _described(page, "#f-knee") == "Error: Choose which knee hurts."
    # Next to the field: the message is just above the age box.
    msg, box = page.locator("#age-error").bounding_box(), page.locator("#age").bounding_box()
    assert msg and box and 0 <= box["y"] - (msg["y"] + msg["height"]) < 40
    check_axe(page)
    shoot(page, "issue9-after-intake-mistake")


def test_age_under_16_after_no_is_caught_at_its_step_and_can_be_corrected(
    server: Server, page
) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    for _ in range(SAFETY_STEPS):
        answer_step(page)
    page.get_by_label("Your age in years").fill("12")
    _pick(page, "Which knee hurts?", "left")
    _pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("3")
    page.get_by_role("button", name="Continue").click()
    error = page.locator("#age-error")
    error.wait_for()
    assert "answered No to question 18, “Are you under 16" in error.inner_text()
    assert services.current_person_id(server.db) is None  # nobody enrolled and locked out
    check_axe(page)
    # Back one step, where the question is: answering yes stops there, with a way to change it.
    page.get_by_role("link", name="← Back").click()
    page.wait_for_url("**/start/5")
    answer_step(page, yes=("RF15",))
    page.get_by_role("heading", name="Please see a clinician for your program").wait_for()
    check_axe(page)
    shoot(page, "issue9-after-stop-change-answer")
    page.get_by_role("link", name="Change my answers").click()
    page.wait_for_url("**/start/5")
    assert page.locator('#q-RF15 input[value="yes"]').is_checked()
    answer_step(page)  # it was a mistake after all: on to the intake, nothing lost
    assert page.url.endswith("/start/6")


def test_worst_pain_lower_than_now_is_questioned(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    for _ in range(SAFETY_STEPS):
        answer_step(page)
    page.get_by_label("Your age in years").fill("60")
    _pick(page, "Which knee hurts?", "left")
    _pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("3")
    page.get_by_role("button", name="Continue").click()
    _pick(page, "Has a clinician told you what it is?", "unknown")
    page.get_by_role("button", name="Continue").click()
    _pick(page, "How much does your knee hurt right now?", "6")
    _pick(page, "The worst it has been in the last week?", "2")
    _pick(page, "Has a doctor or physical therapist examined your knee", "no")
    page.get_by_role("button", name="Continue").click()
    page.locator("#pain_worst_week-error").wait_for()
    assert "Today is part of the week" in _described(page, "#f-pain_worst_week")
    check_axe(page)
    _pick(page, "The worst it has been in the last week?", "7")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/start/9")


def test_a_withheld_program_keeps_my_data(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _enrol(server, date.today(), age=14)
    page.goto(server.url + "/program")
    page.get_by_role("heading", name="Please see a clinician for your program").wait_for()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == ["My data"]
    check_axe(page)
    shoot(page, "issue9-after-withheld-my-data")
    nav.get_by_role("link", name="My data").click()
    page.get_by_role("heading", name="My data").wait_for()
    check_axe(page)
    # Nothing was recorded after the intake: its answers can be reopened and the age corrected.
    page.go_back()
    page.get_by_role("button", name="Change my answers").click()
    page.wait_for_url("**/start/6")
    assert page.get_by_label("Your age in years").input_value() == "14"
    page.get_by_label("Your age in years").fill("41")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/start/7")


def test_checkin_marks_optional_and_takes_yesterday(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    yesterday = today - timedelta(days=1)
    _enrol(server, today - timedelta(days=3))
    page.goto(server.url + "/checkin")
    optional = page.locator("legend .optional").all_inner_texts()
    assert optional == ["(optional)"] * 3  # stiffness, average pain, anything new
    assert page.locator("#f-morning_pain legend .optional").count() == 0
    page.get_by_role("button", name="Save check-in").click()  # nothing chosen
    page.locator(".error-summary").wait_for()
    assert _summary_links(page) == [("#morning_pain", "Choose your knee pain this morning.")]
    assert _described(page, "#f-morning_pain") == "Error: Choose your knee pain this morning."
    check_axe(page)
    shoot(page, "issue9-after-checkin-mistake")
    _pick(page, "Which morning is this check-in for?", yesterday.isoformat())
    _pick(page, "Knee pain this morning", "3")
    page.get_by_role("button", name="Save check-in").click()
    page.wait_for_url(f"**/checkin/changes?day={yesterday.isoformat()}")
    assert f"{yesterday:%A} {yesterday.day} {yesterday:%B %Y}" in page.locator("main").inner_text()
    person = services.current_person_id(server.db)
    assert person is not None
    assert [c.date for c in services.history(server.db, on_machine(person)).checkins] == [yesterday]
    page.goto(server.url + "/checkin")
    assert page.get_by_text("Which morning is this check-in for?").count() == 0
    check_axe(page)


def test_outcomes_offer_the_intake_goals_and_show_mistakes_beside_them(
    server: Server, page
) -> None:  # type: ignore[no-untyped-def]
    _enrol(server, date.today(), goals=("Walk the dog", "Climb the stairs"))
    page.goto(server.url + "/outcomes")
    assert page.locator("#psfs_activity_1").input_value() == "Walk the dog"
    assert page.locator("#psfs_activity_2").input_value() == "Climb the stairs"
    assert page.locator("legend .optional").count() == 3
    page.locator("#psfs_score_1").fill("11")
    page.get_by_role("button", name="Save my results").click()
    page.locator(".error-summary").wait_for()
    assert _summary_links(page) == [
        ("#psfs_score_1", "Enter how well you can do activity 1, from 0 to 10.")
    ]
    assert (
        _described(page, "#psfs_score_1")
        == "Error: Enter how well you can do activity 1, from 0 to 10."
    )
    assert page.locator("#psfs_activity_1").input_value() == "Walk the dog"  # kept
    check_axe(page)
    shoot(page, "issue9-after-outcomes-mistake")


def test_every_intake_step_with_its_mistakes_passes_axe(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    for _ in range(SAFETY_STEPS):
        answer_step(page)
    page.get_by_label("Your age in years").fill("60")
    _pick(page, "Which knee hurts?", "left")
    _pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("3")
    page.get_by_role("button", name="Continue").click()
    answers = [
        ("Has a clinician told you what it is?", "unknown"),
        ("How much does your knee hurt right now?", "3"),
        ("The worst it has been in the last week?", "5"),
        ("Has a doctor or physical therapist examined your knee", "no"),
        ("Can you get down to the floor and up again", "yes"),
        ("Have you fallen in the past year", "no"),
    ]
    for step in (7, 8, 9):
        page.get_by_role("button", name="Continue").click()  # nothing chosen yet
        page.locator(".error-summary").wait_for()
        assert page.locator(".field-error").count() >= 1, step
        for link in page.locator(".error-summary a").all():  # every link has its target
            target = (link.get_attribute("href") or "#")[1:]
            assert page.locator(f"[id='{target}']").count() == 1, (step, target)
        check_axe(page)
        for legend, value in answers:
            if page.locator("legend", has_text=legend).count():
                _pick(page, legend, value)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"**/start/{step + 1}")


# ---- the same pattern on the delete confirmation, the record form and the stop form -----------------


def test_delete_confirmation_mistake_is_beside_the_box(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _enrol(server, date.today())
    page.goto(server.url + "/data")
    page.get_by_role("button", name="Delete everything").click()
    page.locator(".error-summary").wait_for()
    message = "Tick the box to confirm. Deleting cannot be undone."
    assert _summary_links(page) == [("#confirm", message)]
    assert _described(page, "#confirm") == f"Error: {message}"
    assert page.locator("#confirm").get_attribute("aria-invalid") == "true"
    # Beside the box: the message sits just above it, inside the same framed field.
    msg, box = (
        page.locator("#confirm-error").bounding_box(),
        page.locator("#confirm").bounding_box(),
    )
    assert msg and box and 0 <= box["y"] - (msg["y"] + msg["height"]) < 40
    page.locator('.error-summary a[href="#confirm"]').click()
    assert page.evaluate("() => document.activeElement.id") == "confirm"
    assert services.current_person_id(server.db) is not None  # nothing deleted
    check_axe(page)
    shoot(page, "issue9-after-delete-mistake")
    page.get_by_label("Yes, delete everything kneehab keeps about me").check()
    page.get_by_role("button", name="Delete everything").click()
    page.get_by_role("heading", name="Everything is deleted").wait_for()


def test_record_form_mistakes_are_beside_their_fields(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    ready(server, page)
    page.get_by_role("link", name="Record it").first.click()
    page.get_by_role("heading", name="Record:").wait_for()
    page.locator("#sets_done").fill("")
    page.get_by_role("button", name="Save").click()
    page.locator(".error-summary").wait_for()
    sets = "Enter how many sets you did, as a whole number from 0 to 10."
    pain = "Choose the most knee pain you felt during it, from 0 to 10."
    assert _summary_links(page) == [("#sets_done", sets), ("#pain_during_max", pain)]
    assert _described(page, "#sets_done") == f"Error: {sets}"
    assert page.locator("#sets_done").get_attribute("aria-invalid") == "true"
    assert _described(page, "#f-pain_during_max") == f"Error: {pain}"
    text = page.locator("main").inner_text()
    assert "sets_done" not in text and "is required" not in text and "input should" not in text
    err = page.locator("#pain_during_max-error").bounding_box()
    field = page.locator("#f-pain_during_max").bounding_box()
    assert err and field and field["y"] <= err["y"] <= field["y"] + field["height"]
    page.locator('.error-summary a[href="#pain_during_max"]').click()
    assert page.evaluate("() => document.activeElement.id") == "pain_during_max"
    check_axe(page)
    shoot(page, "issue9-after-record-mistake")
    page.locator("#sets_done").fill("1")
    _pick(page, "Most knee pain during it", "2")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/today*")


def test_stop_form_mistakes_are_beside_their_fields(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _enrol(server, date.today())
    page.goto(server.url + "/today/stop")
    page.get_by_role("button", name="Stop and tell kneehab").click()
    page.locator(".error-summary").wait_for()
    which = "Choose the exercise that hurt."
    pain = "Choose how much your knee hurts right now."
    assert _summary_links(page) == [("#exercise_id", which), ("#pain_now", pain)]
    assert _described(page, "#f-exercise_id") == f"Error: {which}"
    assert _described(page, "#f-pain_now") == f"Error: {pain}"
    for field in ("exercise_id", "pain_now"):
        err = page.locator(f"#{field}-error").bounding_box()
        box = page.locator(f"#f-{field}").bounding_box()
        assert err and box and box["y"] <= err["y"] <= box["y"] + box["height"], field
    page.locator('.error-summary a[href="#pain_now"]').click()
    assert page.evaluate("() => document.activeElement.id") == "pain_now"
    check_axe(page)
    shoot(page, "issue9-after-stop-mistake")
    # What was chosen is kept; the one answer missing is asked for alone.
    _pick(page, "Which exercise hurt?", "bridge")
    page.get_by_role("button", name="Stop and tell kneehab").click()
    page.locator(".error-summary").wait_for()
    assert _summary_links(page) == [("#pain_now", pain)]
    assert page.locator("input[name=exercise_id][value=bridge]").is_checked()
    _pick(page, "How much does your knee hurt now?", "3")
    page.get_by_role("button", name="Stop and tell kneehab").click()
    page.get_by_role("link", name="Back to today's session").wait_for()


def test_email_and_password_boxes_are_as_large_as_the_other_fields_on_a_phone(
    server: Server, anonymous_page
) -> None:  # type: ignore[no-untyped-def]
    """The sign-in form's email and password boxes were the browser's own small ones (13 px text,
    about 20 px tall on a phone): only text and number boxes were styled. Every box a person types
    into is at least a tap target tall (3rem) in the page's own text size; a wrong answer still
    marks its box."""
    page = anonymous_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/signin")
    body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    tap_px = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize) * 3")
    for label in ("Email address", "Password"):
        box = page.get_by_label(label)
        size = box.bounding_box()
        assert size is not None and size["height"] >= tap_px - 0.5, (label, size)
        font = box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font == body_px, (label, font, body_px)
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    marked = page.get_by_label("Email address").evaluate("e => getComputedStyle(e).borderColor")
    plain = page.get_by_label("Password").evaluate("e => getComputedStyle(e).borderColor")
    assert marked != plain  # the box the message is about is marked
