"""EXAMPLES EX-33 — session size and selection (RULES D-10, §4.3, C-4, D-6, D-11), every row.

Each row is one person at plan time (start = day 0). All rows answer `floor_transfer` yes and
`falls_or_unsteady` no. "session" = the non-aerobic items (at most 6), in session order (block, then the
article's order); "swaps" = every other allowed candidate (compared as a set: EX-33 lists them informally);
"left out" = the non-aerobic exercises an A cell keeps out (aerobic items without access are left out too, and
are not part of this table); "cardio" = the options the stationary-cardio item offers.

Short names as in EXAMPLES: inner-thigh, hamstring, side-lunge, butterfly, leg raise, bridge, side-lying,
step-up, knee-to-chest, childs-pose, cat-cow.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kneehab.domain.exercise import Code
from kneehab.domain.intake import Intake
from kneehab.domain.planning import SESSION_CAP, plan
from kneehab.domain.program import Program
from kneehab.domain.screening import screen
from kneehab.domain.types import Category
from kneehab.library.load import default_library

START = date(2025, 3, 3)  # a Monday

SHORT = {
    "inner-thigh": "inner-thigh-stretch",
    "hamstring": "supine-hamstring-stretch",
    "side-lunge": "side-lunge-stretch",
    "butterfly": "seated-butterfly-stretch",
    "leg raise": "seated-straight-leg-raise",
    "bridge": "bridge",
    "side-lying": "side-lying-leg-raise",
    "step-up": "step-up",
    "knee-to-chest": "double-knee-to-chest",
    "childs-pose": "childs-pose",
    "cat-cow": "cat-cow",
}
BIKES = ("upright stationary bike", "recumbent stationary bike")
ELLIPTICAL = "elliptical trainer"
ROWER = "rowing machine"
HOME = "seated leg and arm movements at home"

# intake | session (in order; "(M)" = code modify) | swaps | left out | cardio options | pool? | row id
ROWS: list[tuple[str, dict[str, Any], str, str, str, tuple[str, ...], bool]] = [
    (
        "70-year-old, medial knee OA, no access",
        {"age": 70, "condition": "medial_knee_oa", "access": []},
        "inner-thigh; leg raise, bridge, side-lying, step-up, knee-to-chest",
        "hamstring, side-lunge, butterfly, childs-pose (M), cat-cow (M)",
        "",
        (HOME,),
        False,
    ),
    (
        "58-year-old, pes anserine bursitis, pool",
        {"age": 58, "condition": "pes_anserine_bursitis", "access": ["pool"]},
        "inner-thigh, hamstring; leg raise, bridge, side-lying, knee-to-chest",
        "step-up, side-lunge (M), butterfly, childs-pose (M), cat-cow (M)",
        "",
        (HOME,),
        True,
    ),
    (
        "24-year-old, MCL grade II, early (EX-24)",
        {
            "age": 24,
            "sex": "male",
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 2,
            "pain_now": 4,
            "equipment": ["strap", "mat"],
            "access": ["stationary_bike", "pool", "rower", "elliptical"],
        },
        "hamstring; leg raise, bridge, side-lying, step-up (M), knee-to-chest",
        "childs-pose (M), cat-cow",
        "inner-thigh, side-lunge, butterfly",
        (*BIKES, ELLIPTICAL, HOME),
        True,
    ),
    (
        "30-year-old, MCL grade I, bike",
        {
            "age": 30,
            "condition": "mcl_sprain",
            "mcl_grade": 1,
            "onset": "injury",
            "weeks_since_onset": 1,
            "access": ["stationary_bike"],
        },
        "hamstring; leg raise, bridge, side-lying, step-up, knee-to-chest",
        "inner-thigh (M), side-lunge (M), butterfly (M), childs-pose, cat-cow",
        "",
        (*BIKES, HOME),
        False,
    ),
    (
        "32-year-old, medial meniscus tear, injury 1 week, elliptical and rower",
        {
            "age": 32,
            "condition": "medial_meniscus",
            "onset": "injury",
            "weeks_since_onset": 1,
            "access": ["elliptical", "rower"],
        },
        "inner-thigh; leg raise, bridge, side-lying, step-up (M), knee-to-chest (M)",
        "hamstring, side-lunge (M), cat-cow",
        "butterfly, childs-pose",
        (ELLIPTICAL, HOME),
        False,
    ),
    (
        "25-year-old, patellofemoral pain, bike and elliptical",
        {
            "age": 25,
            "condition": "patellofemoral_pain",
            "access": ["stationary_bike", "elliptical"],
        },
        "inner-thigh; leg raise, bridge, side-lying, step-up, knee-to-chest (M)",
        "hamstring, side-lunge (M), butterfly, childs-pose (M), cat-cow (M)",
        "",
        (*BIKES, ELLIPTICAL, HOME),
        False,
    ),
    (
        "45-year-old, unknown, gradual, elliptical and pool",
        {"age": 45, "condition": "unknown", "access": ["elliptical", "pool"]},
        "hamstring; leg raise, bridge, side-lying, step-up (M), knee-to-chest (M)",
        "inner-thigh (M), side-lunge (M), butterfly (M), childs-pose (M), cat-cow (M)",
        "",
        (ELLIPTICAL, HOME),
        True,
    ),
    (
        "35-year-old, unknown, injury 2 weeks, bike, rower and pool",
        {
            "age": 35,
            "condition": "unknown",
            "onset": "injury",
            "weeks_since_onset": 2,
            "access": ["stationary_bike", "rower", "pool"],
        },
        "hamstring; leg raise, bridge, side-lying, step-up (M), knee-to-chest (M)",
        "cat-cow (M)",
        "inner-thigh, side-lunge, butterfly, childs-pose",
        (*BIKES, HOME),
        True,
    ),
]

DEFAULTS: dict[str, Any] = {
    "sex": "unspecified",
    "knee": "right",
    "onset": "gradual",
    "weeks_since_onset": 30,
    "pain_now": 3,
    "red_flags": [],
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "assessed": "yes",
}


def _program(answers: dict[str, Any]) -> Program:
    data = {**DEFAULTS, **answers}
    data.setdefault("pain_worst_week", data["pain_now"])
    intake = Intake.model_validate(data)
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    return program


def _names(text: str) -> list[tuple[str, bool]]:
    """'inner-thigh; leg raise (M)' → [(id, modified?)] in order."""
    out: list[tuple[str, bool]] = []
    for part in text.replace(";", ",").split(","):
        word = part.strip()
        if not word:
            continue
        modified = word.endswith("(M)")
        out.append((SHORT[word.removesuffix("(M)").strip()], modified))
    return out


@pytest.mark.parametrize(
    ("who", "answers", "session", "swaps", "left_out", "cardio", "pool"),
    ROWS,
    ids=[r[0] for r in ROWS],
)
def test_ex33_session_and_swaps(
    who: str,
    answers: dict[str, Any],
    session: str,
    swaps: str,
    left_out: str,
    cardio: tuple[str, ...],
    pool: bool,
) -> None:
    program = _program(answers)
    got = [i for i in program.items if i.category != Category.AEROBIC]
    expected = _names(session)
    assert [i.exercise_id for i in got] == [e for e, _ in expected], who
    assert len(got) <= SESSION_CAP == program.session_cap
    for item, (_, modified) in zip(got, expected, strict=True):
        assert (item.code == Code.MODIFY) == modified, f"{item.exercise_id}: {item.code}"
    want_swaps = _names(swaps)
    assert {s.exercise_id for s in program.swaps} == {e for e, _ in want_swaps}, who
    for swap in program.swaps:
        modified = dict(want_swaps)[swap.exercise_id]
        assert (swap.item.code == Code.MODIFY) == modified, swap.exercise_id
    non_aerobic_out = {o.exercise_id for o in program.left_out} - {
        "stationary-cardio",
        "pool-exercise",
        "walking",
    }
    assert non_aerobic_out == {e for e, _ in _names(left_out)}, who
    card = program.item("stationary-cardio")
    assert card is not None and card.options == cardio
    assert (program.item("pool-exercise") is not None) == pool
    assert program.item("walking") is not None, "walking always"


def test_swaps_replace_like_for_like_and_enter_at_their_start_dose() -> None:
    """D-10: strength block for strength block, stretch/yoga for stretch/yoga; the swap keeps its start dose."""
    program = _program({"age": 58, "condition": "pes_anserine_bursitis", "access": ["pool"]})
    swaps = {s.exercise_id: s for s in program.swaps}
    assert swaps["step-up"].can_replace == (
        "seated-straight-leg-raise",
        "bridge",
        "side-lying-leg-raise",
        "double-knee-to-chest",
    )
    assert swaps["childs-pose"].can_replace == ("inner-thigh-stretch", "supine-hamstring-stretch")
    assert swaps["step-up"].item.dose.step_cm == 10 and swaps["step-up"].item.dose.sets == 2
    assert "D-10" in swaps["step-up"].item.rules
    assert swaps["childs-pose"].item.days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_an_a_cell_is_never_a_swap() -> None:
    program = _program(ROWS[2][1])  # MCL grade II, early
    swap_ids = {s.exercise_id for s in program.swaps}
    assert not swap_ids & {o.exercise_id for o in program.left_out}


def test_giving_way_at_intake_leaves_standing_work_out_never_as_swaps() -> None:
    """P13 at plan time (D-2 with RF08): standing knee-loading exercises are left out with that reason."""
    program = _program({"age": 40, "condition": "medial_knee_oa", "red_flags": ["RF08"]})
    out = {o.exercise_id: o for o in program.left_out}
    assert {"step-up", "side-lunge-stretch"} <= set(out)
    assert set(out["step-up"].rules) >= {"RF08", "P13"}
    assert not {"step-up", "side-lunge-stretch"} & {s.exercise_id for s in program.swaps}
    walking = program.item("walking")
    assert walking is not None and "gives way while walking" in walking.modification


def test_later_options_at_plan_time() -> None:
    """D-12 at plan time: every later option is `not_yet`, with the parent it would replace in a full
    session; the lunge is absent in the fall-risk profile."""
    program = _program({"age": 70, "condition": "medial_knee_oa"})
    later = {o.exercise_id: o for o in program.later_options}
    assert set(later) == {
        "single-leg-balance",
        "squat",
        "lunge",
        "side-lying-inner-thigh-raise",
        "plank",
        "bicycle-crunch",
    }
    assert {o.state for o in later.values()} == {"not_yet"}
    assert all(o.offered_from is None for o in later.values())
    assert later["plank"].in_place_of == "double-knee-to-chest"
    assert later["squat"].in_place_of == "step-up"
    assert later["side-lying-inner-thigh-raise"].in_place_of == "side-lying-leg-raise"
    risky = _program({"age": 70, "condition": "medial_knee_oa", "falls_or_unsteady": "yes"})
    assert "lunge" not in {o.exercise_id for o in risky.later_options}


# EX-24, version 1 (plan, 3/3): the MCL grade II program in its early phase, item by item.
# exercise | code | words the person reads with it (modification or why)
EX24_V1: list[tuple[str, str, tuple[str, ...]]] = [
    ("supine-hamstring-stretch", "ok", ()),
    ("seated-straight-leg-raise", "emphasise", ("brace",)),
    ("bridge", "emphasise", ("between the knees only",)),
    ("side-lying-leg-raise", "emphasise", ("injured leg on top",)),
    ("step-up", "modify", ("stand fully on the leg without pain",)),
    ("double-knee-to-chest", "ok", ()),
    ("stationary-cardio", "modify", ("elliptical trainer: Start only from about week 2 to 3",)),
    ("pool-exercise", "modify", ("No breaststroke kick", "flutter kick")),
    ("walking", "ok", ("brace or crutches",)),
]


@pytest.mark.parametrize(("exercise", "code", "words"), EX24_V1, ids=[r[0] for r in EX24_V1])
def test_ex24_version_1_plan(exercise: str, code: str, words: tuple[str, ...]) -> None:
    program = _program(ROWS[2][1])
    assert program.phase == "early" and program.acute is True
    assert [i.exercise_id for i in program.items] == [r[0] for r in EX24_V1]
    item = program.item(exercise)
    assert item is not None and item.code.value == code
    for word in words:
        assert word in f"{item.modification} {item.why}", (exercise, word)
    assert {s.exercise_id for s in program.swaps} == {"childs-pose", "cat-cow"}
    cardio = program.item("stationary-cardio")
    assert cardio is not None and "rowing machine" not in cardio.options
