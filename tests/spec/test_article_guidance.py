"""EXAMPLES EX-37 — the article's guidance and ice/heat safety (RULES D-14, D-11), the plan-time rows.

The dated rows (cold only on 3/3–3/5, ice or heat from 3/6, a swelling report on 3/12, trouble tolerating on a
day with a pause) are the engine's; they call `ice_heat_text` and `trouble_tolerating_text` tested here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kneehab.domain.intake import Intake
from kneehab.domain.planning import ice_heat_text, plan, trouble_tolerating_text
from kneehab.domain.program import Program
from kneehab.domain.screening import screen
from kneehab.library.load import default_library

START = date(2025, 3, 3)
BASE: dict[str, Any] = {
    "age": 45,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 30,
    "pain_now": 3,
    "pain_worst_week": 3,
    "red_flags": [],
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "assessed": "yes",
}


def _program(**changes: Any) -> Program | None:
    intake = Intake.model_validate({**BASE, **changes})
    return plan(intake, screen(intake), default_library(), start=START)


ICE = ("10–15", "20", "cloth", "numb")
HEAT = ("warm, not hot", "20")
COLD_ONLY = ("72 hours",)

# situation | field | words it must contain (EX-37, "Test strings")
EVERY_PLAN: list[tuple[str, tuple[str, ...]]] = [
    ("start_small", ("start",)),
    ("see_professional", ("week or two", "progressively worse")),
    ("avoid_note", ("At first", "With time and healing you can carefully get back to your favourite activities")),
    ("yoga", ("local yoga class", "online class", "poses to your stretches")),
    ("ice_heat", (*ICE, *HEAT)),
    ("stretch_again", ("Stretch again now", "1 set each")),
]  # fmt: skip


@pytest.mark.parametrize(("field", "words"), EVERY_PLAN, ids=[e[0] for e in EVERY_PLAN])
def test_ex37_every_plan(field: str, words: tuple[str, ...]) -> None:
    program = _program()
    assert program is not None
    text = getattr(program, field)
    for word in words:
        assert word.lower() in text.lower(), (field, word)
    assert program.trouble_tolerating is None, "the engine sets it on the days D-14 names"


def test_ex37_injury_this_week_is_cold_only_at_plan_time() -> None:
    """30-year-old with MCL grade I, injured, weeks_since_onset 0: day 0 is inside the 72-hour window."""
    program = _program(
        age=30, condition="mcl_sprain", mcl_grade=1, onset="injury", weeks_since_onset=0
    )
    assert program is not None
    assert program.ice_heat.startswith(
        "For the first 72 hours after an injury, use cold, not heat."
    )
    for word in ICE:
        assert word in program.ice_heat
    assert "never use heat on a warm or swollen knee" in program.ice_heat.lower()
    later = _program(
        age=30, condition="mcl_sprain", mcl_grade=1, onset="injury", weeks_since_onset=1
    )
    assert later is not None and "warm, not hot" in later.ice_heat


@pytest.mark.parametrize(
    ("cold_only", "swelling", "words"),
    [
        (
            False,
            False,
            (*ICE, *HEAT, "never while you are asleep", "broken skin", "poor circulation"),
        ),
        (True, False, (*ICE, *COLD_ONLY, "cold, not heat")),
        (True, True, (*ICE, *COLD_ONLY, "never use heat on a warm or swollen knee")),
    ],
    ids=["ice or heat", "cold only after an injury", "cold only after swelling"],
)
def test_ex37_ice_heat_text_for_any_day(
    cold_only: bool, swelling: bool, words: tuple[str, ...]
) -> None:
    text = ice_heat_text(default_library(), cold_only=cold_only, swelling=swelling)
    for word in words:
        assert word.lower() in text.lower(), word
    if cold_only:
        assert "warm, not hot" not in text, "no heat advice inside a cold-only window"


def test_ex37_trouble_tolerating_text() -> None:
    text = trouble_tolerating_text(default_library())
    assert "other home options first" in text and "round of physical therapy" in text


def test_ex37_no_floor_yoga_names_a_chair_class() -> None:
    program = _program(floor_transfer="no")
    assert program is not None and "a chair yoga class" in program.yoga.lower()


def test_ex37_hot_red_swollen_knee_gets_no_program_and_no_ice_heat() -> None:
    assert _program(red_flags=["RF04"]) is None


def test_aerobic_guidance_builds_up_by_about_a_fifth() -> None:
    """RULES §9: the aerobic guidance matches the C-8 steps."""
    text = default_library().guidance["aerobic"].text
    assert "build up by about a fifth at a time (10, 12, 14 … minutes), at most once a week" in text
