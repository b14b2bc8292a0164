"""`kneehab library ...`: list, show, check, figures.

Every command reads the library through `load_library`, the same loader the app uses; a library that does not
validate is a LibraryError (a UserError), which `main()` prints with every problem and exit code 2.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kneehab.cli.render import why_line
from kneehab.domain.exercise import Column, ConditionNote, Exercise, Library, Phase
from kneehab.errors import InvalidInput, NotFound
from kneehab.library.figures import write_figures
from kneehab.library.load import load_library

app = typer.Typer(help="The exercise library: list, show, check, figures.", no_args_is_help=True)

LibraryPath = Annotated[
    Path | None,
    typer.Option("--library", help="A library folder to read instead of the built-in one."),
]

COLUMN_NAMES: dict[Column, str] = {
    Column.PES_ANSERINE: "Pes anserine bursitis",
    Column.MEDIAL_OA: "Medial knee osteoarthritis",
    Column.PFP: "Patellofemoral (kneecap) pain",
    Column.MCL_GRADE_1: "MCL sprain, grade 1",
    Column.MCL_GRADE_2_3: "MCL sprain, grade 2-3",
    Column.MENISCUS: "Medial meniscus",
}
PHASE_WORDS: dict[Phase, str] = {Phase.ANY: "", Phase.EARLY: " (early)", Phase.LATER: " (later)"}


def _console() -> Console:
    # Wide and unhighlighted: output goes to terminals, pipes and tests alike.
    return Console(highlight=False, soft_wrap=True, width=120)


@app.command("list")
def list_command(library: LibraryPath = None) -> None:
    """List every exercise: id, name, category, block, role."""
    lib = load_library(library)
    table = Table("id", "name", "category", "block", "role", box=None, pad_edge=False)
    for ex_id in sorted(lib.exercises):
        ex = lib.exercises[ex_id]
        table.add_row(ex.id, ex.name, ex.category.value, ex.block.value, ex.role.value)
    out = _console()
    out.print(table)
    out.print(f"{len(lib.exercises)} exercises. Details: kneehab library show ID")


def _dose_words(ex: Exercise) -> str:
    dose = ex.dose
    words = dose.to_dose().describe()
    if dose.per_side:
        words += ", each side"
    return words


def _note_line(note: ConditionNote) -> str:
    text = f"{note.code.value}{PHASE_WORDS[note.phase]}"
    return f"{text}: {note.note}" if note.note else text


def _rung_line(ex: Exercise, i: int) -> str:
    rung = ex.progression[i]
    if rung.change == "variant":
        what = f"switch to {rung.to}"
    else:
        what = f"{rung.change} +{rung.by:g} until {rung.until:g}"
    reset = ", reps back to the start" if rung.reset_reps else ""
    return f"{i + 1}. {rung.note} [{what}{reset}]"


def show_lines(ex: Exercise, lib: Library) -> list[str]:
    """Everything a person needs to do the exercise, as plain lines (also used by tests)."""
    lines = [f"{ex.name}  ({ex.id})", ex.summary, ""]
    lines += [f"Category: {ex.category.value} · block: {ex.block.value} · role: {ex.role.value}"]
    lines += [f"Works: {', '.join(ex.works)}", f"Why it helps: {ex.why}", ""]
    lines += ["Start position:", f"  {ex.start_position}", "Steps:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(ex.steps, start=1)]
    if ex.cues:
        lines += ["Cues:"] + [f"  - {c}" for c in ex.cues]
    if ex.mistakes:
        lines += ["Common mistakes:"] + [f"  - {m}" for m in ex.mistakes]
    lines += ["", f"Dose: {_dose_words(ex)}; rest {ex.dose.rest_s} s between sets"]
    if ex.dose.tempo:
        lines += [f"  Tempo: {ex.dose.tempo}"]
    if ex.dose.article_text:
        lines += [f'  The article says: "{ex.dose.article_text}"']
    if ex.progression:
        lines += ["Progression (one step at a time, at most once a week):"]
        lines += [f"  {_rung_line(ex, i)}" for i in range(len(ex.progression))]
        rung_rules = dict.fromkeys(r for rung in ex.progression for r in rung.rules)
        if rung_rules:
            lines += [f"  {why_line(list(rung_rules))}"]
    if ex.regressions:
        lines += ["If it is too hard:"]
        lines += [f"  - {r.note}" for r in ex.regressions]
    if ex.options:
        lines += ["Options:"]
        for opt in ex.options:
            needs = f" (needs: {opt.needs})" if opt.needs else " (at home, nothing needed)"
            lines += [f"  - {opt.name}{needs}"]
            lines += [f"      {COLUMN_NAMES[n.column]}: {_note_line(n)}" for n in opt.conditions]
    if ex.conditions:
        lines += ["For each condition:"]
        lines += [f"  - {COLUMN_NAMES[n.column]}: {_note_line(n)}" for n in ex.conditions]
    if ex.equipment:
        lines += ["Equipment:"]
        for eq in ex.equipment:
            info = lib.equipment.get(eq.id)
            name = info.name if info else eq.id
            extra = " (optional)" if eq.optional else ""
            sub = f"; instead you can use {info.substitute}" if info and info.substitute else ""
            lines += [f"  - {name}{extra}: {eq.use}{sub}"]
    lines += ["Stop rules:"] + [f"  - {s}" for s in ex.stop_rules]
    lines += ["", f"Source: article, {ex.article.section}"]
    if ex.article.quote:
        lines += [f'  "{ex.article.quote}"']
    if ex.rules:  # rule ids never inside a sentence: apart, on the last line (D-13)
        lines += [why_line(ex.rules)]
    return lines


@app.command("show")
def show_command(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="An exercise id.")],
    library: LibraryPath = None,
) -> None:
    """Show one exercise: steps, cues, dose, progressions, condition notes, equipment, stop rules."""
    lib = load_library(library)
    ex = lib.exercises.get(exercise_id)
    if ex is None:
        close = difflib.get_close_matches(exercise_id, sorted(lib.exercises), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise NotFound(
            f"no exercise with id '{exercise_id}'.{hint} "
            "Run 'kneehab library list' to see the valid ids."
        )
    out = _console()
    for line in show_lines(ex, lib):
        out.print(line, markup=False)


@app.command("check")
def check_command(
    path: Annotated[
        Path | None,
        typer.Argument(help="A library folder (with exercises/). Default: the built-in library."),
    ] = None,
) -> None:
    """Validate a library folder: schema, ids, references, ladders, doses, figures. Exit 2 on problems."""
    lib = load_library(path)
    _console().print(f"ok: {len(lib.exercises)} exercises")


@app.command("figures")
def figures_command(
    outdir: Annotated[Path, typer.Argument(help="Folder to write ID.svg files into.")],
    library: LibraryPath = None,
) -> None:
    """Write one SVG illustration per exercise (ID.svg) into OUTDIR."""
    lib = load_library(library)
    try:
        written = write_figures(lib, outdir)
    except OSError as err:
        raise InvalidInput(f"{outdir}: cannot write figures there ({err.strerror})") from None
    _console().print(f"wrote {len(written)} figures to {outdir}")
