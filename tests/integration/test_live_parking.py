"""Issue 13 §2 with issue 11 §1: a dropped camera-coach set waits in the database (table live_parked),
on SQLite and PostgreSQL: taken once, only by its person and for its exercise, gone when it expires or
when the person is deleted, a few per person at most, and the token itself is never stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from store_builders import NOW, add_enrolled

from kneehab.errors import NotFound
from kneehab.services import live_sets
from kneehab.services.acting import on_machine
from kneehab.store import live_repo, repo
from kneehab.store.db import Database
from kneehab.store.tables import LiveParkedRow

TWO_MINUTES = timedelta(minutes=2)


def _park(db: Database, pid: int, token: str, exercise: str = "bridge", at=NOW) -> None:  # type: ignore[no-untyped-def]
    live_sets.park_set(
        db, on_machine(pid), token, exercise=exercise, state=b"state " + token.encode(),
        keep_for=TWO_MINUTES, now=at,
    )  # fmt: skip


def test_a_set_is_taken_once_by_its_person_for_its_exercise(db: Database) -> None:
    alice, bob = add_enrolled(db), add_enrolled(db)
    _park(db, alice, "tok-a")
    assert live_sets.take_set(db, on_machine(bob), "tok-a", exercise="bridge", now=NOW) is None
    assert live_sets.take_set(db, on_machine(alice), "tok-a", exercise="squat", now=NOW) is None
    got = live_sets.take_set(db, on_machine(alice), "tok-a", exercise="bridge", now=NOW)
    assert got == b"state tok-a"
    assert live_sets.take_set(db, on_machine(alice), "tok-a", exercise="bridge", now=NOW) is None


def test_the_token_is_kept_only_as_its_hash(db: Database) -> None:
    pid = add_enrolled(db)
    _park(db, pid, "a-secret-resume-token")
    with db.read() as s:
        keys = s.scalars(select(LiveParkedRow.token_hash)).all()
    assert keys == [live_repo.token_hash("a-secret-resume-token")]
    assert "a-secret-resume-token" not in keys[0]


def test_an_expired_set_is_gone(db: Database) -> None:
    pid = add_enrolled(db)
    _park(db, pid, "old")
    late = NOW + TWO_MINUTES + timedelta(seconds=1)
    assert live_sets.take_set(db, on_machine(pid), "old", exercise="bridge", now=late) is None
    with db.read() as s:
        assert s.scalars(select(LiveParkedRow)).all() == []  # and it was removed, not just hidden


def test_a_person_has_a_few_sets_waiting_at_most(db: Database) -> None:
    pid = add_enrolled(db)
    for i in range(live_repo.MAX_PER_PERSON + 2):
        _park(db, pid, f"t{i}", at=NOW + timedelta(seconds=i))
    with db.read() as s:
        waiting = s.scalars(select(LiveParkedRow).where(LiveParkedRow.person_id == pid)).all()
    assert len(waiting) == live_repo.MAX_PER_PERSON
    later = NOW + timedelta(seconds=10)
    newest = f"t{live_repo.MAX_PER_PERSON + 1}"
    assert live_sets.take_set(db, on_machine(pid), newest, exercise="bridge", now=later) is not None
    assert live_sets.take_set(db, on_machine(pid), "t0", exercise="bridge", now=later) is None


def test_deleting_the_person_deletes_their_waiting_sets(db: Database) -> None:
    pid = add_enrolled(db)
    _park(db, pid, "tok")
    with db.write() as s:
        repo.delete_person(s, pid)
    with db.read() as s:
        assert s.scalars(select(LiveParkedRow)).all() == []
    try:
        got = live_sets.take_set(db, on_machine(pid), "tok", exercise="bridge", now=NOW)
    except NotFound:  # the person is gone: nothing of theirs is reachable either way
        got = None
    assert got is None
