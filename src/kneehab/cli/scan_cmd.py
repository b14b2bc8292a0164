"""`kneehab scan`: the nightly scan (issue 11 §3), every person's escalations and caseload row for a
date, run by the server admin from a timer (docs/deploy.md). Running it again does only what is left."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kneehab import heap
from kneehab.cli.care_options import DbOpt, TodayOpt, console, database, utc_now
from kneehab.cli.context import cli_context
from kneehab.cli.plan_cmd import parse_day
from kneehab.services.scan import scan

JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        help="Worker processes sharing the people (1 … 32; about one per CPU). The results are the "
        "same with any number.",
    ),
]


def scan_command(
    ctx: typer.Context, db_file: DbOpt = None, today: TodayOpt = None, jobs: JobsOpt = 1
) -> None:
    """Work out every person's escalations and caseload row for the day (default: each person's own
    today, in their timezone), ahead of the clinicians' morning. Safe while servers run; interrupted, it goes on where it stopped."""
    day = parse_day(today, "--today")  # None: each person's own date (issue 11 §1)
    library = cli_context(ctx).library
    heap.settle()  # what the whole scan keeps (modules, the library) out of the full collections
    out = console()
    columns = (TextColumn("Scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        database(ctx, db_file) as db,
        Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar,
    ):
        task = bar.add_task("scan", total=None)
        report = scan(
            db, today=day, now=utc_now(), library=library,
            progress=lambda done, total: bar.update(task, completed=done, total=total), jobs=jobs,
        )  # fmt: skip
    out.print(
        f"Scanned {report.people} people for {_days(report.days)}: {report.computed} worked out now, "
        f"{report.kept} already current, {report.escalations} new escalations.",
        markup=False,
    )
    if report.unreadable:
        out.print(
            f"{len(report.unreadable)} people's records cannot be read with this library or rule "
            "book (RULES C-13); their pages say so: "
            + ", ".join(f"person {pid}" for pid in report.unreadable),
            markup=False,
        )


def _days(days: tuple[date, ...]) -> str:
    if not days:
        return "their own dates"
    if len(days) == 1:
        return days[0].isoformat()
    return "each one's own date (" + ", ".join(d.isoformat() for d in days) + ")"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("scan")(scan_command)
