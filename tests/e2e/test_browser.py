"""End to end in Chromium: first run, the guided session (with close and resume), check-in, data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from e2e_support import PHONE, Server, answer_step, check_axe, phone_height, shoot_phone_view, visit

from history_seed import seed_history, signed_up_account
from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services.acting import on_machine

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
STEP_MAX_PX = 1600  # one short screen-and-a-bit per first-run step on a phone


FIRST_RUN_STEPS = 10  # the safety questions in 5 steps, then the intake in 5
SAFETY_STEPS = 5  # first run's safety steps, which the re-screen reuses
RESCREEN_STEPS = SAFETY_STEPS


def short_step(page, n: int, total: int = FIRST_RUN_STEPS) -> None:  # type: ignore[no-untyped-def]
    page.locator(".step-count", has_text=f"Step {n} of {total}").wait_for()
    height = phone_height(page)
    assert height < STEP_MAX_PX, f"step {n} of {total} is {height} px tall on a phone"


def pick(page, legend: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Click the visible choice whose input has this value, in the first fieldset with this legend."""
    group = page.locator("fieldset", has=page.locator("legend", has_text=legend)).first
    group.locator(f'label.choice:has(input[value="{value}"])').click()


def test_emergency_answer_stops_the_flow(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    assert page.url.endswith("/start/1")
    short_step(page, 1)
    visit(page, "01-safety-questions")
    answer_step(page, yes=("RF03",))
    page.get_by_role("heading", name="Call emergency services now").wait_for()
    assert page.get_by_role("link", name="Today").count() == 0
    assert page.get_by_role("button").count() == 0
    visit(page, "02-stop-emergency")
    assert services.current_person_id(server.db) is None


def test_intake_to_program(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    for n in range(1, SAFETY_STEPS + 1):  # the safety questions, a few at a time
        short_step(page, n)
        if n == 2:
            visit(page, "01b-safety-questions-step-2")
        answer_step(page)
    # Going back keeps the answers.
    short_step(page, 6)
    page.get_by_role("link", name="Back").click()
    short_step(page, 5)
    assert page.locator('#q-RF14 input[value="no"]').is_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="About you and your knee").wait_for()
    page.get_by_role("button", name="Continue").click()
    page.locator("#problems").wait_for()
    assert "Enter your age in years." in page.locator("#problems").inner_text()  # issue 9 §2
    visit(page, "03-intake-with-a-mistake")
    page.get_by_label("Your age in years").fill("62")
    pick(page, "Which knee hurts?", "right")
    pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("12")
    page.get_by_role("button", name="Continue").click()
    short_step(page, 7)
    pick(page, "Has a clinician told you what it is?", "medial_knee_oa")
    visit(page, "03b-intake-what-it-is")
    page.get_by_role("button", name="Continue").click()
    short_step(page, 8)
    pick(page, "How much does your knee hurt right now?", "4")
    pick(page, "The worst it has been in the last week?", "6")
    pick(page, "Has a doctor or physical therapist examined your knee", "yes")
    visit(page, "03c-intake-pain")
    page.get_by_role("button", name="Continue").click()
    short_step(page, 9)
    pick(page, "Can you get down to the floor and up again", "yes")
    pick(page, "Have you fallen in the past year", "no")
    page.get_by_label("Stairs at home: how high is the bottom step").fill("17")
    visit(page, "03e-intake-moving-safely")
    page.get_by_role("button", name="Continue").click()
    short_step(page, 10)
    page.get_by_label("A sturdy chair").check()
    visit(page, "03d-intake-equipment")
    page.get_by_role("button", name="Build my program").click()
    page.get_by_role("heading", name="My program", exact=True).wait_for()
    assert page.locator("li.ex-card img.figure").count() >= 5
    assert page.locator("li.ex-card img.figure").first.get_attribute("alt")
    visit(page, "04-program")
    # One thing per screen: the overview fits in a few phone screens.
    page.set_viewport_size(PHONE)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 4500, f"the program page is {height} px tall on a phone"
    shoot_phone_view(page, "program")
    page.set_viewport_size({"width": 1280, "height": 900})
    # The week at a glance opens a day on demand.
    day = page.locator("ul.week details").first
    day.locator("summary").click()
    assert day.locator("p").first.is_visible()
    # Each exercise has its own page; the figure is a loaded image file.
    page.locator("li.ex-card h3 a").nth(5).click()
    page.get_by_role("heading", name="Steps", exact=True).wait_for()
    assert page.evaluate("() => document.querySelector('img.figure').naturalWidth") > 0
    visit(page, "04b-exercise")
    page.get_by_role("link", name="Back to my program").first.click()
    for link, heading, shot in (
        ("Moves to avoid for now", "Moves to avoid for now", "04c-avoid"),
        ("Equipment and what to use instead", "Equipment", "04d-equipment"),
        ("Ice and heat", "Ice, heat and getting help", "04e-advice"),
    ):
        page.get_by_role("link", name=link).click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        visit(page, shot)
        page.go_back()


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


def _play_until(page, stop_after_exercises: int | None) -> int:  # type: ignore[no-untyped-def]
    """Drive the player: holds, reps (tapped, and one set paced by the beat), rests, ratings."""
    player = page.locator("#player")
    rated = 0
    paced = False
    while True:
        kind = player.get_attribute("data-kind")
        where = page.locator("[data-p=where]").inner_text()
        if kind == "done":
            return rated
        if kind == "rate":
            pick(page, "Most knee pain during it", "1" if rated % 2 else "2")
            pick(page, "How hard was it?", "easy")
            page.get_by_role("button", name="Save and continue").click()
            rated += 1
            if stop_after_exercises is not None and rated >= stop_after_exercises:
                page.wait_for_function(
                    "() => document.querySelector('#player').dataset.kind !== 'rate'"
                )
                return rated
        elif kind in ("hold", "timed"):
            page.locator("[data-p=main]").click()
        elif kind == "reps":
            if not paced:
                paced = True
                page.locator("[data-p=pace]").click()
            else:
                target = int(page.locator("[data-p=big]").inner_text().split("/")[1])
                page.locator("[data-p=big]").click()  # focus off the buttons: space counts
                for _ in range(target):
                    page.keyboard.press(" ")
        # rest steps run out by themselves
        page.wait_for_function(
            "([w, k]) => document.querySelector('[data-p=where]').innerText !== w"
            " || document.querySelector('#player').dataset.kind !== k",
            arg=[where, kind],
            timeout=15000,
        )


def test_guided_session_with_close_and_resume(server: Server, context, page) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    pid = _enrol(server, today)
    page.goto(server.url + "/today")
    # RULES §1.1: today's short safety questions come first, on one screen, once a day.
    page.get_by_role("heading", name="Before today's session").wait_for()
    visit(page, "05a-before-the-session")
    for q in (
        "RF04", "chest_symptoms", "cold_foot", "RF05", "RF10", "RF06", "RF07", "RF08", "RF12",
        "new_injury",
    ):  # fmt: skip
        page.locator(f'#q-{q} input[value="no"]').check()
    page.get_by_role("button", name="Continue to my session").click()
    page.get_by_role("button", name="Start guided session").wait_for()
    saved = services.session_check(server.db, on_machine(pid), day=today)
    assert saved is not None and saved["cleared"] and not any(saved["answers"].values())
    visit(page, "05-today")
    page.get_by_role("link", name="Record it").first.click()
    page.get_by_role("heading", name="Record:").wait_for()
    visit(page, "05b-record-without-the-player")
    page.go_back()
    page.get_by_role("button", name="Start guided session").click()
    page.locator("#player").wait_for(state="visible")
    assert page.evaluate("() => document.querySelector('[data-p=figure] img').naturalWidth") > 0
    visit(page, "06-player")
    # For the README: the player mid-hold, as a phone shows it.
    page.locator("[data-p=main]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-p=main]').textContent === 'Holding…'"
    )
    shoot_phone_view(page, "player", scroll_to="#player")
    page.wait_for_function(
        "() => document.querySelector('[data-p=main]').textContent !== 'Holding…'", timeout=15000
    )
    assert _play_until(page, stop_after_exercises=2) == 2
    # The person is partway through exercise 3; close the tab and come back (no questions again today).
    before = page.locator("[data-p=name]").inner_text()
    page.close()
    page = context.new_page()
    page.goto(server.url + "/today")
    assert page.url.endswith("/today")
    assert "2 of" in page.locator("main").inner_text()
    page.get_by_role("button", name="Resume where you left off").click()
    assert page.locator("[data-p=name]").inner_text() == before
    total = len(
        services.today_items(server.db, on_machine(pid), today=today, library=server.library)
    )
    _play_until(page, stop_after_exercises=None)
    page.get_by_role("heading", name="Session complete").wait_for()
    visit(page, "07-session-complete")
    entries = [r for r in services.history(server.db, on_machine(pid)).entries if r.day == today]
    assert len(entries) == total
    assert all(r.entry.pain_during_max in (1, 2) and r.entry.effort == "easy" for r in entries), [
        (r.entry.exercise_id, r.entry.pain_during_max, r.entry.effort, r.entry.sets_done)
        for r in entries
    ]
    assert all(r.entry.sets_done >= 1 for r in entries), [
        (r.entry.exercise_id, r.entry.sets_done, r.entry.minutes) for r in entries
    ]


def test_rescreen_in_steps_after_a_yes(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    """A yes in today's check: the full safety questions again, as first run's five short steps (each one
    axe-checked, under the phone limit, with its way back), then today's session may go ahead."""
    today = date.today()
    pid = _enrol(server, today, age=45)  # under 55: a new injury is not RF01 (RULES C-14 v2)
    page.goto(server.url + "/today/check")
    for q in (
        "RF04",
        "chest_symptoms",
        "cold_foot",
        "RF05",
        "RF10",
        "RF06",
        "RF07",
        "RF08",
        "RF12",
    ):
        page.locator(f'#q-{q} input[value="no"]').check()
    page.locator('#q-new_injury input[value="yes"]').check()
    page.get_by_role("button", name="Continue to my session").click()
    page.locator('main a[href="/rescreen"]').first.click()
    for n in range(1, RESCREEN_STEPS + 1):
        short_step(page, n, total=RESCREEN_STEPS)
        assert page.get_by_role("link", name="Back").count() == 1
        if n in (1, 3):
            visit(page, f"05{'c' if n == 1 else 'd'}-rescreen-step-{n}")
        if n == 3:  # going back keeps the answers
            page.get_by_role("link", name="Back").click()
            short_step(page, 2, total=RESCREEN_STEPS)
            assert page.locator('#q-RF05 input[value="no"]').is_checked()
            page.get_by_role("button", name="Continue").click()
            short_step(page, 3, total=RESCREEN_STEPS)
        answer_step(page)
    page.get_by_role("heading", name="No warning signs").wait_for()
    visit(page, "05e-rescreen-cleared")
    saved = services.session_check(server.db, on_machine(pid), day=today)
    assert saved is not None and saved["cleared"]
    page.get_by_role("link", name="Back to today").click()
    page.get_by_role("button", name="Start guided session").wait_for()


def test_rescreen_stops_at_once_on_an_emergency(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _enrol(server, date.today())
    page.goto(server.url + "/rescreen")
    short_step(page, 1, total=RESCREEN_STEPS)
    answer_step(page, yes=("RF03",))
    page.get_by_role("heading", name="Call emergency services now").wait_for()
    assert page.get_by_role("button").count() == 0
    check_axe(page)
    page.goto(server.url + "/program")
    page.get_by_role("heading", name="Call emergency services now").wait_for()


def _seed(server: Server, today: date, days: int = 16) -> int:
    return seed_history(server.db, server.library, today, days)


def test_checkin_shows_progression_with_its_reason(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _seed(server, date.today())
    page.goto(server.url + "/checkin")
    visit(page, "08-checkin")
    pick(page, "Knee pain this morning", "3")
    pick(page, "Knee stiffness this morning", "2")
    pick(page, "Your average knee pain", "3")
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_role("heading", name="What changed and why").wait_for()
    step_up = page.locator("article.decision.progress").first
    assert "Step up" in step_up.inner_text()
    assert "within your pain limit" in step_up.inner_text()
    assert "P2" in step_up.inner_text()
    visit(page, "09-what-changed")
    shoot_phone_view(page, "checkin-changes", scroll_to="article.decision.progress")
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("heading", name="Knee pain", exact=True).wait_for()
    assert page.locator(".chart svg polyline").count() >= 1
    visit(page, "10-progress")
    # The summary first; each exercise's dose history is a tap away on its own page.
    page.set_viewport_size(PHONE)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 4000, f"the progress page is {height} px tall on a phone"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("details.dose-details summary").click()
    page.locator(".dose-list a").first.click()
    page.get_by_role("link", name="Back to progress").wait_for()
    assert page.locator("ul.dose-steps li").count() >= 2
    visit(page, "10a-dose-history")
    page.go_back()
    page.get_by_role("link", name="Record a test").click()
    page.get_by_role("heading", name="Tests of how your knee is doing").wait_for()
    page.get_by_label("Number of stands").fill("70")
    page.get_by_role("button", name="Save my results").click()
    page.locator("#problems").wait_for()
    assert "Chair stands in 30 s must be 0–60." in page.locator("#problems").inner_text()
    visit(page, "10b-tests-with-a-mistake")
    page.get_by_label("Activity 1").fill("Climbing stairs")
    page.get_by_label("How well, 0 to 10").first.fill("6")
    page.get_by_label("Number of stands").fill("12")
    page.get_by_label("Time in seconds").fill("28")
    page.get_by_role("button", name="Save my results").click()
    page.get_by_role("heading", name="Chair stands in 30 seconds (higher is better)").wait_for()
    visit(page, "10c-progress-with-tests")
    page.goto(server.url + "/program")
    visit(page, "11-program-after-weeks")


def test_export_and_delete(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    _seed(server, date.today(), days=5)
    page.goto(server.url + "/data")
    visit(page, "12-my-data")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download all (JSON)").click()
    assert dl.value.suggested_filename == "kneehab-export.json"
    with page.expect_download() as dl_csv:
        page.get_by_role("link", name="Download sessions (CSV spreadsheet)").click()
    assert dl_csv.value.suggested_filename == "kneehab-sessions.csv"
    page.get_by_role("button", name="Delete everything").click()
    page.locator("#problems").wait_for()
    assert services.current_person_id(server.db) is not None
    page.get_by_label("Yes, delete everything kneehab keeps about me").check()
    page.get_by_role("button", name="Delete everything").click()
    page.get_by_role("heading", name="Everything is deleted").wait_for()
    visit(page, "13-deleted")
    assert services.current_person_id(server.db) is None
