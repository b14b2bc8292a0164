"""Session-level load control (RULES §2.3, C-6…C-9, C-13): one decision per exercise per check-in.

Pure: the date is an argument and nothing is persisted. `kneehab.domain.course.replay` calls these
functions day by day; ladder arithmetic lives in `progression_ladder`, baselines in `baseline`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum

from kneehab.domain.baseline import Baseline
from kneehab.domain.exercise import Library
from kneehab.domain.program import ItemStatus, ProgramItem
from kneehab.domain.progression_ladder import step_down, step_up
from kneehab.domain.records import SessionEntry
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


PAIN_STOP = 8  # P1 / C-2: pain during an exercise of 8 or more stops it
PAIN_REGRESS_MAX = 7  # C-2: P4 covers ceiling < pain ≤ 7
CADENCE_DAYS = 7  # C-7: the next progression needs ≥ 7 days since the previous one


class Performance(Frozen):
    """One exercise in one session, both sides merged, judged against the dose in effect that day."""

    date: dt.date
    pain_during_max: int
    ceiling: int  # the person's pain ceiling on that date (D-1, C-2)
    sharp: bool
    completed: bool
    easy: bool
    skipped: bool

    @property
    def within_ceiling(self) -> bool:
        return self.pain_during_max <= self.ceiling

    @property
    def counts_for_progress(self) -> bool:
        """P2's per-session part: done in full, pain within the ceiling, rated easy (RIR ≥ 2)."""
        return not self.skipped and self.completed and self.easy and self.within_ceiling


def _did_dose(entry: SessionEntry, dose: Dose) -> bool:
    """Completed the prescribed dose: every set, and per-set reps/holds when they were recorded."""
    if entry.skipped or entry.sets_done < (dose.sets or 1):
        return False
    checks = (
        (entry.reps, dose.reps),
        (entry.hold_s, dose.hold_s),
    )
    for done, target in checks:
        if done is not None and target is not None and min(done, default=0) < target:
            return False
    singles = (
        (entry.minutes, dose.minutes),
        (entry.load_kg, dose.load_kg),
        (entry.step_cm, dose.step_cm),
    )
    return all(done is None or target is None or done >= target for done, target in singles)


def performance(
    entries: Sequence[SessionEntry], dose: Dose, on: dt.date, ceiling: int
) -> Performance:
    """Merge one exercise's entries in one session (left and right sides) into one performance."""
    done = [e for e in entries if not e.skipped]
    if not done:
        return Performance(
            date=on,
            pain_during_max=0,
            ceiling=ceiling,
            sharp=False,
            completed=False,
            easy=False,
            skipped=True,
        )
    return Performance(
        date=on,
        pain_during_max=max(e.pain_during_max for e in done),
        ceiling=ceiling,
        sharp=any(e.sharp_pain for e in done),
        completed=len(done) == len(entries) and all(_did_dose(e, dose) for e in done),
        easy=all(e.easy for e in done),
        skipped=False,
    )


class Track(Frozen):
    """What the engine remembers about one exercise between check-ins."""

    exercise_id: str
    start_dose: Dose
    dose_since: dt.date  # a dose change restarts P2's two-session count (C-6)
    last_progress: dt.date | None = None
    last_action: Action | None = None
    last_action_date: dt.date | None = None
    regressing_since: dt.date | None = None  # first regress of the current run of regressions (P5)
    steps_up: tuple[tuple[Dose, Dose], ...] = ()  # (from, to) of progressions not yet undone

    def undo_for(self, dose: Dose) -> Dose | None:
        if self.steps_up and self.steps_up[-1][1] == dose:
            return self.steps_up[-1][0]
        return None

    def after(self, decision: Decision) -> Track:
        changes: dict[str, object] = {
            "last_action": decision.action,
            "last_action_date": decision.date,
            "regressing_since": None,
        }
        if decision.action == Action.REGRESS:
            running = self.last_action == Action.REGRESS and self.regressing_since is not None
            changes["regressing_since"] = self.regressing_since if running else decision.date
        if decision.to_dose != decision.from_dose:
            changes["dose_since"] = decision.date
        if decision.action == Action.PROGRESS:
            changes["last_progress"] = decision.date
            changes["steps_up"] = (*self.steps_up, (decision.from_dose, decision.to_dose))
        elif decision.action == Action.REGRESS and self.undo_for(decision.from_dose) is not None:
            changes["steps_up"] = self.steps_up[:-1]
        return self.model_copy(update=changes)


class Morning(Frozen):
    """The check-in as the pain-monitoring model sees it (C-5, §2.2)."""

    date: dt.date
    pain: int
    baseline: Baseline
    above: bool
    previous_above: bool  # the check-in of the day before was also above baseline
    weekly_rising: bool
    rising_two_weeks: bool


def _decision(
    item: ProgramItem,
    action: Action,
    to: Dose | None,
    rules: Iterable[str],
    reason: str,
    *,
    today: dt.date,
    flags: tuple[str, ...] = (),
) -> Decision:
    return Decision(
        exercise_id=item.exercise_id,
        action=action,
        from_dose=item.dose,
        to_dose=item.dose if to is None else to,
        rules=tuple(dict.fromkeys(rules)),
        reason=reason,
        date=today,
        flags=flags,
    )


def stop_now(item: ProgramItem, perf: Performance) -> Decision | None:
    """P1 / C-9: pain ≥ 8 or sharp/catching pain stops the exercise the day it happens."""
    if perf.skipped or (perf.pain_during_max < PAIN_STOP and not perf.sharp):
        return None
    what = (
        f"pain during {item.name} reached {perf.pain_during_max}/10 (8 or more)"
        if perf.pain_during_max >= PAIN_STOP
        else f"you felt sharp or catching pain during {item.name}"
    )
    reason = (
        f"Stop: {what}. Do not do this exercise again until you have answered the warning-sign "
        "questions again; if any is yes, follow what they say."
    )
    return _decision(item, Action.STOP, None, ("P1", "C-9"), reason, today=perf.date)


def stop_for_symptoms(
    item: ProgramItem,
    symptoms: Sequence[str],
    rules: Sequence[str],
    advice: str,
    today: dt.date,
) -> Decision:
    """P1: a new symptom at the check-in stops the exercise and re-runs the red-flag screen."""
    words = ", ".join(s.replace("_", " ") for s in symptoms)
    reason = f"Stop {item.name}: you reported {words} this morning. {advice}".strip()
    return _decision(item, Action.STOP, None, ("P1", *rules), reason, today=today)


def stop_for_red_flags(
    item: ProgramItem, rules: Sequence[str], advice: str, today: dt.date
) -> Decision:
    """E1: a re-screen answer that needs a clinician first (urgent, emergency or out of scope)
    stops every exercise from that day on; the program stays locked until a clinician clears it."""
    reason = (
        f"Stop {item.name}: your answers to the warning-sign questions need a clinician before "
        f"you exercise again. {advice}"
    ).strip()
    return _decision(item, Action.STOP, None, ("E1", *rules), reason, today=today)


def pause_after_stop(item: ProgramItem, today: dt.date) -> Decision:
    """C-9: once the re-screen is clear, a stopped exercise is treated as P5 (paused)."""
    reason = (
        f"This morning's answers showed no warning signs, so {item.name} moves from stopped to "
        "paused: keep doing the exercises that do not hurt, and ask your physio before restarting it."
    )
    return _decision(item, Action.PAUSE, None, ("P1", "P5", "C-9"), reason, today=today)


def _p5_after_regress(track: Track, morning: Morning) -> bool:
    """P5: morning above baseline on 2 consecutive days, both after the regression.

    A run of regressions counts from its first one: regressing again on the first of the two
    mornings does not restart the count.
    """
    since = track.regressing_since or track.last_action_date
    if track.last_action != Action.REGRESS or since is None:
        return False
    yesterday = morning.date - dt.timedelta(days=1)
    return morning.above and morning.previous_above and yesterday > since


def _pause_p5(item: ProgramItem, why: str, today: dt.date) -> Decision:
    reason = (
        f"{why}, so {item.name} is paused. Keep doing the exercises that do not hurt and book a "
        "review with your physio within 1–2 weeks."
    )
    return _decision(item, Action.PAUSE, None, ("P5",), reason, today=today)


def _regress(
    item: ProgramItem,
    track: Track,
    why: str,
    rule_ids: tuple[str, ...],
    library: Library,
    *,
    today: dt.date,
) -> Decision:
    step = step_down(
        item.exercise_id, item.dose, track.start_dose, track.undo_for(item.dose), library
    )
    if step is None:
        reason = (
            f"{why}. {item.name} is already at its easiest dose, so it is paused until your physio "
            "reviews it; keep doing the exercises that do not hurt."
        )
        return _decision(item, Action.PAUSE, None, (*rule_ids, "C-8"), reason, today=today)
    reason = (
        f"{why}, so go back one step ({item.dose.describe()} → {step.dose.describe()}): {step.note}"
    )
    return _decision(item, Action.REGRESS, step.dose, (*rule_ids, *step.rules), reason, today=today)


def _missing_for_progress(perfs: Sequence[Performance], morning: Morning) -> str:
    if morning.weekly_rising:
        return "your morning pain or stiffness this week to be no higher than last week"
    if len(perfs) < 2:
        return "two sessions in a row at this dose"
    if not all(p.completed and not p.skipped for p in perfs):
        return "two sessions in a row with every set done at this dose"
    if not all(p.easy for p in perfs):
        return "two sessions in a row that felt easy (2 or more reps in reserve)"
    return "two sessions in a row with pain within your limit"


def _progress_or_hold(
    item: ProgramItem,
    track: Track,
    perfs: Sequence[Performance],
    morning: Morning,
    *,
    held: bool,
    library: Library,
    today: dt.date,
) -> Decision:
    ok = "Pain stayed within your limit and your knee was back to its usual level this morning"
    last_two = list(perfs[-2:])
    if (
        len(last_two) < 2
        or not all(p.counts_for_progress for p in last_two)
        or morning.weekly_rising
    ):
        need = _missing_for_progress(last_two, morning)
        return _decision(
            item,
            Action.HOLD,
            None,
            ("P3",),
            f"{ok}, so keep the same dose. To step up, {item.name} needs {need}.",
            today=today,
        )
    if held:
        reason = (
            f"{ok} and the last two sessions felt easy, but progression is on hold until a "
            "clinician has reviewed your program (your answers asked for a review within 1–2 weeks)."
        )
        return _decision(item, Action.HOLD, None, ("P2", "D-2", "C-10"), reason, today=today)
    if track.last_progress is not None and (today - track.last_progress).days < CADENCE_DAYS:
        due = track.last_progress + dt.timedelta(days=CADENCE_DAYS)
        reason = (
            f"{ok} and the last two sessions felt easy, but {item.name} stepped up on "
            f"{track.last_progress.isoformat()}; one step a week at most, so the next step can "
            f"come from {due.isoformat()}."
        )
        return _decision(item, Action.HOLD, None, ("P2", "C-7"), reason, today=today)
    step = step_up(item.exercise_id, item.dose, library)
    if step is None:
        reason = (
            f"{ok}, and {item.name} is at the top of its ladder: keep this dose and ask your "
            "physio about the next phase."
        )
        return _decision(item, Action.HOLD, None, ("P2", "D-4"), reason, today=today)
    reason = (
        f"{ok}, and the last two sessions were done in full and felt easy. Next step "
        f"({item.dose.describe()} → {step.dose.describe()}): {step.note}"
    )
    return _decision(item, Action.PROGRESS, step.dose, step.rules, reason, today=today)


def decide(
    item: ProgramItem,
    track: Track,
    morning: Morning,
    perf: Performance | None,
    recent: Sequence[Performance],
    *,
    held: bool,
    library: Library,
) -> Decision | None:
    """The §2.3 decision for one exercise at one check-in (C-6), or None when nothing applies.

    `perf` is yesterday's session of this exercise (None when there was none); `recent` is every
    performance of it so far, oldest first. P1 stops are made on the session day (`stop_now`).
    """
    today = morning.date
    if item.status != ItemStatus.ACTIVE:
        if perf is None or perf.skipped:
            return None
        reason = (
            f"You did {item.name} while it is {item.status.value}. It has been recorded, and it "
            f"stays {item.status.value} until your physio reviews it."
        )
        action = Action.STOP if item.status == ItemStatus.STOPPED else Action.PAUSE
        return _decision(
            item, action, None, ("C-13",), reason, today=today, flags=("logged_while_paused",)
        )
    if _p5_after_regress(track, morning):
        return _pause_p5(
            item,
            "Your morning pain was above your usual level two mornings in a row even "
            "after making it easier",
            today=today,
        )
    if perf is None or perf.skipped:
        return None
    week = [p for p in recent if (today - p.date).days <= 7 and not p.skipped]
    if morning.rising_two_weeks and any(p.pain_during_max > 0 for p in week):
        return _pause_p5(
            item,
            "Your morning pain or stiffness has gone up two weeks running and this "
            "exercise was not pain-free",
            today=today,
        )
    if perf.pain_during_max > perf.ceiling:
        why = (
            f"Pain during {item.name} reached {perf.pain_during_max}/10, above your limit of "
            f"{perf.ceiling}/10"
        )
        return _regress(item, track, why, ("P4", "D-1", "C-2"), library, today=today)
    if morning.above:
        why = (
            f"Your knee this morning ({morning.pain}/10) was above your usual level "
            f"({morning.baseline.source})"
        )
        return _regress(item, track, why, ("P4", "C-5"), library, today=today)
    at_dose = [p for p in recent if p.date >= track.dose_since]
    return _progress_or_hold(item, track, at_dose, morning, held=held, library=library, today=today)
