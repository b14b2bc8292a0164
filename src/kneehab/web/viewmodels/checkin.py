"""Morning check-in and, right after it, what changed in the program and why (RULES §2.2, §2.3)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.progression import Action, Decision
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


def checkin_form_view(
    today: date, *, already_done: bool, values: dict[str, Any] | None = None
) -> CheckInFormView:
    return CheckInFormView(
        day=today,
        day_label=day_label(today),
        already_done=already_done,
        changes_url=f"/checkin/changes?day={today.isoformat()}",
        pain_scale=pain_scale(),
        stiffness_scale=pain_scale(zero_word="No stiffness"),
        symptoms=symptom_choices(),
        values=values or {},
    )


ACTION_LABELS: dict[Action, str] = {
    Action.PROGRESS: "Step up",
    Action.HOLD: "Stay the same",
    Action.REGRESS: "Step down",
    Action.PAUSE: "Paused",
    Action.STOP: "Stopped",
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


class ChangesView(BaseModel):
    day: date
    day_label: str
    summary: str
    changes: list[Change]
    unchanged: list[Change]
    banner: Banner | None
    rescreen_needed: bool
    held_note: str


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


def changes_view(
    day: date,
    decisions: list[Decision],
    library: Library,
    *,
    banner: Banner | None,
    rescreen_needed: bool,
    progression_held: bool,
) -> ChangesView:
    mine = [_change(d, library) for d in decisions if d.date == day]
    changed = [c for c in mine if c.action != Action.HOLD.value]
    held = [c for c in mine if c.action == Action.HOLD.value]
    if changed:
        n = len(changed)
        summary = f"{n} exercise{'s' if n > 1 else ''} changed after this check-in."
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
            "Your exercises will not step up until a clinician has reviewed your program (D-2)."
            if progression_held
            else ""
        ),
    )
