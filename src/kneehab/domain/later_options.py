"""The article's later options: when each is ready to be offered (RULES D-12 v2).

"Single leg balance, lunges, and squats when you can tolerate them safely"; "if tolerated … switch to
working the bottom leg"; "other great core strengthening options include planks and bicycle
crunches". Each option has a parent in the session and a dose the parent must have reached, met in
the parent's last two performances with pain within the limit and an effort that qualifies (C-16).
The gates that are not about the parent (day 14, no flare, no hold, no open escalation, no giving
way for standing options) are the course's; this module only reads doses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from kneehab.domain.progression import Performance
from kneehab.domain.types import Dose

UNLOCK_DAY = 14  # §0.2 UNLOCK: program day ≥ 14
NO_FLARE_DAYS = 7  # … no flare in the 7 days before
NO_GIVEWAY_DAYS = 28  # … standing options: no giving way in the 28 days before
REOFFER_DAYS = 14  # §0.2 REOFFER: 14 days without a flare
IN_PROGRAM_DAYS = 14  # lunge (squat), bicycle crunch (plank): ≥ 14 days in the program
STANDING_OPTIONS = frozenset({"single-leg-balance", "squat", "lunge"})

# D-12: the session item an option replaces when the session is full.
PARENT: dict[str, str] = {
    "single-leg-balance": "step-up",
    "squat": "step-up",
    "lunge": "step-up",
    "side-lying-inner-thigh-raise": "side-lying-leg-raise",
    "plank": "double-knee-to-chest",
    "bicycle-crunch": "double-knee-to-chest",
}


def _at_least(dose: Dose, *, sets: int = 0, reps: int = 0, step_cm: int = 0) -> bool:
    return (dose.sets or 0) >= sets and (dose.reps or 0) >= reps and (dose.step_cm or 0) >= step_cm


class Parents:
    """What the criteria read: each exercise's performances and how long options have been in."""

    def __init__(
        self,
        perfs: Mapping[str, Sequence[Performance]],
        in_program_since: Mapping[str, dt.date],
        doses: Mapping[str, Dose],
        *,
        step_cap_cm: int,
        today: dt.date,
    ) -> None:
        self.perfs, self.since, self.doses = perfs, in_program_since, doses
        self.step_cap_cm, self.today = step_cap_cm, today

    def last_two(self, exercise_id: str, test: Callable[[Dose], bool]) -> bool:
        """The exercise's last two performances each met `test`, within the limit, with reserve."""
        done = [p for p in self.perfs.get(exercise_id, ()) if p.date < self.today][-2:]
        return len(done) == 2 and all(
            test(p.dose) and not p.above_ceiling and p.qualifying for p in done
        )

    def in_program(self, exercise_id: str, test: Callable[[Dose], bool]) -> bool:
        since = self.since.get(exercise_id)
        dose = self.doses.get(exercise_id)
        return (
            since is not None
            and dose is not None
            and (self.today - since).days >= IN_PROGRAM_DAYS
            and test(dose)
        )

    def step_up_ready(self) -> bool:
        height = min(15, self.step_cap_cm)
        return self.last_two("step-up", lambda d: _at_least(d, sets=3, step_cm=height))


def criteria_met(option: str, parents: Parents, *, in_session: set[str]) -> bool:
    """D-12's dose criterion for one option (the gates are the caller's)."""
    if option == "single-leg-balance":
        return parents.step_up_ready()
    if option == "squat":
        return parents.step_up_ready() and parents.last_two(
            "seated-straight-leg-raise", lambda d: _at_least(d, sets=3, reps=12)
        )
    if option == "lunge":
        return parents.in_program("squat", lambda d: _at_least(d, sets=2, reps=12))
    if option == "side-lying-inner-thigh-raise":
        return parents.last_two("side-lying-leg-raise", lambda d: _at_least(d, sets=3, reps=12))
    if option == "plank":
        core = "double-knee-to-chest" if "double-knee-to-chest" in in_session else "bridge"
        return parents.last_two(core, lambda d: _at_least(d, sets=2, reps=15))
    if option == "bicycle-crunch":
        return parents.last_two(
            "double-knee-to-chest", lambda d: _at_least(d, sets=3, reps=15)
        ) or parents.in_program("plank", lambda d: True)
    return False
