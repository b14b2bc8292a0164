"""Red flags answered again mid-course (`services.rescreen`, RULES §1.1, D-2, C-10) on both databases.

A re-screen is a dated record: it acts from its own day, the intake stays as it was given, and the
program versions written before it are never touched.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from store_builders import entry_as_prescribed, make_intake

from history_seed import pass_safety_check
from kneehab import services
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.program import ItemStatus
from kneehab.domain.progression import Action
from kneehab.domain.records import CheckIn, Rescreen, Session
from kneehab.errors import InvalidInput
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.backup import backup, restore
from kneehab.store.db import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
)
from kneehab.store.tables import Base

START = date(2025, 3, 3)  # a Monday
DAY10 = START + timedelta(days=10)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _morning(db: Database, pid: int, day: date) -> None:
    services.check_in(
        db,
        on_machine(pid),
        CheckIn(date=day, morning_pain=3, avg_pain=3),
        today=day,
        now=at(day, 8),
        library=default_library(),
    )


def _session(db: Database, pid: int, day: date) -> None:
    items = services.today_items(db, on_machine(pid), today=day, library=default_library())
    if items:
        session = Session(date=day, entries=tuple(entry_as_prescribed(i) for i in items))
        pass_safety_check(db, pid, day, at(day, 17))
        services.save_session(
            db,
            on_machine(pid),
            session=session,
            now=at(day, 18),
            today=day,
            library=default_library(),
        )


def _live(db: Database, pid: int, first: int, last: int) -> None:
    """Check in each morning and do the day's session, easy and pain-free, days first…last."""
    for offset in range(first, last + 1):
        day = START + timedelta(days=offset)
        if offset > 0:
            _morning(db, pid, day)
        _session(db, pid, day)


def _enrolled_until_the_morning_of_day_10(db: Database) -> int:
    """Nine good days, then the day-10 morning check-in: the re-screen comes later that day (a
    day's check-in is that morning's; a re-screen acts after it)."""
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    _live(db, pid, 0, 9)
    _morning(db, pid, DAY10)
    return pid


def test_urgent_rescreen_on_day_10_stops_from_day_10_and_keeps_the_past(db: Database) -> None:
    pid = _enrolled_until_the_morning_of_day_10(db)
    versions_before = services.program_versions(db, on_machine(pid))
    assert [v for v in versions_before if v.kind == "progress"], "nine easy days step something up"
    course_before = services.course(db, on_machine(pid), today=DAY10, library=default_library())

    triage = services.rescreen(
        db,
        on_machine(pid),
        flags=["RF07"],
        now=at(DAY10, 10),
        today=DAY10,
        library=default_library(),
    )
    assert triage.level.value == "urgent" and "RF07" in triage.rules

    with db.read() as s:
        (intake,) = repo.intakes(s, pid)  # nothing is added to the intake
        *weekly, kept = repo.rescreens(s, pid)  # before it: the weekly full sets (§1.1), all no
    assert all(r.red_flags == () and r.date < DAY10 for r in weekly)
    assert intake.intake.red_flags == () and intake.triage.level.value == "ok"
    assert kept == Rescreen(date=DAY10, red_flags=("RF07",))

    versions = services.program_versions(db, on_machine(pid))
    assert versions[: len(versions_before)] == versions_before  # earlier versions intact
    stops = versions[len(versions_before) :]
    assert stops and all(v.kind == "stop" and v.effective == DAY10 for v in stops)
    assert all({"E1", "RF07"} <= set(v.rules) for v in stops)

    course = services.course(db, on_machine(pid), today=DAY10, library=default_library())
    # v2: a re-screen dated d is read with that day's check-in (before its decisions), so the
    # replay's decisions change from day 10 on; every earlier one is as it was, and the version
    # rows the person was shown on day 10 stay recorded (above).
    earlier = [d for d in course_before.decisions if d.date < DAY10]
    assert [d for d in course.decisions if d.date < DAY10] == earlier
    assert course.program is not None
    assert all(i.status == ItemStatus.STOPPED for i in course.program.items)
    assert services.today_items(db, on_machine(pid), today=DAY10, library=default_library()) == []
    assert course.escalation.level == EscalationLevel.URGENT

    for later in (11, 15, 30):  # E1 urgent persists: locked until a clinician clears it (C-10)
        day = START + timedelta(days=later)
        esc = services.status(db, on_machine(pid), today=day, library=default_library()).escalation
        assert esc.level == EscalationLevel.URGENT and {"E1", "RF07"} <= set(esc.rules), later
        assert "clinician" in esc.message
    day11 = START + timedelta(days=11)
    result = services.check_in(
        db,
        on_machine(pid),
        CheckIn(date=day11, morning_pain=2),
        today=day11,
        now=at(day11),
        library=default_library(),
    )
    assert result.escalation.level == EscalationLevel.URGENT and result.escalation_id is not None
    assert not [d for d in result.decisions if d.action == Action.PAUSE]  # stays stopped


def test_soon_rescreen_on_day_10_fires_e1_that_day_and_holds_progression(db: Database) -> None:
    pid = _enrolled_until_the_morning_of_day_10(db)
    # v2: the re-screen is read with the day-10 check-in, so day 10 makes no step up; the doses
    # are what the first nine days made them.
    before = services.status(
        db, on_machine(pid), today=DAY10 - timedelta(days=1), library=default_library()
    ).program
    assert before is not None

    triage = services.rescreen(
        db,
        on_machine(pid),
        flags=["RF14"],
        now=at(DAY10, 10),
        today=DAY10,
        library=default_library(),
    )
    assert triage.level.value == "soon"
    on_day = services.status(db, on_machine(pid), today=DAY10, library=default_library())
    assert on_day.escalation.level == EscalationLevel.SOON
    assert {"E1", "RF14", "D-2"} <= set(on_day.escalation.rules)
    assert on_day.triage.level.value == "ok"  # the intake's triage, as it was given
    assert on_day.program is not None and on_day.program.progression_held
    # Doses are what the first nine days made them, not the starting doses.
    assert [i.dose for i in on_day.program.items] == [i.dose for i in before.items]

    progress_before = [
        v for v in services.program_versions(db, on_machine(pid)) if v.kind == "progress"
    ]
    _session(db, pid, DAY10)
    _live(db, pid, 11, 24)
    after = services.status(
        db, on_machine(pid), today=START + timedelta(days=24), library=default_library()
    )
    assert "E1" not in after.escalation.rules  # E1 for a soon flag was day 10 only
    assert after.escalation.level == EscalationLevel.SOON and "D-2" in after.escalation.rules
    assert [v for v in services.program_versions(db, on_machine(pid)) if v.kind == "progress"] == (
        progress_before
    )
    course = services.course(
        db, on_machine(pid), today=START + timedelta(days=24), library=default_library()
    )
    held = [d for d in course.decisions if d.date > DAY10 and "D-2" in d.rules]
    assert held and all(d.action == Action.HOLD for d in held)

    services.mark_reviewed(
        db,
        on_machine(pid),
        now=at(START + timedelta(days=24), 12),
        by="Bob",
        library=default_library(),
        today=(at(START + timedelta(days=24), 12)).date(),
    )
    reviewed = services.status(
        db, on_machine(pid), today=START + timedelta(days=24), library=default_library()
    )
    assert "D-2" not in reviewed.escalation.rules


def test_rescreen_today_defaults_to_the_date_of_now(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    services.rescreen(
        db,
        on_machine(pid),
        symptoms=["giving_way"],
        now=at(START + timedelta(days=2), 20),
        library=default_library(),
        today=(at(START + timedelta(days=2), 20)).date(),
    )
    with db.read() as s:
        (kept,) = repo.rescreens(s, pid)
        (esc,) = repo.escalations(s, pid)  # the day had none yet: this one is kept
    assert kept.date == START + timedelta(days=2) and kept.red_flags == ("RF08",)
    assert (esc.day, esc.level) == (kept.date, "soon") and {"E1", "RF08"} <= set(esc.rules)


def test_an_unknown_flag_is_refused_and_nothing_is_written(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    with db.engine.connect() as conn:
        before = repo.dump_all(conn)
    with pytest.raises(InvalidInput, match=r"flags: .*RF99"):
        services.rescreen(
            db,
            on_machine(pid),
            flags=["RF07", "RF99"],
            now=at(START, 10),
            library=default_library(),
            today=(at(START, 10)).date(),
        )
    with db.engine.connect() as conn:
        assert repo.dump_all(conn) == before


def test_rescreens_are_exported_deleted_backed_up_and_restored(
    db: Database, tmp_path: Path
) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    services.rescreen(
        db,
        on_machine(pid),
        flags=["RF05"],
        chest_symptoms=True,
        new_injury=True,
        now=at(START, 11),
        library=default_library(),
        today=(at(START, 11)).date(),
    )
    data = services.export_person(db, on_machine(pid))
    assert json.loads(json.dumps(data)) == data
    (exported,) = data["rescreens"]
    assert exported["date"] == START.isoformat() and exported["red_flags"] == ["RF05"]
    assert exported["chest_symptoms"] and exported["new_injury"]
    assert exported["triage"]["level"] == "emergency"

    file = backup(db, tmp_path / "k.backup")
    services.rescreen(
        db,
        on_machine(pid),
        flags=["RF14"],
        now=at(START, 12),
        library=default_library(),
        today=(at(START, 12)).date(),
    )
    restore(db, file, library=default_library())
    with db.read() as s:
        assert [r.red_flags for r in repo.rescreens(s, pid)] == [("RF05",)]

    services.delete_person(db, on_machine(pid))
    with db.engine.connect() as conn:
        assert repo.dump_all(conn)["rescreens"] == []


def test_migration_0002_adds_and_removes_the_rescreens_table(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0001")
        assert "rescreens" not in inspect(engine).get_table_names()
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert "rescreens" in set(inspect(engine).get_table_names())
        with engine.connect() as conn:  # the migrated schema is what tables.py declares
            drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert drift == [], drift
        db = Database(engine)
        pid = services.enroll(
            db,
            make_intake(),
            start=START,
            now=at(START),
            library=default_library(),
            actor=SERVER_ADMIN,
        ).person_id
        services.rescreen(
            db,
            on_machine(pid),
            flags=["RF07"],
            now=at(START, 10),
            library=default_library(),
            today=(at(START, 10)).date(),
        )
        downgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        names = set(inspect(engine).get_table_names())
        assert "rescreens" not in names and "persons" in names
        migrate(engine)  # and up again: the person is still there, the re-screens are gone
        with db.read() as s:
            assert repo.get_person(s, pid).start == START
            assert repo.rescreens(s, pid) == ()
    finally:
        engine.dispose()


def test_a_backup_from_schema_0001_restores_with_no_rescreens(db: Database, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO persons (id, created_at, start, morning_tolerance, reviewed) "
                "VALUES (7, '2025-03-03 09:00:00', '2025-03-03', 0, 0)"
            )
    finally:
        engine.dispose()
    with sqlite3.connect(old) as conn:  # a standalone file, as `kneehab backup` writes them
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    restore(db, old, library=default_library())
    assert current_revision(db.engine) == head_revision()
    with db.read() as s:
        assert repo.get_person(s, 7).start == START
        assert repo.rescreens(s, 7) == ()
