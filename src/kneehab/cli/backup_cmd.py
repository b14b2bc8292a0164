"""Copies of the database: backup (a consistent snapshot) and restore (checked first).

`backup FILE` replaces FILE only when it is itself a kneehab backup (or with --force): a mistyped name never
overwrites an intake or any other file. `restore FILE` takes a backup file, or the JSON export downloaded from
the web app (`/api/v1/export`, My data → JSON); it creates the database when there is none yet.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from kneehab import services
from kneehab.cli.care_options import (
    DbOpt,
    TodayOpt,
    console,
    database,
    enrolled_person,
    today_from,
    utc_now,
)
from kneehab.cli.context import cli_context
from kneehab.errors import InvalidInput
from kneehab.services import accounts
from kneehab.services.enrolment import headcount
from kneehab.store.backup import SQLITE_HEADER
from kneehab.store.backup import backup as backup_db
from kneehab.store.backup import restore as restore_db
from kneehab.store.person_import import add_export, is_export, restore_export


def _is_kneehab_backup(path: Path) -> bool:
    """A SQLite file with kneehab's schema version table (what `kneehab backup` writes)."""
    try:
        with path.open("rb") as fh:
            if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return found is not None


def _is_person_export(path: Path) -> bool:
    try:
        return is_export(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


def _check_target(file: Path, force: bool) -> None:
    path = file.expanduser()
    if path.is_dir():
        raise InvalidInput(f"FILE: {file} is a folder; give a file name for the backup")
    ours = _is_kneehab_backup(path) or _is_person_export(path)
    if path.exists() and not force and not ours:
        raise InvalidInput(
            f"FILE: {file} already exists and is not a kneehab backup, so it was not replaced. "
            "Choose another name (for example kneehab-backup.db), or add --force to replace it."
        )


def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace FILE even when it is not a kneehab backup."),
    ] = False,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Only this person (account email): their JSON export, which restore takes.",
        ),
    ] = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Write a consistent snapshot of the database (safe while kneehab is in use), or with --person
    that person's JSON export (the same file as My data → JSON).

    An existing FILE is replaced only when it is an earlier kneehab backup or export, or with --force.
    """
    today_from(today)
    _check_target(file, force)
    with database(ctx, db_file) as db:
        if person is not None:
            data = services.download_json(db, enrolled_person(db, person), now=utc_now())
            written = file.expanduser()
            written.write_text(json.dumps(data, indent=2), encoding="utf-8")
            written.chmod(0o600)  # health data: readable by its owner alone
        else:
            written = backup_db(db, file)
    console().print(f"Backup written to {written}", markup=False)


def _export_data(file: Path) -> object | None:
    """The parsed JSON export in FILE, or None when FILE is not a JSON export (a backup, say)."""
    try:
        with file.expanduser().open("rb") as fh:
            start = fh.read(64).lstrip()
    except OSError:
        return None
    if not start.startswith(b"{"):
        return None
    try:
        data: object = json.loads(file.expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInput(
            f"FILE: {file} is neither a kneehab backup nor a valid JSON export ({err})"
        ) from None
    if not is_export(data):
        raise InvalidInput(
            f'FILE: {file} is a JSON file but not a kneehab export (its "format" is not '
            '"kneehab-person-export"). Restore a file made by `kneehab backup`, or the JSON '
            "downloaded from My data in the web app."
        )
    return data


def _check_backup_header(file: Path) -> None:
    """A file that is neither a SQLite backup nor a JSON export (the CSV download, a video …)."""
    path = file.expanduser()
    if not path.is_file():
        raise InvalidInput(f"FILE: {file} does not exist or is not a file")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as err:
        raise InvalidInput(f"FILE: cannot read {file} ({err.strerror})") from None
    if header != SQLITE_HEADER:
        raise InvalidInput(
            f"FILE: {file} is neither a kneehab backup nor a JSON export. Restore a file made by "
            "`kneehab backup`, or the JSON downloaded from My data in the web app (the CSV "
            "download is for spreadsheets and cannot be restored)."
        )


def restore_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A backup file made by `kneehab backup`, or the JSON export from the web app "
            "(My data → JSON, or /api/v1/export)."
        ),
    ],
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Restore a person's JSON export into this account, keeping everyone else.",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="With --person: the account's current program is deleted."),
    ] = False,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Replace the database's content with a backup or a JSON export (checked first; a bad file
    changes nothing). Creates the database when there is none yet. With --person, a JSON export goes
    into that account only and everyone else stays."""
    today_from(today)
    data = _export_data(file)
    if person is not None and data is None:
        raise InvalidInput(
            "--person: a full backup replaces the whole database; --person takes one person's "
            "JSON export (My data → JSON, or /api/v1/export)"
        )
    with database(ctx, db_file, create=True) as db:
        if person is not None:
            add_export(
                db, data, email=accounts.normal_email(person), replace=replace,
                rules_version=services.RULES_VERSION, library=cli_context(ctx).library,
            )  # fmt: skip
        elif data is None:
            _check_backup_header(file)
            restore_db(db, file, library=cli_context(ctx).library)
        else:
            people, accounts_held = headcount(db)
            if people > 1 or accounts_held > 1:
                # One person's export replaces the whole database without --person: never when that
                # would remove other people or accounts.
                raise InvalidInput(
                    f"--person: this database holds {people} people and {accounts_held} accounts; "
                    "restoring one person's export without --person would replace them all. Name "
                    "the account to restore into with --person EMAIL (`kneehab user list`), or "
                    "restore a full backup made by `kneehab backup`"
                )
            restore_export(
                db, data, rules_version=services.RULES_VERSION, library=cli_context(ctx).library
            )
    console().print(f"Restored from {file}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
