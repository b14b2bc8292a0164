"""The store on both databases: migrations, round trips, one transaction per write, restart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from store_builders import NOW, START, add_enrolled, make_intake, make_program

from kneehab.domain.records import CheckIn, OutcomeRecord, SessionEntry
from kneehab.domain.types import Dose
from kneehab.errors import NotFound, StoreError
from kneehab.store import repo
from kneehab.store.db import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
    open_database,
)

TABLES = {
    "persons",
    "intakes",
    "program_versions",
    "session_entries",
    "player_states",
    "checkins",
    "outcomes",
    "escalations",
    "rescreens",
}


def test_migrations_upgrade_from_empty_and_downgrade_to_base(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate(engine)  # and back up again
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_database_from_a_newer_kneehab_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz99_future'"))
    with pytest.raises(StoreError, match="newer than this kneehab"):
        migrate(db.engine)


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'new' / 'folder' / 'k.db'}")
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert (tmp_path / "new" / "folder" / "k.db").exists()
    finally:
        db.close()


def test_everything_round_trips_and_survives_a_new_engine(db_url: str) -> None:
    db = open_database(db_url)
    pid = add_enrolled(db)
    entry = SessionEntry(
        exercise_id="bridge", sets_done=2, reps=(10, 9), pain_during_max=2, effort="easy"
    )
    later = NOW + timedelta(days=1)
    with db.write() as s:
        repo.upsert_entry(s, pid, START, entry, now=NOW, paused=False)
        repo.set_player_state(s, pid, START, {"step": 3, "set": 2}, now=NOW)
        repo.add_checkin(
            s, pid, CheckIn(date=START + timedelta(days=1), morning_pain=3, avg_pain=3), now=later
        )
        repo.add_outcome(
            s, pid, OutcomeRecord(date=START, measure="chair_stand_30s", value=11), now=NOW
        )
        esc = repo.add_escalation(
            s, pid, day=START, level="message", rules=["E10"], message="Review", now=NOW
        )
        assert (
            repo.add_escalation(s, pid, day=START, level="soon", rules=["E3"], message="x", now=NOW)
            is None
        )  # one per day
        repo.add_program_version(
            s,
            pid,
            program=make_program(bridge=Dose(sets=2, reps=12, hold_s=2)),
            effective=START + timedelta(days=8),
            now=later,
            kind="progress",
            actor="rule P2",
            rules=("P2", "C-7"),
            reason="Easy twice.",
            exercise_id="bridge",
            from_dose=Dose(sets=2, reps=10, hold_s=2),
            to_dose=Dose(sets=2, reps=12, hold_s=2),
        )
    db.close()

    again = open_database(db_url)  # a restart: new engine, new connections
    try:
        with again.read() as s:
            assert repo.first_person_id(s) == pid
            person = repo.get_person(s, pid)
            assert person.start == START and person.created_at == NOW
            assert repo.latest_intake(s, pid).intake == make_intake()
            versions = repo.program_versions(s, pid)
            assert [v.version for v in versions] == [1, 2]
            assert versions[1].kind == "progress" and versions[1].rules == ("P2", "C-7")
            assert versions[1].to_dose == Dose(sets=2, reps=12, hold_s=2)
            assert versions[0].program == make_program()  # the old version is untouched
            assert repo.latest_program(s, pid).items[0].dose.reps == 12
            sessions = repo.sessions(s, pid)
            assert sessions[0].date == START and sessions[0].entries == (entry,)
            assert repo.get_player_state(s, pid, START) == {"step": 3, "set": 2}
            assert repo.checkins(s, pid)[0].morning_pain == 3
            assert repo.outcomes(s, pid)[0].value == 11
            (stored,) = repo.escalations(s, pid)
            assert stored.id == esc and stored.level == "message"
            assert stored.created_at.tzinfo is not None
    finally:
        again.close()


def test_relogging_an_entry_replaces_it(db: Database) -> None:
    pid = add_enrolled(db)
    first = SessionEntry(exercise_id="bridge", sets_done=1, reps=(10,), pain_during_max=2)
    fixed = SessionEntry(exercise_id="bridge", sets_done=2, reps=(10, 10), pain_during_max=1)
    with db.write() as s:
        repo.upsert_entry(s, pid, START, first, now=NOW, paused=False)
    with db.write() as s:
        repo.upsert_entry(s, pid, START, fixed, now=NOW, paused=True)
    with db.read() as s:
        (rec,) = repo.entries(s, pid)
    assert rec.entry == fixed and rec.paused_when_logged


def test_a_failed_unit_of_work_writes_nothing(db: Database) -> None:
    pid = add_enrolled(db)
    with pytest.raises(RuntimeError), db.write() as s:
        repo.add_checkin(s, pid, CheckIn(date=START, morning_pain=2), now=NOW)
        repo.set_reviewed(s, pid, now=NOW, by="Bob")
        raise RuntimeError("crash after the writes, before commit")
    with db.read() as s:
        assert repo.checkins(s, pid) == ()
        assert repo.get_person(s, pid).reviewed is False


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="timezone-aware"), db.write() as s:
        repo.add_person(s, start=START, now=datetime(2025, 3, 3, 9, 0))


def test_delete_person_removes_every_row(db: Database) -> None:
    pid = add_enrolled(db)
    other = add_enrolled(db)
    with db.write() as s:
        repo.add_checkin(s, pid, CheckIn(date=START, morning_pain=2), now=NOW)
        repo.delete_person(s, pid)
    with db.read() as s:
        assert repo.first_person_id(s) == other
        with pytest.raises(NotFound):
            repo.get_person(s, pid)
        for table in TABLES - {"persons", "player_states"}:
            count = s.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE person_id = :p"), {"p": pid}
            ).scalar()
            assert count == 0, table


def test_acknowledging_an_escalation_of_another_person_is_not_found(db: Database) -> None:
    pid, other = add_enrolled(db), add_enrolled(db)
    at = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    with db.write() as s:
        esc = repo.add_escalation(
            s, pid, day=date(2025, 3, 4), level="soon", rules=["E3"], message="m", now=at
        )
    assert esc is not None
    with pytest.raises(NotFound), db.write() as s:
        repo.acknowledge_escalation(s, other, esc, now=at, by="Alice")
    with db.write() as s:
        repo.acknowledge_escalation(s, pid, esc, now=at, by="Alice")
    with db.read() as s:
        (rec,) = repo.escalations(s, pid)
    assert rec.acknowledged_at == at and rec.seen_at == at and rec.acknowledged_by == "Alice"


def test_a_versions_doses_are_stored_with_only_their_keys_and_read_back_equal(db: Database) -> None:
    """A dose stores only the keys it uses (`repo.stored_dose`); the others read back as None,
    load 0.0 stays 0.0, a dose with no key set is stored as {} and reads back as that dose (not as
    no dose), and a row written before, with every key and nulls, still reads."""
    pid = add_enrolled(db)
    walk = Dose(minutes=12)
    band = Dose(sets=2, reps=10, load_kg=0.0, variant="band")
    changes = ((walk, Dose(minutes=14)), (band, walk), (Dose(), None))
    with db.write() as s:
        for version, (before, after) in enumerate(changes, 2):
            repo.add_program_version(
                s,
                pid,
                program=make_program(),
                effective=START + timedelta(days=version),
                now=NOW,
                kind="progress",
                actor="rule P2",
                rules=("P2",),
                reason="Easy twice.",
                exercise_id="bridge",
                from_dose=before,
                to_dose=after,
            )
        s.execute(  # as the rows of an earlier kneehab: every key, nulls included
            text("UPDATE program_versions SET to_dose = :d WHERE person_id = :p AND version = 2"),
            {"d": json.dumps(Dose(minutes=14).as_dict()), "p": pid},
        )
    with db.read() as s:
        stored = s.execute(
            text("SELECT from_dose FROM program_versions WHERE person_id = :p ORDER BY version"),
            {"p": pid},
        ).scalars()
        raw = [json.loads(d) if isinstance(d, str) else d for d in stored]
        assert raw[1:] == [
            {"minutes": 12},
            {"sets": 2, "reps": 10, "load_kg": 0.0, "variant": "band"},
            {},
        ]
        versions = repo.program_versions(s, pid)
        stored_changes = repo.program_changes(s, pid)
    assert [(v.from_dose, v.to_dose) for v in versions[1:]] == list(changes)
    assert [(c.from_dose, c.to_dose) for c in stored_changes[1:]] == list(changes)
