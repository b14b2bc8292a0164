"""The lookup every request makes, on the connection each thread keeps (store/point_read.py), on SQLite
and PostgreSQL: it reads what SQLAlchemy's own execution reads (the same values and types: instants in
UTC), it sees every commit made since (never a snapshot held open: SQLite's checkpoint can still empty
the write-ahead log, PostgreSQL shows the connection idle, not in a transaction), it recovers when its
connection is dropped under it, and closing the Database closes it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import accounts
from kneehab.store import account_repo
from kneehab.store.db import Database, open_database

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def _signed_in(db: Database) -> str:
    made = accounts.add_account(
        db, "alice@example.org", role="person", clinic_id=None, password="correct horse battery",
        actor=SERVER_ADMIN, now=NOW,
    )  # fmt: skip
    actor = accounts.account_actor(db, made.account_id)
    return accounts.secret_hash(accounts.start_session(db, actor, now=NOW).token)


def _kept(db: Database):  # type: ignore[no-untyped-def]
    """This thread's kept DBAPI connection (made by the lookups above)."""
    return db.point_reads._local.kept.dbapi  # what the test breaks on purpose


def test_it_reads_what_sqlalchemy_reads(db: Database) -> None:
    hashed = _signed_in(db)
    kept = account_repo.signed_in(db, hashed)
    with db.engine.connect() as conn:
        pooled = conn.execute(account_repo.SIGNED_IN, {"token_hash": hashed}).first()
    assert pooled is not None and kept is not None
    assert tuple(kept) == tuple(pooled)
    assert kept._fields == tuple(pooled._fields)  # the labels the lookup reads by
    assert kept.created_at == NOW and kept.created_at.tzinfo is UTC
    assert account_repo.signed_in(db, "0" * 64) is None


def test_it_sees_each_commit_and_holds_no_read_open(db: Database, db_url: str) -> None:
    hashed = _signed_in(db)
    assert account_repo.signed_in(db, hashed) is not None
    other = open_database(db_url, upgrade=False)  # another process's writes
    try:
        with other.write() as s:
            account_repo.delete_session(s, hashed)
        assert account_repo.signed_in(db, hashed) is None
        if db.is_sqlite:  # a reader with a snapshot open would keep the log from being emptied
            with other.engine.connect() as conn:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            assert busy == 0
        else:
            pid = _kept(db).info.backend_pid
            with other.engine.connect() as conn:
                state = conn.execute(
                    text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()
            assert state == "idle"
    finally:
        other.close()


def test_a_dropped_connection_is_replaced(db: Database) -> None:
    hashed = _signed_in(db)
    assert account_repo.signed_in(db, hashed) is not None
    if db.is_sqlite:
        _kept(db).close()
    else:  # the server ends it, as a restart or an idle timeout would
        pid = _kept(db).info.backend_pid
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert account_repo.signed_in(db, hashed) is not None  # through the pool, which reconnects
    assert account_repo.signed_in(db, hashed) is not None  # and on a new kept connection


def test_closing_the_database_closes_the_kept_connection(db_url: str) -> None:
    db = open_database(db_url)
    hashed = _signed_in(db)
    assert account_repo.signed_in(db, hashed) is not None
    kept = _kept(db)
    pid = None if db.is_sqlite else kept.info.backend_pid
    db.close()
    if pid is None:
        assert not _usable(kept)
    else:
        check = open_database(db_url, upgrade=False)
        try:
            with check.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()
            assert found == 0
        finally:
            check.close()


def _usable(conn) -> bool:  # type: ignore[no-untyped-def]
    try:
        conn.execute("SELECT 1")
    except Exception:  # sqlite3.ProgrammingError: closed
        return False
    return True
