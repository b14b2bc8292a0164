"""EXAMPLES EX-34 (an older adult who cannot get down to the floor and is unsteady: RULES D-11, D-4, D-5,
D-10, D-12, D-14, §4.3) and EX-26 (a step substitute at the prescribed height: D-5, C-15, D-11), at plan time.

Each table row is one expected output; a physical therapist can read it against the examples.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import EquipmentNeed, Program, ProgramItem
from kneehab.domain.screening import screen
from kneehab.library.load import default_library

START = date(2025, 3, 3)

EX34: dict[str, Any] = {
    "age": 85,
    "sex": "female",
    "knee": "both",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 520,
    "pain_now": 7,
    "pain_worst_week": 7,
    "red_flags": [],
    "equipment": ["chair"],
    "access": [],
    "floor_transfer": "no",
    "falls_or_unsteady": "yes",
    "assessed": "yes",
    "stair_height_cm": 17,
}


@pytest.fixture(scope="module")
def older() -> Program:
    intake = Intake.model_validate(EX34)
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    return program


# session item | name the person reads | dose | words its text must contain
SESSION: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("inner-thigh-stretch", "Inner thigh stretch on a bed (with a strap)", "2 × 30 s hold each side", ("firm bed",)),
    ("seated-straight-leg-raise", "Seated straight leg raise", "1 set of 10 each side, hold 1 s", ("chair",)),
    ("bridge", "Bridge on a bed", "1 set of 10, hold 2 s", ("firm bed",)),
    ("side-lying-leg-raise", "Side-lying leg raise on a bed", "1 set of 10 each side", ("firm bed",)),
    ("step-up", "Step-up beside a rail", "1 set of 10 each side, 10 cm step", ("rail or counter", "no foam pad")),
    ("double-knee-to-chest", "Double knee to chest on a bed (core)", "1 set of 10", ("firm bed",)),
]  # fmt: skip

SWAPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("supine-hamstring-stretch", "Hamstring stretch lying on a bed (with a strap)", ("firm bed",)),
    ("side-lunge-stretch", "Side lunge stretch (holding a counter)", ("both hands",)),
    ("seated-butterfly-stretch", "Reclined butterfly", ("pillow under each knee",)),
    ("childs-pose", "Chair forward fold", ("chair", "forearms on your thighs")),
    ("cat-cow", "Seated cat-cow", ("chair", "hands resting on your knees")),
]

LATER: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("single-leg-balance", "Supported single-leg balance", ("both hands", "chair")),
    ("squat", "Shallow squat to a chair (holding a counter)", ()),
    ("lunge", None, ()),  # absent in the fall-risk profile
    ("side-lying-inner-thigh-raise", "Side-lying inner thigh raise on a bed (bottom leg)", ()),
    ("bicycle-crunch", "Bicycle crunch on a bed", ()),
    ("plank", "Counter plank", ()),
]


def _text(item: ProgramItem) -> str:
    return " ".join((item.start_position, *item.steps, item.modification)).lower()


def test_ex34_profile_and_ceiling(older: Program) -> None:
    assert older.profile.no_floor is True and older.profile.fall_risk is True
    assert older.pain_ceiling == 7 and older.pain_ceiling_flag is True
    assert older.baseline_pain == 7


@pytest.mark.parametrize(
    ("exercise", "name", "dose", "words"), SESSION, ids=[s[0] for s in SESSION]
)
def test_ex34_session_items(
    older: Program, exercise: str, name: str, dose: str, words: tuple[str, ...]
) -> None:
    session = [i for i in older.items if i.block.value != "aerobic"]
    assert [i.exercise_id for i in session] == [s[0] for s in SESSION]
    item = older.item(exercise)
    assert item is not None
    assert item.name == name and item.dose_text == dose
    for word in words:
        assert word in _text(item), (exercise, word)


@pytest.mark.parametrize(("exercise", "name", "words"), SWAPS, ids=[s[0] for s in SWAPS])
def test_ex34_swaps(older: Program, exercise: str, name: str, words: tuple[str, ...]) -> None:
    swaps = {s.exercise_id: s.item for s in older.swaps}
    assert set(swaps) == {s[0] for s in SWAPS}
    assert swaps[exercise].name == name
    for word in words:
        assert word in _text(swaps[exercise]), (exercise, word)


def test_ex34_aerobic(older: Program) -> None:
    cardio, walking = older.item("stationary-cardio"), older.item("walking")
    assert cardio is not None and cardio.options == ("seated leg and arm movements at home",)
    assert walking is not None and "even ground" in _text(walking)
    assert "walking aid" in _text(walking)
    assert older.item("pool-exercise") is None


@pytest.mark.parametrize(("exercise", "name", "words"), LATER, ids=[s[0] for s in LATER])
def test_ex34_later_options(
    older: Program, exercise: str, name: str | None, words: tuple[str, ...]
) -> None:
    later = {o.exercise_id: o for o in older.later_options}
    if name is None:
        assert exercise not in later
        return
    assert later[exercise].name == name and later[exercise].state == "not_yet"
    version = default_library().get(exercise).version_for(no_floor=True, fall_risk=True)
    assert version is not None
    text = " ".join((version.start_position or "", *(version.steps or ()), version.note)).lower()
    for word in words:
        assert word in text


def test_ex34_avoid_equipment_yoga(older: Program) -> None:
    assert "uneven-ground-stairs-without-rail" in {a.id for a in older.avoid}
    names = {a.id: a.name for a in older.avoid}
    assert (
        names["uneven-ground-stairs-without-rail"]
        == "Uneven ground and stairs without a rail at first"
    )
    eq = {e.id: e for e in older.equipment}
    assert eq["strap"].have is False and "towel" in eq["strap"].use and "belt" in eq["strap"].use
    assert eq["step"].have is False and eq["step"].height_cm == 10 and "rail" in eq["step"].use
    assert eq["mat"].surface == "bed"
    assert "foam_pad" not in eq, "no foam pad in the fall-risk profile"
    assert "a chair yoga class" in older.yoga.lower()


# Kneeling, getting down, or lying or sitting on the floor or a mat (standing or sitting with the feet on the
# floor is not getting down to it).
KNEEL = re.compile(
    r"kneel|hands and knees|get down|\b(lie|lying)\b[^.]*\b(on the floor|on a mat|on the mat)"
    r"|\bsit(ting)? on the floor|face down",
    re.I,
)


def test_ex34_no_text_asks_to_kneel_or_get_onto_the_floor(older: Program) -> None:
    items = [*older.items, *(s.item for s in older.swaps)]
    bad = [
        (i.exercise_id, t) for i in items for t in (i.start_position, *i.steps) if KNEEL.search(t)
    ]
    assert bad == []
    base = default_library().get("cat-cow")
    assert KNEEL.search(base.start_position), "the check would catch the kneeling version"


# --------------------------------------------------------------------------------------------- EX-26

EX26: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "70-year-old with OA, no step, stair 18 cm, not unsteady",
        {"age": 70, "equipment": [], "stair_height_cm": 18, "falls_or_unsteady": "no"},
        {
            "have": False,
            "height_cm": 10,
            "surface": None,
            "use": "a firm, stable step or step-stool 10 cm high (8–12 cm). Your bottom stair (18 cm) is "
            "too high for now; it fits when your step height reaches 20 cm. Until you have one, use a foam "
            "pad or a firmly folded blanket, holding a counter.",
        },
    ),
    (
        "85-year-old with OA (fall risk), no step, stair 17 cm",
        {"age": 85, "equipment": [], "stair_height_cm": 17, "falls_or_unsteady": "yes"},
        {
            "have": False,
            "height_cm": 10,
            "surface": None,
            "use": "a firm step 10 cm high (8–12 cm) beside a rail or counter you can hold; your bottom "
            "stair (17 cm) fits when your step height reaches 15 cm. No foam pad or blanket. Until then "
            "skip step-ups (this does not count against you).",
        },
    ),
    (
        "25-year-old with patellofemoral pain who owns a step",
        {
            "age": 25,
            "condition": "patellofemoral_pain",
            "equipment": ["step"],
            "falls_or_unsteady": "no",
        },
        {
            "have": True,
            "height_cm": 10,
            "surface": None,
            "use": "your step, set to 10 cm (8–12 cm)",
        },
    ),
]


def _step(answers: dict[str, Any]) -> EquipmentNeed:
    data = {
        "knee": "right",
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 30,
        "pain_now": 3,
        "pain_worst_week": 3,
        "red_flags": [],
        "floor_transfer": "yes",
        "assessed": "yes",
        **answers,
    }
    intake = Intake.model_validate(data)
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    return next(e for e in program.equipment if e.id == "step")


@pytest.mark.parametrize(("who", "answers", "expected"), EX26, ids=[r[0] for r in EX26])
def test_ex26_step_entry(who: str, answers: dict[str, Any], expected: dict[str, Any]) -> None:
    step = _step(answers)
    got = {"have": step.have, "height_cm": step.height_cm, "surface": step.surface, "use": step.use}
    assert got == expected


def test_d5_the_step_up_says_what_it_needs_when_nothing_matches() -> None:
    """D-5: "needs a firm step N cm high (N−2 to N+2 cm)" with the step-up, unless the person's step or
    bottom stair matches the prescribed height."""

    def step_up(answers: dict[str, Any]) -> str:
        data = {
            "age": 40, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
            "weeks_since_onset": 30, "pain_now": 3, "pain_worst_week": 3, "red_flags": [],
            "floor_transfer": "yes", "falls_or_unsteady": "no", **answers,
        }  # fmt: skip
        intake = Intake.model_validate(data)
        program = plan(intake, screen(intake), default_library(), start=START)
        assert program is not None
        item = program.item("step-up")
        assert item is not None
        return item.modification

    needs = "Needs a firm step 10 cm high (8 to 12 cm)"
    assert needs in step_up({"equipment": []})
    assert needs in step_up({"equipment": [], "stair_height_cm": 18})
    assert needs not in step_up({"equipment": [], "stair_height_cm": 11})
    assert needs not in step_up({"equipment": ["step"]})
