"""Morning check-in and, right after it, what changed in the program and why (RULES §2.2, §2.3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.progression import Action, Decision
from kneehab.domain.types import Dose
from kneehab.web.viewmodels.common import (
    Banner,
    Choice,
    PainOption,
    day_label,
    dose_text,
    pain_scale,
    symptom_choices,
)


class CheckInFormView(BaseModel):
    day: date
    day_label: str
    already_done: bool
    changes_url: str
    pain_scale: list[PainOption]
    stiffness_scale: list[PainOption]
    symptoms: list[Choice]
    values: dict[str, Any]
    # Issue 9 §3: a missed morning can be added the next day, dated (the rules replay with it). `days` are the
    # mornings this form can record now (today and/or yesterday); `yesterday_url` opens yesterday's when
    # today's is done and yesterday's is still missing.
    days: list[Choice] = []
    yesterday_url: str = ""


def morning_label(day: date, today: date) -> str:
    when = "This morning" if day == today else "Yesterday morning"
    return f"{when}, {day_label(day)}"


def checkin_form_view(
    today: date,
    *,
    already_done: bool,
    values: dict[str, Any] | None = None,
    open_days: list[date] | None = None,
    day: date | None = None,
) -> CheckInFormView:
    """The form for `day` (today by default); `open_days` are the mornings still without a check-in that
    may be recorded now (today, and yesterday once the course had started by then)."""
    open_days = open_days if open_days is not None else ([] if already_done else [today])
    shown = day or today
    yesterday = today - timedelta(days=1)
    done = already_done and shown == today
    return CheckInFormView(
        day=shown,
        day_label=day_label(shown),
        already_done=done,
        changes_url=f"/checkin/changes?day={shown.isoformat()}",
        pain_scale=pain_scale(),
        stiffness_scale=pain_scale(zero_word="No stiffness"),
        symptoms=symptom_choices(),
        values=values or {},
        days=[Choice(value=d.isoformat(), label=morning_label(d, today)) for d in open_days]
        if not done
        else [],
        yesterday_url=f"/checkin?day={yesterday.isoformat()}"
        if done and yesterday in open_days
        else "",
    )


ACTION_LABELS: dict[Action, str] = {
    Action.PROGRESS: "Step up",
    Action.HOLD: "Stay the same",
    Action.REGRESS: "Step down",
    Action.PAUSE: "Paused",
    Action.STOP: "Stopped",
    Action.RESUME: "Back in your session",
}
# C-18 version kinds that are not decisions, as the person reads them.
KIND_LABELS: dict[str, str] = {
    **{a.value: label for a, label in ACTION_LABELS.items()},
    "phase": "Next phase",
    "unlock": "New exercise added",
    "swap": "Swapped",
    "clinician": "Changed by your clinician",
    "rules-v2": "Updated rules",
}


class Change(BaseModel):
    exercise_id: str
    exercise_name: str
    action: str
    action_label: str
    before: str
    after: str
    reason: str
    rules: list[str]


class RulesNote(BaseModel):
    """A dated `rules-v2` program event (ADR 0004): what the updated rules changed, in plain words."""

    text: str
    rules: list[str]


class PhysioChange(BaseModel):
    """A change made by the person's physical therapist (RULES D-7): their name and reason are in
    the text; the ids are kept apart (D-13)."""

    text: str
    rules: list[str]


class ChangesView(BaseModel):
    day: date
    day_label: str
    summary: str
    changes: list[Change]
    unchanged: list[Change]
    banner: Banner | None
    rescreen_needed: bool
    held_note: str
    held_rules: list[str] = []  # shown apart from the sentence (D-13)
    rules_update: RulesNote | None = None
    recorded: bool = False  # True: the day is before the rules update; what was recorded then
    by_physio: list[PhysioChange] = []  # issue 12: the clinician's changes of the day, by name


def _change(d: Decision, library: Library) -> Change:
    ex = library.exercises.get(d.exercise_id)
    per_side = bool(ex and ex.dose.per_side)
    return Change(
        exercise_id=d.exercise_id,
        exercise_name=ex.name if ex else d.exercise_id,
        action=d.action.value,
        action_label=ACTION_LABELS[d.action],
        before=dose_text(d.from_dose, per_side=per_side),
        after=dose_text(d.to_dose, per_side=per_side),
        reason=d.reason,
        rules=list(d.rules),
    )


def recorded_change(
    exercise_id: str,
    kind: str,
    from_dose: Dose | None,
    to_dose: Dose | None,
    reason: str,
    rules: tuple[str, ...],
    library: Library,
) -> Change:
    """A stored program version (what the person was shown that day) as a change row."""
    ex = library.exercises.get(exercise_id)
    per_side = bool(ex and ex.dose.per_side)
    before = dose_text(from_dose, per_side=per_side) if from_dose else ""
    after = dose_text(to_dose, per_side=per_side) if to_dose else before
    return Change(
        exercise_id=exercise_id,
        exercise_name=ex.name if ex else exercise_id,
        action=kind,
        action_label=KIND_LABELS.get(kind, kind.capitalize()),
        before=before,
        after=after,
        reason=reason,
        rules=list(rules),
    )


def changes_view(
    day: date,
    decisions: list[Decision],
    library: Library,
    *,
    banner: Banner | None,
    rescreen_needed: bool,
    progression_held: bool,
    held_rules: tuple[str, ...] = ("D-2",),
    recorded: list[Change] | None = None,
    rules_update: RulesNote | None = None,
) -> ChangesView:
    """The day's decisions; for a day before the person's rules update, the changes recorded then
    (`recorded`), never what the updated rules would have decided (ADR 0004)."""
    if recorded is not None:
        mine = recorded
    else:
        mine = [_change(d, library) for d in decisions if d.date == day]
    changed = [c for c in mine if c.action != Action.HOLD.value]
    held = [c for c in mine if c.action == Action.HOLD.value]
    if changed:
        n = len(changed)
        summary = f"{n} exercise{'s' if n > 1 else ''} changed after this check-in."
    elif rules_update is not None:
        summary = "Your program follows the updated rules from today."
    elif held:
        summary = "No changes today: your exercises stay at the same dose."
    else:
        summary = "No decisions today: there was no session yesterday to judge."
    return ChangesView(
        day=day,
        day_label=day_label(day),
        summary=summary,
        changes=changed,
        unchanged=held,
        banner=banner,
        rescreen_needed=rescreen_needed,
        held_note=(
            "Your exercises will not step up for now; each one below says why."
            if progression_held
            else ""
        ),
        held_rules=list(held_rules) if progression_held else [],
        rules_update=rules_update,
        recorded=recorded is not None,
    )
