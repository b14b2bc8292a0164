"""`kneehab db upgrade` and `kneehab db status`: migrations are their own step (ADR 0006).

Servers never migrate at start: with several app processes (and several machines) each would race to
change the schema under the others. The operator runs `kneehab db upgrade` once per release (`make run`
does it before serving); a server started on a database that is behind refuses, naming this command.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError

from kneehab import services
from kneehab.cli.care_options import DbOpt, TodayOpt, today_from, utc_now
from kneehab.cli.context import cli_context
from kneehab.errors import StoreError
from kneehab.store.db import make_engine, migrate, open_database, schema_state, sqlite_path

db_app = typer.Typer(help="The database: schema upgrades and their state.", no_args_is_help=True)

BEHIND = 3  # exit code of `db status` when the schema is not the one this kneehab needs


def _url(ctx: typer.Context, db_file: Path | None) -> str:
    if db_file is not None:
        return f"sqlite:///{db_file.expanduser().resolve()}"
    return cli_context(ctx).settings.effective_database_url


def _cannot_connect(err: OperationalError) -> StoreError:
    # The driver's first line says what failed; the URL (and any password) is not repeated.
    reason = str(err.orig).strip().splitlines()[0] if err.orig else "cannot connect"
    return StoreError(f"database: cannot open it ({reason})")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, db_file: DbOpt = None, today: TodayOpt = None) -> None:
    """Bring the schema to this kneehab's newest (creating it in an empty database), then move
    stored courses to the current rule book. Safe to run again; run it once, before the servers."""
    day: date = today_from(today)
    engine = make_engine(_url(ctx, db_file))
    try:
        before = schema_state(engine)
        migrate(engine)
    except OperationalError as err:
        raise _cannot_connect(err) from None
    finally:
        engine.dispose()
    if before.is_current:
        typer.echo(f"The database schema is already current ({before.head}).")
    else:
        typer.echo(
            f"Upgraded the database schema from {before.current or 'empty'} to {before.head}."
        )
    db = open_database(_url(ctx, db_file), upgrade=False)
    try:
        moved = services.upgrade_rules(
            db, today=day, now=utc_now(), library=cli_context(ctx).library
        )
    finally:
        db.close()
    if moved:  # ADR 0004: each course moved gets one dated program change
        people = "1 enrolled person" if len(moved) == 1 else f"{len(moved)} enrolled people"
        typer.echo(f"Applied the updated exercise rules to {people}.")


@db_app.command("status")
def status(ctx: typer.Context, db_file: DbOpt = None) -> None:
    """Say whether the schema is current; exit 3 when `kneehab db upgrade` is needed."""
    url = _url(ctx, db_file)
    path = sqlite_path(url)
    if path is not None and not path.exists():  # never create a file just to look at it
        typer.echo(f"there is no database at {path} yet; `kneehab db upgrade` creates it", err=True)
        raise typer.Exit(BEHIND)
    engine = make_engine(url)
    try:
        state = schema_state(engine)
    except OperationalError as err:
        raise _cannot_connect(err) from None
    finally:
        engine.dispose()
    if state.problem is None:
        typer.echo(f"The database schema is current ({state.head}).")
        return
    typer.echo(state.problem.removeprefix("database: "), err=True)
    raise typer.Exit(BEHIND)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
