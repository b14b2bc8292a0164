"""Copies of the database: backup (a consistent snapshot) and restore (checked first)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kneehab.cli.care_options import DbOpt, TodayOpt, console, database, today_from
from kneehab.store.backup import backup as backup_db
from kneehab.store.backup import restore as restore_db


def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Write a consistent snapshot of the database (safe while kneehab is in use)."""
    today_from(today)
    with database(ctx, db_file) as db:
        written = backup_db(db, file)
    console().print(f"Backup written to {written}", markup=False)


def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup file made by `kneehab backup`.")],
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Replace the database's content with a backup (checked first; a bad file changes nothing)."""
    today_from(today)
    with database(ctx, db_file) as db:
        restore_db(db, file)
    console().print(f"Restored from {file}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
