"""Issue 11: `restore` read a backup's rows without checking them, so a row the app cannot read (pain
99, a 5 MB text, sets_done='many', an exercise the library does not have) was restored, and then every
page of that person and even their export failed. Every row is now read with the app's own models and
library first; a bad one is refused naming the table, the row and the field, and nothing changes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.db import open_database

INTAKE = {
    "age": 58,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 20,
    "pain_now": 4,
    "pain_worst_week": 6,
    "equipment": ["chair", "mat"],
    "red_flags": [],
}
DAY0, DAY1 = "2025-03-03", "2025-03-04"


@pytest.fixture
def backup(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A good backup of one person with a session entry and a check-in."""
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    assert run("start", "--intake", str(intake), "--today", DAY0)[0] == 0
    assert run("check", "--none", "--today", DAY0)[0] == 0
    log = ("log", "--today", DAY0, "--exercise", "bridge", "--sets", "2", "--reps", "10,10")
    assert run(*log, "--hold", "2,2", "--pain", "1")[0] == 0
    assert run("checkin", "--today", DAY1, "--morning-pain", "2")[0] == 0
    path = tmp_path / "good.backup"
    assert run("backup", str(path))[0] == 0
    return path


def _rows(db_url: str) -> dict[str, list[dict[str, object]]]:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            return repo.dump_all(conn)
    finally:
        db.close()


def _spoil(good: Path, tmp_path: Path, sql: str, *params: object) -> Path:
    bad = tmp_path / "bad.backup"
    bad.write_bytes(good.read_bytes())
    with sqlite3.connect(bad) as conn:
        conn.execute(sql, params)
    conn.close()
    return bad


@pytest.mark.parametrize(
    ("sql", "params", "named"),
    [
        (
            "UPDATE checkins SET morning_pain = ?",
            (99,),
            "checkins row 1: morning_pain: got 99",
        ),
        (
            "UPDATE session_entries SET skip_reason = ?",
            ("x" * 5_000_000,),
            "session_entries row 1: skip_reason: 5000000 characters; allowed: at most 10000",
        ),
        (
            "UPDATE session_entries SET sets_done = ?",
            ("many",),
            "session_entries row 1: sets_done: got 'many'; allowed: a whole number",
        ),
        (
            "UPDATE session_entries SET exercise_id = ?",
            ("moon-walk",),
            "session_entries row 1: exercise_id: 'moon-walk' is not an exercise in the library",
        ),
    ],
    ids=["pain-99", "5-MB-text", "sets-many", "unknown-exercise"],
)
def test_a_backup_with_an_unreadable_row_is_refused_and_nothing_changes(  # type: ignore[no-untyped-def]
    run, backup: Path, db_url: str, tmp_path: Path, sql: str, params: tuple[object], named: str
) -> None:
    bad = _spoil(backup, tmp_path, sql, *params)
    assert run("checkin", "--today", "2025-03-05", "--morning-pain", "3")[0] == 0
    before = _rows(db_url)
    code, out, err = run("restore", str(bad))
    assert code == 2 and "Restored" not in out
    assert str(bad) in err and named in err and "nothing was changed" in err
    assert "Traceback" not in err and len(err) < 2000  # the 5 MB text is not echoed
    assert _rows(db_url) == before
    # The person's record still reads everywhere, export included.
    db = open_database(db_url)
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        assert len(services.export_person(db, on_machine(pid))["checkins"]) == 2
    finally:
        db.close()


def test_an_export_naming_an_unknown_exercise_is_refused(  # type: ignore[no-untyped-def]
    run, backup: Path, db_url: str, tmp_path: Path
) -> None:
    db = open_database(db_url)
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        data = services.export_person(db, on_machine(pid))
    finally:
        db.close()
    data["session_entries"][0]["exercise_id"] = "moon-walk"
    data["checkins"][0]["morning_pain"] = 99
    file = tmp_path / "export.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    before = _rows(db_url)
    code, _, err = run("restore", str(file))
    assert code == 2 and "export is not valid: checkins[0]: morning_pain: got 99" in err
    assert _rows(db_url) == before
    data["checkins"][0]["morning_pain"] = 2
    file.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run("restore", str(file))
    assert code == 2 and "session_entries row" in err and "nothing was changed" in err
    assert "exercise_id: 'moon-walk' is not an exercise in the library" in err
    assert _rows(db_url) == before
