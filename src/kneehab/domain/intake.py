"""The intake: what a person (or their clinician) tells kneehab before a program is built.

One model serves the CLI's JSON file, the web form and the REST API (RULES C-14 sets the ranges).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from kneehab.domain.types import Condition, Frozen, Knee, Onset, PainScore, Sex

RED_FLAG_IDS: tuple[str, ...] = tuple(f"RF{n:02d}" for n in range(1, 17))


def _known_red_flags(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in value if v not in RED_FLAG_IDS]
    if unknown:
        raise ValueError(f"unknown red flag {unknown[0]!r}; allowed: RF01 … RF16")
    return tuple(sorted(set(value)))


# Red-flag ids answered yes, checked and put in order: the intake's and every re-screen's.
RedFlagIds = Annotated[tuple[str, ...], AfterValidator(_known_red_flags)]

EquipmentId = Literal["strap", "ankle_weights", "ball", "step", "foam_pad", "mat", "chair"]
AccessId = Literal["stationary_bike", "elliptical", "rower", "pool"]
# RULES D-11, E10: three-way answers; `not_sure` counts as the safer answer.
YesNoNotSure = Literal["yes", "no", "not_sure"]
OLDER_AGE = 65  # RULES §0.2 OLDER: 1 starting set (C-8); D-11 defaults when unanswered

EQUIPMENT_IDS: tuple[str, ...] = (
    "strap",
    "ankle_weights",
    "ball",
    "step",
    "foam_pad",
    "mat",
    "chair",
)
ACCESS_IDS: tuple[str, ...] = ("stationary_bike", "elliptical", "rower", "pool")


class Intake(Frozen):
    age: int = Field(
        ge=10, le=110, description="Age in years (10–110; under 16 is out of scope, RF15)"
    )
    sex: Sex = Sex.UNSPECIFIED
    knee: Knee
    # Required (C-14): `unknown` is an answer the person gives, never a default for a missing field.
    condition: Condition
    mcl_grade: Literal[1, 2, 3] | None = None
    onset: Onset
    weeks_since_onset: int = Field(ge=0, le=2600)
    pain_now: PainScore
    pain_worst_week: PainScore
    # Ids answered yes. Required on every intake that comes from outside (`SubmittedIntake`, C-14); the default
    # serves intakes built in code.
    red_flags: RedFlagIds = ()
    # Asked of everyone, each on its own (RULES C-14 v2): a cold, pale or blue foot (RF10 → emergency) and
    # chest symptoms (RF17 → emergency, with or without leg symptoms).
    cold_foot: bool = Field(default=False, description="A cold, pale or blue foot (RF10)")
    chest_symptoms: bool = Field(
        default=False,
        description="New chest pain or pressure, sudden breathlessness or coughing up blood (RF17)",
    )
    equipment: tuple[EquipmentId, ...] = ()
    access: tuple[AccessId, ...] = ()
    goals: tuple[str, ...] = ()
    # A clinician may raise the ceiling to 4 or 5 for a self-managed person (RULES D-1).
    pain_ceiling: int | None = Field(default=None, ge=2, le=5)
    # RULES D-11 (v2): None = not asked (older files); the defaults are applied by the properties.
    floor_transfer: YesNoNotSure | None = Field(
        default=None,
        description="Can you get down to the floor and up again safely on your own? "
        "(missing: no at 65 or over, else yes)",
    )
    falls_or_unsteady: YesNoNotSure | None = Field(
        default=None,
        description="Have you fallen in the past year, or do you feel unsteady when standing or "
        "walking? (missing: yes at 65 or over, else no)",
    )
    # RULES E10 (v2): "Has a doctor or physical therapist examined your knee for this problem?"
    assessed: YesNoNotSure | None = Field(
        default=None,
        description="Has a doctor or physical therapist examined your knee for this problem? "
        "(missing: not_sure)",
    )
    # RULES D-5 (v2): the bottom stair's measured height, asked when there is no step.
    stair_height_cm: int | None = Field(
        default=None,
        ge=10,
        le=30,
        description="The bottom stair's height in cm, asked when there is no step (10–30)",
    )

    @field_validator("goals")
    @classmethod
    def _short_goals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > 5:
            raise ValueError("at most 5 goals")
        if any(len(g) > 200 for g in value):
            raise ValueError("each goal must be at most 200 characters")
        return tuple(g.strip() for g in value if g.strip())

    @field_validator("equipment", "access")
    @classmethod
    def _dedupe(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _grade_needs_mcl(self) -> Intake:
        if self.mcl_grade is not None and self.condition != Condition.MCL:
            raise ValueError(
                "mcl_grade: only allowed when condition is 'mcl_sprain' (else use null)"
            )
        return self

    @property
    def chronic(self) -> bool:
        """More than 3 months since onset (RULES E10)."""
        return self.weeks_since_onset >= 13

    @property
    def no_floor(self) -> bool:
        """RULES D-11: lying work on a bed, no kneeling, unless the person can get down and up."""
        if self.floor_transfer is None:
            return self.age >= OLDER_AGE
        return self.floor_transfer != "yes"

    @property
    def fall_risk(self) -> bool:
        """RULES D-11: supported standing work, lower step cap (D-4)."""
        if self.falls_or_unsteady is None:
            return self.age >= OLDER_AGE
        return self.falls_or_unsteady != "no"

    @property
    def was_assessed(self) -> bool:
        """RULES E10: only a clear `yes` counts; missing reads as `not_sure` (C-14)."""
        return self.assessed == "yes"


class SubmittedIntake(Intake):
    """An intake as it arrives from outside — a file for `kneehab plan` / `kneehab start`, the enrol API, the web
    first run: the screening must have been done (RULES C-14). `red_flags` is required here: an empty list means
    every warning-sign question was asked and answered no; a missing list means the screening was not done, which
    is an invalid intake (exit 2 / 422), never "no warning signs". `condition` is required on every intake."""

    red_flags: RedFlagIds = Field(
        description="The ids RF01–RF16 answered yes; [] = every question asked and answered no"
    )
