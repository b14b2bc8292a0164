"""Whether one clinician action fits the person's program today (RULES D-7), before it is kept.

`refusal()` returns '' or one message that starts with the field it is about ("value.reps: …"), so
the boundary can answer 422 naming the field and keep nothing. The replay enforces the same limits
(clinician_limits), so a history can never hold a dose outside an exercise's limits."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from kneehab.domain.clinician_limits import (
    CLINICIAN_CEILING,
    CLINICIAN_SESSION_CAP,
    CLINICIAN_TOLERANCE,
    dose_outside_limits,
)
from kneehab.domain.course import Course
from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.planning import program_item_for
from kneehab.domain.program import ItemStatus
from kneehab.domain.progression import Action
from kneehab.domain.records import ClinicianAction, History
from kneehab.domain.types import Dose

ACKNOWLEDGEABLE = ("E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12", "E13")
CONDITION_FIELDS = ("condition", "mcl_grade", "onset", "weeks_since_onset")


def _range(action: ClinicianAction, bounds: tuple[int, int], what: str) -> str:
    v = action.value
    if isinstance(v, bool) or not isinstance(v, int) or not bounds[0] <= v <= bounds[1]:
        return f"value: {what} is a whole number from {bounds[0]} to {bounds[1]}"
    return ""


def _dose(action: ClinicianAction, course: Course, library: Library) -> str:
    assert action.exercise_id is not None and isinstance(action.value, dict)
    try:
        dose = Dose.model_validate(action.value)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"value.{where}: {first['msg']}"
    return dose_outside_limits(action.exercise_id, dose, library)


def _add(action: ClinicianAction, history: History, course: Course, library: Library) -> str:
    ex_id = action.exercise_id or ""
    if ex_id not in library.exercises:
        return f"exercise_id: '{ex_id}' is not an exercise in the library"
    if course.program is not None and course.program.item(ex_id) is not None:
        return f"exercise_id: '{ex_id}' is already in the program"
    args = (history.intake, course.triage, library, ex_id)
    plain = program_item_for(*args, start=history.start, on=action.date)
    forced = program_item_for(*args, start=history.start, on=action.date, override_avoid=True)
    if forced is None:
        return f"exercise_id: '{ex_id}' is left out for this person's profile or safety, not only their knee"
    if plain is None and action.override is None:
        return (
            f"override: '{ex_id}' is usually avoided for this knee and phase; give the reason "
            "for overriding it (shown to the person)"
        )
    return ""


def _condition(action: ClinicianAction, history: History) -> str:
    if not isinstance(action.value, dict) or not action.value:
        return "value: name the condition fields to change (" + ", ".join(CONDITION_FIELDS) + ")"
    extra = sorted(set(action.value) - set(CONDITION_FIELDS))
    if extra:
        return f"value.{extra[0]}: only {', '.join(CONDITION_FIELDS)} may be changed here"
    try:
        Intake.model_validate({**history.intake.model_dump(), **action.value})
    except ValidationError as err:
        first = err.errors()[0]
        return f"value.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return ""


def _exercise(action: ClinicianAction, course: Course, library: Library) -> str:
    ex_id = action.exercise_id
    if not ex_id:
        return "exercise_id: required for this action"
    if ex_id not in library.exercises:
        return f"exercise_id: '{ex_id}' is not an exercise in the library"
    item = course.program.item(ex_id) if course.program is not None else None
    if item is None:
        return f"exercise_id: '{ex_id}' is not in this person's program"
    kind = action.action
    if kind == "set_dose":
        if not isinstance(action.value, dict):
            return "value: the dose to set (sets, reps, hold_s, load_kg, step_cm, minutes)"
        return _dose(action, course, library)
    if kind == "resume":
        if item.status == ItemStatus.ACTIVE:
            return f"exercise_id: '{ex_id}' is not paused or stopped"
        if course.locked_by is not None:
            return "action: exercises stay stopped until you record an assessment (E1, D-8)"
        return _dose(action, course, library) if isinstance(action.value, dict) else ""
    if kind == "pause" and item.status != ItemStatus.ACTIVE:
        return f"exercise_id: '{ex_id}' is already paused or stopped"
    return ""


def _locked_on(course: Course, day: date) -> bool:
    """The lock (E1) began on `day`: the replay reads clinician actions before that day's morning."""
    return course.locked_by is not None and any(
        d.date == day and d.action == Action.STOP and "E1" in d.rules for d in course.decisions
    )


def refusal(action: ClinicianAction, history: History, course: Course, library: Library) -> str:
    """'' when `action` may be kept for this course, else 'field: why' (D-7)."""
    if not action.reason.strip():
        return "reason: required — say why, the person reads it"
    if action.date < history.start or action.date > history.today:
        return f"date: must be from {history.start} to {history.today}"
    kind = action.action
    if course.program is None and kind not in ("review", "assessment", "note", "set_condition"):
        return "action: this person has no program yet; record an assessment first (D-2, D-7)"
    if kind == "set_ceiling":
        return _range(action, CLINICIAN_CEILING, "a pain limit")
    if kind == "set_tolerance":
        return _range(action, CLINICIAN_TOLERANCE, "the morning tolerance")
    if kind == "set_session_cap":
        return _range(action, CLINICIAN_SESSION_CAP, "the session size")
    if kind == "set_phase":
        return "" if action.value in ("early", "later") else "value: a phase is early or later"
    if kind == "acknowledge":
        ok = action.value in (*ACKNOWLEDGEABLE, "ceiling")
        return "" if ok else f"value: one of {', '.join(ACKNOWLEDGEABLE)} or ceiling"
    if kind == "note":
        note = action.value if isinstance(action.value, str) else ""
        return "" if note.strip() else "value: the note to the person"
    if kind == "set_condition":
        return _condition(action, history)
    if kind == "add":
        return _add(action, history, course, library)
    if kind == "assessment" and _locked_on(course, action.date):
        return (
            "date: the warning sign was reported today, and a red flag of the same day wins "
            "(D-8); record the assessment from tomorrow, or send the person for care today"
        )
    if kind in ("review", "assessment"):
        return ""
    return _exercise(action, course, library)
