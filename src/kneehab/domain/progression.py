"""Session-level load control (RULES §2.3, C-6…C-9, C-13): one decision per exercise per check-in.

Pure: the date is an argument and nothing is persisted. `kneehab.domain.course.replay` calls these
functions day by day; ladder arithmetic lives in `progression_ladder`, baselines in `baseline`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from kneehab.domain.types import Dose, Frozen


class Action(StrEnum):
    PROGRESS = "progress"  # P2: one rung up the exercise's ladder
    HOLD = "hold"  # P3: repeat the dose
    REGRESS = "regress"  # P4: one rung down (or a C-8 floor step)
    PAUSE = "pause"  # P5 / C-8 / C-9: not scheduled until a clinician reviews it
    STOP = "stop"  # P1: stop now and re-screen


class Decision(Frozen):
    """What happens to one exercise, why (rule ids + plain words) and from which dose to which."""

    exercise_id: str
    action: Action
    from_dose: Dose
    to_dose: Dose
    rules: tuple[str, ...]
    reason: str
    date: dt.date
    flags: tuple[str, ...] = ()  # e.g. "logged_while_paused" (C-13)

    def as_json(self) -> dict[str, object]:
        return {
            "exercise_id": self.exercise_id,
            "action": self.action.value,
            "from": self.from_dose.as_dict(),
            "to": self.to_dose.as_dict(),
            "rules": list(self.rules),
            "reason": self.reason,
            "date": self.date.isoformat(),
            "flags": list(self.flags),
        }
