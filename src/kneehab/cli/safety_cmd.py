"""`kneehab check`: today's safety questions before the session (RULES §1.1), as the web asks them.

The short set first; after a yes, or on a day the full set is due (the day after a stop, a much sorer
morning, a new injury or swelling, and weekly), the full set straight after. Nothing of today's session
is recorded before this (the same gate as the web's, inside the use-case).
"""

from __future__ import annotations

from typing import Annotated

import typer

from kneehab import services
from kneehab.cli.care_options import (
    DbOpt,
    PersonOpt,
    TodayOpt,
    console,
    database,
    enrolled_person,
    person_day,
    today_from,
    utc_now,
)
from kneehab.cli.context import cli_context
from kneehab.cli.questionnaire import yes_no
from kneehab.cli.render import render_triage
from kneehab.domain.escalation import STOPPING
from kneehab.domain.red_flags import (
    FIELD_QUESTIONS,
    NEW_INJURY_QUESTION,
    RED_FLAG_QUESTIONS,
    SHORT_FIELD_QUESTIONS,
    SHORT_QUESTIONS,
)
from kneehab.domain.types import Level

EMERGENCY_EXIT = 3  # as the questionnaire: stopped on a warning sign


def _yes(question: str, none: bool) -> bool:
    if none:
        return False
    while True:
        raw = typer.prompt(f"{question} (yes/no)")
        try:
            return yes_no(str(raw).strip())
        except ValueError as err:
            typer.echo(f"  Sorry: {err}", err=True)


def check_command(
    ctx: typer.Context,
    none: Annotated[
        bool,
        typer.Option(
            "--none", help="Answer no to every question asked (for scripts: only when true)."
        ),
    ] = False,
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Today's safety questions, once a day before the session (and the full set when it is due)."""
    day = today_from(today)
    out = console()
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        day = person_day(db, pid, today)
        found = services.session_check(db, pid, day=day)
        if found is not None and found.get("cleared"):
            out.print("Today's safety questions are already answered: you may do today's session.")
            return
        course = services.course(db, pid, today=day, library=cli_context(ctx).library)
        if course.program is None:
            render_triage(out, course.locked_by or course.triage)
            raise typer.Exit(EMERGENCY_EXIT)
        if found is None:
            out.print("Before today's session: answer each question yes or no. Not sure? Say yes.")
            flags = {q.id: _yes(q.question, none) for q in SHORT_QUESTIONS}
            fields = {q.field: _yes(q.question, none) for q in SHORT_FIELD_QUESTIONS}
            new_injury = _yes(NEW_INJURY_QUESTION, none)
            triage = services.save_session_check(
                db,
                pid,
                day=day,
                answers=flags,
                new_injury=new_injury,
                cold_foot=fields["cold_foot"],
                chest_symptoms=fields["chest_symptoms"],
                full_set_due=course.full_rescreen_due,
                now=utc_now(),
                library=cli_context(ctx).library,
            )
            if triage.level in STOPPING:
                render_triage(out, triage)
                raise typer.Exit(EMERGENCY_EXIT)
            found = services.session_check(db, pid, day=day)
        if found is not None and not found.get("cleared"):
            out.print("\nNow the full safety questions (RULES §1.1).")
            ticked = [q.id for q in RED_FLAG_QUESTIONS if _yes(q.question, none)]
            fields = {q.field: _yes(q.question, none) for q in FIELD_QUESTIONS}
            triage = services.rescreen(
                db,
                pid,
                flags=ticked,
                cold_foot=fields["cold_foot"],
                chest_symptoms=fields["chest_symptoms"],
                now=utc_now(),
                today=day,
                clears_check=True,
                library=cli_context(ctx).library,
            )
            if triage.level in STOPPING:
                render_triage(out, triage)
                raise typer.Exit(EMERGENCY_EXIT)
            if triage.level != Level.OK:
                render_triage(out, triage)
    out.print(
        "Safety questions saved: you may do today's session. Stop if pain goes above your limit."
    )


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
