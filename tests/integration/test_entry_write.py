"""Logging a set trusts the person's revision (issue 11 §2), on SQLite and PostgreSQL: the write that
follows the route's check finds the revision the check's read was at, under the person's lock, and
reuses that course instead of reading the records again; any write in between raises the revision,
and its change is never hidden (RULES C-13: a paused exercise is still flagged)."""

from __future__ import annotations

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
from kneehab.domain.records import ClinicianAction, SessionEntry, done_as_prescribed
from kneehab.library.load import default_library
from kneehab.services import replay
from kneehab.services.acting import authorize, on_machine
from kneehab.services.replay import history_in
from kneehab.store import repo
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
