"""Backup and restore on both databases: round trip, refusals, and the current database is never harmed."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from store_builders import NOW, START, add_enrolled

from kneehab.domain.records import CheckIn, SessionEntry
from kneehab.errors import StoreError
from kneehab.library.load import default_library
from kneehab.store import repo
from kneehab.store.backup import backup, restore
from kneehab.store.db import Database, head_revision, open_database


def _person(db: Database, *, pain: int = 3) -> int:
    pid = add_enrolled(db)
    with db.write() as s:
        repo.add_checkin(s, pid, CheckIn(date=START, morning_pain=pain), now=NOW)
    return pid


def _snapshot(db: Database) -> dict[str, list[dict[str, object]]]:
    with db.engine.connect() as conn:
        return repo.dump_all(conn)


def _restored(data: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """`data` as a restore gives it back: every row and column, but each person's revision drawn
    afresh (a running server's kept views of the earlier data must not match: ADR 0008)."""
    persons = [{k: v for k, v in p.items() if k != "revision"} for p in data["persons"]]
    return data | {"persons": persons}


def _revisions(data: dict[str, list[dict[str, object]]]) -> dict[object, object]:
    return {p["id"]: p["revision"] for p in data["persons"]}


def test_backup_then_restore_round_trip(db: Database, tmp_path: Path) -> None:
    pid = _person(db)
    with db.write() as s:
        repo.upsert_entry(
            s,
            pid,
            START,
            SessionEntry(exercise_id="bridge", sets_done=1, reps=(10,), pain_during_max=1),
            now=NOW,
            paused=False,
        )
    before = _snapshot(db)
    file = backup(db, tmp_path / "backups" / "k.backup")
    assert file.read_bytes()[:16] == b"SQLite format 3\x00"
    assert not Path(f"{file}-wal").exists()

    # Change everything after the backup: a second person, a new check-in, then restore.
    _person(db, pain=7)
    with db.write() as s:
        repo.add_checkin(s, pid, CheckIn(date=START + timedelta(days=1), morning_pain=5), now=NOW)
    restore(db, file, library=default_library())
    after = _snapshot(db)
    assert _restored(after) == _restored(before)
    assert _revisions(after) != _revisions(before)  # drawn afresh: nothing kept of before matches
    # Ids keep counting from the restored rows (PostgreSQL sequences are moved on).
    new_pid = _person(db)
    assert new_pid > pid


def test_backup_restores_into_a_fresh_sqlite_database(db: Database, tmp_path: Path) -> None:
    _person(db)
    file = backup(db, tmp_path / "k.backup")
    other = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        restore(other, file, library=default_library())
        assert _restored(_snapshot(other)) == _restored(_snapshot(db))
    finally:
        other.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is not a database", "not a kneehab backup"),
        (b"SQLite format 3\x00" + b"\x07" * 4000, "damaged"),
    ],
)
def test_restore_refuses_a_bad_file_and_keeps_the_database(
    db: Database, tmp_path: Path, content: bytes, message: str
) -> None:
    _person(db)
    before = _snapshot(db)
    bad = tmp_path / "bad.backup"
    bad.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        restore(db, bad, library=default_library())
    assert _snapshot(db) == before


def test_restore_refuses_a_truncated_backup(db: Database, tmp_path: Path) -> None:
    _person(db)
    good = backup(db, tmp_path / "good.backup")
    data = good.read_bytes()
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) // 2])
    before = _snapshot(db)
    with pytest.raises(StoreError, match="damaged"):
        restore(db, cut, library=default_library())
    assert _snapshot(db) == before


def test_restore_refuses_a_backup_from_a_newer_schema(db: Database, tmp_path: Path) -> None:
    _person(db)
    newer = backup(db, tmp_path / "newer.backup")
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    before = _snapshot(db)
    with pytest.raises(StoreError, match=r"newer kneehab .*9999_from_the_future.*Upgrade"):
        restore(db, newer, library=default_library())
    assert _snapshot(db) == before


def test_restore_refuses_a_sqlite_file_that_is_not_a_backup(db: Database, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="no schema version"):
        restore(db, other, library=default_library())
    with pytest.raises(StoreError, match="does not exist"):
        restore(db, tmp_path / "missing.backup", library=default_library())


def test_backup_while_another_thread_writes_is_consistent(db: Database, tmp_path: Path) -> None:
    pid = _person(db)
    stop = threading.Event()

    def writer() -> None:
        day = START + timedelta(days=1)
        while not stop.is_set() and day < START + timedelta(days=400):
            with db.write() as s:
                repo.add_checkin(s, pid, CheckIn(date=day, morning_pain=2), now=NOW)
                repo.set_player_state(s, pid, day, {"n": (day - START).days}, now=NOW)
            day += timedelta(days=1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        files = [backup(db, tmp_path / f"b{i}.backup") for i in range(5)]
    finally:
        stop.set()
        thread.join()
    for f in files:
        with sqlite3.connect(f) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
                head_revision()
            )
            # Each check-in and its player state were written together: a snapshot has both or neither.
            checkins = conn.execute("SELECT COUNT(*) FROM checkins").fetchone()[0]
            states = conn.execute("SELECT COUNT(*) FROM player_states").fetchone()[0]
        conn.close()
        assert checkins == states + 1


def test_restore_is_one_transaction(db: Database, tmp_path: Path) -> None:
    """A backup whose rows break a constraint leaves the current database exactly as it was."""
    _person(db)
    file = backup(db, tmp_path / "k.backup")
    with sqlite3.connect(file) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("UPDATE checkins SET person_id = 999")  # orphaned rows
    conn.close()
    before = _snapshot(db)
    with pytest.raises(StoreError, match="rows point at missing rows"):
        restore(db, file, library=default_library())
    assert _snapshot(db) == before
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM persons")).scalar() == 1
