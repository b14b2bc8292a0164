"""Stored courses move to rule book v2 (issue 8 §2, ADR 0004), on SQLite and PostgreSQL.

Decisions already shown stay as recorded; v2 applies from the day the upgrade runs, as one dated
`rules-v2` program version that says in plain words what changed for that person.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from store_builders import make_intake

from kneehab import services
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.program import ItemStatus, Program
from kneehab.domain.records import CheckIn, ClinicianAction, SessionEntry
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
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
UPGRADE = START + timedelta(days=10)
RULE_ID = re.compile(r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§")  # EX-36


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _v1_course(db: Database) -> tuple[int, Program]:
    """A course as kneehab v1 stored it: osteoarthritis with usual morning pain 5, v1's pain limit
    of 3, morning tolerance 0, the bridge paused on day 6 and every candidate in the session."""
    enrolled = services.enroll(
        db,
        make_intake(pain_now=5, pain_worst_week=6),
        start=START,
        now=at(START),
        library=default_library(),
        actor=SERVER_ADMIN,
    )
    pid, v2_plan = enrolled.person_id, enrolled.program
    assert v2_plan is not None and v2_plan.swaps, "the v2 plan keeps some candidates as swaps"
    extra = v2_plan.swaps[0].item
    items = tuple(
        i.model_copy(update={"status": ItemStatus.PAUSED}) if i.exercise_id == "bridge" else i
        for i in v2_plan.items
    )
    v1 = v2_plan.model_copy(
        update={"pain_ceiling": 3, "items": (*items, extra), "swaps": (), "baseline_pain": None}
    )
    with db.write() as s:
        repo.set_rules_version(s, pid, 1)
        repo.set_morning_tolerance(s, pid, 0)
        bridge = v2_plan.item("bridge")
        assert bridge is not None
        entry = SessionEntry(
            exercise_id="bridge",
            sets_done=bridge.dose.sets or 1,
            reps=(bridge.dose.reps,) * (bridge.dose.sets or 1) if bridge.dose.reps else None,
            hold_s=(bridge.dose.hold_s,) * (bridge.dose.sets or 1) if bridge.dose.hold_s else None,
            pain_during_max=1,
            effort="easy",
        )
        for offset in (0, 2, 4):  # Mon, Wed, Fri sessions: enough for v2 to step the bridge up
            repo.upsert_entry(
                s, pid, START + timedelta(days=offset), entry, now=at(START), paused=False
            )
        for offset in range(1, 10):
            day = START + timedelta(days=offset)
            repo.add_checkin(s, pid, CheckIn(date=day, morning_pain=5, avg_pain=5), now=at(day, 8))
        repo.add_program_version(
            s,
            pid,
            program=v1,
            effective=START + timedelta(days=6),
            now=at(START + timedelta(days=6)),
            kind="pause",
            actor="rule P5",
            rules=("P5",),
            reason="Bridge: paused after mornings above your usual pain (P5).",
            exercise_id="bridge",
        )
    return pid, v1


def _rows(db: Database) -> dict[str, list[dict[str, object]]]:
    with db.engine.connect() as conn:
        return repo.dump_all(conn)


def test_upgrade_records_one_dated_event_in_plain_words_and_keeps_the_past(db: Database) -> None:
    pid, v1 = _v1_course(db)
    before = services.program_versions(db, on_machine(pid))
    revision = _rows(db)["persons"][0]["revision"]

    (done,) = services.upgrade_rules(
        db, today=UPGRADE, now=at(UPGRADE, 7), library=default_library()
    )

    after = services.program_versions(db, on_machine(pid))
    assert after[: len(before)] == before  # nothing stored is rewritten
    (event,) = after[len(before) :]
    assert (event.kind, event.effective, event.actor) == ("rules-v2", UPGRADE, "rule book v2")
    assert event.version == done.version == len(before) + 1
    assert {"C-18", "D-1", "C-5", "P10", "D-10"} <= set(event.rules)
    words = event.reason
    assert (
        "Your pain limit is now 5 out of 10 (it was 3), because your usual morning pain is 5."
        in words
    )
    assert "it is 5 out of 10 today" in words  # the baseline
    assert "more than 1 point above your usual pain" in words  # tolerance 0 → 1
    assert "Bridge is back in your session" in words  # a v1 pause that v2 would not keep
    extra = v1.items[-1].name
    assert f"{extra} is now among the exercises you can choose instead" in words  # D-10 cap
    assert not RULE_ID.search(words), words  # ids apart (D-13)
    assert event.program.pain_ceiling == 5 and event.program.item("bridge") is not None
    with db.read() as s:
        person = repo.get_person(s, pid)
    assert (person.rules_version, person.morning_tolerance) == (2, 1)
    # A change to the course like any other: the caseload's kept row and kept views are stale now.
    assert _rows(db)["persons"][0]["revision"] > revision
    status = services.status(db, on_machine(pid), today=UPGRADE, library=default_library())
    assert [u.version for u in status.rules_updates] == [event.version]

    # Running it again changes nothing.
    rows = _rows(db)
    assert (
        services.upgrade_rules(
            db, today=UPGRADE + timedelta(days=1), now=at(UPGRADE, 8), library=default_library()
        )
        == []
    )
    assert _rows(db) == rows


def test_after_the_upgrade_only_changes_from_that_day_on_are_recorded(db: Database) -> None:
    pid, _ = _v1_course(db)
    services.upgrade_rules(db, today=UPGRADE, now=at(UPGRADE, 7), library=default_library())
    replay = services.course(db, on_machine(pid), today=UPGRADE, library=default_library())
    earlier = [v for v in replay.versions if v.kind != "plan" and v.date < UPGRADE]
    assert earlier, "v2 would have changed something before the upgrade day"
    stored = len(services.program_versions(db, on_machine(pid)))

    day = UPGRADE + timedelta(days=1)
    services.check_in(
        db,
        on_machine(pid),
        CheckIn(date=day, morning_pain=5),
        today=day,
        now=at(day, 8),
        library=default_library(),
    )

    added = services.program_versions(db, on_machine(pid))[stored:]
    assert all(v.effective >= UPGRADE for v in added), [(v.effective, v.kind) for v in added]


def test_a_write_moves_a_v1_course_first_in_the_same_transaction(db: Database) -> None:
    """No `kneehab serve` since the new version: the first check-in upgrades that person first."""
    pid, _ = _v1_course(db)
    stored = len(services.program_versions(db, on_machine(pid)))
    services.check_in(
        db,
        on_machine(pid),
        CheckIn(date=UPGRADE, morning_pain=5),
        today=UPGRADE,
        now=at(UPGRADE, 8),
        library=default_library(),
    )
    added = services.program_versions(db, on_machine(pid))[stored:]
    assert added and added[0].kind == "rules-v2" and added[0].effective == UPGRADE
    assert all(v.effective >= UPGRADE for v in added)


def test_a_course_started_under_v2_is_left_alone(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    assert (
        services.upgrade_rules(db, today=UPGRADE, now=at(UPGRADE), library=default_library()) == []
    )
    assert [v.kind for v in services.program_versions(db, on_machine(pid))] == ["plan"]


def test_a_dated_review_ends_the_hold_from_its_day_only(db: Database) -> None:
    """D-2/D-7: a `soon` intake holds progression until a clinician review; the review is a dated
    event (course_events), so the holds before it stay as they were."""
    pid = services.enroll(
        db,
        make_intake(red_flags=["RF14"]),
        start=START,
        now=at(START),
        library=default_library(),
        actor=SERVER_ADMIN,
    ).person_id
    review_day = START + timedelta(days=5)
    services.mark_reviewed(
        db,
        on_machine(pid),
        now=at(review_day, 12),
        by="Dr Bob",
        today=review_day,
        library=default_library(),
    )
    with db.read() as s:
        _, _, clinician = repo.events(s, pid)
    assert [(c.date, c.action) for c in clinician] == [(review_day, "review")]
    assert services.status(
        db, on_machine(pid), today=review_day, library=default_library()
    ).reviewed
    assert not services.status(
        db, on_machine(pid), today=review_day, library=default_library()
    ).program.progression_held  # type: ignore[union-attr]
    assert services.status(
        db, on_machine(pid), today=review_day - timedelta(days=1), library=default_library()
    ).program.progression_held  # type: ignore[union-attr]
    exported = services.export_person(db, on_machine(pid))["course_events"]
    assert exported["clinician"][0]["action"] == "review"


def test_a_clinician_action_is_kept_and_acts_from_its_date(db: Database) -> None:
    pid = services.enroll(
        db, make_intake(), start=START, now=at(START), library=default_library(), actor=SERVER_ADMIN
    ).person_id
    day = START + timedelta(days=3)
    action = ClinicianAction(date=day, action="set_ceiling", value=2, reason="Keep it gentle.")
    services.clinician_action(
        db, on_machine(pid), action, today=day, now=at(day), by="Dr Bob", library=default_library()
    )
    assert (
        services.course(
            db, on_machine(pid), today=day, library=default_library()
        ).program.pain_ceiling
        >= 2
    )  # type: ignore[union-attr]
    with db.read() as s:
        assert repo.events(s, pid)[2] == (action,)


def test_migration_0003_adds_the_rules_version_and_the_events(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO persons (id, created_at, start, morning_tolerance, reviewed) "
                    "VALUES (7, '2025-03-03 09:00:00+00', '2025-03-03', 0, false)"
                )
            )
        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert "course_events" in set(inspect(engine).get_table_names())
        with engine.connect() as conn:  # the migrated schema is what tables.py declares
            drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert drift == [], drift
        db = Database(engine)
        with db.read() as s:
            assert repo.get_person(s, 7).rules_version == 1  # stored before v2
        downgrade(engine, "0002")
        assert "course_events" not in set(inspect(engine).get_table_names())
        assert "rules_version" not in {c["name"] for c in inspect(engine).get_columns("persons")}
    finally:
        engine.dispose()


def test_backup_and_restore_keep_the_rules_version_and_the_events(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kneehab.store.backup import backup, restore

    pid, _ = _v1_course(db)
    services.upgrade_rules(db, today=UPGRADE, now=at(UPGRADE, 7), library=default_library())
    services.mark_reviewed(
        db,
        on_machine(pid),
        now=at(UPGRADE, 12),
        by="Dr Bob",
        today=UPGRADE,
        library=default_library(),
    )
    rows = _rows(db)
    assert rows["course_events"] and rows["persons"][0]["rules_version"] == 2
    path = tmp_path / "copy.db"
    backup(db, path)
    services.delete_person(db, on_machine(pid))
    assert _rows(db)["course_events"] == []
    restore(db, path, library=default_library())
    # Every row as it was; each person's revision is drawn afresh by a restore (ADR 0008).
    no_revision = [{k: v for k, v in p.items() if k != "revision"} for p in rows["persons"]]
    restored = _rows(db)
    assert restored | {"persons": no_revision} == rows | {"persons": no_revision}
    assert [
        {k: v for k, v in p.items() if k != "revision"} for p in restored["persons"]
    ] == no_revision
