"""Backups are SQLite files with the kneehab schema, whichever database is in use.

A backup is a consistent snapshot taken while the app may be writing: the sqlite3 backup API under
one read lock for SQLite, one REPEATABLE READ transaction for PostgreSQL. Restore checks the file on
a private copy first (SQLite header, integrity_check, known schema revision) and then swaps the
content in one transaction, so a bad file never touches the current database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from kneehab.domain.exercise import Library
from kneehab.errors import InvalidInput, StoreError
from kneehab.store import repo
from kneehab.store.db import (
    Database,
    head_revision,
    known_revisions,
    make_engine,
    migrate,
    sqlite_path,
)
from kneehab.store.row_checks import problems_in

SQLITE_HEADER = b"SQLite format 3\x00"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _finish(tmp: Path, dest: Path) -> None:
    # A standalone file: no WAL sidecar, checked, then moved into place in one rename.
    with sqlite3.connect(tmp) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StoreError(
                f"backup: the snapshot of the database failed integrity_check ({dest})"
            )
    conn.close()
    os.replace(tmp, dest)


def backup(db: Database, dest: Path) -> Path:
    """Write a consistent snapshot of `db` to `dest` (replaced atomically)."""
    dest = dest.expanduser().resolve()
    if dest.is_dir():
        raise StoreError(f"FILE: {dest} is a folder; give a file name for the backup")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".kneehab-backup-", suffix=".db", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        source = sqlite_path(db.url)
        if source is not None:
            src = sqlite3.connect(source)
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)  # all pages in one step: one read lock, one snapshot
            finally:
                out.close()
                src.close()
        else:
            _copy_to_sqlite(db, tmp)
        _finish(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _copy_to_sqlite(db: Database, tmp: Path) -> None:
    target = make_engine(_sqlite_url(tmp))
    try:
        migrate(target)
        with (
            db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
        ):
            data = repo.dump_all(conn)
        with target.begin() as out:
            repo.replace_all(out, data)
    finally:
        target.dispose()


def _check_file(path: Path, shown: Path) -> str:
    """The schema revision of backup file `path` (named `shown` in messages), or StoreError."""
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as err:
        raise StoreError(f"FILE: cannot read {shown} ({err.strerror})") from err
    if header != SQLITE_HEADER:
        raise StoreError(f"FILE: {shown} is not a kneehab backup (not a SQLite database file)")
    try:
        with sqlite3.connect(path) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise StoreError(f"FILE: {shown} is damaged (integrity_check failed); not restored")
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise StoreError(
                    f"FILE: {shown} is damaged (rows point at missing rows); not restored"
                )
            has_version = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if not has_version:
                raise StoreError(f"FILE: {shown} is not a kneehab backup (no schema version)")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.close()
    except sqlite3.DatabaseError as err:
        raise StoreError(f"FILE: {shown} is damaged ({err}); not restored") from err
    if row is None:
        raise StoreError(f"FILE: {shown} is not a kneehab backup (empty schema version)")
    revision = str(row[0])
    if revision not in known_revisions():
        raise StoreError(
            f"FILE: {shown} comes from a newer kneehab (schema {revision}); "
            f"this version understands up to {head_revision()}. Upgrade kneehab to restore it"
        )
    return revision


def refuse_unreadable(
    data: dict[str, list[dict[str, Any]]], library: Library, *, shown: str
) -> None:
    """InvalidInput naming the first rows the app could not read (issue 11), before any change."""
    problems = problems_in(data, library)
    if problems:
        head = f"{shown}: {problems[0]}; nothing was changed"
        raise InvalidInput(
            f"{head} (every row is checked with the app's own rules before a restore)",
            problems=[head, *problems[1:]],
        )


def restore(db: Database, src: Path, *, library: Library) -> None:
    """Replace everything in `db` with the content of backup file `src`, once every row of it
    reads with the app's models and `library` (the caller's: the app's or the command's)."""
    src = src.expanduser()
    if not src.is_file():
        raise StoreError(f"FILE: {src} does not exist or is not a file")
    with tempfile.TemporaryDirectory(prefix="kneehab-restore-") as work:
        copy = Path(work) / "backup.db"
        shutil.copyfile(src, copy)
        revision = _check_file(copy, shown=src)
        engine = make_engine(_sqlite_url(copy))
        try:
            if revision != head_revision():
                migrate(engine)  # an older backup is brought up to date on the copy only
            with engine.connect() as conn, conn.begin():
                data = repo.dump_all(conn)
        except (ValueError, TypeError) as err:  # a date or time column holding something else
            raise InvalidInput(
                f"FILE: {src} holds a value this kneehab cannot read ({err}); nothing was changed"
            ) from None
        finally:
            engine.dispose()
    refuse_unreadable(data, library, shown=str(src))
    try:
        with db.write() as session:
            repo.replace_all(session.connection(), data)
    except SQLAlchemyError as err:
        cause = type(getattr(err, "orig", None) or err).__name__
        raise StoreError(
            f"FILE: {src} does not fit this database ({cause}); nothing was changed"
        ) from err
