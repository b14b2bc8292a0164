"""`kneehab populate` (issue 11 §2) on SQLite and PostgreSQL: synthetic people who can sign in, each
with a course the engine itself would have produced (their stored snapshot replays to the same
course as the records do), refusing to run twice over the same people, and clear about bad input."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from kneehab import services
from kneehab.domain import course as course_engine
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.services.populate import POPULATE_PASSWORD
from kneehab.services.replay import history_in
from kneehab.store import repo
from kneehab.store.db import open_database

START = date(2025, 3, 3)
DAYS = 35


def test_populate_makes_people_with_realistic_courses_once(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("populate", "--people", "3", "--days", str(DAYS), "--start", "2025-03-03")
    assert code == 0, err
    assert "person-1@example.test … person-3@example.test" in out and POPULATE_PASSWORD in out
    db = open_database(db_url)
    today = START + timedelta(days=DAYS)
    lib = default_library()
    try:
        kinds: Counter[str] = Counter()
        for n in (1, 2, 3):
            actor = services.accounts.authenticate(
                db,
                f"person-{n}@example.test",
                POPULATE_PASSWORD,
                address="t",
                now=datetime.now(UTC),
            )
            pid = actor.person_id
            assert pid is not None
            with db.read() as s:
                history = history_in(s, pid, today)
                stored = repo.program_versions(s, pid)
            # A check-in most mornings, sessions on most scheduled days, a full safety set weekly.
            assert DAYS * 0.7 <= len(history.checkins) < DAYS
            assert len(history.sessions) >= DAYS * 0.3
            assert len(history.rescreens) == (DAYS - 1) // 7
            full = course_engine.replay(history, lib)
            # The stored versions are the replay's, and the kept snapshot resumes to the same course.
            assert [(v.effective, v.kind) for v in stored] == [
                (v.date, v.kind) for v in full.versions
            ]
            assert services.course(db, on_machine(pid), today=today, library=lib) == full
            kinds.update(v.kind for v in full.versions)
        assert kinds["progress"] >= 1  # progressions happen as the rules allow
        # Once is enough: a second run over the same people refuses and writes nothing.
        with db.read() as s:
            people = len(repo.person_ids(s))
        code, out, err = run("populate", "--people", "5", "--days", "7", "--start", "2025-03-03")
        assert code == 2 and "person-1@example.test already exists" in err
        assert "nothing was written" in err
        with db.read() as s:
            assert len(repo.person_ids(s)) == people
    finally:
        db.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--people", "0", "--days", "10"], "--people: 0 is not allowed; give 1 to 100000"),
        (["--people", "2", "--days", "5000"], "--days: 5000 is not allowed; give 1 to 1095"),
        (["--people", "2", "--days", "10", "--start", "March"], "--start"),
    ],
)
def test_populate_names_a_bad_value(run, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("populate", *argv)
    assert code == 2 and message in err and "Traceback" not in err
