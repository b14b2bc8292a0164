"""End to end in Chromium: first run, the guided session (with close and resume), check-in, data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import Server, visit
from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.records import CheckIn, Session, SessionEntry

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
RED_FLAGS = [f"RF{n:02d}" for n in range(1, 17)]


def answer_red_flags(page, yes: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    for rf in RED_FLAGS:
        page.locator(f'#q-{rf} input[value="{"yes" if rf in yes else "no"}"]').check()
    page.get_by_role("button", name="Continue").click()


def pick(page, legend: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Click the visible choice whose input has this value, in the first fieldset with this legend."""
    group = page.locator("fieldset", has=page.locator("legend", has_text=legend)).first
    group.locator(f'label.choice:has(input[value="{value}"])').click()


def test_emergency_answer_stops_the_flow(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/")
    assert page.url.endswith("/start")
    visit(page, "01-safety-questions")
    answer_red_flags(page, yes=("RF03",))
    page.get_by_role("heading", name="Call emergency services now").wait_for()
    assert page.get_by_role("link", name="Today").count() == 0
    assert page.get_by_role("button").count() == 0
    visit(page, "02-stop-emergency")
    assert services.current_person_id(server.db) is None


def test_intake_to_program(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + "/start")
    answer_red_flags(page)
    page.get_by_role("heading", name="About your knee").wait_for()
    page.get_by_role("button", name="Build my program").click()
    page.locator("#problems").wait_for()
    assert "age: is required" in page.locator("#problems").inner_text()
    visit(page, "03-intake-with-a-mistake")
    page.get_by_label("Your age in years").fill("62")
    pick(page, "Which knee hurts?", "right")
    pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("12")
    pick(page, "How much does your knee hurt right now?", "4")
    pick(page, "The worst it has been in the last week?", "6")
    pick(page, "Has a clinician told you what it is?", "medial_knee_oa")
    page.get_by_label("A sturdy chair").check()
    page.get_by_role("button", name="Build my program").click()
    page.get_by_role("heading", name="My program", exact=True).wait_for()
    assert page.get_by_role("heading", name="Moves to avoid for now").is_visible()
    assert page.locator("article.card svg").count() >= 5
    visit(page, "04-program")


def _enrol(server: Server, start: date) -> int:
    now = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    return services.enroll(
        server.db, DEMO_INTAKE, start=start, now=now, library=server.library
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
    visit(page, "05-today")
    page.get_by_role("button", name="Start guided session").click()
    page.locator("#player").wait_for(state="visible")
    visit(page, "06-player")
    assert _play_until(page, stop_after_exercises=2) == 2
    # The person is partway through exercise 3; close the tab and come back.
    before = page.locator("[data-p=name]").inner_text()
    page.close()
    page = context.new_page()
    page.goto(server.url + "/today")
    assert "2 of" in page.locator("main").inner_text()
    page.get_by_role("button", name="Resume where you left off").click()
    assert page.locator("[data-p=name]").inner_text() == before
    total = len(services.today_items(server.db, pid, today=today, library=server.library))
    _play_until(page, stop_after_exercises=None)
    page.get_by_role("heading", name="Session complete").wait_for()
    visit(page, "07-session-complete")
    entries = [r for r in services.history(server.db, pid).entries if r.day == today]
    assert len(entries) == total
    assert all(r.entry.pain_during_max in (1, 2) and r.entry.effort == "easy" for r in entries), [
        (r.entry.exercise_id, r.entry.pain_during_max, r.entry.effort, r.entry.sets_done)
        for r in entries
    ]
    assert all(r.entry.sets_done >= 1 for r in entries), [
        (r.entry.exercise_id, r.entry.sets_done, r.entry.minutes) for r in entries
    ]


def _seed(server: Server, today: date, days: int = 16) -> int:
    start = today - timedelta(days=days)

    def at(d: date, h: int) -> datetime:
        return datetime(d.year, d.month, d.day, h, tzinfo=UTC)

    lib = server.library
    pid = services.enroll(
        server.db, DEMO_INTAKE, start=start, now=at(start, 9), library=lib
    ).person_id
    for offset in range(days):
        day = start + timedelta(days=offset)
        if offset > 0:
            morning = CheckIn(date=day, morning_pain=3, morning_stiffness=2, avg_pain=3)
            services.check_in(server.db, pid, morning, today=day, now=at(day, 8), library=lib)
        entries = []
        for item in services.today_items(server.db, pid, today=day, library=lib):
            d, sets = item.dose, item.dose.sets or 1
            entries.append(
                SessionEntry(
                    exercise_id=item.exercise_id,
                    sets_done=sets,
                    reps=(d.reps,) * sets if d.reps else None,
                    hold_s=(d.hold_s,) * sets if d.hold_s else None,
                    load_kg=d.load_kg,
                    step_cm=d.step_cm,
                    minutes=d.minutes,
                    side="both" if item.per_side else None,
                    pain_during_max=1,
                    effort="easy",
                    rir=3,
                )
            )
        if entries:
            services.save_session(
                server.db,
                pid,
                session=Session(date=day, entries=tuple(entries)),
                now=at(day, 18),
                today=day,
                library=lib,
            )
    return pid


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
    assert "Pain stayed within your limit" in step_up.inner_text()
    assert "P2" in step_up.inner_text()
    visit(page, "09-what-changed")
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("heading", name="Knee pain", exact=True).wait_for()
    assert page.locator(".chart svg polyline").count() >= 1
    visit(page, "10-progress")
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
