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
    render_plan(Console(highlight=False, soft_wrap=False), triage, program)


def register(app: typer.Typer) -> None:
    app.command("intake")(intake_command)
    app.command("plan")(plan_command)
