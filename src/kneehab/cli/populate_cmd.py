"""`kneehab populate`: synthetic people with realistic courses, for benchmarks, load tests and the
caseload (issue 11 §2). Their password is `services.populate.POPULATE_PASSWORD` (test data only)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated

import typer

from kneehab.cli.care_options import DbOpt, database, utc_now
from kneehab.cli.context import cli_context
from kneehab.cli.plan_cmd import parse_day
from kneehab.services import populate as populating


def populate(
    ctx: typer.Context,
    people: Annotated[int, typer.Option("--people", help="How many people (1 … 100000).")],
    days: Annotated[int, typer.Option("--days", help="Days of course each (1 … 1095).")],
    start: Annotated[
        str | None,
        typer.Option("--start", help="First day YYYY-MM-DD (default: DAYS days before today)."),
    ] = None,
    db_file: DbOpt = None,
) -> None:
    """Add person-1@example.test … person-N@example.test with DAYS-day courses (check-ins, sessions,
    flares, progressions); refuses, writing nothing, when any of them exists already."""
    now = utc_now()
    first = parse_day(start, "--start") or (now.date() - timedelta(days=days))
    began = time.perf_counter()
    with database(ctx, db_file, create=True) as db:
        done = populating.populate(
            db, people=people, days=days, start=first, library=cli_context(ctx).library, now=now
        )
    took = time.perf_counter() - began
    typer.echo(
        f"Added {done.people} people ({populating.email_of(1)} … "
        f"{populating.email_of(done.people)}), {done.days} days each from {done.start}: "
        f"{done.records} entries and check-ins, {done.versions} program versions in {took:.1f} s. "
        f"Password: {populating.POPULATE_PASSWORD}"
    )


def register(app: typer.Typer) -> None:
    app.command("populate")(populate)
