"""Take the program anywhere from the command line (issue 14): `kneehab handout` (PDF), `kneehab calendar`
(iCalendar) and `kneehab export --fhir` (FHIR R4 Bundle). The command line acts as the server admin; each
export is in the person's audit trail. Files are written readable by their owner alone (health data)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kneehab.cli.care_options import (
    DbOpt,
    PersonOpt,
    TodayOpt,
    console,
    database,
    enrolled_person,
    person_day,
    utc_now,
)
from kneehab.cli.context import cli_context
from kneehab.errors import InvalidInput
from kneehab.exports.calendar_ics import DEFAULT_REMIND_AT
from kneehab.services import exports
from kneehab.services.acting import Acting
from kneehab.store.db import Database

OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Where to write the file.")]


def _write(file: Path, body: bytes) -> Path:
    path = file.expanduser()
    if path.is_dir():
        raise InvalidInput(f"-o: {file} is a folder; give a file name")
    if not path.parent.is_dir():
        raise InvalidInput(f"-o: the folder {path.parent} does not exist")
    path.write_bytes(body)
    path.chmod(0o600)
    return path


def _request(ctx: typer.Context, db: Database, who: Acting, today: str | None) -> exports.Request:
    day = person_day(db, who, today)
    return exports.Request(
        actor=who.actor, person_id=who.person_id, now=utc_now(), today=day,
        base_url=cli_context(ctx).settings.base_url, library=cli_context(ctx).library,
    )  # fmt: skip


def handout_command(
    ctx: typer.Context,
    output: OutOpt,
    person: PersonOpt = None,
    large: Annotated[bool, typer.Option("--large", help="Large print: body text 14 pt.")] = False,
    paper: Annotated[str, typer.Option("--paper", help="Paper size: a4 or letter.")] = "a4",
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Write the person's program as a printable PDF handout."""
    if paper not in ("a4", "letter"):
        raise InvalidInput(f"--paper: '{paper}' is not allowed (allowed: a4, letter)")
    with database(ctx, db_file) as db:
        req = _request(ctx, db, enrolled_person(db, person), today)
        written = _write(output, exports.handout(db, req, large=large, paper=paper))
    console().print(f"Handout written to {written}", markup=False)


def calendar_command(
    ctx: typer.Context,
    output: OutOpt,
    person: PersonOpt = None,
    remind_at: Annotated[
        str, typer.Option("--remind-at", help="Reminder time on exercise days, HH:MM (24-hour).")
    ] = DEFAULT_REMIND_AT,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Write the person's exercise days as an iCalendar (.ics) file."""
    with database(ctx, db_file) as db:
        req = _request(ctx, db, enrolled_person(db, person), today)
        written = _write(output, exports.calendar(db, req, remind_at=remind_at))
    console().print(f"Calendar written to {written}", markup=False)


def export_command(
    ctx: typer.Context,
    output: OutOpt,
    fhir: Annotated[bool, typer.Option("--fhir", help="A FHIR R4 Bundle (JSON).")] = False,
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Write the person's course for a clinic's record system (--fhir: a FHIR R4 Bundle)."""
    if not fhir:
        raise InvalidInput(
            "format: say which export (allowed: --fhir); the person's own JSON export is "
            "`kneehab backup FILE --person EMAIL`"
        )
    with database(ctx, db_file) as db:
        req = _request(ctx, db, enrolled_person(db, person), today)
        written = _write(output, exports.fhir(db, req))
    console().print(f"FHIR bundle written to {written}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("handout")(handout_command)
    app.command("calendar")(calendar_command)
    app.command("export")(export_command)
