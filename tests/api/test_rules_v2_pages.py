"""Rules v2 in the web app and the API (issue 8): swaps (D-10) and logging outside the session
(C-13), a resume in plain words, rule ids shown apart (D-13), and the dated `rules-v2` event of
a course stored before v2 (ADR 0004)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from api_support import NOW, TODAY, Clock, enrol, pass_check

from history_seed import pass_safety_check, seed_history, signed_up_account
from kneehab import services
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.intake import Intake
from kneehab.domain.program import ItemStatus
from kneehab.domain.records import CheckIn, Session, SessionEntry
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio
RULE_ID = re.compile(r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§")  # EX-36


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


async def test_a_swap_enters_as_a_dated_version_and_a_stranger_is_refused(
    client: httpx.AsyncClient,
) -> None:
    await enrol(client)
    program = (await client.get("/api/v1/program")).json()["program"]
    assert program["swaps"], "the session is full: the other candidates are swaps"
    swap = program["swaps"][0]
    out = swap["can_replace"][0]

    # C-13 v2: a swap logged outside the session is kept and flagged; no decision comes from it.
    await pass_check(client)
    logged = await client.post(
        "/api/v1/today/entries",
        json={"exercise_id": swap["id"], "sets_done": 1, "pain_during_max": 1, "side": "both"},
    )
    assert logged.status_code == 200, logged.text
    body = logged.json()
    assert body["not_in_session"] is True and body["paused"] is False
    assert "C-13" in body["rules"] and not RULE_ID.search(body["message"])
    # Neither in the program nor on the swap or offered list: refused, naming the field.
    lunge = await client.post(
        "/api/v1/today/entries", json={"exercise_id": "lunge", "sets_done": 1, "pain_during_max": 1}
    )
    assert lunge.status_code == 422
    assert lunge.json()["detail"] == (
        "exercise_id: 'lunge' is neither in your program nor on your swap or offered list"
    )

    # D-10: the person swaps; the program changes from today as a `swap` version.
    r = await client.post("/api/v1/program/swaps", json={"in": swap["id"], "out": out})
    assert r.status_code == 200, r.text
    after = r.json()["program"]
    assert swap["id"] in [i["id"] for i in after["exercises"]]
    assert out in [s["id"] for s in after["swaps"]]
    progress = (await client.get("/api/v1/progress")).json()
    swaps = [v for v in progress["versions"] if v["kind"] == "swap"]
    assert [(v["date"], v["exercise_id"]) for v in swaps] == [(TODAY.isoformat(), swap["id"])]
    assert "D-10" in swaps[0]["rules"] and not RULE_ID.search(swaps[0]["reason"])
    assert [v["kind"] for v in progress["recorded_versions"]] == ["plan", "swap"]

    bad = await client.post("/api/v1/program/swaps", json={"in": "lunge", "out": out})
    assert bad.status_code == 422 and "swaps" in bad.json()["detail"]


def _resume_course(db: Database, library, today: date) -> int:  # type: ignore[no-untyped-def]
    """EX-19 through the services: a P1 stop on day 0, a pause one step lower on day 1, back after
    three usual mornings on day 3."""
    start = today - timedelta(days=4)
    intake = Intake(
        age=52,
        knee="left",
        condition="medial_knee_oa",
        onset="gradual",
        weeks_since_onset=10,
        pain_now=3,
        pain_worst_week=5,
    )
    pid = services.enroll(
        db,
        intake,
        start=start,
        now=at(start),
        library=library,
        account_id=signed_up_account(db),
        actor=SERVER_ADMIN,
    ).person_id
    hurt = SessionEntry(exercise_id="bridge", sets_done=1, pain_during_max=8)
    pass_safety_check(db, pid, start, at(start, 17))
    services.save_session(
        db,
        on_machine(pid),
        session=Session(date=start, entries=(hurt,)),
        now=at(start, 18),
        today=start,
        library=default_library(),
    )
    for offset in range(1, 5):
        day = start + timedelta(days=offset)
        services.check_in(
            db,
            on_machine(pid),
            CheckIn(date=day, morning_pain=2),
            today=day,
            now=at(day, 8),
            library=library,
        )
    return pid


async def test_what_changed_shows_a_resume_in_plain_words_with_a_rules_tag(
    db: Database,
    library,  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
) -> None:
    pid = _resume_course(db, library, TODAY)
    resumed = next(
        d
        for d in services.course(
            db, on_machine(pid), today=TODAY, library=default_library()
        ).decisions
        if d.action == "resume"
    )
    day = resumed.date.isoformat()
    changes = (await client.get(f"/api/v1/changes?day={day}")).json()
    (change,) = [c for c in changes["changes"] if c["exercise_id"] == "bridge"]
    assert change["action"] == "resume" and change["action_label"] == "Back in your session"
    assert {"P10"} <= set(change["rules"]) and not RULE_ID.search(change["reason"])
    page = await client.get(f"/checkin/changes?day={day}")
    assert "Bridge: Back in your session" in page.text
    assert '<span class="tag rules" aria-label="Rules">why: P10' in page.text
    stored = {
        (v.effective.isoformat(), v.kind) for v in services.program_versions(db, on_machine(pid))
    }
    assert (day, "resume") in stored  # the resume is recorded as a version of its own (C-18)


async def test_a_course_stored_before_v2_shows_what_was_recorded_then_and_the_rules_event(
    db: Database,
    library,  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
    clock: Clock,
) -> None:
    start = TODAY - timedelta(days=10)
    intake = Intake(
        age=58,
        knee="right",
        condition="medial_knee_oa",
        onset="gradual",
        weeks_since_onset=20,
        pain_now=5,
        pain_worst_week=6,
        equipment=("chair", "mat"),
    )
    enrolled = services.enroll(
        db,
        intake,
        start=start,
        now=at(start),
        library=library,
        account_id=signed_up_account(db),
        actor=SERVER_ADMIN,
    )
    pid, plan = enrolled.person_id, enrolled.program
    assert plan is not None
    paused_day = start + timedelta(days=6)
    v1 = plan.model_copy(
        update={
            "pain_ceiling": 3,
            "items": tuple(
                i.model_copy(update={"status": ItemStatus.PAUSED})
                if i.exercise_id == "bridge"
                else i
                for i in plan.items
            ),
        }
    )
    with db.write() as s:  # what kneehab v1 stored and showed
        repo.set_rules_version(s, pid, 1)
        for offset in range(1, 10):
            day = start + timedelta(days=offset)
            repo.add_checkin(s, pid, CheckIn(date=day, morning_pain=5), now=at(day, 8))
        repo.add_program_version(
            s,
            pid,
            program=v1,
            effective=paused_day,
            now=at(paused_day),
            kind="pause",
            actor="rule P5",
            rules=("P5",),
            reason="Bridge: paused after two mornings above your usual pain.",
            exercise_id="bridge",
        )
    (done,) = services.upgrade_rules(db, today=TODAY, now=NOW, library=library)
    assert done.day == TODAY

    today = (await client.get(f"/api/v1/changes?day={TODAY.isoformat()}")).json()
    note = today["rules_update"]
    assert "Your pain limit is now 5 out of 10 (it was 3)" in note["text"]
    assert "C-18" in note["rules"] and not RULE_ID.search(note["text"])
    then = (await client.get(f"/api/v1/changes?day={paused_day.isoformat()}")).json()
    assert then["recorded"] is True
    assert [(c["exercise_id"], c["action_label"]) for c in then["changes"]] == [
        ("bridge", "Paused")
    ]
    page = await client.get(f"/checkin/changes?day={TODAY.isoformat()}")
    assert "Updated rules" in page.text and "why: C-18" in page.text
    progress = (await client.get("/api/v1/progress")).json()
    assert [v["kind"] for v in progress["recorded_versions"]] == ["plan", "pause", "rules-v2"]
    assert progress["pain_ceiling"] == 5


async def test_the_swaps_page_works_without_javascript(client: httpx.AsyncClient) -> None:
    await enrol(client)
    view = (await client.get("/api/v1/program")).json()
    assert any(link["url"] == "/program/swaps" for link in view["more"])
    swaps = (await client.get("/api/v1/program/swaps")).json()
    first = swaps["swaps"][0]
    out = first["replaces"][0]
    page = await client.get("/program/swaps")
    assert page.status_code == 200
    assert f"Do it instead of {out['name']}" in page.text
    assert '<span class="tag rules" aria-label="Rules">why: ' in page.text
    done = await client.post("/program/swaps", data={"in": first["id"], "out": out["id"]})
    assert done.status_code == 303 and done.headers["location"] == "/program"
    program = (await client.get("/api/v1/program")).json()["program"]
    assert first["id"] in [i["id"] for i in program["exercises"]]
    refused = await client.post(
        "/api/v1/program/offers", json={"exercise_id": "plank", "answer": "accept"}
    )
    assert refused.status_code == 422  # D-12: only what is offered now can be answered
    assert (
        refused.json()["detail"] == "exercise_id: 'plank' is not offered to you now (offered: none)"
    )


PERSON_PAGES = (
    "/program",
    "/program/exercises/bridge",
    "/program/avoid",
    "/program/equipment",
    "/program/advice",
    "/program/swaps",
    "/progress",
    "/progress/exercises/bridge",
    "/checkin",
    "/outcomes",
    "/data",
    "/today",  # after today's check (which redirects to the session once answered)
)


async def test_no_rule_id_inside_any_sentence_a_person_reads(
    db: Database,
    library,  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
) -> None:
    """D-13 / EX-36: on every page of a 16-day course, rule ids appear only in the small
    "why:" tags, never in the text around them."""
    seed_history(db, library, TODAY, days=16)
    await pass_check(client)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    for url in (*PERSON_PAGES, f"/checkin/changes?day={yesterday}"):
        r = await client.get(url)
        assert r.status_code == 200, url
        body = r.text.split("<main", 1)[-1]
        body = re.sub(r'<span class="tag rules"[^>]*>.*?</span>', "", body, flags=re.S)
        body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        found = [text[max(0, m.start() - 50) : m.end()] for m in RULE_ID.finditer(text)]
        assert not found, (url, found)
