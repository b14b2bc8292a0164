"""Ladders one rung at a time (RULES D-4, C-8, §3.2) and the baseline/trend inputs (C-5, P2, P5).

Each row: an exercise from the shipped library at a dose → the dose one rung up and one rung down.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kneehab.domain.baseline import (
    baseline_pain,
    rising_two_weeks,
    session_days,
    weekly_rising,
)
from kneehab.domain.progression_ladder import step_down, step_up
from kneehab.domain.records import CheckIn, Session, SessionEntry
from kneehab.domain.types import Dose
from kneehab.library.load import default_library

# (scenario, exercise, dose, one rung up (None = top), one rung down (None = pause))
LADDER: list[tuple[str, str, dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]] = [
    (
        "stretch: hold +10 s; down −10 s",
        "inner-thigh-stretch",
        {"sets": 2, "hold_s": 30},
        {"sets": 2, "hold_s": 40},
        {"sets": 2, "hold_s": 20},
    ),
    (
        "stretch at 60 s: a 3rd rep",
        "inner-thigh-stretch",
        {"sets": 2, "hold_s": 60},
        {"sets": 3, "hold_s": 60},
        {"sets": 2, "hold_s": 50},
    ),
    (
        "stretch at its floor 1 × 10 s: pause",
        "inner-thigh-stretch",
        {"sets": 1, "hold_s": 10},
        {"sets": 1, "hold_s": 20},
        None,
    ),
    ("aerobic: +5 min; down −5 min", "walking", {"minutes": 10}, {"minutes": 15}, {"minutes": 5}),
    (
        "aerobic at 30 min: top of ladder",
        "stationary-cardio",
        {"minutes": 30},
        None,
        {"minutes": 25},
    ),
    ("aerobic at 5 min: pause", "walking", {"minutes": 5}, {"minutes": 10}, None),
    (
        "step-up: a 3rd set before height",
        "step-up",
        {"sets": 2, "reps": 10, "step_cm": 10},
        {"sets": 3, "reps": 10, "step_cm": 10},
        {"sets": 2, "reps": 8, "step_cm": 10},
    ),
    (
        "step-up: 10 → 15 cm",
        "step-up",
        {"sets": 3, "reps": 10, "step_cm": 10},
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 2, "reps": 10, "step_cm": 10},
    ),
    (
        "step-up at 25 cm: carried load",
        "step-up",
        {"sets": 3, "reps": 10, "step_cm": 25},
        {"sets": 3, "reps": 10, "step_cm": 25, "load_kg": 1.0},
        {"sets": 3, "reps": 10, "step_cm": 20},
    ),
    (
        "leg raise 3×15 hold 3: +0.5 kg with reps reset; down undoes the last rung first",
        "seated-straight-leg-raise",
        {"sets": 3, "reps": 15, "hold_s": 3},
        {"sets": 3, "reps": 10, "hold_s": 3, "load_kg": 0.5},
        {"sets": 3, "reps": 15, "hold_s": 2},
    ),
    (
        "core at its floor 1 × 5: one leg at a time (easier variant)",
        "double-knee-to-chest",
        {"sets": 1, "reps": 5},
        {"sets": 1, "reps": 7},
        {"sets": 1, "reps": 5, "variant": "single-knee-to-chest"},
    ),
    (
        "one leg at a time 1 × 15: back to both legs",
        "double-knee-to-chest",
        {"sets": 1, "reps": 15, "variant": "single-knee-to-chest"},
        {"sets": 1, "reps": 10},
        None,
    ),
]


@pytest.mark.parametrize(
    ("scenario", "exercise", "dose", "up", "down"), LADDER, ids=[r[0] for r in LADDER]
)
def test_one_rung_up_and_down(
    scenario: str,
    exercise: str,
    dose: dict[str, Any],
    up: dict[str, Any] | None,
    down: dict[str, Any] | None,
) -> None:
    lib = default_library()
    start = lib.get(exercise).dose.to_dose()
    current = Dose(**dose)
    stepped_up = step_up(exercise, current, lib)
    assert (stepped_up.dose if stepped_up else None) == (Dose(**up) if up else None), scenario
    stepped_down = step_down(exercise, current, start, None, lib)
    if down is None:
        assert stepped_down is None or stepped_down.dose.variant is not None, stepped_down
        if stepped_down is not None:
            return
    assert (stepped_down.dose if stepped_down else None) == (Dose(**down) if down else None)


def _checkins(values: dict[int, tuple[int, int | None]]) -> list[CheckIn]:
    start = dt.date(2025, 3, 3)
    return [
        CheckIn(date=start + dt.timedelta(days=d), morning_pain=p, morning_stiffness=s)
        for d, (p, s) in values.items()
    ]


def test_baseline_needs_three_rest_day_mornings_and_ignores_today() -> None:
    start = dt.date(2025, 3, 3)
    checkins = _checkins({1: (5, None), 2: (3, None), 4: (4, None), 6: (9, None)})
    done = session_days(
        [
            Session(
                date=start,
                entries=(SessionEntry(exercise_id="bridge", sets_done=2, pain_during_max=1),),
            ),
            Session(
                date=start + dt.timedelta(days=2),
                entries=(
                    SessionEntry(
                        exercise_id="bridge", sets_done=0, pain_during_max=0, skipped=True
                    ),
                ),
            ),
        ]
    )
    # day 1 follows a session; days 2, 4, 6 do not (day 2's session was only skips).
    assert baseline_pain(2, checkins, done, start + dt.timedelta(days=6)).value == 2
    after = baseline_pain(2, checkins, done, start + dt.timedelta(days=7))
    assert after.value == 4 and "last 3 rest-day mornings" in after.source


def test_weekly_trend_rising_once_and_two_weeks_running() -> None:
    on = dt.date(2025, 3, 3) + dt.timedelta(days=20)
    flat = _checkins({d: (2, 2) for d in range(21)})
    assert not weekly_rising(flat, on, 0)
    week = {d: (2 + d // 7, None) for d in range(21)}  # means 2, 3, 4
    assert weekly_rising(_checkins(week), on, 0)
    assert rising_two_weeks(_checkins(week), on, 0)
    assert not rising_two_weeks(_checkins(week), on, 1)  # tolerance 1: +1 a week is noise
    stiff = {d: (2, 1 + d // 7) for d in range(21)}  # stiffness alone rising counts
    assert rising_two_weeks(_checkins(stiff), on, 0)
    sparse = {d: (2 + d // 7, None) for d in range(14, 21)}  # no earlier week to compare
    assert not weekly_rising(_checkins(sparse), on, 0)
