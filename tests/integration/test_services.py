"""Use-cases end to end on both databases: enrol → log → check-in → new version, restart, bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from store_builders import entry_as_prescribed, make_intake

from history_seed import pass_safety_check
from kneehab import services
from kneehab.demo import DEMO_DAYS, seed_demo
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import CheckIn, OutcomeRecord, Session, SessionEntry
from kneehab.errors import InvalidInput, NotFound
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.db import Database, open_database

START = date(2025, 3, 3)  # a Monday


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _rows(db: Database) -> dict[str, list[dict[str, object]]]:
    with db.engine.connect() as conn:
        return repo.dump_all(conn)


def test_enrol_keeps_person_intake_triage_and_first_version(db: Database) -> None:
    result = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    )
    assert result.program is not None and result.triage.level.value == "ok"
    assert services.current_person_id(db) == result.person_id
    (v1,) = services.program_versions(db, on_machine(result.person_id))
    assert (v1.version, v1.kind, v1.actor, v1.effective) == (1, "plan", "planner", START)
    assert v1.program == result.program


def test_withheld_program_is_kept_with_its_triage(db: Database) -> None:
    result = services.enroll(
        db,
        make_intake(red_flags=["RF07"]),
        start=START,
        now=at(START),
        library=default_library(),
        actor=SERVER_ADMIN,
    )
    assert result.program is None and result.triage.level.value == "urgent"
    assert services.program_versions(db, on_machine(result.person_id)) == []
    assert (
        services.today_items(
            db, on_machine(result.person_id), today=START, library=default_library()
        )
        == []
    )
    with pytest.raises(
        InvalidInput,
        match="exercise_id: 'bridge' is neither in your program nor on your swap or offered list",
    ):
        services.save_entry(
            db,
            on_machine(result.person_id),
            day=START,
            now=at(START),
            entry=SessionEntry(exercise_id="bridge", sets_done=1, reps=(10,), pain_during_max=1),
            library=default_library(),
            today=(at(START)).date(),
        )


def test_log_and_check_in_persist_new_versions_that_survive_a_restart(db_url: str) -> None:
    db = open_database(db_url)
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    made: list[int] = []
    day = START
    for offset in range(1, 9):
        day = START + timedelta(days=offset)
        result = services.check_in(
            db,
            on_machine(pid),
            CheckIn(date=day, morning_pain=3, avg_pain=3),
            today=day,
            now=at(day, 8),
            library=default_library(),
        )
        made.extend(result.new_versions)
        if offset == 8:
            break
        items = services.today_items(db, on_machine(pid), today=day, library=default_library())
        if items:
            pass_safety_check(db, pid, day, at(day, 17))
            services.save_session(
                db,
                on_machine(pid),
                session=Session(date=day, entries=tuple(entry_as_prescribed(i) for i in items)),
                now=at(day, 18),
                today=day,
                library=default_library(),
            )
    assert made, "a steady, easy week must produce at least one progression"
    versions = services.program_versions(db, on_machine(pid))
    progress = [v for v in versions if v.kind == "progress"]
    assert progress and all("P2" in v.rules and v.reason for v in progress)
    assert all(v.to_dose != v.from_dose for v in progress)
    status_before = services.status(db, on_machine(pid), today=day, library=default_library())
    db.close()

    again = open_database(db_url)  # restart
    try:
        assert services.program_versions(again, on_machine(pid)) == versions
        after = services.status(again, on_machine(pid), today=day, library=default_library())
        assert after.program == status_before.program
        assert after.versions == len(versions)
        assert [p.morning_pain for p in after.pain] == [3] * 8
        # A re-check-in of the same morning is refused and changes nothing.
        before = _rows(again)
        with pytest.raises(InvalidInput, match=r"date: a check-in for .* is already recorded"):
            services.check_in(
                again,
                on_machine(pid),
                CheckIn(date=day, morning_pain=1),
                today=day,
                now=at(day, 10),
                library=default_library(),
            )
        assert _rows(again) == before
    finally:
        again.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"exercise_id": "moon-walk"},
            "exercise_id: 'moon-walk' is not an exercise in the library",
        ),
        (
            {"exercise_id": "pool-exercise"},
            "exercise_id: 'pool-exercise' is neither in your program nor on your swap or offered",
        ),
        ({"day": START + timedelta(days=3)}, "date: .* is after today"),
        ({"day": START - timedelta(days=1)}, "date: .* is before the program start"),
    ],
)
def test_rejected_entries_write_nothing(db: Database, change: dict, message: str) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    before = _rows(db)
    entry = SessionEntry(
        exercise_id=change.get("exercise_id", "bridge"), sets_done=1, reps=(10,), pain_during_max=1
    )
    ok = SessionEntry(exercise_id="bridge", sets_done=1, reps=(10,), pain_during_max=1, side="left")
    with pytest.raises(InvalidInput, match=message):
        services.save_session(
            db,
            on_machine(pid),
            session=Session(date=change.get("day", START), entries=(ok, entry)),
            now=at(START),
            today=START + timedelta(days=1),
            library=default_library(),
        )
    assert _rows(db) == before  # the valid entry in the same session was not written either


def test_future_check_in_and_outcome_are_rejected(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    before = _rows(db)
    later = START + timedelta(days=2)
    with pytest.raises(InvalidInput, match="date: 2025-03-05 is after today"):
        services.check_in(
            db,
            on_machine(pid),
            CheckIn(date=later, morning_pain=2),
            today=START,
            now=at(START),
            library=default_library(),
        )
    with pytest.raises(InvalidInput, match="date: 2025-03-05 is after today"):
        services.record_outcome(
            db,
            on_machine(pid),
            OutcomeRecord(date=later, measure="nprs", value=3),
            today=START,
            now=at(START),
        )
    assert _rows(db) == before


def test_paused_exercise_is_accepted_and_flagged(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    # Pain 9 stops the bridge on the day (P1); logging it again the next day is kept but flagged.
    bad = SessionEntry(
        exercise_id="bridge", sets_done=1, reps=(10,), hold_s=(2,), pain_during_max=9
    )
    pass_safety_check(db, pid, START, at(START, 17))
    (first,) = services.save_session(
        db,
        on_machine(pid),
        session=Session(date=START, entries=(bad,)),
        now=at(START, 18),
        today=START,
        library=default_library(),
    )
    assert first.stop and "Stop" in first.message and not first.paused
    nxt = START + timedelta(days=1)
    again = SessionEntry(
        exercise_id="bridge", sets_done=1, reps=(8,), hold_s=(2,), pain_during_max=2
    )
    pass_safety_check(db, pid, nxt, at(nxt, 17))
    result = services.save_entry(
        db,
        on_machine(pid),
        day=nxt,
        entry=again,
        now=at(nxt, 18),
        today=nxt,
        library=default_library(),
    )
    assert result.paused and "noted for your physio" in result.message
    assert result.rules == ("C-13",) and "C-13" not in result.message  # ids apart (D-13)
    (_, logged) = services.history(db, on_machine(pid)).entries
    assert logged.paused_when_logged and logged.entry == again


def test_the_easier_variant_a_program_item_regresses_to_can_be_logged(db: Database) -> None:
    """C-13: 'single-knee-to-chest' is double knee-to-chest's easier variant (C-8), not a stranger."""
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    entry = SessionEntry(
        exercise_id="single-knee-to-chest", sets_done=1, reps=(10,), pain_during_max=1
    )
    pass_safety_check(db, pid, START, at(START, 17))
    result = services.save_entry(
        db,
        on_machine(pid),
        day=START,
        entry=entry,
        now=at(START, 18),
        today=START,
        library=default_library(),
    )
    assert result.message == "Recorded." and not result.paused


def test_player_state_resumes_per_day(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    assert services.load_player_state(db, on_machine(pid), day=START) is None
    services.save_player_position(
        db, on_machine(pid), day=START, state={"item": 2, "set": 1}, now=at(START)
    )
    services.save_player_position(
        db, on_machine(pid), day=START, state={"item": 3, "set": 2}, now=at(START, 10)
    )
    assert services.load_player_state(db, on_machine(pid), day=START) == {"item": 3, "set": 2}
    assert services.load_player_state(db, on_machine(pid), day=START + timedelta(days=1)) is None


def test_demo_seed_export_review_acknowledge_and_delete(db: Database) -> None:
    today = START + timedelta(days=DEMO_DAYS)
    demo = seed_demo(db, today=today, now=at(today), library=default_library())
    pid = demo.person_id
    versions = services.program_versions(db, on_machine(pid))
    assert any(v.kind == "progress" for v in versions)
    st = services.status(db, on_machine(pid), today=today, library=default_library())
    assert st.start == START and st.latest and len(st.pain) == DEMO_DAYS

    data = services.export_person(db, on_machine(pid))
    assert json.loads(json.dumps(data)) == data  # JSON-able
    assert data == services.export_person(db, on_machine(pid))  # deterministic
    assert len(data["program_versions"]) == len(versions)
    assert len(data["checkins"]) == DEMO_DAYS and data["session_entries"]

    table = list(csv.DictReader(io.StringIO(services.export_csv(db, on_machine(pid)))))
    kinds = {r["record"] for r in table}
    assert kinds == {"session", "checkin"}
    assert [r["date"] for r in table] == sorted(r["date"] for r in table)

    services.mark_reviewed(
        db,
        on_machine(pid),
        now=at(today),
        by="Bob",
        library=default_library(),
        today=(at(today)).date(),
    )
    assert services.status(db, on_machine(pid), today=today, library=default_library()).reviewed
    for esc in st.open_escalations:
        services.acknowledge_escalation(db, on_machine(pid), esc.id, now=at(today), by="Alice")
    assert (
        services.status(
            db, on_machine(pid), today=today, library=default_library()
        ).open_escalations
        == ()
    )
    with pytest.raises(NotFound):
        services.acknowledge_escalation(db, on_machine(pid), 987654, now=at(today))

    services.delete_person(db, on_machine(pid))
    assert services.current_person_id(db) is None
    # The audit trail outlives the record (append-only, never a health value): the server admin's
    # reads above are in it.
    left = {k: v for k, v in _rows(db).items() if v and k not in {"audit_log", "audit_head"}}
    assert left == {}
