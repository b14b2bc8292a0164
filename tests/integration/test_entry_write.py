"""Logging a set trusts the person's revision (issue 11 §2), on SQLite and PostgreSQL: the write that
follows the route's check finds the revision the check's read was at, under the person's lock, and
reuses that course instead of reading the records again; any write in between raises the revision,
and its change is never hidden (RULES C-13: a paused exercise is still flagged)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from history_seed import pass_safety_check, seed_history
from kneehab import services
from kneehab.access import Action
from kneehab.domain import course as course_engine
from kneehab.domain.program import ItemStatus, ProgramItem
from kneehab.domain.records import ClinicianAction, History, SessionEntry, done_as_prescribed
from kneehab.errors import InvalidInput
from kneehab.library.load import default_library
from kneehab.services import replay
from kneehab.services.acting import authorize, on_machine
from kneehab.services.replay import history_in, records_after
from kneehab.store import repo, snapshot_repo
from kneehab.store.db import Database

TODAY = date(2025, 3, 20)
NOW = datetime(2025, 3, 20, 9, tzinfo=UTC)
# The records a course is replayed from, after the snapshot day (replay._with_records)
TAIL = ("FROM course_events", "FROM checkins", "FROM outcomes", "FROM rescreens")


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile."""
    sent: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def done_in_full(item: ProgramItem) -> SessionEntry:
    return done_as_prescribed(item, pain=1)


@pytest.fixture
def ready(db: Database) -> tuple[int, ProgramItem]:
    """A 12-day course whose safety questions are answered today, and today's first exercise."""
    lib = default_library()
    pid = seed_history(db, lib, TODAY, days=12)
    pass_safety_check(db, pid, TODAY, NOW)
    services.rescreen(db, on_machine(pid), now=NOW, today=TODAY, library=lib, clears_check=True)
    first = services.today_items(db, on_machine(pid), today=TODAY, library=lib)[0]
    return pid, first


def save(db: Database, pid: int, entry: SessionEntry) -> services.EntryResult:
    lib = default_library()
    return services.save_entry(
        db, on_machine(pid), day=TODAY, entry=entry, now=NOW, today=TODAY, library=lib
    )


def full_replay(db: Database, pid: int) -> course_engine.Course:
    with db.read() as s:
        return course_engine.replay(history_in(s, pid, TODAY), default_library())


def test_the_write_after_the_check_reads_the_person_once_and_no_records_again(
    db: Database, ready: tuple[int, ProgramItem]
) -> None:
    pid, item = ready
    lib = default_library()
    checked = services.course(db, on_machine(pid), today=TODAY, library=lib)  # the route's check
    with statements(db) as sent:
        result = save(db, pid, done_in_full(item))
    assert result.message == "Recorded." and not result.paused
    assert not [s for s in sent if any(table in s for table in TAIL)]  # the revision proved them
    assert not [s for s in sent if "count(*)" in s]  # nor the snapshot's own records
    assert len([s for s in sent if s.startswith("SELECT") and "persons.start" in s]) == 1
    # today's entries read once: the safety gate's (P1) read finds the row the upsert corrects
    assert len([s for s in sent if s.startswith("SELECT") and "FROM session_entries" in s]) == 1
    assert replay.reused_course(pid) is checked  # the check's course, not a replay of its own
    # What was kept is what a full replay of the stored records gives, and the entry is there.
    assert services.course(db, on_machine(pid), today=TODAY, library=lib) == full_replay(db, pid)
    assert [r.entry for r in services.entries_of_day(db, on_machine(pid), day=TODAY)] == [
        done_in_full(item)
    ]
    again = done_in_full(item).model_copy(update={"pain_during_max": 2})
    assert save(db, pid, again).message == "Recorded."  # a correction: the same row, corrected
    assert [r.entry for r in services.entries_of_day(db, on_machine(pid), day=TODAY)] == [again]


@pytest.mark.parametrize("writer", ["this process", "another process"])
def test_a_write_between_the_check_and_the_set_is_never_hidden(
    db: Database, ready: tuple[int, ProgramItem], writer: str
) -> None:
    """C-13: the clinician pauses the exercise after the route's check read the course and before the
    set is written; the set is still taken, flagged as logged while paused. Another process's write
    leaves this process's course of the check as it was: only the revision tells it is stale."""
    pid, item = ready
    lib = default_library()
    checked = services.course(db, on_machine(pid), today=TODAY, library=lib)
    assert checked.program is not None
    assert checked.program.item(item.exercise_id).status == ItemStatus.ACTIVE  # type: ignore[union-attr]
    pause = ClinicianAction.model_validate(
        {"date": TODAY, "action": "pause", "exercise_id": item.exercise_id, "reason": "in clinic"}
    )
    if writer == "this process":
        services.clinician_action(
            db, on_machine(pid), pause, today=TODAY, now=NOW, by="clinician", library=lib
        )
    else:  # what another server's clinician action stores: the event, under the person's lock
        with db.write() as s:
            authorize(s, on_machine(pid), Action.CLINICAL_ACTION)
            repo.add_event(s, pid, pause, now=NOW, by="clinician")
        assert replay.reused_course(pid) is checked  # still here, and no longer the course
    result = save(db, pid, done_in_full(item))
    assert result.paused and "noted for your physio" in result.message
    (logged,) = services.entries_of_day(db, on_machine(pid), day=TODAY)
    assert logged.paused_when_logged


def test_a_course_read_for_another_day_is_not_taken_for_today(
    db: Database, ready: tuple[int, ProgramItem]
) -> None:
    """The proof is for one day: the course of tomorrow, read at the same revision, is not today's."""
    pid, item = ready
    lib = default_library()
    services.course(db, on_machine(pid), today=TODAY + timedelta(days=1), library=lib)
    with statements(db) as sent:
        assert save(db, pid, done_in_full(item)).message == "Recorded."
    assert [s for s in sent if any(table in s for table in TAIL)]  # read again: not proven
    assert services.course(db, on_machine(pid), today=TODAY, library=lib) == full_replay(db, pid)


def stored_tail(db: Database, pid: int) -> History:
    """The records after the person's snapshot day, as the store gives them now."""
    with db.read() as s:
        stored = snapshot_repo.load(s, pid)
        assert stored is not None
        return records_after(history_in(s, pid, TODAY), stored.day)


def random_entry(rng: random.Random, item: ProgramItem) -> SessionEntry:
    """Any entry a person may log for `item`: partial or skipped, with or without a load, an effort,
    a side or the camera's counts."""
    sets = rng.randint(0, 4)
    skipped = sets == 0 and rng.random() < 0.5
    counted = rng.random() < 0.3 and sets > 0
    camera = [
        {"set": n + 1, "reps": rng.randint(0, 15), "hold_s": rng.choice([None, 2.5, 10.0]),
         "knee_inward": [1] if rng.random() < 0.3 else [], "reliable": rng.random() < 0.7}
        for n in range(sets)
    ]  # fmt: skip
    return SessionEntry.model_validate(
        {
            "exercise_id": item.exercise_id,
            "sets_done": sets,
            "reps": [rng.randint(0, 15) for _ in range(sets)] if rng.random() < 0.7 else None,
            "hold_s": [rng.randint(0, 30) for _ in range(sets)] if rng.random() < 0.3 else None,
            "side": rng.choice(item.sides) if item.sides else None,
            "load_kg": rng.choice([None, 0.5, 2.25, 7.0]),
            "minutes": rng.choice([None, 5]),
            "pain_during_max": rng.randint(0, 4),
            "effort": rng.choice([None, "easy", "moderate", "hard"]),
            "rir": rng.choice([None, 0, 3]),
            "skipped": skipped,
            "skip_reason": "tired" if skipped else "",
            "camera": camera if counted else None,
        }
    )


def test_the_read_after_a_set_takes_the_records_the_write_left_and_they_are_the_stored_ones(
    db: Database, ready: tuple[int, ProgramItem]
) -> None:
    """After each set (new, a correction, another side), the records this process keeps for the next
    read are exactly what the store gives back, and the read that follows uses them instead of
    reading the records again: the same course as a full replay."""
    pid, _ = ready
    lib = default_library()
    rng = random.Random(11)
    items = list(services.today_items(db, on_machine(pid), today=TODAY, library=lib))
    for n in range(24):
        item = rng.choice(items)
        with statements(db) as sent:
            checked = services.course(db, on_machine(pid), today=TODAY, library=lib)  # the check
        if n > 0:  # the tail the set before left: no records read, nor the snapshot's count
            assert not [s for s in sent if any(t in s for t in (*TAIL, "FROM session_entries"))]
            assert not [s for s in sent if "count(*)" in s]
        assert checked == full_replay(db, pid)
        save(db, pid, random_entry(rng, item))
        assert replay.written_tail(pid) == stored_tail(db, pid)
    assert services.course(db, on_machine(pid), today=TODAY, library=lib) == full_replay(db, pid)


def test_a_write_after_the_set_is_read_from_the_store(
    db: Database, ready: tuple[int, ProgramItem]
) -> None:
    """The kept records are for the revision the set left: another change (here, a clinician's pause
    from another server, under the person's lock) raises it, and the next read reads the store."""
    pid, item = ready
    lib = default_library()
    services.course(db, on_machine(pid), today=TODAY, library=lib)
    save(db, pid, done_in_full(item))
    pause = ClinicianAction.model_validate(
        {"date": TODAY, "action": "pause", "exercise_id": item.exercise_id, "reason": "in clinic"}
    )
    with db.write() as s:
        authorize(s, on_machine(pid), Action.CLINICAL_ACTION)
        repo.add_event(s, pid, pause, now=NOW, by="clinician")
    with statements(db) as sent:
        after = services.course(db, on_machine(pid), today=TODAY, library=lib)
    assert [s for s in sent if "FROM course_events" in s]
    assert after == full_replay(db, pid)
    assert after.program is not None
    assert after.program.item(item.exercise_id).status == ItemStatus.PAUSED  # type: ignore[union-attr]


def test_a_set_that_is_refused_leaves_nothing_for_the_next_read(
    db: Database, ready: tuple[int, ProgramItem]
) -> None:
    """A write that does not commit (here a set for an exercise outside the program) keeps no
    records for the next read: that read reads the store."""
    pid, item = ready
    lib = default_library()
    services.course(db, on_machine(pid), today=TODAY, library=lib)
    save(db, pid, done_in_full(item))
    kept = replay.written_tail(pid)
    services.course(db, on_machine(pid), today=TODAY, library=lib)
    outside = sorted(set(lib.exercises) - {i.exercise_id for i in services.today_items(
        db, on_machine(pid), today=TODAY, library=lib)})[0]  # fmt: skip
    with pytest.raises(InvalidInput):
        save(db, pid, done_in_full(item).model_copy(update={"exercise_id": outside}))
    assert replay.written_tail(pid) is kept
    assert services.course(db, on_machine(pid), today=TODAY, library=lib) == full_replay(db, pid)
