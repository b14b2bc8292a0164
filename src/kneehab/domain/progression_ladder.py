"""Walking an exercise's ladder one rung up or down (RULES D-4, C-8, §3.2).

Up: the first rung whose key has not reached its `until` (a variant rung switches `variant`, and from then
on the variant exercise's own ladder and limits apply). Down: undo the most recent step, else walk the
ladder in reverse to the first key above its starting value, else the C-8 floors, else nothing (pause).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from kneehab.domain.exercise import NUMERIC_KEYS, Exercise, Library, Rung
from kneehab.domain.types import Category, Dose, Frozen

INT_KEYS = frozenset({"sets", "reps", "hold_s", "step_cm", "minutes"})

# C-8: a regression never lowers reps below 5, sets below 1 or a stretch hold below 10 s (the library
# check holds every exercise's lowest limits to these too).
REPS_FLOOR = 5
SETS_FLOOR = 1
STRETCH_HOLD_FLOOR = 10
AEROBIC_FLOOR = 5  # C-8 / P12: aerobic items never go below 5 minutes and are never paused

# C-8 lowest-rung floors, in the order they are tried: (key, by, not below). §3.2 for aerobic minutes.
_FLOORS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "reps": (("reps", 2, REPS_FLOOR), ("sets", 1, SETS_FLOOR)),
    "stretch": (("hold_s", 10, STRETCH_HOLD_FLOOR), ("sets", 1, SETS_FLOOR)),
    "aerobic": (),  # aerobic minutes step down by C-8's share rule (_aerobic_down)
}


class Step(Frozen):
    dose: Dose
    rules: tuple[str, ...]
    note: str  # plain words for the person, e.g. "Add 2 repetitions to each set, up to 15."


def effective_exercise(exercise_id: str, dose: Dose, library: Library) -> Exercise:
    """The exercise whose ladder and limits apply now: the variant once a variant rung was taken."""
    if dose.variant and dose.variant in library.exercises:
        return library.get(dose.variant)
    return library.get(exercise_id)


def within_limits(dose: Dose, exercise: Exercise) -> bool:
    for key in NUMERIC_KEYS:
        value = dose.get(key)
        if value is None:
            continue
        bounds = exercise.limits.bounds(key)
        if bounds is None or not bounds[0] <= float(value) <= bounds[1]:
            return False
    return True


def _value(dose: Dose, key: str, exercise: Exercise) -> float | None:
    """A key's current value; an unused key with limits (e.g. no ankle weight yet) is its low bound."""
    value = dose.get(key)
    if value is not None:
        return float(value)
    bounds = exercise.limits.bounds(key)
    return None if bounds is None else bounds[0]


def _typed(key: str, value: float) -> int | float:
    return round(value) if key in INT_KEYS else round(value, 2)


def _bottom_reps(dose: Dose, exercise: Exercise) -> dict[str, int | float | str | None]:
    """C-8 double progression: reps go back to the article's lowest reps for the exercise."""
    if dose.reps is None or exercise.dose.reps is None:
        return {}
    return {"reps": exercise.dose.reps}


def _switch(dose: Dose, base_id: str, to: str) -> Dose:
    """Switch variant; switching back to the program's own exercise clears `variant`."""
    return dose.with_(variant=None if to == base_id else to)


def _amount(by: float, share: float | None, current: float) -> float:
    """C-8 (v2): aerobic minutes move by floor(share × current), at least `by`."""
    return by if share is None else max(by, math.floor(share * current))


def _rung_up(
    rung: Rung,
    dose: Dose,
    exercise: Exercise,
    library: Library,
    base_id: str,
    caps: Mapping[str, float],
    skip: frozenset[str],
) -> Dose | None:
    if rung.change == "variant":
        if rung.to is None or dose.variant == rung.to or rung.to not in library.exercises:
            return None
        target = library.get(rung.to)
        reset = _bottom_reps(dose, target) if rung.reset_reps else {}
        new = _switch(dose, base_id, rung.to).with_(**reset)
        return new if within_limits(new, target) else None
    if rung.change in skip:
        return None
    current = _value(dose, rung.change, exercise)
    if current is None or rung.until is None or rung.by is None:
        return None
    top = min(rung.until, caps.get(rung.change, rung.until))
    if current >= top:
        return None  # D-4: a rung past a condition cap is skipped; the next key applies
    nxt = _typed(rung.change, min(top, current + _amount(rung.by, rung.share, current)))
    reset = _bottom_reps(dose, exercise) if rung.reset_reps else {}
    new = dose.with_(**{rung.change: nxt}, **reset)
    return new if within_limits(new, exercise) else None


def step_up(
    exercise_id: str,
    dose: Dose,
    library: Library,
    *,
    caps: Mapping[str, float] | None = None,
    skip: frozenset[str] = frozenset(),
) -> Step | None:
    """One rung up, or None at the top of the ladder.

    `caps` lowers a key's ceiling (D-4 step-height caps); `skip` names keys whose rungs do not
    apply to this person (D-4: no ankle-weight rung on the bottom-leg raise for some conditions).
    """
    exercise = effective_exercise(exercise_id, dose, library)
    for rung in exercise.progression:
        new = _rung_up(rung, dose, exercise, library, exercise_id, caps or {}, skip)
        if new is not None:
            return Step(dose=new, rules=("P2", "C-8", *rung.rules), note=rung.note)
    return None


def _floor_kind(exercise: Exercise, dose: Dose) -> str:
    if exercise.category == Category.AEROBIC or (dose.minutes is not None and dose.reps is None):
        return "aerobic"
    if exercise.category in (Category.STRETCH, Category.YOGA) and dose.reps is None:
        return "stretch"
    return "reps"


def _lower(dose: Dose, exercise: Exercise, key: str, by: float, floor: float) -> Dose | None:
    value = dose.get(key)
    bounds = exercise.limits.bounds(key)
    if value is None or isinstance(value, str):
        return None
    lowest = max(floor, bounds[0]) if bounds is not None else floor
    if float(value) <= lowest:
        return None
    return dose.with_(**{key: _typed(key, max(lowest, float(value) - by))})


def _reverse_ladder(dose: Dose, start: Dose, exercise: Exercise) -> Step | None:
    for rung in reversed(exercise.progression):
        if rung.change == "variant" or rung.by is None:
            continue
        begin = start.get(rung.change)
        floor = float(begin) if isinstance(begin, int | float) else 0.0
        new = _lower(dose, exercise, rung.change, rung.by, floor)
        if new is not None:
            return Step(dose=new, rules=("P4", "C-8"), note=f"Back one step: {rung.note.lower()}")
    return None


def _floors(dose: Dose, exercise: Exercise, library: Library, base_id: str) -> Step | None:
    """C-8 lowest-rung steps, then the library's own easier options (e.g. one leg at a time)."""
    for key, by, floor in _FLOORS[_floor_kind(exercise, dose)]:
        new = _lower(dose, exercise, key, by, floor)
        if new is not None:
            return Step(dose=new, rules=("P4", "C-8"), note=_FLOOR_NOTES[key])
    for reg in exercise.regressions:
        if reg.change == "variant" and reg.to in library.exercises and reg.to != exercise.id:
            new = _switch(dose, base_id, reg.to)
            if within_limits(new, library.get(reg.to)):
                return Step(dose=new, rules=("P4", "C-8", *reg.rules), note=reg.note)
        elif reg.by is not None:
            new_num = _lower(dose, exercise, reg.change, reg.by, 0)
            if new_num is not None:
                return Step(dose=new_num, rules=("P4", "C-8", *reg.rules), note=reg.note)
    return None


_FLOOR_NOTES = {
    "reps": f"Do 2 fewer repetitions in each set (not below {REPS_FLOOR}).",
    "sets": f"Do one set fewer (not below {SETS_FLOOR}).",
    "hold_s": f"Hold the stretch 10 seconds less (not below {STRETCH_HOLD_FLOOR} seconds).",
    "minutes": "Do 5 minutes less.",
}


def step_down(
    exercise_id: str, dose: Dose, start: Dose, undo: Dose | None, library: Library
) -> Step | None:
    """One rung down; None when nothing can be lowered (then the action is pause, C-8).

    `undo` is the dose before the most recent progression, when the current dose is that step's result.
    `start` is the dose the program started this exercise at.
    """
    exercise = effective_exercise(exercise_id, dose, library)
    if undo is not None:
        return Step(
            dose=undo, rules=("P4", "C-8"), note="Back to the dose before your last step up."
        )
    if _floor_kind(exercise, dose) == "aerobic":
        return _aerobic_down(dose, exercise)
    base = start if exercise.id == exercise_id else exercise.dose.to_dose()
    return _reverse_ladder(dose, base, exercise) or _floors(dose, exercise, library, exercise_id)


def _aerobic_down(dose: Dose, exercise: Exercise) -> Step | None:
    """C-8 (v2): minus max(2, floor(20 %)), never below 5 minutes; None at 5 (then P12 holds)."""
    reg = next((r for r in exercise.regressions if r.change == "minutes" and r.by), None)
    if dose.minutes is None or dose.minutes <= AEROBIC_FLOOR:
        return None
    by, share = (reg.by or 2, reg.share) if reg is not None else (2.0, 0.2)
    new = max(AEROBIC_FLOOR, dose.minutes - int(_amount(by, share, dose.minutes)))
    note = reg.note if reg is not None else "Do a little less."
    return Step(dose=dose.with_(minutes=new), rules=("P4", "C-8"), note=note)
