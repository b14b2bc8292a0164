"""`kneehab intake` (questionnaire) and `kneehab plan` (screen + build the program)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from kneehab.cli.files import read_model, validate
from kneehab.cli.questionnaire import Asker, EmergencyStop, run_questionnaire
from kneehab.cli.render import render_plan
from kneehab.domain.intake import SubmittedIntake
from kneehab.domain.planning import plan
from kneehab.domain.program import Program
from kneehab.domain.screening import MESSAGES, screen
from kneehab.domain.types import Level
from kneehab.errors import InvalidInput
from kneehab.exports.plan_json import plan_to_json
from kneehab.library.load import default_library


def parse_day(value: str | None, what: str = "--start") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what}: '{value}' is not a date; use YYYY-MM-DD") from None


def intake_command(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the intake JSON here.")
    ] = None,
) -> None:
    """Answer the intake questions (warning signs first). Answers may be piped on stdin."""
    err = sys.stderr
    asker = Asker(lines=iter(sys.stdin), out=err, interactive=sys.stdin.isatty())
    try:
        answers = run_questionnaire(asker)
    except EmergencyStop as stop:
        console = Console(stderr=True, highlight=False)
        console.print(f"\n[bold red]STOP — {stop.reason}[/bold red]", markup=True)
        console.print(MESSAGES[Level.EMERGENCY], markup=False)
        console.print("Nothing was saved.", markup=False)
        console.print(f"why: {stop.rule}", markup=False)  # rule ids apart from the sentences (D-13)
        raise typer.Exit(3) from None
    intake = validate(SubmittedIntake, answers, "intake")
    text = json.dumps(intake.model_dump(mode="json"), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"--output: cannot write '{output}': {exc.strerror}") from None
        err.write(f"Saved your answers to {output}. Next: kneehab plan --intake {output}\n")


def plan_command(
    intake_file: Annotated[Path, typer.Option("--intake", help="Intake JSON file.")],
    start: Annotated[
        str | None, typer.Option("--start", help="Program start date, YYYY-MM-DD (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the program as JSON.")] = False,
) -> None:
    """Screen an intake for warning signs and build the personal program."""
    # `condition` and `red_flags` are required answers (RULES C-14): a file without them is exit 2.
    intake = read_model(intake_file, SubmittedIntake, "intake")
    start_day = parse_day(start) or date.today()
    triage = screen(intake)
    program = plan(intake, triage, default_library(), start=start_day)
    if as_json:
        sys.stdout.write(json.dumps(plan_to_json(triage, program), indent=2) + "\n")
        return
    console = Console(highlight=False, soft_wrap=False)
    render_plan(console, triage, program)
    if program is not None:
        render_plan_v2(console, program)


def render_plan_v2(console: Console, program: Program) -> None:
    """The v2 parts of the readable plan (D-10 swaps, D-11 profile, D-14 guidance); ids kept apart (D-13)."""
    if program.profile.no_floor or program.profile.fall_risk:
        parts = []
        if program.profile.no_floor:
            parts.append("lying exercises on a firm bed, chair versions instead of kneeling")
        if program.profile.fall_risk:
            parts.append("standing exercises next to a counter or rail")
        console.print(f"[bold]Done your way:[/bold] {'; '.join(parts)}.", markup=True)
    if program.swaps:
        console.print(
            f"[bold]Swaps[/bold] (your sessions hold {program.session_cap} exercises at most; "
            "choose one of these instead of an exercise of the same kind):"
        )
        names = {i.exercise_id: i.name for i in program.items}
        for swap in program.swaps:
            instead = ", ".join(names.get(i, i) for i in swap.can_replace)
            console.print(f"• {swap.item.name} — {swap.item.dose_text}; instead of: {instead}")
    for title, text in (
        ("Stretch again after your session", program.stretch_again),
        ("Yoga", program.yoga),
        ("Start small", program.start_small),
        ("The moves to avoid", program.avoid_note),
        ("If exercise is hard to tolerate", program.trouble_tolerating or ""),
    ):
        if text:
            console.print(f"[bold]{title}:[/bold] {text}")
    if program.notice_rules:
        console.print(f"why: {' · '.join(program.notice_rules)}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("intake")(intake_command)
    app.command("plan")(plan_command)
