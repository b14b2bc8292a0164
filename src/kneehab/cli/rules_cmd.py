"""`kneehab upgrade-rules`: move stored courses to the current rule book (ADR 0004).

`kneehab serve` (and so `make run`) does the same at start-up; every write (log, check-in,
re-screen) does it for its person first. Running it again changes nothing.
"""

from __future__ import annotations

import typer

from kneehab import services
from kneehab.cli.care_options import DbOpt, TodayOpt, console, database, today_from, utc_now
from kneehab.cli.context import cli_context
from kneehab.cli.render import why_line


def upgrade_rules_command(
    ctx: typer.Context, db_file: DbOpt = None, today: TodayOpt = None
) -> None:
    """Apply the updated exercise rules (rule book v2) to everyone enrolled, from today.

    Decisions already shown stay as they were recorded; each person gets one dated program
    change that says in plain words what changes for them.
    """
    day = today_from(today)
    with database(ctx, db_file) as db:
        done = services.upgrade_rules(
            db, today=day, now=utc_now(), library=cli_context(ctx).library
        )
    out = console()
    if not done:
        out.print("Everyone is already on the current rules. Nothing changed.")
        return
    for upd in done:
        if upd.version is None:
            out.print(f"Person {upd.person_id}: on the current rules (no program to change).")
            continue
        out.print(f"Person {upd.person_id}, from {upd.day.isoformat()}: {upd.reason}", markup=False)
        out.print(f"  {why_line(upd.rules)}", markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("upgrade-rules")(upgrade_rules_command)
