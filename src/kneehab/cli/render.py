"""Rich views for the terminal. They only display what the domain decided."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from kneehab.domain.escalation import Escalation, EscalationLevel
from kneehab.domain.program import WEEKDAYS, Program, Triage
from kneehab.domain.records import SessionEntry
from kneehab.domain.types import BLOCK_ORDER, Level
from kneehab.library.load import default_library

LEVEL_STYLE: dict[Level, str] = {
    Level.OK: "green",
    Level.SOON: "yellow",
    Level.OUT_OF_SCOPE: "magenta",
    Level.URGENT: "bold red",
    Level.EMERGENCY: "bold white on red",
}

BLOCK_TITLE = {
    "warm_up": "Warm-up stretches",
    "strength": "Strengthening",
    "aerobic": "Low-impact aerobic",
    "cool_down": "Cool-down and yoga",
}


# Decision actions and version kinds in plain words (C-18); the value itself stays in the JSON.
ACTION_WORDS: dict[str, str] = {
    "progress": "step up",
    "hold": "stay the same",
    "regress": "step down",
    "pause": "paused",
    "stop": "stopped",
    "resume": "back in your session",
    "phase": "next phase",
    "unlock": "new exercise added",
    "swap": "swapped",
    "clinician": "changed by your clinician",
    "rules-v2": "updated rules",
}


def why_line(rules: tuple[str, ...] | list[str]) -> str:
    """RULES D-13: rule ids never inside a sentence; shown apart as a last line."""
    return "why: " + " · ".join(rules) if rules else ""


def exercise_name(exercise_id: str) -> str:
    """The exercise's name from the library (the id itself only when the library does not know it)."""
    found = default_library().exercises.get(exercise_id)
    return found.name if found is not None else exercise_id


def count_words(n: int, one: str, many: str | None = None) -> str:
    """`1 change`, `3 changes`, `no changes` — never `change(s)`."""
    if n == 0:
        return f"no {many or one + 's'}"
    return _plural(n, one, many)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _per_set(values: tuple[int, ...], unit: str) -> str:
    """`10 reps` when every set was the same, else `10, 8 reps`."""
    if len(set(values)) == 1:
        return f"{values[0]} {unit}"
    return f"{', '.join(map(str, values))} {unit}"


def done_words(entry: SessionEntry) -> str:
    """What was done, in words: `2 sets × 10 reps`, `3 sets × 30 s hold`, `15 minutes`, `skipped`."""
    if entry.skipped:
        return "skipped"
    parts: list[str] = []
    if entry.sets_done:
        per_set = []
        if entry.reps:
            per_set.append(_per_set(entry.reps, "reps" if max(entry.reps) != 1 else "rep"))
        if entry.hold_s:
            per_set.append(_per_set(entry.hold_s, "s hold"))
        sets = _plural(entry.sets_done, "set")
        parts.append(f"{sets} × {', '.join(per_set)}" if per_set else sets)
    if entry.minutes:
        parts.append(_plural(entry.minutes, "minute"))
    if entry.load_kg:
        parts.append(f"{entry.load_kg:g} kg")
    if entry.step_cm:
        parts.append(f"{entry.step_cm} cm step")
    if entry.side and entry.side != "both":
        parts.append(f"{entry.side} side")
    return ", ".join(parts) if parts else "nothing done"


def render_triage(console: Console, triage: Triage) -> None:
    body = triage.message
    if triage.reasons:
        body += "\n\nWhy: " + " ".join(triage.reasons)
    if triage.rules:
        body += f"\n{why_line(triage.rules)}"
    title = f"Warning-sign check: {triage.level.value.replace('_', ' ')}"
    console.print(Panel(body, title=title, border_style=LEVEL_STYLE[triage.level]))


def render_plan(console: Console, triage: Triage, program: Program | None) -> None:
    render_triage(console, triage)
    if program is None:
        console.print("No self-managed program: follow the advice above.")
        return
    console.print(
        f"[bold]Your program[/bold] — starts {program.start.isoformat()}, {program.phase_note}"
    )
    console.print(
        f"Pain limit during exercise: [bold]{program.pain_ceiling}/10[/bold]. "
        "Stop an exercise that goes above it."
    )
    if program.pain_ceiling_rules:
        console.print(f"  {why_line(program.pain_ceiling_rules)}", markup=False)
    for notice in program.notices:
        console.print(f"• {notice}")
    for block in BLOCK_ORDER:
        items = [i for i in program.items if i.block == block]
        if not items:
            continue
        table = Table(title=BLOCK_TITLE[block.value], title_justify="left", expand=True)
        table.add_column("Exercise", ratio=2)
        table.add_column("Dose", ratio=2)
        table.add_column("Days", ratio=2)
        table.add_column("Why", ratio=5)
        for item in items:
            dose = item.dose_text
            why = item.why
            if item.modification:
                why += f"\n[bold]Change:[/bold] {item.modification}"
            if item.options:
                why += f"\nOptions: {', '.join(item.options)}"
            days = " ".join(d.capitalize() for d in WEEKDAYS if d in item.days)
            table.add_row(item.name, dose, days, why)
        console.print(table)
    if program.left_out:
        console.print("[bold]Left out for now[/bold]")
        for out in program.left_out:
            console.print(f"• {out.name}: {out.why}", markup=False)
            if out.rules:
                console.print(f"  {why_line(out.rules)}", markup=False)
    if program.later_options:
        names = ", ".join(o.name for o in program.later_options)
        console.print(f"[bold]Later, when you can do them safely:[/bold] {names}")
    console.print("[bold]Moves to avoid[/bold]")
    for a in program.avoid:
        console.print(f"• {a.name} — {a.why}")
    console.print("[bold]Equipment[/bold]")
    for e in program.equipment:
        have = "you have it" if e.have else f"use: {e.use}"
        console.print(f"• {e.name} — {have}")
    if program.ice_heat:
        console.print(f"[bold]Ice or heat:[/bold] {program.ice_heat}")
    if program.see_professional:
        console.print(f"[bold]See a professional if:[/bold] {program.see_professional}")
    if program.review_on:
        console.print(f"[bold]Planned review:[/bold] {program.review_on.isoformat()}")
        if program.review_rules:
            console.print(f"  {why_line(program.review_rules)}", markup=False)


def print_escalation(out: Console, esc: Escalation) -> None:
    if esc.level == EscalationLevel.NONE:
        return
    out.print(f"\nSee a professional — {esc.level.value.upper()}", markup=False)
    out.print(esc.message, markup=False)
    if esc.meanwhile:
        out.print(f"Meanwhile: {esc.meanwhile}", markup=False)
    if esc.rules:
        out.print(why_line(esc.rules), markup=False)
