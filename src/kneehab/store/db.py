"""Engines, transactions and schema migration.

SQLite is the embedded default (one file, WAL, foreign keys on); PostgreSQL is used through a
`postgresql+psycopg://` URL. Every write goes through `Database.write()`: one transaction, committed
before the caller is told it worked, so an acknowledged write survives a killed process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from kneehab.errors import Busy, Conflict, StoreError
from kneehab.store.point_read import KeptTransaction, PointReads
from kneehab.store.write_gate import BUSY_MESSAGE, gate_for

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ALEMBIC_INI = Path(__file__).parent / "alembic.ini"
BUSY_TIMEOUT_MS = 10_000
# How long a SQLite write waits for its turn (store/write_gate.py) before it is refused with Busy.
WRITE_WAIT_S = BUSY_TIMEOUT_MS / 1000


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for in-memory or non-SQLite URLs)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so SQLAlchemy's BEGIN (below)
    # starts a real transaction for reads too (SQLAlchemy's documented pysqlite recipe).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # FULL: a committed transaction is on disk before COMMIT returns (acknowledged = kept).
    cur.execute("PRAGMA synchronous=FULL")
    # Deleted content is overwritten with zeros, in the file and in the write-ahead log (personal
    # health data must not stay readable after "delete everything"; see Database.forget_deleted).
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front, so two writers queue on busy_timeout instead of
    # failing with "database is locked" when a read transaction upgrades.
    mode = conn.get_execution_options().get("kneehab_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _private_file(path: Path) -> None:
    """Create the SQLite file (and a missing folder) readable by its owner alone: health data. SQLite
    gives its -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


# PostgreSQL connections a worker's pool keeps open: as many as SQLAlchemy's default lets it open
# (5 kept + 10 overflow), but all kept. An overflow connection was closed as soon as it came back to
# a full pool, so every burst of requests opened new ones again (a server process each, 4–8 ms
# here), which was most of the p99 at 32 connections (docs/benchmarks.md, tokens4 and pool).
PG_POOL_SIZE = 15


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection.
    Statement parameters are never put into error messages (`hide_parameters`): they hold health
    values, and error messages reach logs."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            _private_file(path)
        engine = create_engine(url, echo=echo, hide_parameters=True, json_serializer=compact_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=PG_POOL_SIZE,
        max_overflow=0,
        hide_parameters=True,
        json_serializer=compact_json,
    )


def compact_json(value: Any) -> str:
    """JSON columns without the spaces `json.dumps` puts after "," and ":" by default (about a
    tenth of a program change's row, issue 11 §2); any JSON reads back the same."""
    return json.dumps(value, separators=(",", ":"))


def _alembic_config(engine: Engine) -> Config:
    # Built from the package's own files so migrations run from an installed wheel.
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may contain %-escapes.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


@cache  # the migration files do not change while a process runs; a probe reads these often
def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


@cache
def known_revisions() -> frozenset[str]:
    return frozenset({s.revision for s in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()})


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run_alembic(engine: Engine, action: str, target: str) -> None:
    """Run the migrations in one transaction. On SQLite, foreign keys are off meanwhile: a batch
    migration rebuilds a table (copy, drop, rename), and dropping `persons` with them on would
    cascade-delete every row that refers to it. They are checked before the commit instead."""
    cfg = _alembic_config(engine)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if is_sqlite(engine) else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # before BEGIN: a no-op inside a transaction
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                getattr(command, action)(cfg, target)
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"database: the migration would leave {len(broken)} row(s) pointing "
                            "at nothing; nothing was changed"
                        )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def migrate(engine: Engine, target: str = "head") -> None:
    """Upgrade the schema to `target` (default: newest); refuse a database from a newer kneehab."""
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise StoreError(
            f"database: schema revision {current!r} is newer than this kneehab understands; "
            "upgrade kneehab to use this database"
        )
    _run_alembic(engine, "upgrade", target)


def downgrade(engine: Engine, target: str = "base") -> None:
    _run_alembic(engine, "downgrade", target)


def _sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite engine (None: PostgreSQL, or an in-memory database)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. A write on a SQLite file waits
    for its turn first (store/write_gate.py: in arrival order, at most the busy timeout, then Busy)."""
    database = _sqlite_file(engine) if write else None
    if database is None:
        with _unit_of_work(engine, write=write) as session:
            yield session
        return
    with gate_for(database).held(WRITE_WAIT_S), _unit_of_work(engine, write=True) as s:
        yield s


@contextmanager
def _unit_of_work(engine: Engine, *, write: bool) -> Iterator[Session]:
    bind = engine.execution_options(kneehab_begin="IMMEDIATE") if write else engine
    # `info["write"]`: a use-case may keep derived data (a course snapshot) only when writing.
    # A plain Session, not a sessionmaker: each sessionmaker makes a new Session subclass, and
    # SQLAlchemy then sets up its event dispatch again (~0.3 ms of every unit of work).
    session = Session(bind=bind, expire_on_commit=False, autoflush=True, info={"write": write})
    with session, session.begin():
        yield session
    for done in session.info.get(_AFTER_COMMIT, ()):
        done()


_AFTER_COMMIT = "kneehab_after_commit"  # Session.info: what to run once it has committed


def after_commit(session: Session, done: Callable[[], None]) -> None:
    """Run `done` once this unit of work has committed (never if it rolls back): as SQLAlchemy's
    `after_commit` event, without registering a listener on each Session (~10-30 µs)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(done)


SAVED_MEANWHILE = (
    "this was saved at the same moment by another request, so nothing was saved from this one; "
    "reload the page and try again"
)
# Every connection of this worker's pool stayed in use for the pool's timeout (writes waiting for row
# locks): the request is refused to be sent again, as a write that waited too long for SQLite is.
POOL_BUSY_MESSAGE = "database: every connection is busy with other requests; try again in a moment"
# PostgreSQL's "try the transaction again" states: serialization_failure, deadlock_detected.
_RETRY_STATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True)
class Database:
    """What services receive: an engine whose schema is current, plus its unit-of-work helpers."""

    engine: Engine
    point_reads: PointReads = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "point_reads", PointReads(self.engine))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction. A unique key taken by a write that committed first (two requests
        at once) is a 409 that names what to do, never a 500; SQLite still locked after its busy
        timeout is a 503 to retry. Nothing of the refused transaction is kept."""
        try:
            with session_scope(self.engine, write=True) as session:
                yield session
        except IntegrityError:
            raise Conflict(SAVED_MEANWHILE) from None
        except PoolTimeout:
            raise Busy(POOL_BUSY_MESSAGE) from None
        except OperationalError as err:
            if self.is_sqlite and "locked" in str(err.orig):
                raise Busy(BUSY_MESSAGE) from None
            # PostgreSQL broke a lock cycle by ending this transaction (deadlock_detected) or could
            # not serialise it: nothing of it was kept, and the same request may simply be sent again.
            if getattr(err.orig, "sqlstate", None) in _RETRY_STATES:
                raise Busy(BUSY_MESSAGE) from None
            raise

    def kept_write(self, body: Callable[[KeptTransaction], T]) -> T:
        """`body` in one small write transaction on a connection this thread keeps
        (store/point_read.py), for the writes of most requests (a token's use): SQLite's writers'
        turn, BEGIN IMMEDIATE, statements compiled once (on PostgreSQL sent in pipeline mode),
        COMMIT before the caller goes on, and the refusals of `write()` (a 409 for a key taken at
        the same moment, a 503 to retry for a lock). `body` may run twice: again on a new
        connection when the kept one was found gone before anything was committed."""
        dbapi = self.engine.dialect.loaded_dbapi
        with self.writers_turn():
            try:
                return self.point_reads.transact(body, immediate=self.is_sqlite)
            except dbapi.IntegrityError:
                raise Conflict(SAVED_MEANWHILE) from None
            except dbapi.OperationalError as err:
                if self.is_sqlite and "locked" in str(err):
                    raise Busy(BUSY_MESSAGE) from None
                if getattr(err, "sqlstate", None) in _RETRY_STATES:
                    raise Busy(BUSY_MESSAGE) from None
                raise

    @contextmanager
    def writers_turn(self) -> Iterator[None]:
        """SQLite's writers' turn (store/write_gate.py) held by this thread: its `write()`s inside
        go on without queueing again. A group commit (services/group_commit.py) takes its batch
        once it has the turn, so the uses that came while it waited are in it. Nothing on
        PostgreSQL (its writers queue on row locks inside their transactions)."""
        database = _sqlite_file(self.engine)
        if database is None:
            yield
            return
        with gate_for(database).held(WRITE_WAIT_S):
            yield

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with session_scope(self.engine, write=False) as session:
                yield session
        except PoolTimeout:
            raise Busy(POOL_BUSY_MESSAGE) from None

    def read_first(self, statement: Select[*tuple[Any, ...]], params: dict[str, Any]) -> Any | None:
        """The first row of one SELECT that every request makes (who is signed in), on a connection
        this thread keeps (store/point_read.py): no pool checkout, no transaction around it."""
        return self.point_reads.first(statement, params)

    async def read_first_waiting(
        self, statement: Select[*tuple[Any, ...]], params: dict[str, Any]
    ) -> Any | None:
        """`read_first` from the event loop, which it leaves free while PostgreSQL answers
        (store/point_read.py)."""
        return await self.point_reads.first_waiting(statement, params)

    def forget_deleted(self) -> None:
        """After deleting a person: leave none of the deleted rows readable in SQLite's files.

        The deleted pages are zeroed (`secure_delete`, set on every connection) and rebuilt away
        (`VACUUM`); then the write-ahead log, which still holds the old pages, is copied into the
        database file and truncated to zero bytes (`wal_checkpoint(TRUNCATE)`). A checkpoint waits
        for readers on `busy_timeout`; one that cannot finish is retried once. PostgreSQL: nothing
        to do here (its own VACUUM reclaims the space; backups are the operator's)."""
        if not self.is_sqlite:
            return
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("VACUUM")
            for _ in range(2):
                busy, _log, _moved = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    break

    def close(self) -> None:
        self.point_reads.close()
        self.engine.dispose()


UPGRADE_COMMAND = "kneehab db upgrade"


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this kneehab's migrations."""

    current: str | None  # None: an empty database
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def problem(self) -> str | None:
        """Why a server must not use this database (None when it may), naming what to run."""
        if self.is_current:
            return None
        if self.current is not None and self.current not in known_revisions():
            return (
                f"database: schema revision {self.current!r} is newer than this kneehab "
                f"understands (it knows up to {self.head!r}); upgrade kneehab"
            )
        have = "empty (no kneehab tables yet)" if self.current is None else f"at {self.current!r}"
        return (
            f"database: the schema is {have} but this kneehab needs {self.head!r}; run "
            f"`{UPGRADE_COMMAND}` once (with the same KNEEHAB_DATABASE_URL), then start again"
        )


def schema_state(engine: Engine) -> SchemaState:
    return SchemaState(current_revision(engine), head_revision())


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Open the database at `url`.

    `upgrade=True` (tests, `kneehab db upgrade`, the CLI commands that create a database) migrates
    it to the newest schema first. Servers pass `upgrade=False`: migrations are their own step, run
    once (`kneehab db upgrade`), never by every process at start; a database that is behind is
    refused with a StoreError naming that command (ADR 0006)."""
    engine = make_engine(url)
    try:
        if upgrade:
            migrate(engine)
        else:
            problem = schema_state(engine).problem
            if problem is not None:
                raise StoreError(problem)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def open_or_create(url: str) -> Database:
    """For the commands that may make a new database (start, restore, the first account): an empty
    database gets the newest schema; one that has a schema must already be current (upgrading it is
    `kneehab db upgrade`'s job, while servers may be running on it)."""
    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            migrate(engine)
    finally:
        engine.dispose()
    return open_database(url, upgrade=False)
