"""Issue 11 §1: writes at the same moment, on SQLite and PostgreSQL. Found when probed: 16 enrolments of
one account made 15 (SQLite) and 14 (PostgreSQL) people; 16 check-ins for one date gave 11 × 500 on
PostgreSQL (read-then-insert); a repeated outcomes submission was stored twice. Now each person's writes
run one after the other (their row is held), unique keys back it up, and a loser is a clean 409."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta

from kneehab import services
from kneehab.demo import DEMO_INTAKE, _did
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.outcomes import OutcomeRecord
from kneehab.domain.records import CheckIn, Session
from kneehab.errors import Conflict, UserError
from kneehab.library.load import default_library
from kneehab.services import accounts
from kneehab.services.acting import Acting, on_machine
from kneehab.store.db import Database

START = date(2026, 3, 2)
TODAY = START + timedelta(days=40)
NOW = datetime.combine(TODAY, time(9), tzinfo=UTC)
WRITERS = 32


def _all(calls: list[Callable[[], object]]) -> Counter[str]:
    """Run every call at once; count how each ended (anything but 'ok' or a UserError's class name
    is a crash, which fails the test)."""

    def one(call: Callable[[], object]) -> str:
        try:
            call()
        except UserError as err:
            return type(err).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return Counter(pool.map(one, calls))


def _people(db: Database, n: int) -> list[Acting]:
    lib, found = default_library(), []
    for i in range(n):
        made = accounts.add_account(
            db, f"p{i}@example.test", role="person", clinic_id=None, password="long enough pw",
            actor=SERVER_ADMIN, now=NOW,
        )  # fmt: skip
        pid = services.enroll(
            db, DEMO_INTAKE, actor=SERVER_ADMIN, start=START, now=NOW, library=lib,
            account_id=made.account_id,
        ).person_id  # fmt: skip
        found.append(on_machine(pid))
    return found


def test_one_account_enrolled_by_16_requests_at_once_has_one_program(db: Database) -> None:
    lib = default_library()
    made = accounts.add_account(
        db, "once@example.test", role="person", clinic_id=None, password="long enough pw",
        actor=SERVER_ADMIN, now=NOW,
    )  # fmt: skip
    person = accounts.account_actor(db, made.account_id)
    ends = _all(
        [
            lambda: services.enroll(
                db,
                DEMO_INTAKE,
                actor=person,
                start=START,
                now=NOW,
                library=lib,
                account_id=made.account_id,
            )
        ]
        * 16
    )
    assert ends == Counter({"ok": 1, "Conflict": 15})
    assert len(services.people_ids(db)) == 1
    assert accounts.account_actor(db, made.account_id).person_id == services.people_ids(db)[0]


def test_32_writers_lose_nothing_and_duplicate_nothing(db: Database) -> None:
    lib = default_library()
    people = _people(db, 8)
    one = people[0]
    program = services.course(db, one, today=START, library=lib).program
    assert program is not None
    days = [START + timedelta(days=d) for d in range(1, 33)]

    def session(who: Acting, day: date) -> Callable[[], object]:
        items = services.today_items(db, who, today=day, library=lib)
        entries = tuple(_did(item, pain=1) for item in items) or (_did(program.items[0], 1),)
        return lambda: services.save_session(
            db, who, session=Session(date=day, entries=entries), now=NOW, today=TODAY, library=lib
        )

    def checkin(who: Acting, day: date) -> Callable[[], object]:
        morning = CheckIn(date=day, morning_pain=2, morning_stiffness=1)
        return lambda: services.check_in(db, who, morning, today=TODAY, now=NOW, library=lib)

    # 16 writers on one person (8 sessions, 8 check-ins, each its own day), 16 on seven others.
    calls = [session(one, d) for d in days[:8]] + [checkin(one, d) for d in days[8:16]]
    calls += [checkin(people[1 + i % 7], days[i]) for i in range(16)]
    assert _all(calls) == Counter({"ok": WRITERS})
    kept = services.history(db, one)
    assert sorted({e.day for e in kept.entries}) == days[:8]
    assert [c.date for c in kept.checkins] == days[8:16]
    assert len(kept.entries) == len(
        {(e.day, e.entry.exercise_id, e.entry.side) for e in kept.entries}
    )
    for i in range(1, 8):
        mine = [d for n, d in enumerate(days[:16]) if 1 + n % 7 == 1 + (i - 1)]
        assert [c.date for c in services.history(db, people[i]).checkins] == mine


def test_16_check_ins_for_one_date_keep_one_and_refuse_the_rest(db: Database) -> None:
    lib = default_library()
    (who,) = _people(db, 1)
    day = TODAY - timedelta(days=1)
    ends = _all(
        [
            lambda: services.check_in(
                db, who, CheckIn(date=day, morning_pain=3), today=TODAY, now=NOW, library=lib
            )
        ]
        * 16
    )
    assert ends["ok"] == 1 and ends["ok"] + ends["InvalidInput"] + ends["Conflict"] == 16, ends
    assert [c.date for c in services.history(db, who).checkins] == [day]


def test_a_repeated_outcomes_submission_is_kept_once(db: Database) -> None:
    (who,) = _people(db, 1)
    sitting = [OutcomeRecord(date=TODAY, measure="chair_stand_30s", value=11)]
    first = services.record_outcomes(db, who, sitting, today=TODAY, now=NOW)
    ends = _all([lambda: services.record_outcomes(db, who, sitting, today=TODAY, now=NOW)] * 8)
    assert ends == Counter({"ok": 8})
    kept = [o for o in services.history(db, who).outcomes if o.measure == "chair_stand_30s"]
    assert len(kept) == 1 and kept[0].value == 11 and first
    # A different value the same day is a new measurement, kept beside it.
    services.record_outcomes(
        db, who, [OutcomeRecord(date=TODAY, measure="chair_stand_30s", value=12)], today=TODAY,
        now=NOW,
    )  # fmt: skip
    assert (
        len([o for o in services.history(db, who).outcomes if o.measure == "chair_stand_30s"]) == 2
    )


def test_a_unique_key_taken_at_the_same_moment_is_a_conflict_not_a_crash(db: Database) -> None:
    """Below the person's lock, the store's own unique keys still answer in words (409)."""
    (who,) = _people(db, 1)
    from kneehab.store import repo

    day = TODAY - timedelta(days=2)
    with db.write() as s:
        repo.add_checkin(s, who.person_id, CheckIn(date=day, morning_pain=1), now=NOW)
    try:
        with db.write() as s:
            repo.add_checkin(s, who.person_id, CheckIn(date=day, morning_pain=5), now=NOW)
    except Conflict as err:
        assert "try again" in str(err)
    else:
        raise AssertionError("a second check-in row for one date was kept")
    assert [c.morning_pain for c in services.history(db, who).checkins] == [1]


def test_a_lock_cycle_on_postgresql_is_a_busy_answer_not_a_crash(db: Database) -> None:
    """Two transactions that take the same two rows in opposite orders: PostgreSQL ends one of them
    (deadlock_detected). That one is Busy (503: nothing kept, send it again), never a 500; the other
    commits. On SQLite the writers take turns, so both commit."""
    import threading

    from sqlalchemy import text

    with db.write() as s:
        s.execute(text("CREATE TABLE cycle_probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        s.execute(text("INSERT INTO cycle_probe (id, n) VALUES (1, 0), (2, 0)"))
    both = threading.Barrier(2)

    def touch(first: int, second: int) -> str:
        try:
            with db.write() as s:
                s.execute(text("UPDATE cycle_probe SET n = n + 1 WHERE id = :i"), {"i": first})
                if not db.is_sqlite:
                    both.wait(10)  # each holds its first row before asking for the other's
                s.execute(text("UPDATE cycle_probe SET n = n + 1 WHERE id = :i"), {"i": second})
        except UserError as err:
            return type(err).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        ends = Counter(pool.map(lambda order: touch(*order), [(1, 2), (2, 1)]))
    with db.read() as s:
        counts = dict(s.execute(text("SELECT id, n FROM cycle_probe")).all())
    if db.is_sqlite:
        assert ends == Counter({"ok": 2}) and counts == {1: 2, 2: 2}
    else:
        assert ends == Counter({"ok": 1, "Busy": 1}), ends
        assert counts == {1: 1, 2: 1}  # the ended one kept nothing
