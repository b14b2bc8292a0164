"""Properties of clinician actions (RULES D-7, D-8) over whole replayed courses:

- whatever a clinician tries, in any order, what the boundary accepts (clinician_checks.refusal,
  as the service does) never leaves a dose outside its exercise's limits, in any program version;
- the same history always gives the same program (the replay is a function of the history);
- no clinician action hides a red flag reported after it: the program locks again.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneehab.domain.clinician_checks import refusal
from kneehab.domain.course import Course, HistoryMismatch, replay
from kneehab.domain.progression_ladder import effective_exercise, within_limits
from kneehab.domain.records import CheckIn, ClinicianAction, History
from kneehab.library.load import default_library

sys.path.insert(0, str(Path(__file__).parents[1] / "spec"))
from course_sim import intake, simulate

LIB = default_library()
OA = intake(age=45, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=3)
_kept: list[History] = []
simulate(OA, until="3/16", morning=2, keep=_kept)
BASE = _kept[0]  # 2 weeks of sessions and mornings, start 3/3
IDS = sorted(x for x, e in LIB.exercises.items() if e.role.value == "program")
KINDS = ("set_dose", "pause", "resume", "remove", "add", "pause_progression",
         "resume_progression", "set_ceiling", "review", "assessment", "set_phase")  # fmt: skip

dose_values = st.fixed_dictionaries(
    {},
    optional={
        "sets": st.integers(1, 10), "reps": st.integers(1, 50), "hold_s": st.integers(1, 120),
        "minutes": st.integers(1, 90), "load_kg": st.sampled_from([0.0, 0.5, 1.0, 3.0]),
        "step_cm": st.integers(0, 40),
    },
)  # fmt: skip


@st.composite
def attempts(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    day = dt.date(2025, 3, 3) + dt.timedelta(days=draw(st.integers(1, 12)))
    out: dict[str, Any] = {"date": day, "action": kind, "reason": "because", "by": "Ben"}
    if kind in ("set_dose", "pause", "resume", "remove", "add", "pause_progression",
                "resume_progression"):  # fmt: skip
        out["exercise_id"] = draw(st.sampled_from(IDS))
    if kind in ("set_dose", "resume") and draw(st.booleans()):
        out["value"] = draw(dose_values)
    if kind == "set_ceiling":
        out["value"] = draw(st.integers(0, 9))
    if kind == "set_phase":
        out["value"] = draw(st.sampled_from(["early", "later", "middle"]))
    return out


def on(history: History, day: dt.date, clinician: list[ClinicianAction]) -> History:
    return history.model_copy(
        update={
            "today": day,
            "sessions": tuple(s for s in history.sessions if s.date <= day),
            "checkins": tuple(c for c in history.checkins if c.date <= day),
            "clinician": tuple(clinician),
        }
    )


def accepted(tries: list[dict[str, Any]], base: History = BASE) -> list[ClinicianAction]:
    """What the service would keep: each try checked against the course as of its own date."""
    kept: list[ClinicianAction] = []
    for t in sorted(tries, key=lambda t: t["date"]):
        action = ClinicianAction.model_validate(t)
        history = on(base, action.date, kept)
        try:
            course = replay(history, LIB)
        except HistoryMismatch:
            continue
        if not refusal(action, history, course, LIB):
            kept.append(action)
    return kept


def doses_inside(course: Course) -> bool:
    programs = [v.program for v in course.versions] + [course.program]
    return all(
        within_limits(i.dose, effective_exercise(i.exercise_id, i.dose, LIB))
        for p in programs
        if p is not None
        for i in p.items
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(attempts(), min_size=1, max_size=5))
def test_no_action_sequence_leaves_a_dose_outside_limits(tries: list[dict[str, Any]]) -> None:
    kept = accepted(tries)
    history = on(BASE, BASE.today, kept)
    course = replay(history, LIB)
    assert doses_inside(course)
    assert replay(history, LIB) == course  # same history → same program


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(attempts(), min_size=1, max_size=4))
def test_a_clinician_action_never_hides_a_later_red_flag(tries: list[dict[str, Any]]) -> None:
    kept = accepted(tries)
    flagged = BASE.model_copy(
        update={
            "checkins": (
                *(c for c in BASE.checkins if c.date < BASE.today),
                CheckIn(date=BASE.today, morning_pain=2, new_symptoms=("calf_swelling",)),
            )
        }
    )
    course = replay(on(flagged, BASE.today, kept), LIB)
    assert course.locked_by is not None
    assert course.program is not None
    assert all(i.status.value == "stopped" for i in course.program.items)
