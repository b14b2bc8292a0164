"""Looking back: status (doses now, latest decisions, escalations, pain trend) and history (every record)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

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
from kneehab.cli.render import (
    ACTION_WORDS,
    done_words,
    exercise_name,
    print_escalation,
    render_triage,
    why_line,
)

BARS = "▁▂▃▄▅▆▇█"


def _pain_chart(points: tuple[services.PainPoint, ...], width: int = 28) -> list[str]:
    """One line per day: date, a bar as long as the morning pain, the number."""
    return [
        f"{p.day.isoformat()} {'█' * p.morning_pain:<10} {p.morning_pain}/10"
        + (f"  (day average {p.avg_pain})" if p.avg_pain is not None else "")
        for p in points[-width:]
    ]


def _since(start: date, day: date) -> str:
    """When the program started, in words ("today", not "day 0")."""
    days = (day - start).days
    if days == 0:
        return "your program started today"
    if days == 1:
        return f"your program started yesterday ({start.isoformat()})"
    return f"your program started {start.isoformat()} ({days} days ago)"


def _changed(versions: int) -> str:
    changes = max(versions - 1, 0)  # the first version is the starting program
    if changes == 0:
        return "it has not changed since"
    return "it has changed once since" if changes == 1 else f"it has changed {changes} times since"


def status_command(
    ctx: typer.Context, person: PersonOpt = None, db_file: DbOpt = None, today: TodayOpt = None
) -> None:
    """Doses now, each exercise's latest decision and why, escalations, and the pain trend."""
    day = today_from(today)
    with database(ctx, db_file) as db:
        who = enrolled_person(db, person)
        day = person_day(db, who, today)
        st = services.status(db, who, today=day, library=cli_context(ctx).library)
    out = console()
    out.print(f"Status on {day.isoformat()} — {_since(st.start, day)}; {_changed(st.versions)}.")
    if st.program is None:
        render_triage(out, st.triage)
    else:
        table = Table(title="Your doses now", title_justify="left", expand=True)
        for col in ("Exercise", "Dose", "Status", "Latest decision and why"):
            table.add_column(col)
        for item in st.program.items:
            d = st.latest.get(item.exercise_id)
            why = (
                f"{ACTION_WORDS.get(d.action.value, d.action.value)} {d.date.isoformat()}: "
                f"{d.reason}\n{why_line(d.rules)}"
                if d
                else "no change since the updated rules"
                if st.rules_updates
                else "starting dose"
            )
            table.add_row(item.name, item.dose_text, item.status.value, why)
        out.print(table)
    print_escalation(out, st.escalation)
    for esc in st.open_escalations:
        out.print(
            f"Open escalation #{esc.id} from {esc.day.isoformat()}: {esc.level}", markup=False
        )
        out.print(f"  {why_line(esc.rules)}", markup=False)
    for upd in st.rules_updates:
        out.print(f"\nUpdated rules from {upd.effective.isoformat()}: {upd.reason}", markup=False)
        out.print(f"  {why_line(upd.rules)}", markup=False)
    if st.pain:
        spark = "".join(BARS[min(p.morning_pain, 10) * (len(BARS) - 1) // 10] for p in st.pain)
        out.print(f"\nMorning pain trend: {spark}", markup=False)
        for line in _pain_chart(st.pain):
            out.print(line, markup=False)


def history_command(
    ctx: typer.Context,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the course as a history file (`kneehab progress --history`)."
        ),
    ] = False,
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Every logged exercise and check-in, oldest first."""
    day = today_from(today)
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        day = person_day(db, pid, today)
        if as_csv:
            sys.stdout.write(services.download_csv(db, pid, now=utc_now()))
            return
        if as_json:
            history = services.history_of(db, pid, today=day)
            sys.stdout.write(json.dumps(history.model_dump(mode="json", by_alias=True), indent=2))
            sys.stdout.write("\n")
            return
        view = services.history(db, pid)
    out = console()
    table = Table(title="Sessions", title_justify="left", expand=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Exercise", ratio=3)
    table.add_column("Done", no_wrap=True)
    table.add_column("Worst pain", no_wrap=True)
    table.add_column("Effort")
    table.add_column("Note", ratio=2)
    for rec in view.entries:
        e = rec.entry
        notes = [e.skip_reason] if e.skip_reason else []
        if e.sharp_pain:
            notes.append("sharp or catching pain")
        if rec.paused_when_logged:
            notes.append("logged while paused")
        pain = "" if e.skipped else f"{e.pain_during_max}/10"
        table.add_row(
            rec.day.isoformat(),
            exercise_name(e.exercise_id),
            done_words(e),
            pain,
            e.effort or "",
            "; ".join(notes),
        )
    if view.entries:
        out.print(table)
    else:
        out.print("No sessions logged yet (`kneehab log` records one).")
    if not view.checkins:
        out.print("No morning check-ins yet (`kneehab checkin`).")
        return
    checks = Table(title="Check-ins", title_justify="left", expand=True)
    for col in ("Date", "Morning pain", "Stiffness", "Average pain", "New symptoms"):
        checks.add_column(col)
    for c in view.checkins:
        checks.add_row(
            c.date.isoformat(),
            f"{c.morning_pain}/10",
            f"{c.morning_stiffness}/10" if c.morning_stiffness is not None else "",
            f"{c.avg_pain}/10" if c.avg_pain is not None else "",
            ", ".join(s.replace("_", " ") for s in c.new_symptoms),
        )
    out.print(checks)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("status")(status_command)
    app.command("history")(history_command)
