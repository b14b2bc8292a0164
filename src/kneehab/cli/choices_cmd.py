"""The person's own choices: `kneehab swap` (RULES D-10) and `kneehab offer` (D-12).

Each is a dated event kept in the database; the program changes from that day as a dated version.
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
from kneehab.cli.render import why_line
from kneehab.errors import InvalidInput

ANSWERS = {"accept": "accept", "yes": "accept", "not_now": "not_now", "not now": "not_now"}


def _answer(value: str) -> str:
    found = ANSWERS.get(" ".join(value.lower().replace("-", " ").split()))
    found = found or ANSWERS.get(value.lower().replace("-", "_"))
    if found is None:
        raise InvalidInput(f"ANSWER: '{value}' is not allowed; use accept or not_now")
    return found


def swap_command(
    ctx: typer.Context,
    swap_in: Annotated[
        str, typer.Argument(help="The exercise id to bring in (one of your swaps).")
    ],
    instead_of: Annotated[
        str, typer.Option("--instead-of", help="The exercise id in your session it replaces.")
    ],
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Do one of your swaps instead of an exercise in your session, from today."""
    day = today_from(today)
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        day = person_day(db, pid, today)
        services.choose_swap(
            db,
            pid,
            swap_in=swap_in,
            swap_out=instead_of,
            day=day,
            now=utc_now(),
            library=cli_context(ctx).library,
        )
        versions = [v for v in services.program_versions(db, pid) if v.effective == day]
    out = console()
    for v in versions:
        if v.kind == "swap":
            out.print(v.reason, markup=False)
            out.print(f"  {why_line(v.rules)}", markup=False)


def offer_command(
    ctx: typer.Context,
    exercise_id: Annotated[str, typer.Argument(help="The exercise you were offered.")],
    answer: Annotated[str, typer.Argument(help="accept or not_now.")],
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Answer "Ready to try": accept adds it at the next check-in; not_now asks again later."""
    answer = _answer(answer)
    day = today_from(today)
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        day = person_day(db, pid, today)
        services.answer_offer(
            db,
            pid,
            exercise_id=exercise_id,
            answer=answer,
            day=day,
            now=utc_now(),
            library=cli_context(ctx).library,
        )
    console().print(
        "Saved. It is added at your next check-in."
        if answer == "accept"
        else "Saved. You will be asked again later."
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("swap")(swap_command)
    app.command("offer")(offer_command)
