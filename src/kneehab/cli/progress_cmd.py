"""`kneehab progress --history FILE`: replay a course of care from a history file (no database).

Prints every decision (with its rules and reason), today's escalation and the current prescription.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from kneehab.cli.files import read_model
from kneehab.cli.render import ACTION_WORDS, exercise_name, render_triage, why_line
from kneehab.domain.course import Course, HistoryMismatch, replay
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.records import History
from kneehab.errors import InvalidInput
from kneehab.library.load import default_library
from kneehab.services import course_json

ESCALATION_STYLE: dict[EscalationLevel, str] = {
    EscalationLevel.NONE: "green",
    EscalationLevel.MESSAGE: "cyan",
    EscalationLevel.SOON: "yellow",
    EscalationLevel.URGENT: "bold red",
    EscalationLevel.EMERGENCY: "bold white on red",
}


def course_to_json(course: Course, history: History) -> dict[str, Any]:
    """The `progress --json` contract (EXAMPLES: Progress JSON), the same function the API uses."""
    return course_json(course, history.today)


def render_course(console: Console, course: Course) -> None:
    render_triage(console, course.triage)
    if course.decisions:
        table = Table(title="Decisions", show_lines=False)
        for col in ("date", "exercise", "action", "from → to", "reason", "why"):
            table.add_column(col, overflow="fold")
        for d in course.decisions:
            change = d.from_dose.describe()
            if d.to_dose != d.from_dose:
                change += f" → {d.to_dose.describe()}"
            table.add_row(
                d.date.isoformat(),
                exercise_name(d.exercise_id),
                ACTION_WORDS.get(d.action.value, d.action.value),
                change,
                d.reason,
                " · ".join(d.rules),
            )
        console.print(table)
    esc = course.escalation
    body = esc.message
    if esc.reasons:
        body += "\n\nWhy: " + " ".join(esc.reasons)
    body += f"\n\nMeanwhile: {esc.meanwhile}"
    if esc.rules:
        body += f"\n{why_line(esc.rules)}"
    console.print(
        Panel(
            body,
            title=f"See a professional? {esc.level.value}",
            border_style=ESCALATION_STYLE[esc.level],
        )
    )
    if course.program is None:
        return
    table = Table(title=f"Your program today (pain limit {course.program.pain_ceiling}/10)")
    for col in ("exercise", "dose", "days", "status"):
        table.add_column(col, overflow="fold")
    for item in course.program.items:
        table.add_row(item.name, item.dose_text, " ".join(item.days), item.status.value)
    console.print(table)
    changes = [v for v in course.versions if v.kind != "plan"]
    if changes:
        console.print("[bold]Program changes[/bold]")
        for v in changes:
            kind = ACTION_WORDS.get(v.kind, v.kind)
            console.print(f"{v.date.isoformat()} {kind}: {v.reason}", markup=False)
            console.print(f"  {why_line(v.rules)}", markup=False)


def progress_command(
    history_file: Annotated[Path, typer.Option("--history", help="History JSON file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Replay a history file: decisions, escalation and the current prescription."""
    history = read_model(history_file, History, "history")
    try:
        course = replay(history, default_library())
    except HistoryMismatch as exc:
        raise InvalidInput(f"history is not valid: {exc}") from None
    if as_json:
        sys.stdout.write(json.dumps(course_to_json(course, history), indent=2) + "\n")
        return
    render_course(Console(highlight=False, soft_wrap=False), course)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("progress")(progress_command)
