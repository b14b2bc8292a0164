"""Ladders one rung at a time (RULES D-4, C-8, §3.2, v2) and the baseline/trend inputs (C-5 v2).

Each row: an exercise from the shipped library at a dose → the dose one rung up and one rung down.
v2 changes (v1 → v2): aerobic minutes step by about a fifth — up + floor(20 %) (at least 1), down
− max(2, floor(20 %)), not below 5 (C-8; v1: ±5 min); an aerobic item at 5 min has nothing lower
and is held there, never paused (P12; v1: pause); step-up heights stop at the condition cap (D-4,
EX-25); the baseline counts every morning (C-5; v1: only mornings after a rest day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kneehab.domain.baseline import (
    baseline_pain,
    session_days,
    week_rising,
    week_start,
)
from kneehab.domain.conditions import columns_for, phase_for, skipped_rungs, step_cap_cm
from kneehab.domain.intake import Intake
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
    # v2 (C-8): 10 → 12 up and 10 → 8 down (v1: 15 and 5).
    (
        "aerobic: +20 %, at least 1; down −2",
        "walking",
        {"minutes": 10},
        {"minutes": 12},
        {"minutes": 8},
    ),
    # v2 (C-8): 30 → 24 down (v1: 25).
    (
        "aerobic at 30 min: top of ladder; down −20 %",
        "stationary-cardio",
        {"minutes": 30},
        None,
        {"minutes": 24},
    ),
    (
        "aerobic 16 min: up 19, down 13",
        "pool-exercise",
        {"minutes": 16},
        {"minutes": 19},
        {"minutes": 13},
    ),
    # v2 (C-8, P12): up 5 → 6 (v1: 10); nothing lower than 5 (v1: pause; now the engine holds, P12).
    (
        "aerobic at 5 min: nothing lower (P12 holds)",
        "walking",
        {"minutes": 5},
        {"minutes": 6},
        None,
    ),
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


def test_aerobic_steps_of_about_a_fifth_ex20() -> None:
    """EX-20 rows 1–2 (C-8 v2): progressions from 10 min; regressions from 30 and from 10."""
    lib = default_library()

    def walk(minutes: int, up: bool) -> list[int]:
        out = [minutes]
        while True:
            dose = Dose(minutes=out[-1])
            start = Dose(minutes=10)
            step = (
                step_up("walking", dose, lib)
                if up
                else step_down("walking", dose, start, None, lib)
            )
            if step is None:
                return out
            out.append(step.dose.minutes or 0)

    assert walk(10, up=True) == [10, 12, 14, 16, 19, 22, 26, 30]
    assert walk(30, up=False) == [30, 24, 20, 16, 13, 11, 9, 7, 5]
    assert walk(10, up=False) == [10, 8, 6, 5]


def _person(**fields: Any) -> Intake:
    data = {
        "age": 40,
        "knee": "right",
        "onset": "gradual",
        "weeks_since_onset": 20,
        "pain_now": 2,
        "pain_worst_week": 2,
    }
    return Intake.model_validate({**data, **fields})


# EX-25: (person, intake fields, check-in day (days after the 3/3 start), current dose, next rung)
EX25: list[tuple[str, dict[str, Any], int, dict[str, Any], dict[str, Any] | None]] = [
    (
        "patellofemoral pain",
        {"condition": "patellofemoral_pain"},
        10,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
    ),
    (
        "medial meniscus injured 1 week ago, early (on or before 4/6)",
        {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 1},
        34,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
    ),
    (
        "same, after 4/6 (later): the height rung is available again",
        {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 1},
        36,
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
        {"sets": 3, "reps": 10, "step_cm": 20, "load_kg": 1.0},
    ),
    (
        "MCL grade II, early",
        {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 2},
        10,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
    ),
    (
        "MCL grade II, after the early phase",
        {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 2},
        14,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 20},
    ),
    (
        "medial knee OA, fall-risk profile",
        {"condition": "medial_knee_oa", "falls_or_unsteady": "yes"},
        10,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
    ),
    (
        "unknown, gradual onset: the lowest cap of its columns",
        {"condition": "unknown"},
        10,
        {"sets": 3, "reps": 10, "step_cm": 15},
        {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 1.0},
    ),
    (
        "medial knee OA, no fall risk",
        {"condition": "medial_knee_oa", "falls_or_unsteady": "no"},
        10,
        {"sets": 3, "reps": 10, "step_cm": 25},
        {"sets": 3, "reps": 10, "step_cm": 25, "load_kg": 1.0},
    ),
]


@pytest.mark.parametrize(("who", "fields", "on", "dose", "up"), EX25, ids=[r[0] for r in EX25])
def test_ex25_condition_caps_on_the_step_up_ladder(
    who: str, fields: dict[str, Any], on: int, dose: dict[str, Any], up: dict[str, Any] | None
) -> None:
    lib = default_library()
    person = _person(**fields)
    start = dt.date(2025, 3, 3)
    day = start + dt.timedelta(days=on)
    phases = {c: phase_for(person, c, start=start, on=day) for c in columns_for(person)}
    cap = float(step_cap_cm(person, phases))
    step = step_up("step-up", Dose(**dose), lib, caps={"step_cm": cap})
    assert (step.dose if step else None) == (Dose(**up) if up else None), who


def test_ex25_pes_anserine_bottom_leg_raise_has_no_ankle_weight_rung() -> None:
    """EX-25 last row (D-4): at 3×15 the bottom-leg raise has no next rung for pes anserine."""
    lib = default_library()
    person = _person(condition="pes_anserine_bursitis")
    phases = {
        c: phase_for(person, c, start=dt.date(2025, 3, 3), on=dt.date(2025, 3, 20))
        for c in columns_for(person)
    }
    skip = skipped_rungs("side-lying-inner-thigh-raise", phases)
    assert "load_kg" in skip
    assert step_up("side-lying-inner-thigh-raise", Dose(sets=3, reps=15), lib, skip=skip) is None
    oa = _person(condition="medial_knee_oa")
    oa_phases = {
        c: phase_for(oa, c, start=dt.date(2025, 3, 3), on=dt.date(2025, 3, 20))
        for c in columns_for(oa)
    }
    assert skipped_rungs("side-lying-inner-thigh-raise", oa_phases) == frozenset()


def _checkins(values: dict[int, tuple[int, int | None]]) -> list[CheckIn]:
    start = dt.date(2025, 3, 3)
    return [
        CheckIn(date=start + dt.timedelta(days=d), morning_pain=p, morning_stiffness=s)
        for d, (p, s) in values.items()
    ]


def test_baseline_needs_three_mornings_and_ignores_today() -> None:
    """C-5 (v2): every morning counts (v1: only mornings that did not follow a session day); the
    low median of the last ≤ 7 check-ins dated d−14 … d−1; fewer than 3 → the intake's pain now.

    v1 → v2: at day 6 v1 still used the intake's 2 (only 2 rest-day mornings); v2 has 3 mornings
    (5, 3, 4) → 4. At day 7 v1 took the median of the rest-day mornings 3, 4, 9 (= 4); v2 takes the
    low median of 5, 3, 4, 9 → 4 (the 2nd smallest of 4 values)."""
    start = dt.date(2025, 3, 3)
    checkins = _checkins({1: (5, None), 2: (3, None), 4: (4, None), 6: (9, None)})
    assert baseline_pain(2, checkins, start + dt.timedelta(days=4)).value == 2  # 2 mornings
    assert baseline_pain(2, checkins, start + dt.timedelta(days=6)).value == 4
    after = baseline_pain(2, checkins, start + dt.timedelta(days=7))
    assert after.value == 4 and after.count == 4
    assert "from your last 4 morning check-ins" in after.source
    assert "until you have 3 morning check-ins" in baseline_pain(2, checkins, start).source
    # day 17: days 1 and 2 are more than 14 days back, leaving 2 mornings → the intake's 2
    late = baseline_pain(2, checkins, start + dt.timedelta(days=17))
    assert (late.value, late.count) == (2, 0)


def test_session_days_ignore_skips() -> None:
    start = dt.date(2025, 3, 3)
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
    # day 2's session was only skips, so only day 0 counts as a session day.
    assert done == frozenset({start})


def test_weekly_trend_on_calendar_weeks() -> None:
    """C-5 (v2): Monday–Sunday weeks, each mean needs ≥ 4 values; rising = mean (2 decimals) ≥ the
    previous week's + 1.0, for pain or stiffness. v1 compared rolling 7-day windows with the
    morning tolerance (+1 a week was noise at tolerance 1); v2 has no tolerance here: +1.0 rises."""
    monday = dt.date(2025, 3, 3)
    w2, w3 = monday + dt.timedelta(days=7), monday + dt.timedelta(days=14)
    flat = _checkins({d: (2, 2) for d in range(21)})
    assert not week_rising(flat, w2) and not week_rising(flat, w3)
    week = {d: (2 + d // 7, None) for d in range(21)}  # means 2, 3, 4
    assert week_rising(_checkins(week), w2) and week_rising(_checkins(week), w3)
    stiff = {d: (2, 1 + d // 7) for d in range(21)}  # stiffness alone rising counts
    assert week_rising(_checkins(stiff), w2)
    almost = {d: (2 if d < 7 else (3 if d % 7 else 2), None) for d in range(14)}  # 2.00 → 2.86
    assert not week_rising(_checkins(almost), w2)
    sparse = {d: (2 + d // 7, None) for d in range(14, 21)}  # no earlier week to compare
    assert not week_rising(_checkins(sparse), w3)
    three = {d: (2 + d // 7, None) for d in (0, 1, 2, 7, 8, 9, 10)}  # 3 values in week 1
    assert not week_rising(_checkins(three), w2)
    assert week_start(dt.date(2025, 3, 9)) == monday and week_start(w2) == w2
