"""RULES §4.3, the exercise × condition matrix, transcribed here independently of the library files.

Each row is one exercise; each column is what the matrix says for that condition and phase. The test builds a real
program for a person in that column and checks the exercise is left out (A), included with a change (M) or
included (E / OK). A physical therapist can read the table against RULES §4.3 line by line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kneehab.domain.exercise import Code
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import Program, ProgramItem
from kneehab.domain.screening import screen
from kneehab.library.load import default_library

START = date(2026, 3, 2)  # a Monday

# Column → an intake that puts a person in it (and in its phase).
COLUMNS: dict[str, dict[str, Any]] = {
    "pes anserine": {
        "condition": "pes_anserine_bursitis",
        "onset": "gradual",
        "weeks_since_onset": 8,
    },
    "medial OA": {"condition": "medial_knee_oa", "onset": "gradual", "weeks_since_onset": 30},
    "PFP": {"condition": "patellofemoral_pain", "onset": "gradual", "weeks_since_onset": 8},
    "MCL I": {"condition": "mcl_sprain", "mcl_grade": 1, "onset": "injury", "weeks_since_onset": 1},
    "MCL II early": {
        "condition": "mcl_sprain",
        "mcl_grade": 2,
        "onset": "injury",
        "weeks_since_onset": 1,
    },
    "MCL II later": {
        "condition": "mcl_sprain",
        "mcl_grade": 2,
        "onset": "injury",
        "weeks_since_onset": 5,
    },
    "meniscus early": {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 2},
    "meniscus later": {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 8},
    "meniscus degenerative": {
        "condition": "medial_meniscus",
        "onset": "gradual",
        "weeks_since_onset": 20,
    },
}

# exercise → expected code per column, as RULES §4.3 says it (A = left out; M = included with a change;
# E/OK = included). "M/A" cells without an early phase in C-4 are read as M.
MATRIX: dict[str, dict[str, str]] = {
    "inner-thigh-stretch": {
        "pes anserine": "E",
        "medial OA": "OK",
        "PFP": "OK",
        "MCL I": "M",
        "MCL II early": "A",
        "MCL II later": "M",
        "meniscus early": "OK",
        "meniscus later": "OK",
        "meniscus degenerative": "OK",
    },
    "side-lunge-stretch": {
        "pes anserine": "M",
        "medial OA": "OK",
        "PFP": "M",
        "MCL I": "M",
        "MCL II early": "A",
        "MCL II later": "M",
        "meniscus early": "M",
        "meniscus later": "M",
        "meniscus degenerative": "M",
    },
    "seated-butterfly-stretch": {
        "pes anserine": "OK",
        "medial OA": "OK",
        "PFP": "OK",
        "MCL I": "M",
        "MCL II early": "A",
        "MCL II later": "M",
        "meniscus early": "A",
        "meniscus later": "M",
        "meniscus degenerative": "M",
    },
    "seated-straight-leg-raise": {c: "E" for c in COLUMNS},
    "bridge": {
        "pes anserine": "OK",
        "medial OA": "E",
        "PFP": "E",
        "MCL I": "E",
        "MCL II early": "E",
        "MCL II later": "E",
        "meniscus early": "E",
        "meniscus later": "E",
        "meniscus degenerative": "E",
    },
    "side-lying-leg-raise": {c: "E" for c in COLUMNS} | {"pes anserine": "E|M"},
    "step-up": {
        "pes anserine": "OK",
        "medial OA": "E",
        "PFP": "E|M",
        "MCL I": "OK",
        "MCL II early": "M",
        "MCL II later": "M",
        "meniscus early": "M",
        "meniscus later": "M",
        "meniscus degenerative": "M",
    },
    "double-knee-to-chest": {
        "pes anserine": "OK",
        "medial OA": "OK",
        "PFP": "M",
        "MCL I": "OK",
        "MCL II early": "OK",
        "MCL II later": "OK",
        "meniscus early": "M",
        "meniscus later": "M",
        "meniscus degenerative": "M",
    },
    "walking": {
        "pes anserine": "OK",
        "medial OA": "E",
        "PFP": "OK",
        "MCL I": "OK",
        "MCL II early": "OK|M",
        "MCL II later": "OK|M",
        "meniscus early": "OK",
        "meniscus later": "OK",
        "meniscus degenerative": "OK",
    },
    "childs-pose": {
        "pes anserine": "M",
        "medial OA": "M",
        "PFP": "M",
        "MCL I": "OK",
        "MCL II early": "M",
        "MCL II later": "M",
        "meniscus early": "A",
        "meniscus later": "M",
        "meniscus degenerative": "M",
    },
    "cat-cow": {
        "pes anserine": "M",
        "medial OA": "M",
        "PFP": "M",
        "MCL I": "OK",
        "MCL II early": "OK",
        "MCL II later": "OK",
        "meniscus early": "OK",
        "meniscus later": "OK",
        "meniscus degenerative": "OK",
    },
    "supine-hamstring-stretch": {c: "OK|E|M" for c in COLUMNS} | {"pes anserine": "E"},
}

BASE: dict[str, Any] = {"age": 45, "knee": "left", "pain_now": 3, "pain_worst_week": 5}


def _program(column: str, **extra: Any) -> Program:
    intake = Intake.model_validate({**BASE, **COLUMNS[column], **extra})
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    return program


CASES = [(ex, col, code) for ex, row in MATRIX.items() for col, code in row.items()]


def _candidate(program: Program, exercise: str) -> ProgramItem | None:
    """RULES D-10 (v2): an allowed exercise is either in the session or offered as a swap."""
    item = program.item(exercise)
    if item is not None:
        return item
    return next((s.item for s in program.swaps if s.exercise_id == exercise), None)


@pytest.mark.parametrize(
    ("exercise", "column", "expected"), CASES, ids=[f"{e}|{c}" for e, c, _ in CASES]
)
def test_matrix_cell(exercise: str, column: str, expected: str) -> None:
    program = _program(column)
    item = _candidate(program, exercise)
    allowed = set(expected.split("|"))
    if allowed == {"A"}:
        assert item is None, f"{exercise} must be left out for {column}"
        out = {o.exercise_id: o for o in program.left_out}
        assert exercise in out and out[exercise].why, "a left-out exercise says why"
        return
    assert item is not None, f"{exercise} must be in the program for {column}"
    got = {Code.EMPHASISE: "E", Code.OK: "OK", Code.MODIFY: "M"}[item.code]
    if "M" in allowed and got == "M":
        # v2 (D-13): the change is said in the note, or written into the steps the person reads.
        base = default_library().get(exercise)
        rewritten = item.start_position != base.start_position or item.steps != base.steps
        assert item.modification or rewritten, "a modified exercise must say what to change"
    assert got in allowed, f"{exercise} for {column}: expected {expected}, got {got}"


def test_every_program_exercise_is_in_the_matrix_table() -> None:
    from kneehab.domain.exercise import Role

    lib = default_library()
    program_ids = {e.id for e in lib.exercises.values() if e.role == Role.PROGRAM}
    aerobic_machines = {"stationary-cardio", "pool-exercise"}
    assert program_ids - aerobic_machines == set(MATRIX)


def test_unknown_cause_after_injury_takes_both_early_columns() -> None:
    """RULES D-6 + C-4: unknown with onset = injury in weeks 0–4 leaves out every early 'A'."""
    intake = Intake.model_validate(
        {**BASE, "condition": "unknown", "onset": "injury", "weeks_since_onset": 2}
    )
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    ids = {i.exercise_id for i in program.items} | {s.exercise_id for s in program.swaps}
    for left_out in (
        "inner-thigh-stretch",
        "side-lunge-stretch",
        "seated-butterfly-stretch",
        "childs-pose",
    ):
        assert left_out not in ids
    assert {"seated-straight-leg-raise", "bridge", "walking"} <= ids


def test_rower_is_not_offered_early_after_a_meniscus_injury() -> None:
    early = _program("meniscus early", access=["rower", "stationary_bike"])
    cardio = early.item("stationary-cardio")
    assert cardio is not None
    assert not any("row" in o.lower() for o in cardio.options)
    assert any("bike" in o.lower() for o in cardio.options)
    later = _program("meniscus later", access=["rower"])
    cardio_later = later.item("stationary-cardio")
    assert cardio_later is not None and any("row" in o.lower() for o in cardio_later.options)


def test_pool_only_with_access_and_walking_always() -> None:
    without = _program("medial OA")
    assert without.item("pool-exercise") is None
    assert without.item("walking") is not None
    with_pool = _program("medial OA", access=["pool"])
    assert with_pool.item("pool-exercise") is not None


def test_condition_avoid_row_is_added() -> None:
    """The matrix's last row adds condition-specific moves to the article's avoid list."""
    ids = {a.id for a in _program("meniscus later").avoid}
    assert "deep-loaded-flexion" in ids
    assert {
        "high-impact",
        "pivoting-sports",
        "deep-squats-lunges",
        "knee-collapsing-inward",
        "repetitive-overuse",
        "painful-exercise",
    } <= ids
    assert "valgus-loading" in {a.id for a in _program("MCL II early").avoid}


# Matrix cells that are E or OK with a note (e.g. "E (OKC 90→45°)", "E, ball between knees only"):
# the note reaches the person with the item, and the item keeps its E / OK code.
CELL_NOTES = [
    ("seated-straight-leg-raise", "PFP", "right angle"),
    ("bridge", "MCL II early", "between the knees only"),
    ("step-up", "PFP", "low step"),
    ("side-lying-leg-raise", "pes anserine", "pillow between your knees"),
    ("supine-hamstring-stretch", "meniscus later", "Do not force the knee fully straight"),
]


@pytest.mark.parametrize(("exercise", "column", "words"), CELL_NOTES)
def test_emphasise_and_ok_cells_carry_their_note(exercise: str, column: str, words: str) -> None:
    item = _candidate(_program(column), exercise)
    assert item is not None
    assert item.code in (Code.EMPHASISE, Code.OK)
    assert words in item.why, item.why


def test_bottom_leg_raise_is_offered_later_unless_the_matrix_avoids_it() -> None:
    """Article: "If tolerated, you can also switch to working the bottom leg." """
    later = {o.exercise_id for o in _program("medial OA").later_options}
    assert "side-lying-inner-thigh-raise" in later
    early_mcl = {o.exercise_id for o in _program("MCL II early").later_options}
    assert "side-lying-inner-thigh-raise" not in early_mcl
