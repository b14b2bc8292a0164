"""The HTTP bodies of a clinician's actions (issue 12 §3, RULES D-7): one typed model per action,
told apart by `kind` (a discriminated union, so OpenAPI shows each), each with its required reason.
They are turned into the domain's ClinicianAction; the domain decides whether the program can take
it (clinician_checks)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kneehab.domain.records import ClinicianAction

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    Field(description="Why — required; the person reads it with your name"),
]
ExerciseId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class Review(_Body):
    """Mark a `soon` triage or re-screen reviewed: ends every state that waits for a clinician."""

    kind: Literal["review"]


class Assessment(_Body):
    """Record an assessment: a review that also lifts an urgent or emergency lock."""

    kind: Literal["assessment"]


class Acknowledge(_Body):
    """Acknowledge an E-rule (or the pain-limit flag, `ceiling`); `reason` is your note."""

    kind: Literal["acknowledge"]
    rule: str = Field(pattern=r"^(E([2-9]|1[0-3])|ceiling)$")


class SetCeiling(_Body):
    kind: Literal["set_ceiling"]
    value: int = Field(ge=2, le=5, description="The pain limit, 2 to 5")


class SetTolerance(_Body):
    kind: Literal["set_tolerance"]
    value: int = Field(ge=0, le=1)


class SetSessionCap(_Body):
    kind: Literal["set_session_cap"]
    value: int = Field(ge=3, le=10)


class DoseBody(BaseModel):
    """The keys to change; the others stay as they are (null removes a key)."""

    model_config = ConfigDict(extra="forbid")
    sets: int | None = None
    reps: int | None = None
    hold_s: int | None = None
    load_kg: float | None = None
    step_cm: int | None = None
    minutes: int | None = None


class SetDose(_Body):
    """Set a dose inside the exercise's limits (automatic rules then step from it, D-8)."""

    kind: Literal["set_dose"]
    exercise_id: ExerciseId
    dose: DoseBody


class Add(_Body):
    """Add an exercise from the library; an `avoid` cell needs `override` (shown to the person)."""

    kind: Literal["add"]
    exercise_id: ExerciseId
    override: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None


class OnExercise(_Body):
    kind: Literal["remove", "pause", "resume", "pause_progression", "resume_progression"]
    exercise_id: ExerciseId
    dose: DoseBody | None = Field(default=None, description="resume only: the dose to resume at")


class SetCondition(_Body):
    """Change the stated condition (still not a diagnosis, D-6)."""

    kind: Literal["set_condition"]
    condition: str | None = None
    onset: str | None = None
    weeks_since_onset: int | None = Field(default=None, ge=0, le=2600)
    mcl_grade: Literal[1, 2, 3] | None = None


class SetPhase(_Body):
    kind: Literal["set_phase"]
    phase: Literal["early", "later"]


class Note(_Body):
    """A note to the person, shown on their Today page until they dismiss it."""

    kind: Literal["note"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


ActionBody = Annotated[
    Review
    | Assessment
    | Acknowledge
    | SetCeiling
    | SetTolerance
    | SetSessionCap
    | SetDose
    | Add
    | OnExercise
    | SetCondition
    | SetPhase
    | Note,
    Field(discriminator="kind"),
]


def to_action(body: BaseModel, *, today: date) -> ClinicianAction:
    """The domain event for one body (dated today; the service signs it with the clinician's name)."""
    data = body.model_dump(exclude_unset=True)
    kind = data.pop("kind")
    reason = data.pop("reason")
    fields: dict[str, object] = {"date": today, "action": kind, "reason": reason}
    if kind == "acknowledge":
        fields["value"] = data["rule"]
    elif kind in ("set_ceiling", "set_tolerance", "set_session_cap"):
        fields["value"] = data["value"]
    elif kind == "set_phase":
        fields["value"] = data["phase"]
    elif kind == "note":
        fields["value"] = data["note"]
    elif kind == "set_condition":
        fields["value"] = {k: v for k, v in data.items() if v is not None}
    else:
        fields["exercise_id"] = data.get("exercise_id")
        if data.get("dose") is not None:
            fields["value"] = data["dose"]
        if kind == "add":
            fields["override"] = data.get("override")
    return ClinicianAction.model_validate(fields)
