"""Course snapshots in the store (issue 11 §2), on SQLite and PostgreSQL: a write keeps the state
after yesterday (and so does a read that found none); a read resumes from it; anything that changes the history before it — a back-dated
record through the app or through plain SQL, another library, a restore, deleting the person — means
the course is replayed from the start again. Every course read here equals a full replay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from history_seed import seed_history
from kneehab import services
from kneehab.domain import course as course_engine
from kneehab.domain.course import Course
from kneehab.domain.exercise import Library
from kneehab.domain.program import ItemStatus
from kneehab.domain.records import CheckIn, ClinicianAction, Rescreen
from kneehab.domain.screening import screen_rescreen
from kneehab.errors import CourseUnreadable
from kneehab.library.load import default_library
from kneehab.services import replay
from kneehab.services.acting import on_machine
from kneehab.services.replay import history_in
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.tables import CourseSnapshotRow

TODAY = date(2025, 3, 20)
NOW = datetime(2025, 3, 20, 9, tzinfo=UTC)


def full_replay(db: Database, pid: int, library: Library, today: date = TODAY) -> Course:
    with db.read() as s:
        return course_engine.replay(history_in(s, pid, today), library)


def snapshot_day(db: Database, pid: int) -> date | None:
    with db.read() as s:
        return s.scalar(select(CourseSnapshotRow.day).where(CourseSnapshotRow.person_id == pid))


def read(db: Database, pid: int, library: Library, today: date = TODAY) -> Course:
    return services.course(db, on_machine(pid), today=today, library=library)


@pytest.fixture
def seeded(db: Database) -> int:
    return seed_history(db, default_library(), TODAY, days=12)


def test_a_write_keeps_the_state_after_yesterday_and_reads_resume_from_it(
    db: Database, seeded: int
) -> None:
    lib = default_library()
    # The seed's last write was yesterday's session: its snapshot is after the day before.
    assert snapshot_day(db, seeded) == TODAY - timedelta(days=2)
    replay.forget_live_states()  # as in a process that has not read this person yet
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)
    assert replay.resumed_from_store(seeded)  # the stored state was read, not a full replay
    assert snapshot_day(db, seeded) == TODAY - timedelta(days=2)  # a read keeps nothing
    services.check_in(
        db,
        on_machine(seeded),
        services_checkin(TODAY),
        today=TODAY,
        now=NOW,
        library=lib,
    )
    assert snapshot_day(db, seeded) == TODAY - timedelta(days=1)
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)


def services_checkin(day: date) -> CheckIn:
    return CheckIn(date=day, morning_pain=3, morning_stiffness=2, avg_pain=3)


def _paused_on_day_2(pid: int, exercise_id: str) -> ClinicianAction:
    start = TODAY - timedelta(days=12)
    return ClinicianAction.model_validate(
        {
            "date": start + timedelta(days=2),
            "action": "pause",
            "exercise_id": exercise_id,
            "reason": "seen in clinic",
        }
    )


def test_a_back_dated_clinician_action_forgets_the_snapshot(db: Database, seeded: int) -> None:
    lib = default_library()
    before = read(db, seeded, lib)
    assert before.program is not None
    target = before.program.items[0].exercise_id
    with db.write() as s:
        repo.add_event(s, seeded, _paused_on_day_2(seeded, target), now=NOW, by="clinician")
    assert snapshot_day(db, seeded) is None  # dated before the snapshot day: gone in the same flush
    after = read(db, seeded, lib)
    assert after == full_replay(db, seeded, lib)
    # That read replayed from the start, so it kept a snapshot for the next one (after yesterday).
    assert snapshot_day(db, seeded) == TODAY - timedelta(days=1)
    replay.forget_live_states()
    assert read(db, seeded, lib) == after and replay.resumed_from_store(seeded)
    assert after.program is not None and after.program.item(target) is not None
    assert after.program.item(target).status == ItemStatus.PAUSED  # type: ignore[union-attr]


def test_a_record_written_with_plain_sql_is_noticed(db: Database, seeded: int) -> None:
    lib = default_library()
    before = read(db, seeded, lib)
    assert before.program is not None
    target = before.program.items[0].exercise_id
    action = _paused_on_day_2(seeded, target)
    data = action.model_dump_json(exclude={"date"})
    with db.write() as s:  # not through the ORM: the flush hook never sees it
        s.execute(
            text(
                "INSERT INTO course_events (person_id, day, kind, data, recorded_at) "
                "VALUES (:p, :d, 'clinician', :j, :t)"
            ),
            {"p": seeded, "d": action.date, "j": data, "t": NOW},
        )
    assert snapshot_day(db, seeded) is not None  # still there, but no longer counted right
    after = read(db, seeded, lib)
    assert after == full_replay(db, seeded, lib)
    assert after.program is not None
    assert after.program.item(target).status == ItemStatus.PAUSED  # type: ignore[union-attr]


def test_another_library_replays_from_the_start(db: Database, seeded: int) -> None:
    lib = default_library()
    first = lib.exercises[sorted(lib.exercises)[0]]
    renamed = first.model_copy(update={"name": f"{first.name} (renamed)"})
    other = lib.model_copy(update={"exercises": {**lib.exercises, first.id: renamed}})
    assert read(db, seeded, other) == full_replay(db, seeded, other)
    services.check_in(
        db, on_machine(seeded), services_checkin(TODAY), today=TODAY, now=NOW, library=other
    )
    assert read(db, seeded, other) == full_replay(db, seeded, other)
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)  # and back again


def test_backups_leave_snapshots_out_and_a_restore_or_delete_drops_them(
    db: Database, seeded: int
) -> None:
    assert snapshot_day(db, seeded) is not None
    with db.write() as s:
        data = repo.dump_all(s.connection())
    assert "course_snapshots" not in data
    data["course_snapshots"] = [{"person_id": seeded, "day": TODAY, "state": b"x"}]  # ignored
    with db.write() as s:
        repo.replace_all(s.connection(), data)
    assert snapshot_day(db, seeded) is None
    lib = default_library()
    services.check_in(
        db, on_machine(seeded), services_checkin(TODAY), today=TODAY, now=NOW, library=lib
    )
    assert snapshot_day(db, seeded) is not None
    services.delete_person(db, on_machine(seeded))
    assert snapshot_day(db, seeded) is None


def test_a_library_without_a_logged_exercise_says_so_in_plain_words(
    db: Database, seeded: int
) -> None:
    lib = default_library()
    with db.read() as s:
        logged = repo.sessions(s, seeded)[0].entries[0].exercise_id
    smaller = lib.model_copy(
        update={"exercises": {k: v for k, v in lib.exercises.items() if k != logged}}
    )
    with pytest.raises(CourseUnreadable) as found:
        read(db, seeded, smaller)
    assert f"'{logged}'" in str(found.value)
    assert "no longer has" in str(found.value) and "Nothing saved is lost" in str(found.value)
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)  # nothing was changed


# A read keeps the course it replayed beside the live state (replay._Live.last), for the next read
# with the same tail: the records after the snapshot day, the head with `today`, and the library.


def test_a_repeated_read_reuses_its_course_until_a_record_after_the_snapshot_day(
    db: Database, seeded: int
) -> None:
    lib = default_library()
    replay.forget_live_states()
    first = read(db, seeded, lib)
    assert read(db, seeded, lib) is first  # nothing changed: the same tail gives the same course
    assert replay.reused_course(seeded) is first
    snapshot = snapshot_day(db, seeded)
    assert snapshot is not None and snapshot < TODAY
    # A red flag answered today (after the snapshot day, so the snapshot stays): never hidden.
    flagged = Rescreen(date=TODAY, red_flags=("RF05",), full_set=True)
    with db.write() as s:
        repo.add_rescreen(s, seeded, flagged, screen_rescreen(flagged), now=NOW)
    assert snapshot_day(db, seeded) == snapshot
    after = read(db, seeded, lib)
    assert after is not first and after == full_replay(db, seeded, lib)
    assert after.escalation != first.escalation and after.locked_by is not None


def test_a_clinician_action_today_is_not_hidden_by_the_reused_course(
    db: Database, seeded: int
) -> None:
    lib = default_library()
    first = read(db, seeded, lib)
    assert read(db, seeded, lib) is first and first.program is not None
    target = first.program.items[0].exercise_id
    pause = ClinicianAction.model_validate(
        {"date": TODAY, "action": "pause", "exercise_id": target, "reason": "seen in clinic"}
    )
    with db.write() as s:
        repo.add_event(s, seeded, pause, now=NOW, by="clinician")
    after = read(db, seeded, lib)
    assert after is not first and after == full_replay(db, seeded, lib)
    assert after.program is not None
    assert after.program.item(target).status == ItemStatus.PAUSED  # type: ignore[union-attr]


def test_a_check_in_written_with_plain_sql_after_the_snapshot_is_not_hidden(
    db: Database, seeded: int
) -> None:
    lib = default_library()
    first = read(db, seeded, lib)
    assert read(db, seeded, lib) is first
    with db.write() as s:  # not through the ORM, and after the snapshot day: only the tail shows it
        s.execute(
            text(
                "INSERT INTO checkins (person_id, day, morning_pain, morning_stiffness, avg_pain, "
                "new_symptoms, chest_symptoms, recorded_at) "
                "VALUES (:p, :d, 9, 3, 9, '[]', false, :t)"
            ),
            {"p": seeded, "d": TODAY, "t": NOW},
        )
    after = read(db, seeded, lib)
    assert after is not first and after == full_replay(db, seeded, lib)


def test_another_day_or_library_does_not_reuse_the_course(db: Database, seeded: int) -> None:
    lib = default_library()
    first = read(db, seeded, lib)
    assert read(db, seeded, lib) is first
    tomorrow = TODAY + timedelta(days=1)
    later = read(db, seeded, lib, today=tomorrow)
    assert later is not first and later == full_replay(db, seeded, lib, today=tomorrow)
    first_id = sorted(lib.exercises)[0]
    renamed = lib.exercises[first_id].model_copy(update={"name": "Renamed"})
    other = lib.model_copy(update={"exercises": {**lib.exercises, first_id: renamed}})
    assert read(db, seeded, other) == full_replay(db, seeded, other)
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)


def test_live_states_stay_within_their_memory_bound(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process holds live states up to LIVE_BYTES (estimated from each state's pickle), dropping the
    least recently used person first; a dropped person's read still equals a full replay."""
    lib = default_library()
    first = seed_history(db, lib, TODAY, days=12)
    second = seed_history(db, lib, TODAY, days=12)
    replay.forget_live_states()
    assert replay.live_states_size() == 0
    read(db, first, lib)
    one = replay.live_states_size()
    assert one > 0 and replay.resumed_from_store(first)
    monkeypatch.setattr(replay, "LIVE_BYTES", one + one // 2)  # room for one person, not two
    read(db, second, lib)
    assert replay.resumed_from_store(second) and not replay.resumed_from_store(first)
    assert replay.live_states_size() <= one + one // 2
    read(db, second, lib)  # used again: it stays, and it is counted once
    assert replay.live_states_size() <= one + one // 2
    assert read(db, first, lib) == full_replay(db, first, lib)
    assert replay.resumed_from_store(first) and not replay.resumed_from_store(second)
    replay.forget_live_states()
    assert replay.live_states_size() == 0


def test_a_check_in_leaves_its_course_for_the_next_read_and_later_writes_keep_none(
    db: Database, seeded: int
) -> None:
    """The write that keeps yesterday's snapshot leaves the course it replayed beside the new state:
    the next read with the same records reuses it. A later write of the day keeps no snapshot (one
    after yesterday is there already). Every course still equals a full replay."""
    lib = default_library()
    replay.forget_live_states()
    services.check_in(
        db, on_machine(seeded), services_checkin(TODAY), today=TODAY, now=NOW, library=lib
    )
    assert snapshot_day(db, seeded) == TODAY - timedelta(days=1)
    kept = replay.reused_course(seeded)
    assert kept is not None and read(db, seeded, lib) is kept
    assert kept == full_replay(db, seeded, lib)
    with db.read() as s:
        before = s.scalar(
            select(CourseSnapshotRow.created_at).where(CourseSnapshotRow.person_id == seeded)
        )
    flagged = Rescreen(date=TODAY, red_flags=(), full_set=True)
    with db.write() as s:  # a later write of the day: replays, keeps nothing new
        replay.course_in(s, seeded, TODAY, lib)
        repo.add_rescreen(s, seeded, flagged, screen_rescreen(flagged), now=NOW)
    with db.read() as s:
        after = s.scalar(
            select(CourseSnapshotRow.created_at).where(CourseSnapshotRow.person_id == seeded)
        )
    assert after == before
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)


@pytest.mark.parametrize("blob", [b"", b"not a snapshot", "lzma"])
def test_a_stored_state_that_cannot_be_read_replays_from_the_start(
    db: Database, seeded: int, blob: bytes | str
) -> None:
    """A stored state in another form (an lzma one from before zstd, a damaged or empty one) is not an
    error: the course is replayed from the start, equal to a full replay, and the next write keeps a
    readable snapshot again."""
    import lzma

    lib = default_library()
    with db.write() as s:
        row = s.get(CourseSnapshotRow, seeded)
        assert row is not None
        row.state = lzma.compress(b"pickled state") if blob == "lzma" else blob
    replay.forget_live_states()
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)
    assert not replay.resumed_from_store(seeded)  # replayed from the start, not from the row
    services.check_in(
        db, on_machine(seeded), services_checkin(TODAY), today=TODAY, now=NOW, library=lib
    )
    replay.forget_live_states()
    assert read(db, seeded, lib) == full_replay(db, seeded, lib)
    assert replay.resumed_from_store(seeded)
