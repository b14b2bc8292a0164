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

`transact()` runs one small write transaction the same way (BEGIN … COMMIT on the kept connection,
statements compiled once): for the writes that requests make most (a token's use, its trail row:
services/accounts.py), where SQLAlchemy's session, pool checkout and statement handling cost ~4× the
database's own work (docs/benchmarks.md). Database.kept_write() adds SQLite's writers' turn and the
same refusals as Database.write().

On PostgreSQL the transaction's statements are sent in psycopg's pipeline mode: they go out as they
are made and the client waits for the server only where it needs an answer (a row read, a count), and
once more for the COMMIT. A token use's batch is two round trips instead of seven; each one under load
also cost the batch's thread a wait for the GIL, and every round trip after the first lock was time the
other worker's batch waited for it (docs/benchmarks.md, tokens4).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

T = TypeVar("T")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # the parameters' order for a positional paramstyle (SQLite's ?)
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: type[tuple[Any, ...]]  # a named tuple: the columns by their labels, as a Row has them

    def made(self, values: Sequence[Any]) -> Any:
        """A driver's row as SQLAlchemy gives it: each value through its column's processor."""
        return self.row(
            *(
                v if p is None or v is None else p(v)
                for p, v in zip(self.processors, values, strict=True)
            )
        )


@dataclass(frozen=True)
class _CompiledWrite:
    sql: str
    names: tuple[str, ...] | None  # as _Compiled's
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # each parameter's bind processor
    fixed: dict[str, Any]  # the values the statement carries itself (`id == 1`)

    @staticmethod
    def of(dialect: Any, compiled: SQLCompiler) -> _CompiledWrite:
        return _CompiledWrite(
            sql=str(compiled),
            names=tuple(compiled.positiontup or ()) if compiled.positional else None,
            binds=tuple(
                {
                    name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                    for bind, name in compiled.bind_names.items()
                }.items()
            ),
            fixed={k: v for k, v in compiled.params.items() if v is not None},
        )

    def values(self, params: Mapping[str, Any]) -> Any:
        merged = {**self.fixed, **params}
        done = {n: merged[n] if p is None else p(merged[n]) for n, p in self.binds}
        return tuple(done[n] for n in self.names) if self.names is not None else done


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
        self._compiled_writes: dict[int, tuple[ClauseElement, _CompiledWrite]] = {}
        self._local = threading.local()
        self._all: list[_Kept] = []  # every thread's, to close them all with the engine
        self._lock = threading.Lock()
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.dialect_name: str = engine.dialect.name
        # PostgreSQL: the asyncio connection of `first_waiting` (process, event loop, connection).
        self._async: tuple[int, asyncio.AbstractEventLoop, Any] | None = None
        self._async_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

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
        return compiled.made(rows[0]) if rows else None

    async def first_waiting(
        self, statement: Select[*tuple[Any, ...]], params: Mapping[str, Any]
    ) -> Any | None:
        """`first` for a caller on the event loop. On PostgreSQL the statement goes out on an asyncio
        connection this process keeps for its event loop, so while the server answers (a round
        trip; seconds if it stalls or a lock holds the table) the loop serves other requests,
        /healthz included. Lookups made at once take turns on that one connection. A connection
        found broken is dropped and the read is made once more on the thread pool, through the
        engine's pool, which reconnects or raises SQLAlchemy's own error (as `first` does). On
        SQLite it is `first` itself: a local read that never waits for a writer (WAL)."""
        if self.dialect_name != "postgresql":
            return self.first(statement, params)
        compiled = self._compile(statement)
        try:
            conn = await self._async_connection()
            # The connection's own execute (a client-side cursor, nothing to close on the server):
            # ~20 µs less CPU than a cursor's context under uvloop.
            cursor = await conn.execute(compiled.sql, params)
            rows = await cursor.fetchall()
        except self._dbapi_error:
            self._drop_async()
            return await asyncio.to_thread(self.first, statement, params)
        except asyncio.CancelledError:  # the request went away mid-read: a new connection next time
            self._drop_async()
            raise
        return compiled.made(rows[0]) if rows else None

    def _async_kept(self, loop: asyncio.AbstractEventLoop) -> Any | None:
        kept = self._async
        if kept is None or kept[0] != os.getpid() or kept[1] is not loop or kept[2].closed:
            return None
        return kept[2]

    async def _async_connection(self) -> Any:
        loop = asyncio.get_running_loop()
        conn = self._async_kept(loop)
        if conn is not None:
            return conn
        async with self._async_lock_for(loop):
            conn = self._async_kept(loop)
            if conn is not None:  # another lookup connected while this one waited
                return conn
            self._drop_async()
            import psycopg  # the PostgreSQL driver: not imported where only SQLite is used

            _, options = self._engine.dialect.create_connect_args(self._engine.url)
            conn = await psycopg.AsyncConnection.connect(**options, autocommit=True)
            self._async = (os.getpid(), loop, conn)
            return conn

    def _async_lock_for(self, loop: asyncio.AbstractEventLoop) -> asyncio.Lock:
        # One connecting coroutine at a time on each event loop (an asyncio lock is its loop's).
        if self._async_lock is None or self._async_lock[0] is not loop:
            self._async_lock = (loop, asyncio.Lock())
        return self._async_lock[1]

    def _drop_async(self) -> None:
        kept, self._async = self._async, None
        if kept is not None and kept[0] == os.getpid():
            # Closed at once (libpq's own close), from any event loop or none: gone either way.
            with suppress(Exception):
                kept[2].pgconn.finish()

    def transact(self, body: Callable[[KeptTransaction], T], *, immediate: bool) -> T:
        """`body` in one write transaction on this thread's kept connection: committed when it
        returns, rolled back if it raises. `immediate`: SQLite's BEGIN IMMEDIATE (the write lock
        first). A kept connection found gone before anything was committed (a restarted server) is
        replaced once and `body` runs again on the new one; DBAPI errors reach the caller as the
        driver raised them (Database.kept_write maps them)."""
        if self.dialect_name == "postgresql":
            try:
                return self._pipelined(body)
            except _Gone:  # no COMMIT was sent: nothing of it was committed
                self._drop()
                return self._pipelined(body, again=True)
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        kept = self._connection()
        cursor = kept.dbapi.cursor()
        try:
            cursor.execute(begin)
        except self._dbapi_error:
            self._drop()  # gone since its last use (a closed file connection): a new one, once
            kept = self._connection()
            cursor = kept.dbapi.cursor()
            cursor.execute(begin)
        try:
            done = body(KeptTransaction(self, cursor))
            cursor.execute("COMMIT")
            return done
        except BaseException:
            try:
                cursor.execute("ROLLBACK")
            except self._dbapi_error:
                self._drop()
            raise
        finally:
            with suppress(self._dbapi_error):
                cursor.close()

    def _pipelined(self, body: Callable[[KeptTransaction], T], *, again: bool = False) -> T:
        """PostgreSQL's transaction, its statements sent in pipeline mode (psycopg): BEGIN and
        whatever `body` sends go out together; the server is waited for where `body` reads an
        answer, and at the end, for the COMMIT with whatever was sent after the last answer."""
        conn = self._connection().dbapi
        committing = False
        try:
            with conn.pipeline() as pipeline:
                conn.execute("BEGIN")
                done = body(KeptTransaction(self, conn.cursor(), pipeline))
                committing = True
                conn.execute("COMMIT")
            return done
        except BaseException as exc:
            # The connection is gone and no COMMIT was sent: nothing was committed, so `body` may
            # run again on a new one (once).
            if not again and not committing and conn.broken and isinstance(exc, self._dbapi_error):
                raise _Gone() from exc
            try:
                conn.execute("ROLLBACK")
            except self._dbapi_error:
                self._drop()
            raise

    def _compile_write(self, statement: ClauseElement) -> _CompiledWrite:
        found = self._compiled_writes.get(id(statement))
        if found is not None and found[0] is statement:
            return found[1]
        dialect = self._engine.dialect
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))  # a SQL statement's
        made = _CompiledWrite.of(dialect, compiled)
        self._compiled_writes[id(statement)] = (statement, made)  # kept with it, as _compile's
        return made

    def close(self) -> None:
        """Close every kept connection this process made (each thread's)."""
        with self._lock:
            kept, self._all = self._all, []
        for k in kept:
            if k.pid == os.getpid():
                _close_quietly(k)
        self._local = threading.local()
        self._drop_async()

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


class _Gone(Exception):
    """The kept connection was found gone at the transaction's first answer (nothing committed)."""


class Sent:
    """A statement sent in a kept transaction: the number of rows it changed, read when asked for (on
    PostgreSQL, waiting then for the server's answer to it and everything sent before it)."""

    __slots__ = ("_count", "_cursor", "_tx")

    def __init__(self, tx: KeptTransaction, cursor: Any, count: int | None) -> None:
        self._tx, self._cursor, self._count = tx, cursor, count

    @property
    def rowcount(self) -> int:
        if self._count is None:
            self._tx.sync()
            self._count = int(self._cursor.rowcount)
        return self._count


class KeptTransaction:
    """The statements of one `PointReads.transact()` transaction. Statements are Core statements built
    once (compiled on first use and kept with them); values go through SQLAlchemy's bind and result
    processors, as through a Session. On PostgreSQL (`pipeline`) a statement is sent at once and its
    answer read only when needed: `send` what needs no answer yet, then one `first` or `sync` waits
    for the answers to everything sent so far in one round trip."""

    def __init__(self, reads: PointReads, cursor: Any, pipeline: Any = None) -> None:
        self._reads = reads
        self._cursor = cursor
        self._pipeline = pipeline
        self._unanswered = False  # sent statements whose answers have not been read (pipeline)
        self.answers = 0  # round trips waited for so far, the COMMIT's not counted (pipeline)
        self.dialect_name = reads.dialect_name

    def _cursor_for_answer(self) -> Any:
        # In pipeline mode each statement whose answer is kept needs a cursor of its own.
        return self._cursor if self._pipeline is None else self._cursor.connection.cursor()

    def send(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sent:
        """Execute one statement; its changed-row count is read from the result when asked for."""
        compiled = self._reads._compile_write(statement)
        cursor = self._cursor_for_answer()
        cursor.execute(compiled.sql, compiled.values(params or {}))
        if self._pipeline is None:
            return Sent(self, cursor, int(cursor.rowcount))
        self._unanswered = True
        return Sent(self, cursor, None)

    def run(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> int:
        """Execute one statement; the number of rows it changed (a SELECT's rows are left unread)."""
        return self.send(statement, params).rowcount

    def run_many(self, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._reads._compile_write(statement)
        self._cursor_for_answer().executemany(compiled.sql, [compiled.values(r) for r in rows])
        self._unanswered = self._pipeline is not None

    def sync(self) -> None:
        """Wait for the answers to everything sent so far (PostgreSQL: one round trip; errors of
        any of those statements are raised here)."""
        if self._pipeline is not None and self._unanswered:
            self._unanswered = False
            self.answers += 1
            self._pipeline.sync()

    def ask(
        self, statement: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None
    ) -> Asked:
        """Send a SELECT; its first row is read when asked for (on PostgreSQL, waiting then for the
        answers to it and to everything sent before it)."""
        compiled = self._reads._compile(statement)
        written = self._reads._compile_write(statement)  # the values its own clauses carry
        cursor = self._cursor_for_answer()
        cursor.execute(compiled.sql, written.values(params or {}))
        asked = Asked(self, cursor, compiled)
        if self._pipeline is None:
            asked.row  # noqa: B018 (read now: the next statement reuses the cursor)
        else:
            self._unanswered = True
        return asked

    def first(
        self, statement: Select[*tuple[Any, ...]], params: Mapping[str, Any] | None = None
    ) -> Any | None:
        """The first row of a SELECT in this transaction (as `PointReads.first` gives it)."""
        return self.ask(statement, params).row


class Asked:
    """A SELECT sent in a kept transaction: its first row (as `PointReads.first` gives it), read
    when asked for."""

    __slots__ = ("_compiled", "_cursor", "_read", "_row", "_tx")

    def __init__(self, tx: KeptTransaction, cursor: Any, compiled: _Compiled) -> None:
        self._tx, self._cursor, self._compiled = tx, cursor, compiled
        self._read, self._row = False, None

    @property
    def row(self) -> Any | None:
        if not self._read:
            self._tx.sync()
            self._read, self._row = True, self._first()
        return self._row

    def _first(self) -> Any | None:
        row = self._cursor.fetchone()
        if row is None:
            return None
        self._cursor.fetchall()  # to the end of the statement
        return self._compiled.made(row)


# --- the same, inside a Session's own transaction ------------------------------------------------


@dataclass(frozen=True)
class _InSession:
    write: _CompiledWrite  # the SQL and how its values are bound
    types: tuple[Any, ...]  # each result column's type, for the dialect
    row: type[tuple[Any, ...]]
    # Each result column's processor, by the driver's type codes of the columns (PostgreSQL's
    # processors depend on them: a float column comes back as float or as numeric)
    processors: dict[tuple[Any, ...], tuple[Callable[[Any], Any] | None, ...]]

    def process(self, dialect: Any, description: Any, found: list[Any]) -> list[Any]:
        codes = tuple(d[1] for d in description)
        processors = self.processors.get(codes)
        if processors is None:
            processors = tuple(
                t.result_processor(dialect, code) for t, code in zip(self.types, codes, strict=True)
            )
            self.processors[codes] = processors
        row = self.row
        if not any(processors):
            return [row(*r) for r in found]
        return [
            row(
                *(v if p is None or v is None else p(v) for p, v in zip(processors, r, strict=True))
            )
            for r in found
        ]


def _compiled_in(dialect: Any, statement: ClauseElement) -> _InSession:
    """`statement` compiled once for `dialect` (kept on the dialect, so one engine's statements are
    never run with another's SQL)."""
    kept: dict[int, tuple[ClauseElement, _InSession]] = dialect.__dict__.setdefault(
        "_kneehab_compiled", {}
    )
    found = kept.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    columns = list(getattr(statement, "selected_columns", ()))
    returning: tuple[Any, ...] = getattr(statement, "_returning", ())
    if not columns and returning:
        columns = list(returning)
    made = _InSession(
        _CompiledWrite.of(dialect, compiled),
        types=tuple(c.type.dialect_impl(dialect) for c in columns),
        # Unnamed columns (count(*)) are read by position; rename=True numbers them.
        row=namedtuple("StatementRow", [str(c.key) for c in columns], rename=True),
        processors={},
    )
    kept[id(statement)] = (statement, made)  # kept with it: its id is never reused meanwhile
    return made


def session_rows(
    s: Any, statement: ClauseElement, params: Mapping[str, Any] | None = None
) -> list[Any]:
    """Every row of a Core statement built once (module level, bound parameters), run on the
    connection of Session `s`'s own transaction: what `s.execute(statement).all()` gives, without
    SQLAlchemy's per-execution work (~25-150 µs a statement, against ~5 µs for SQLite itself).

    As `s.execute` would: the Session's pending changes are flushed first, the engine's
    `before_cursor_execute` listeners see the statement, and a driver's error reaches the caller
    as SQLAlchemy's own (Database.write maps it). Values go through the same bind and result
    processors."""
    s.flush()  # the ORM's autoflush: what this transaction changed is read back
    conn = s.connection()
    compiled = _compiled_in(conn.dialect, statement)
    sql = compiled.write.sql
    values = compiled.write.values(params or {})
    if conn._has_events or conn.engine._has_events:  # a statement hook (tests, the benchmarks)
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, None, sql, values, None, False)
    dbapi = conn.connection.dbapi_connection
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, values)
        description = cursor.description
        found = cursor.fetchall() if description is not None else []
    except conn.dialect.loaded_dbapi.Error as err:
        raise DBAPIError.instance(
            sql, values, err, conn.dialect.loaded_dbapi.Error, hide_parameters=True
        ) from err
    finally:
        cursor.close()
    return compiled.process(conn.dialect, description, found) if found else []
