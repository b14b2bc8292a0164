"""The `--db` and `--today` options the care, report and backup commands share, and what they resolve to.

Every such command takes `--db PATH` (a SQLite file; default from settings) and `--today YYYY-MM-DD`
(for back-dating and tests; default the real date). Only `start`, `restore`, `clinic create` and `user add`
create a database that is not there yet; every other command says so (exit 2) instead of creating an empty one from a mistyped path. Bad input raises InvalidInput, which main()
turns into a message naming the field and exit code 2, with nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from kneehab import services
from kneehab.cli.context import cli_context
from kneehab.cli.plan_cmd import parse_day
from kneehab.errors import InvalidInput, NotFound, StoreError
from kneehab.services import accounts
from kneehab.services.acting import Acting, on_machine
from kneehab.store.db import (
    Database,
    current_revision,
    make_engine,
    open_database,
    open_or_create,
    sqlite_path,
)

DbOpt = Annotated[
    Path | None, typer.Option("--db", help="SQLite database file (default: from settings).")
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="Act as if today were YYYY-MM-DD (default: today).")
]


def console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=100, file=sys.stdout)


def _missing(url: str, db_file: Path | None) -> str | None:
    """Why a SQLite file that does not exist cannot be opened (None when it exists or is not SQLite)."""
    path = sqlite_path(url)
    if path is None or path.exists():
        return None
    if db_file is not None:
        return (
            f"--db: there is no kneehab database at {path}. Check the path; to make a new one "
            f"there, use `kneehab start --intake FILE --db {db_file}` or `kneehab restore FILE --db {db_file}`."
        )
    return (
        f"database: there is no kneehab database yet at {path}. Start with "
        "`kneehab start --intake FILE` (or `kneehab restore FILE`), or choose another database "
        "with --db PATH or KNEEHAB_DATABASE_URL."
    )


def _empty(url: str) -> bool:
    """A database without kneehab's schema (never created here: an error surfaces on opening)."""
    engine = make_engine(url)
    try:
        return current_revision(engine) is None
    except OperationalError:
        return False  # cannot connect: open_database below says why
    finally:
        engine.dispose()


@contextmanager
def database(
    ctx: typer.Context, db_file: Path | None, *, create: bool = False
) -> Iterator[Database]:
    """Open the database; a SQLite file that does not exist is a mistake unless `create` (start, restore)."""
    url = f"sqlite:///{db_file.expanduser().resolve()}" if db_file else None
    url = url or cli_context(ctx).settings.effective_database_url
    problem = None if create else _missing(url, db_file)
    if problem is not None:
        raise StoreError(problem)
    if not create and _empty(url):  # e.g. a new PostgreSQL database: nothing to show yet
        raise StoreError(
            "database: there is no kneehab data in it yet. Start with `kneehab start --intake FILE` "
            "(or `kneehab restore FILE`); a server needs `kneehab db upgrade` first."
        )
    try:
        # Never a migration here: a database that is behind is refused with `kneehab db upgrade`
        # named (migrations are their own step, ADR 0006); `create` only gives an empty one its schema.
        db = open_or_create(url) if create else open_database(url, upgrade=False)
    except OperationalError as err:
        # The driver's first line says what failed; the URL (and any password) is not repeated.
        reason = str(err.orig).strip().splitlines()[0] if err.orig else "cannot connect"
        raise StoreError(f"database: cannot open it ({reason})") from None
    try:
        yield db
    finally:
        db.close()


def today_from(value: str | None) -> date:
    """--today, or the machine's date (before a person is known)."""
    return parse_day(value, "--today") or date.today()


def person_day(db: Database, who: Acting, value: str | None) -> date:
    """--today, or the person's own date in their timezone (issue 11 §1)."""
    return parse_day(value, "--today") or services.person_today(
        db, who, datetime.now().astimezone()
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


PersonOpt = Annotated[
    str | None,
    typer.Option(
        "--person",
        help="The person's account email (needed once more than one person is enrolled).",
    ),
]


def enrolled_person(db: Database, email: str | None = None) -> Acting:
    """The person a command acts for: the account named by --person, or the only one enrolled. The
    command line is the server admin on the machine (issue 10 §1)."""
    return on_machine(_person_id(db, email))


def _person_id(db: Database, email: str | None) -> int:
    if email is not None:
        address = accounts.normal_email(email)
        found = accounts.find(db, address)
        if found is None:
            raise NotFound(f"--person: no account with {address}")
        if found.person_id is None:
            raise NotFound(
                f"--person: {address} has no program yet; run `kneehab start --person {address} "
                "--intake FILE` first"
            )
        return found.person_id
    ids = services.people_ids(db)
    if not ids:
        raise NotFound("no one is enrolled yet; run `kneehab start --intake FILE` first")
    if len(ids) > 1:
        raise InvalidInput(
            f"--person: {len(ids)} people are enrolled in this database; name one with "
            "--person EMAIL (`kneehab user list` shows them)"
        )
    return ids[0]
