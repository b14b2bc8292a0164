"""Words a person understands on My program, Progress and My data, and the API reference at /docs, in Chromium
(issue 9 §6 and §7). Each test drives the page as a person sees it and photographs it (issue9-after-…)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from e2e_support import DESKTOP, PHONE, Server, check_axe, shoot

from history_seed import seed_history, signed_up_account
from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import SessionEntry
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.web.viewmodels.check import SHORT_IDS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip
# What no sentence on these pages may say (outside the small "why:" tags).
NOT_IN_A_SENTENCE = re.compile(
    r"\(MDC\d*\)|\(MCID\)|RULES|Rules:|RULES\.md|day 0|\b0 changes?\b|\(s\)|first 2 weeks"
)


def _enrol(server: Server, start: date, **changes: object) -> int:
    intake = DEMO_INTAKE.model_copy(update={"assessed": "yes", **changes})
    now = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    return services.enroll(
        server.db,
        intake,
        start=start,
        now=now,
        library=server.library,
        account_id=signed_up_account(server.db),
        actor=SERVER_ADMIN,
    ).person_id


def _sentences(page) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text without the 'why:' tags (where rule ids and sources belong)."""
    return str(
        page.evaluate(
            """() => { const main = document.querySelector('main').cloneNode(true);
                 main.querySelectorAll('.tag.rules').forEach(t => t.remove());
                 return main.innerText; }"""
        )
    )


def _is_green(rgb: str) -> bool:
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return g > r + 20 and g > b + 10


def test_my_program_shows_the_programs_real_first_week(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    """Started today: the week begins on the first day, never with "Rest day" for days before the start."""
    today = date.today()
    _enrol(server, today)
    page.goto(server.url + "/program")
    page.get_by_role("heading", name="Your first week").wait_for()
    days = page.locator("ul.week > li")
    assert days.count() == 7
    first = days.first.inner_text()
    assert f"{today:%a} {today.day} {today:%b}" in first and "(today)" in first
    labels = [days.nth(i).locator("abbr").get_attribute("title") or "" for i in range(7)]
    expected = [today + timedelta(days=i) for i in range(7)]
    assert labels == [f"{d:%A} {d.day} {d:%B %Y}" for d in expected]
    assert not NOT_IN_A_SENTENCE.search(_sentences(page))
    check_axe(page)
    shoot(page, "issue9-after-program-first-week")


def test_a_soon_review_is_dated_not_within_2_weeks_on_day_16(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    """D-2 `soon` (pain at rest 7, RF19): on day 16 the notice says the review was due, with its date."""
    today = date.today()
    start = today - timedelta(days=16)
    _enrol(server, start, pain_now=7, pain_worst_week=8)
    page.goto(server.url + "/program")
    due = start + timedelta(days=14)
    heading = f"Your review was due by {due:%A} {due.day} {due:%B %Y}"
    page.get_by_role("heading", name=heading).wait_for()
    notice = page.locator("section[aria-labelledby='review-title']").inner_text()
    assert "1–2 weeks" not in notice and "first 2 weeks" not in notice
    assert "first 2 weeks" not in _sentences(page)
    assert page.get_by_role("heading", name="This week").count() == 1
    check_axe(page)
    shoot(page, "issue9-after-program-review-due")


def test_a_stop_after_pain_is_not_a_green_good_news_banner(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    pid = _enrol(server, today - timedelta(days=3))
    item = services.today_items(server.db, on_machine(pid), today=today, library=server.library)[0]
    entry = SessionEntry(
        exercise_id=item.exercise_id,
        sets_done=1,
        reps=(3,) if item.dose.reps else None,
        hold_s=(10,) if item.dose.hold_s and not item.dose.reps else None,
        pain_during_max=8,
        sharp_pain=True,
        side="both" if item.per_side else None,
    )
    now = datetime.now(UTC)
    # Today's short safety questions all no first, as before any session (RULES §1.1).
    no = {q: False for q in SHORT_IDS}
    services.save_session_check(
        server.db,
        on_machine(pid),
        day=today,
        answers=no,
        new_injury=False,
        now=now,
        library=default_library(),
    )
    services.save_entry(
        server.db,
        on_machine(pid),
        day=today,
        entry=entry,
        now=now,
        library=server.library,
        today=(now).date(),
    )
    for path in ("/program", "/progress"):
        page.goto(server.url + path)
        banner = page.locator("section[aria-labelledby='escalation-title']")
        banner.wait_for()
        assert "You stopped an exercise after pain today" in banner.inner_text()
        assert "good" not in (banner.get_attribute("class") or "")
        colours = banner.evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopColor]"
        )
        assert not any(_is_green(c) for c in colours), colours
    page.goto(server.url + "/program")
    check_axe(page)
    shoot(page, "issue9-after-program-stop-banner")


def test_progress_names_the_months_and_keeps_sources_apart(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    pid = seed_history(server.db, server.library, today, 16)
    from kneehab.domain.records import OutcomeRecord, PsfsActivity

    start = today - timedelta(days=16)
    for day, score in ((start, 4), (today - timedelta(days=1), 7)):
        services.record_outcome(
            server.db,
            on_machine(pid),
            OutcomeRecord(
                date=day,
                measure="psfs",
                activities=(PsfsActivity(activity="Climbing stairs", score=score),),
            ),
            today=day,
            now=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        )
    page.goto(server.url + "/progress")
    page.get_by_role("heading", name="Sessions done").wait_for()
    squares = page.locator("ul.calendar > li")
    assert squares.count() == 28
    first = squares.first.locator("span[aria-hidden='true']").first.inner_text()
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", first), first  # "9 Nov": the month is named
    spoken = [squares.nth(i).locator(".visually-hidden").inner_text() for i in range(28)]
    assert all(any(m in s for m in MONTHS) for s in spoken), spoken[:3]
    monday = today - timedelta(days=today.weekday() + 21)
    for i, s in enumerate(spoken):
        d = monday + timedelta(days=i)
        if d.day == 1 and i:  # a new month is named where it starts
            label = squares.nth(i).locator("span[aria-hidden='true']").first.inner_text()
            assert label == f"1 {d:%b}", label
        if d < start:
            assert s.endswith("before your program started"), s
    page.set_viewport_size(PHONE)  # a named month fits its square on a phone: every square alike
    heights = squares.evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().height))"
    )
    assert len(set(heights)) == 1, heights
    overflow = squares.evaluate_all(
        "els => els.filter(e => e.firstElementChild.scrollWidth > e.clientWidth).length"
    )
    assert overflow == 0
    page.set_viewport_size(DESKTOP)
    label = page.locator("ul.calendar").get_attribute("aria-label") or ""
    assert any(m in label for m in MONTHS)
    text = _sentences(page)
    assert not NOT_IN_A_SENTENCE.search(text), NOT_IN_A_SENTENCE.search(text)
    tags = " ".join(page.locator(".tag.rules").all_inner_texts())
    assert "MDC90" in tags  # the source is still there, apart, for a clinician
    check_axe(page)
    shoot(page, "issue9-after-progress-history")


def test_my_data_says_where_copies_remain_and_deletes_from_disk(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    seed_history(server.db, server.library, today, 5)
    page.goto(server.url + "/data")
    text = _sentences(page)
    assert "this device" not in text
    assert "this computer" in text  # the browser runs on the machine that runs kneehab (127.0.0.1)
    assert "backup" in text
    check_axe(page)
    shoot(page, "issue9-after-data-history")
    page.get_by_label("Yes, delete everything kneehab keeps about me").check()
    page.get_by_role("button", name="Delete everything").click()
    page.get_by_role("heading", name="Everything is deleted").wait_for()
    assert "backup" in _sentences(page)
    url = server.db.url
    folder = Path(url.removeprefix("sqlite:///")).parent
    wal = folder / "kneehab.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    shoot(page, "issue9-after-deleted")


def test_docs_is_the_api_reference_without_another_site(server: Server, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request", lambda r: elsewhere.append(r.url) if not r.url.startswith(server.url) else None
    )
    page.goto(server.url + "/docs")
    page.locator(".opblock").first.wait_for(timeout=15_000)
    assert page.locator(".opblock").count() >= 25
    assert elsewhere == []
    page.locator(".opblock-summary-path", has_text="/api/v1/today/state").first.click()
    page.get_by_text("PlayerState").first.wait_for()
    shoot(page, "issue9-after-docs-player-state")


def test_the_demo_on_day_16_asks_for_no_review_within_the_first_weeks(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    """`make run`'s demo person is on day 16: nothing may ask for a review "within your first 2 weeks"."""
    from kneehab.demo import DEMO_DAYS, seed_demo

    assert DEMO_DAYS == 16
    seed_demo(
        server.db,
        today=date.today(),
        now=datetime.now(UTC),
        library=server.library,
        account_id=signed_up_account(server.db),
    )
    for path in ("/program", "/progress", "/today", "/data"):
        page.goto(server.url + path)
        text = _sentences(page)
        assert "first 2 weeks" not in text and "within 1–2 weeks" not in text, path
        assert not NOT_IN_A_SENTENCE.search(text), (path, NOT_IN_A_SENTENCE.search(text))
