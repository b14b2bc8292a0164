"""RULES D-5 / C-15: what the program needs, whether the person has it, and the household substitute.

| equipment | the person does not have it → use |
|---|---|
| strap | a towel or a belt |
| ball | a rolled towel or a pillow |
| step | a firm step or step-stool at the prescribed height (the bottom stair only when it matches, D-5 v2) |
| foam pad | a folded blanket |
| mat | a folded blanket |
| chair | a sturdy chair |
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kneehab.domain.intake import EQUIPMENT_IDS, Intake
from kneehab.domain.planning import plan
from kneehab.domain.screening import screen
from kneehab.library.load import default_library

BASE: dict[str, Any] = {
    "age": 60,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 30,
    "pain_now": 3,
    "pain_worst_week": 5,
    "access": ["pool"],
}

# D-5, in the rule book's own words (the data may say more, never less).
# v2: the ball is not in any starting session (D-10 keeps child's pose a swap for this person); its
# substitute is checked in the library below. The step substitute must match the height (D-5).
SUBSTITUTE_WORDS: dict[str, tuple[str, ...]] = {
    "strap": ("towel", "belt"),
    "step": ("step-stool",),
    "mat": ("folded blanket",),
    "chair": ("sturdy chair",),
}


def _needs(have: list[str]) -> dict[str, Any]:
    intake = Intake.model_validate({**BASE, "equipment": have})
    program = plan(intake, screen(intake), default_library(), start=date(2026, 3, 2))
    assert program is not None
    return {e.id: e for e in program.equipment}


@pytest.mark.parametrize("eq_id", sorted(SUBSTITUTE_WORDS))
def test_missing_equipment_gets_its_household_substitute(eq_id: str) -> None:
    need = _needs([])[eq_id]
    assert need.have is False
    assert any(word in need.use.lower() for word in SUBSTITUTE_WORDS[eq_id]), need.use
    assert need.needed_by, "it says which exercises need it"


@pytest.mark.parametrize("eq_id", sorted(SUBSTITUTE_WORDS))
def test_equipment_the_person_has_is_used_as_is(eq_id: str) -> None:
    need = _needs([eq_id])[eq_id]
    assert need.have is True
    if eq_id == "step":  # v2 (D-5): the person's own step, set to the prescribed height
        assert need.use == "your step, set to 10 cm (8–12 cm)" and need.height_cm == 10
    else:
        assert need.use == default_library().equipment[eq_id].name


def test_ball_substitute_is_a_rolled_towel_or_pillow() -> None:
    substitute = default_library().equipment["ball"].substitute
    assert "rolled towel" in substitute and "pillow" in substitute


def test_foam_pad_substitute_is_a_folded_blanket() -> None:
    assert "folded blanket" in default_library().equipment["foam_pad"].substitute


def test_every_intake_equipment_word_is_known_to_the_library() -> None:
    assert set(EQUIPMENT_IDS) <= set(default_library().equipment)
