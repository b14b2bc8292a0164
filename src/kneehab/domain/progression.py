"""Session-level load control (RULES §2.3 v2, C-6…C-9, C-13, C-16, C-17): the decision types, one
performance per exercise per day, and the plain words of every decision.

Pure: dates are arguments and nothing is persisted. `kneehab.domain.course.replay` walks a course day
by day and decides which rule applies; ladder arithmetic lives in `progression_ladder`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum

from kneehab.domain.program import ProgramItem
from kneehab.domain.records import SessionEntry
from kneehab.domain.types import Dose, Frozen


class Action(StrEnum):
    """C-18 (v2) decision actions, from the most restrictive down (§0.3 item 6)."""

    STOP = "stop"  # P1: stop that exercise that day
    PAUSE = "pause"  # P5, P13, C-8 floor, C-9: not scheduled; P10 or a clinician ends it
    REGRESS = "regress"  # P4/P8: one C-8 step down
    HOLD = "hold"  # P3, P9, P11, P12, RF08: repeat the dose
    RESUME = "resume"  # P10, C-9: back in the session
    PROGRESS = "progress"  # P2: one rung up


# §0.3 item 6: the most restrictive applicable action wins.
RESTRICTIVENESS: dict[Action, int] = {a: -i for i, a in enumerate(Action)}


class Decision(Frozen):
    """What happens to one exercise, why (rule ids + plain words) and from which dose to which."""

    exercise_id: str
    action: Action
    from_dose: Dose
    to_dose: Dose
    rules: tuple[str, ...]
    reason: str
    date: dt.date
    flags: tuple[str, ...] = ()  # "logged_while_paused", "not_in_session" (C-13)

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


PAIN_STOP = 8  # P1 / C-2: pain during an exercise of 8 or more stops it
PAIN_REGRESS_MAX = 7  # C-2: P4 covers ceiling < pain ≤ 7


def qualifies(entry: SessionEntry) -> bool:
    """C-16 (v2): rir ≥ 2, or (no rir) effort easy or moderate; when both are given, rir decides."""
    if entry.rir is not None:
        return entry.rir >= 2
    return entry.effort in ("easy", "moderate")


class Performance(Frozen):
    """§0.1: all non-skipped entries of one exercise on one date, both sides merged, judged
    against the dose prescribed that day and the pain ceiling of that date (D-1)."""

    date: dt.date
    dose: Dose  # the prescribed dose it was done against
    pain: int  # the highest pain_during_max
    ceiling: int
    sharp: bool
    completed: bool  # every prescribed set at the prescribed reps / hold / step / load / minutes
    qualifying: bool  # C-16 effort on every entry
    rated: bool  # at least one entry says how hard it felt (C-16's reason asks otherwise)

    @property
    def above_ceiling(self) -> bool:
        return self.pain > self.ceiling

    @property
    def counts_for_progress(self) -> bool:
        """P2 (i)'s per-performance part."""
        return self.completed and self.qualifying and not self.above_ceiling


def _did_dose(entry: SessionEntry, dose: Dose) -> bool:
    """Completed the prescribed dose; a lower step than prescribed is not completed (D-5)."""
    if entry.sets_done < (dose.sets or 1):
        return False
    for done, target in ((entry.reps, dose.reps), (entry.hold_s, dose.hold_s)):
        if done is not None and target is not None and min(done, default=0) < target:
            return False
    singles = (
        (entry.minutes, dose.minutes),
        (entry.load_kg, dose.load_kg),
        (entry.step_cm, dose.step_cm),
    )
    return all(done is None or not target or done >= target for done, target in singles)


def performance(
    entries: Sequence[SessionEntry], dose: Dose, on: dt.date, ceiling: int
) -> Performance | None:
    """Merge one exercise's entries of one day; None when every entry was skipped."""
    done = [e for e in entries if not e.skipped]
    if not done:
        return None
    return Performance(
        date=on,
        dose=dose,
        pain=max(e.pain_during_max for e in done),
        ceiling=ceiling,
        sharp=any(e.sharp_pain for e in done),
        completed=len(done) == len(entries) and all(_did_dose(e, dose) for e in done),
        qualifying=all(qualifies(e) for e in done),
        rated=any(e.rir is not None or e.effort is not None for e in done),
    )


def day_text(day: dt.date) -> str:
    """A date as a person reads it: 'Monday 17 March'."""
    return f"{day:%A} {day.day} {day:%B}"


def decision(
    item: ProgramItem,
    action: Action,
    rules: Iterable[str],
    reason: str,
    *,
    today: dt.date,
    to: Dose | None = None,
    from_dose: Dose | None = None,
    flags: tuple[str, ...] = (),
) -> Decision:
    start = item.dose if from_dose is None else from_dose
    return Decision(
        exercise_id=item.exercise_id,
        action=action,
        from_dose=start,
        to_dose=start if to is None else to,
        rules=tuple(dict.fromkeys(rules)),
        reason=reason,
        date=today,
        flags=flags,
    )


def dose_words(item: ProgramItem, dose: Dose) -> str:
    return dose.describe(per_side=item.per_side)


def stop_now(item: ProgramItem, perf: Performance) -> Decision | None:
    """P1 (v2): pain ≥ 8 or sharp/catching pain stops the exercise the day it happens."""
    if perf.pain < PAIN_STOP and not perf.sharp:
        return None
    what = (
        f"pain during {item.name} reached {perf.pain}/10 (8 or more)"
        if perf.pain >= PAIN_STOP
        else f"you felt sharp or catching pain during {item.name}"
    )
    reason = (
        f"Stop: {what}. Do not do it again today. The warning-sign questions are asked at your "
        "next check-in; if none applies, it comes back one step easier."
    )
    return decision(item, Action.STOP, ("P1", "C-9"), reason, today=perf.date)
