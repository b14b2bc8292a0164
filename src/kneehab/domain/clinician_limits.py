"""What a clinician's action may set (RULES D-7) and how the person reads who made it.

Kept apart from `clinician_checks` so the replay (course_state) can use the same limits: a limit
lives in one place, and the replay refuses what the boundary would have refused."""

from __future__ import annotations

from kneehab.domain.exercise import Library
from kneehab.domain.progression_ladder import effective_exercise, step_up
from kneehab.domain.records import ClinicianAction
from kneehab.domain.types import DOSE_KEYS, Dose

CLINICIAN_CEILING = (2, 5)  # D-7: a clinician-set pain limit
CLINICIAN_TOLERANCE = (0, 1)  # C-5, D-7
CLINICIAN_SESSION_CAP = (3, 10)  # D-10, D-7
NUMERIC = ("sets", "reps", "hold_s", "load_kg", "step_cm", "minutes")


def by_whom(action: ClinicianAction) -> str:
    """'your physical therapist Ben (physio)' — the person always reads who made a change (D-7)."""
    name = action.by.strip()
    return f"your physical therapist {name}" if name else "your physical therapist"


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def dose_outside_limits(exercise_id: str, dose: Dose, library: Library) -> str:
    """'' when `dose` is inside the exercise's limits, else a message naming the first bad key.

    Every key set must be inside the exercise's inclusive bounds; a key without bounds may not be
    used (library Limits). A variant is kept only when the ladder names it; once a variant is set,
    its own limits apply (as for the automatic rules)."""
    base = library.get(exercise_id)
    if dose.variant is not None and dose.variant not in {r.to for r in base.progression if r.to} | {
        r.to for r in base.regressions if r.to
    }:
        return f"value.variant: '{dose.variant}' is not on {base.name}'s ladder"
    exercise = effective_exercise(exercise_id, dose, library)
    for key in NUMERIC:
        bounds = exercise.limits.bounds(key)
        value = dose.get(key)
        if bounds is None:
            if value is not None:
                return f"value.{key}: {exercise.name} does not use {key}"
            continue
        if value is None:
            continue
        assert isinstance(value, int | float)
        if not bounds[0] <= value <= bounds[1]:
            return (
                f"value.{key}: {value:g} is outside {exercise.name}'s limits "
                f"({bounds[0]:g}–{bounds[1]:g})"
            )
    return ""


def rung_of(
    exercise_id: str, start: Dose, current: Dose, library: Library
) -> tuple[int | None, int]:
    """(position, rungs): where `current` is on the ladder climbed from `start` (0 = the start
    dose), and how many rungs the ladder has; position None when a clinician set a dose off it."""
    ladder = [start]
    while len(ladder) < 60:  # every ladder ends at its limits; 60 is far above the longest
        up = step_up(exercise_id, ladder[-1], library)
        if up is None or up.dose in ladder:
            break
        ladder.append(up.dose)
    position = ladder.index(current) if current in ladder else None
    return position, len(ladder) - 1


__all__ = [
    "CLINICIAN_CEILING",
    "CLINICIAN_SESSION_CAP",
    "CLINICIAN_TOLERANCE",
    "DOSE_KEYS",
    "by_whom",
    "cap",
    "dose_outside_limits",
    "rung_of",
]
