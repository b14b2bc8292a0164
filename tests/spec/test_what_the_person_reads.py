"""EXAMPLES EX-36 — what the person reads (RULES D-13, D-6, C-17), parts a, b and c, and the text scan.

Part a: a modification that contradicts a step or the start position replaces it; the note is not repeated.
Part b: `unknown` shows one instruction per exercise — its `unknown` note — never every column's note.
Part c: rule ids travel in `rules`, never inside a sentence.
The scan: every text the library and `plan()` can produce (every condition × phase × D-11 profile, a `soon`
triage, giving way at intake) must not match EXAMPLES' pattern.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from kneehab.domain.intake import Intake
from kneehab.domain.planning import (
    ice_heat_text,
    plan,
    step_use_text,
    trouble_tolerating_text,
    yoga_text,
)
from kneehab.domain.program import Program, ProgramItem
from kneehab.domain.screening import screen
from kneehab.domain.types import RULE_ID_PATTERN
from kneehab.exports.plan_json import plan_to_json
from kneehab.library.load import RULE_ID_IN_TEXT, default_library, person_texts

START = date(2025, 3, 3)
BASE: dict[str, Any] = {
    "age": 40,
    "knee": "right",
    "pain_now": 3,
    "pain_worst_week": 3,
    "red_flags": [],
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "assessed": "yes",
}
EX36_PATTERN = r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§"


def _program(**answers: Any) -> Program:
    intake = Intake.model_validate({**BASE, **answers})
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    return program


def _any(program: Program, exercise_id: str) -> ProgramItem:
    """The item in the session or, if it is a swap, the swap's item (D-10)."""
    item = program.item(exercise_id)
    if item is None:
        item = next(s.item for s in program.swaps if s.exercise_id == exercise_id)
    return item


def _shown(item: ProgramItem) -> str:
    return " ".join((item.start_position, *item.steps, item.modification))


# ------------------------------------------------------------------------------------------------ part a

MCL_1 = {"condition": "mcl_sprain", "mcl_grade": 1, "onset": "injury", "weeks_since_onset": 1}
MCL_2_LATER = {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 5}
MENISCUS_LATER = {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 8}


def test_ex36a_mcl_grade_1_inner_thigh_strap_above_the_knee() -> None:
    item = _any(_program(**MCL_1), "inner-thigh-stretch")
    assert item.start_position == (
        "Lie on your back with both knees bent and feet flat. Loop a strap (or towel or belt) around "
        "your right thigh just above the knee and hold one end in each hand."
    )
    base = default_library().get("inner-thigh-stretch").steps
    assert base[2].startswith("Move your hands so your right hand is higher up the strap")
    assert base[2] not in item.steps, "step 3 removed"
    assert item.steps == base[:2] + base[3:]
    shown = _shown(item)
    assert "just above the knee" in shown
    assert "bottom of your right foot" not in shown and "toward your foot" not in shown
    assert "strap" not in item.modification, "the strap note is not repeated beside the steps"
    assert "D-13" in item.rules


@pytest.mark.parametrize(
    "who", [MCL_2_LATER, MENISCUS_LATER], ids=["MCL grade II later", "meniscus later"]
)
def test_ex36a_butterfly_later_has_no_press_step(who: dict[str, Any]) -> None:
    item = _any(_program(**who), "seated-butterfly-stretch")
    assert not any("press your thighs down" in s.lower() for s in item.steps)
    assert "keep your feet well away from your body" in _shown(item).lower()


# ------------------------------------------------------------------------------------------------ part b

UNKNOWN_NOTES = {
    "supine-hamstring-stretch": "Don't force the knee fully straight at the end of the stretch if you "
    "feel pain behind the knee.",
    "inner-thigh-stretch": "Loop the strap just above the knee, not around the foot, and stop at a "
    "gentle pull on the inner thigh.",
    "side-lunge-stretch": "Keep the bent knee only slightly bent (well short of a right angle); stop at "
    "the first pull on the inside of the knee.",
    "seated-butterfly-stretch": "Keep your feet well away from your body and don't press your thighs "
    "down.",
    "seated-straight-leg-raise": "If straightening the last part hurts the kneecap, lift only from a "
    "right angle to about halfway straight; wear your brace if one was prescribed.",
    "bridge": "If you use a ball, put it between the knees, never between the ankles.",
    "side-lying-leg-raise": "Put a pillow between your knees; work the sore leg on top.",
    "step-up": "Use a low step (10–15 cm), start only when you can stand fully on the leg without "
    "pain, keep the knee over your second toe and don't twist.",
    "double-knee-to-chest": "If bending fully hurts, keep the knees less bent; if you help with your "
    "hands, hold behind the thighs.",
    "childs-pose": "Only a partial pose: a thick pillow under your hips and between thighs and calves, "
    "knees padded; leave it out if kneeling hurts.",
    "cat-cow": "Pad your knees well.",
    "stationary-cardio": "Bike: raise the saddle a little so the knee bends less at the top, keeping "
    "it slightly bent at the bottom. Rower: a short slide, knees bending less than a right angle.",
    "pool-exercise": "Flutter kick only — no breaststroke kick — and no twisting push-offs.",
    "walking": "Flat routes at first; use a brace or crutches if a clinician advised them.",
}


@pytest.mark.parametrize(("exercise", "note"), sorted(UNKNOWN_NOTES.items()))
def test_ex36b_unknown_shows_one_instruction(exercise: str, note: str) -> None:
    """`unknown`, gradual onset (the later phase): the one instruction is the exercise's unknown note."""
    program = _program(condition="unknown", onset="gradual", weeks_since_onset=30, access=["pool"])
    item = _any(program, exercise)
    # The one instruction; the step-up may add D-5's equipment sentence (no step of the prescribed height).
    rest = item.modification.removeprefix(note).strip()
    assert rest in ("", "Needs a firm step 10 cm high (8 to 12 cm); see your equipment list."), rest
    assert default_library().get(exercise).unknown is not None


def test_unknown_in_the_no_floor_profile_keeps_its_one_instruction() -> None:
    """D-6 with D-11: the bed version says where; the unknown note still says what to change, and the
    replacement text of the version applies (the strap above the knee, on a bed)."""
    program = _program(
        condition="unknown", onset="gradual", weeks_since_onset=20, floor_transfer="no"
    )
    item = _any(program, "inner-thigh-stretch")
    assert item.name == "Inner thigh stretch on a bed (with a strap)"
    assert item.modification.endswith(UNKNOWN_NOTES["inner-thigh-stretch"])
    assert "firm bed" in item.start_position and "just above the knee" in item.start_position
    fold = _any(program, "childs-pose")
    assert fold.name == "Chair forward fold" and "kneel" not in fold.modification.replace(
        "no kneeling", ""
    )


def test_every_exercise_file_has_its_unknown_note() -> None:
    """D-6 (v2): program, variant and later exercises alike."""
    missing = [e.id for e in default_library().exercises.values() if e.unknown is None]
    assert missing == []


# ------------------------------------------------------------------------------------------------ part c

PART_C = [
    ("item why (E)", "Recommended for your knee.", "§4.3"),
    (
        "notice (soon)",
        "until a clinician has reviewed your program.",
        "D-2",
    ),
    ("phase_note", "Early phase (the first 4 weeks after an MCL sprain): ", "C-4"),
    (
        "notice (OA)",
        "Knee pain may rise a little when you start exercising; that is expected, and regular "
        "exercise helps in the long run.",
        "§4.1",
    ),
]


@pytest.mark.parametrize(("where", "text", "rule"), PART_C, ids=[p[0] for p in PART_C])
def test_ex36c_ids_travel_apart(where: str, text: str, rule: str) -> None:
    if where == "item why (E)":
        item = _program(condition="medial_knee_oa", onset="gradual", weeks_since_onset=30).item(
            "bridge"
        )
        assert item is not None and text in item.why and rule in item.rules
    elif where == "notice (soon)":
        program = _program(
            condition="medial_knee_oa", onset="gradual", weeks_since_onset=30, pain_now=7
        )
        assert any(n.endswith(text) for n in program.notices) and rule in program.notice_rules
    elif where == "phase_note":
        program = _program(condition="mcl_sprain", mcl_grade=2, onset="injury", weeks_since_onset=1)
        assert program.phase_note.startswith(text) and rule in program.phase_rules
    else:
        program = _program(condition="medial_knee_oa", onset="gradual", weeks_since_onset=30)
        assert any(n.startswith(text) for n in program.notices) and rule in program.notice_rules


def test_the_pattern_is_the_one_examples_gives() -> None:
    assert RULE_ID_PATTERN.pattern == EX36_PATTERN == RULE_ID_IN_TEXT.pattern


# ------------------------------------------------------------------------------------------------- scan

SITUATIONS: list[dict[str, Any]] = [
    {"condition": "pes_anserine_bursitis", "onset": "gradual", "weeks_since_onset": 8},
    {"condition": "medial_knee_oa", "onset": "gradual", "weeks_since_onset": 30},
    {"condition": "patellofemoral_pain", "onset": "gradual", "weeks_since_onset": 8},
    {"condition": "mcl_sprain", "mcl_grade": 1, "onset": "injury", "weeks_since_onset": 0},
    {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 1},
    {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 5},
    {"condition": "mcl_sprain", "mcl_grade": None, "onset": "injury", "weeks_since_onset": 2},
    {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 2},
    {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 8},
    {"condition": "medial_meniscus", "onset": "gradual", "weeks_since_onset": 20},
    {"condition": "unknown", "onset": "gradual", "weeks_since_onset": 20},
    {"condition": "unknown", "onset": "injury", "weeks_since_onset": 2},
]
PROFILES = list(itertools.product(["yes", "no"], ["no", "yes"]))
EXTRAS: list[dict[str, Any]] = [
    {},
    {"pain_now": 7, "pain_worst_week": 7},  # a `soon` triage (RF19)
    {"red_flags": ["RF08"]},  # giving way at intake: P13 from day 0
    {"equipment": ["strap", "ball", "step", "mat", "chair"], "stair_height_cm": 18},
]
ACCESS = ["stationary_bike", "elliptical", "rower", "pool"]


def _strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string a person can read in the plan JSON (rule lists and ids excluded)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, k)]
    if isinstance(value, list):
        if key.endswith("rules"):
            return []
        return [s for v in value for s in _strings(v, key)]
    if isinstance(value, str) and key not in {"id", "in_place_of", "start", "review_on"}:
        return [(key, value)]
    return []


CASES = [(s, p, e) for s in SITUATIONS for p in PROFILES for e in EXTRAS]


@pytest.mark.parametrize(("situation", "profile", "extra"), CASES)
def test_no_plan_text_carries_a_rule_id(
    situation: dict[str, Any], profile: tuple[str, str], extra: dict[str, Any]
) -> None:
    answers = {
        **BASE,
        **situation,
        "floor_transfer": profile[0],
        "falls_or_unsteady": profile[1],
        "access": ACCESS,
        **extra,
    }
    intake = Intake.model_validate(answers)
    triage = screen(intake)
    program = plan(intake, triage, default_library(), start=START)
    if program is None:
        return
    out = plan_to_json(triage, program)["program"]
    bad = [(k, t) for k, t in _strings(out) if RULE_ID_PATTERN.search(t)]
    assert bad == []


def test_no_library_text_carries_a_rule_id() -> None:
    lib = default_library()
    bad = [
        (ex.id, field)
        for ex in lib.exercises.values()
        for field, text in person_texts(ex)
        if RULE_ID_PATTERN.search(text)
    ]
    texts = [g.text for g in lib.guidance.values()] + [g.title for g in lib.guidance.values()]
    texts += [e.substitute for e in lib.equipment.values()]
    texts += [t for a in lib.avoid for t in (a.name, a.why, *a.examples)]
    texts += [
        ice_heat_text(lib, cold_only=c, swelling=s) for c in (True, False) for s in (True, False)
    ]
    texts += [
        trouble_tolerating_text(lib),
        yoga_text(lib, no_floor=True),
        yoga_text(lib, no_floor=False),
    ]
    texts += [
        step_use_text(height_cm=h, have_step=have, stair_height_cm=st, fall_risk=fr, cap_cm=cap)
        for h in (10, 15, 20, 25)
        for have in (True, False)
        for st in (None, 10, 17, 18, 22, 30)
        for fr in (True, False)
        for cap in (15, 20, 25)
    ]
    bad += [("text", t) for t in texts if RULE_ID_PATTERN.search(t)]
    assert bad == []
