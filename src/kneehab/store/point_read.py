"""One-statement reads that every request makes (who is signed in), on a connection each thread keeps.

Through SQLAlchemy's pool each such read checked a connection out and back in: on PostgreSQL a ping, a
BEGIN, the query and a ROLLBACK (four round trips, ~440 µs wall, ~210 µs CPU on this machine); on
SQLite ~60 µs of bookkeeping around a read of ~4 µs. Here a statement is compiled once for the
engine's dialect and run on a DBAPI connection this thread keeps in autocommit mode: one statement is
one consistent read of what is committed at that moment (~10 µs on SQLite, ~50 µs wall on
PostgreSQL). Nothing read is kept: a session ended by another process is gone on the next read.

The connection is made by the engine (so SQLite's pragmas apply to it) and then detached from its
pool. Rows go through the same result processors SQLAlchemy applies (instants come back in UTC).
A kept connection that fails is closed and the read is made again through the pool, which
reconnects (PostgreSQL's pre-ping) or raises SQLAlchemy's own error, as every other read does.
"""

from __future__ import annotations

import os
import threading
from collections import namedtuple
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order for a positional paramstyle (SQLite's ?)
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: type[tuple[Any, ...]]  # a named tuple: the columns by their labels, as a Row has them


@dataclass(frozen=True, eq=False)
class _Kept:
    pid: int  # a forked child never uses its parent's connection
    proxied: Any  # SQLAlchemy's detached connection: closing it closes the DBAPI connection
    dbapi: Any


class PointReads:
    """The first row of a Core SELECT, read on this thread's kept connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._compiled: dict[int, tuple[Select[*tuple[Any, ...]], _Compiled]] = {}
        self._local = threading.local()
        self._all: list[_Kept] = []  # every thread's, to close them all with the engine
        self._lock = threading.Lock()
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def first(self, statement: Select[*tuple[Any, ...]], params: Mapping[str, Any]) -> Any | None:
        """The statement's first row (attributes named by its column labels), or None. `params`
        are passed to the driver as given: strings and integers only (no bind processing)."""
        compiled = self._compile(statement)
        try:
            kept = self._connection()
            cursor = kept.dbapi.cursor()
            try:
                values = tuple(params[n] for n in compiled.names) if compiled.names else params
                cursor.execute(compiled.sql, values)
                rows = cursor.fetchall()  # to the end: SQLite's statement (and its read) is over
            finally:
                cursor.close()
        except self._dbapi_error:
            self._drop()
            with self._engine.connect() as conn:  # the pool's way: it reconnects, or raises
                return conn.execute(statement, dict(params)).first()
        if not rows:
            return None
        return compiled.row(
            *(
                v if p is None or v is None else p(v)
                for p, v in zip(compiled.processors, rows[0], strict=True)
            )
        )

    def close(self) -> None:
        """Close every kept connection this process made (each thread's)."""
        with self._lock:
            kept, self._all = self._all, []
        for k in kept:
            if k.pid == os.getpid():
                _close_quietly(k)
        self._local = threading.local()

    def _compile(self, statement: Select[*tuple[Any, ...]]) -> _Compiled:
        found = self._compiled.get(id(statement))
        if found is not None and found[0] is statement:
            return found[1]
        dialect = self._engine.dialect
        compiled = statement.compile(dialect=dialect)
        columns = list(statement.selected_columns)
        made = _Compiled(
            sql=str(compiled),
            names=tuple(compiled.positiontup or ()) if compiled.positional else None,
            processors=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ),
            row=namedtuple("PointRow", [c.key for c in columns]),  # type: ignore[misc]
        )
        self._compiled[id(statement)] = (statement, made)  # kept with it: its id is never reused
        return made

    def _connection(self) -> _Kept:
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is not None and kept.pid == os.getpid():
            return kept
        proxied = self._engine.raw_connection()
        dbapi: Any = proxied.dbapi_connection
        proxied.detach()  # ours alone from now on; never handed to anyone through the pool
        if self._engine.dialect.name != "sqlite":  # SQLite's connections are in autocommit already
            dbapi.rollback()  # (the pool's ping may have begun a transaction)
            dbapi.autocommit = True
        kept = _Kept(os.getpid(), proxied, dbapi)
        self._local.kept = kept
        with self._lock:
            self._all.append(kept)
        return kept

    def _drop(self) -> None:
        kept: _Kept | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None:
            with self._lock:
                if kept in self._all:
                    self._all.remove(kept)
            _close_quietly(kept)


def _close_quietly(kept: _Kept) -> None:
    with suppress(Exception):  # a broken connection may fail to close: it is gone either way
        kept.proxied.close()
