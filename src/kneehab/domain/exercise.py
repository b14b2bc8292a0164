"""The exercise library's model: what one exercise file (and the library's shared files) may say.

These are plain, validated data. `kneehab.library.load` reads TOML files into them; the planner, the progression
engine and the camera coach only ever see these types. The shape follows RULES C-8 (dose keys), D-4 (ladders),
D-5 (household substitutes) and §4.3 (condition matrix).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from kneehab.domain.types import Block, Category, Dose, DoseKey, Frozen, NumericDoseKey

NUMERIC_KEYS: tuple[NumericDoseKey, ...] = get_args(NumericDoseKey)
# RULES C-8: a load, step or variant rung may also put reps back to the bottom of the range.
RESETTABLE: frozenset[str] = frozenset({"load_kg", "step_cm", "variant"})


class Role(StrEnum):
    """Where an exercise sits in a course of care."""

    PROGRAM = "program"  # part of the starting program when the condition allows it
    VARIANT = "variant"  # reached only through a progression or regression ladder
    LATER = "later"  # later-phase option the article names "when you can tolerate them"


class Code(StrEnum):
    """RULES §4.3 codes."""

    EMPHASISE = "emphasise"
    OK = "ok"
    MODIFY = "modify"
    AVOID = "avoid"


class Column(StrEnum):
    """The columns of RULES §4.3. MCL grade I and grade II/III are separate columns."""

    PES_ANSERINE = "pes_anserine_bursitis"
    MEDIAL_OA = "medial_knee_oa"
    PFP = "patellofemoral_pain"
    MCL_GRADE_1 = "mcl_grade_1"
    MCL_GRADE_2_3 = "mcl_grade_2_3"
    MENISCUS = "medial_meniscus"


class Phase(StrEnum):
    """`early` is defined by RULES C-4; `later` is everything after it; `any` applies throughout."""

    ANY = "any"
    EARLY = "early"
    LATER = "later"


class TextOverride(Frozen):
    """RULES D-13 (3): replacement text for a start position and/or the steps, where a change contradicts them.

    `steps` replaces the whole list of steps (the base steps with the contradicting ones changed or removed).
    `remainder` is what the note still needs to say beside the replaced text (default: nothing more).
    """

    start_position: str | None = None
    steps: tuple[str, ...] | None = Field(default=None, min_length=1)
    remainder: str = ""

    @property
    def overrides(self) -> bool:
        return self.start_position is not None or self.steps is not None


class ConditionNote(TextOverride):
    column: Column
    phase: Phase = Phase.ANY
    code: Code
    note: str = ""

    @model_validator(mode="after")
    def _modify_needs_note(self) -> ConditionNote:
        if self.code in (Code.MODIFY, Code.AVOID) and not self.note.strip():
            raise ValueError(f"a '{self.code.value}' note must say what to do differently or why")
        return self


class UnknownNote(TextOverride):
    """RULES D-6 (v2): the one instruction shown when the cause is `unknown` — the most conservative change
    of the exercise's columns — with its replacement text where it changes a start position or a step."""

    note: str = Field(min_length=1)


class VersionOverride(TextOverride):
    """Replacement text for one condition column (or `unknown`) that applies only within a D-11 version."""

    column: Column | Literal["unknown"]
    phase: Phase = Phase.ANY


Profile = Literal["no_floor", "fall_risk"]


class Version(Frozen):
    """RULES D-11: the exercise as done in the no-floor or the fall-risk profile (a bed, a chair, a counter).

    Its texts replace the base ones (most specific first: version, then condition cell, then base, D-13);
    `excluded` = not offered in that profile at all (the lunge for fall risk), with `why`.
    """

    profile: Profile
    name: str = ""
    summary: str = ""
    note: str = ""  # said with the item, beside the steps (e.g. "Stand next to a counter")
    start_position: str | None = None
    steps: tuple[str, ...] | None = Field(default=None, min_length=1)
    cues: tuple[str, ...] | None = None
    mistakes: tuple[str, ...] | None = None
    equipment: tuple[Equipment, ...] | None = None
    excluded: bool = False
    why: str = ""  # why it is left out (excluded) in this profile
    overrides: tuple[VersionOverride, ...] = ()
    figure: Figure | None = None

    @model_validator(mode="after")
    def _excluded_says_why(self) -> Version:
        if self.excluded and not self.why.strip():
            raise ValueError("an excluded version must say why")
        if not self.excluded and not self.name.strip():
            raise ValueError("a version needs the name the person sees")
        return self

    def override_for(
        self, column: Column | Literal["unknown"], phase: Phase
    ) -> VersionOverride | None:
        return next(
            (o for o in self.overrides if o.column == column and o.phase in (Phase.ANY, phase)),
            None,
        )


class Option(Frozen):
    """A way to do an exercise (e.g. a recumbent bike for stationary cardio), with its own §4.3 notes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    needs: str | None = (
        None  # an intake `access` id (stationary_bike, elliptical, rower, pool); None = home
    )
    # How to do this option when it is an exercise of its own (the article's seated home movements).
    start_position: str = ""
    steps: tuple[str, ...] = ()
    conditions: tuple[ConditionNote, ...] = ()

    def notes_for(self, column: Column, phase: Phase) -> list[ConditionNote]:
        return [n for n in self.conditions if n.column == column and n.phase in (Phase.ANY, phase)]


class Equipment(Frozen):
    id: str
    optional: bool = False
    use: str = ""  # what it is used for in this exercise


class DoseSpec(Frozen):
    """The default (starting) dose, plus how it is performed."""

    sets: int | None = Field(default=None, ge=1)
    reps: int | None = Field(default=None, ge=1)
    hold_s: int | None = Field(default=None, ge=1)
    load_kg: float | None = Field(default=None, ge=0)
    step_cm: int | None = Field(default=None, ge=0)
    minutes: int | None = Field(default=None, ge=1)
    per_side: bool = False
    rest_s: int = Field(default=45, ge=0, le=600)
    tempo: str = ""
    # The article's own dose sentence, verbatim, so a test can read the doses back from the article.
    article_text: str = ""

    def to_dose(self) -> Dose:
        return Dose(
            sets=self.sets,
            reps=self.reps,
            hold_s=self.hold_s,
            load_kg=self.load_kg,
            step_cm=self.step_cm,
            minutes=self.minutes,
        )


class Limits(Frozen):
    """Inclusive [low, high] bounds per dose key; a key without bounds may not be used by this exercise."""

    sets: tuple[int, int] | None = None
    reps: tuple[int, int] | None = None
    hold_s: tuple[int, int] | None = None
    load_kg: tuple[float, float] | None = None
    step_cm: tuple[int, int] | None = None
    minutes: tuple[int, int] | None = None

    def bounds(self, key: str) -> tuple[float, float] | None:
        value: tuple[float, float] | None = getattr(self, key, None)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        for key in NUMERIC_KEYS:
            b = self.bounds(key)
            if b is not None and b[0] > b[1]:
                raise ValueError(f"{key}: low {b[0]} is above high {b[1]}")
        return self


class Rung(Frozen):
    """One step of a progression ladder: exactly one dose key changes (RULES C-8).

    Numeric rungs add `by` until `until` is reached; a variant rung switches to exercise `to`.
    `reset_reps` (load, step or variant rungs only) puts reps back to the bottom of the range.
    """

    change: DoseKey
    by: float | None = None
    until: float | None = None
    to: str | None = None
    # RULES C-8 (v2) aerobic minutes: the step is floor(share × current), at least `by`.
    share: float | None = Field(default=None, gt=0, lt=1)
    reset_reps: bool = False
    note: str
    rules: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _shape(self) -> Rung:
        if self.change == "variant":
            if not self.to:
                raise ValueError("a variant rung needs 'to' (an exercise id)")
        else:
            if self.by is None or self.by <= 0:
                raise ValueError("a numeric rung needs a positive 'by'")
            if self.until is None:
                raise ValueError("a numeric rung needs 'until' (its ceiling)")
        if self.reset_reps and self.change not in RESETTABLE:
            raise ValueError("only a load_kg, step_cm or variant rung may reset reps (RULES C-8)")
        return self


class Regression(Frozen):
    """An easier option named by the article or the rules (e.g. 'start with one leg at a time')."""

    change: DoseKey
    by: float | None = None
    to: str | None = None
    # RULES C-8 (v2) aerobic minutes: the step is floor(share × current), at least `by`.
    share: float | None = Field(default=None, gt=0, lt=1)
    note: str
    rules: tuple[str, ...] = ()


class Prop(Frozen):
    """Something drawn beside the figure: the floor, a strap, a ball, a step, a chair."""

    kind: Literal["line", "circle", "rect", "polyline"]
    points: tuple[tuple[float, float], ...]
    label: str = ""
    radius: float | None = None


# Canonical joint names for figure keyframes (and the camera coach's landmarks). Left/right are the person's
# own. A single `shoulder` and `hip` keep side views readable; `spine` (mid-back) is optional, for poses such
# as cat-cow where the back curves.
REQUIRED_JOINTS: tuple[str, ...] = (
    "head",
    "neck",
    "shoulder",
    "elbow_l",
    "hand_l",
    "hip",
    "knee_l",
    "ankle_l",
    "knee_r",
    "ankle_r",
)
OPTIONAL_JOINTS: tuple[str, ...] = ("spine", "elbow_r", "hand_r", "toe_l", "toe_r")
JOINTS: tuple[str, ...] = REQUIRED_JOINTS + OPTIONAL_JOINTS


class Keyframe(Frozen):
    """Named joint positions in a 100×100 box (y grows downward). Left/right are the person's own."""

    label: str
    points: dict[str, tuple[float, float]]
    props: tuple[Prop, ...] = ()


class Figure(Frozen):
    view: Literal["side", "front", "top"]
    working_side: Literal["left", "right", "both", "none"] = "right"
    caption: str = ""
    keyframes: tuple[Keyframe, ...] = Field(min_length=2, max_length=4)


class ArticleRef(Frozen):
    section: str
    quote: str = ""


class Exercise(Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str
    category: Category
    block: Block
    role: Role = Role.PROGRAM
    summary: str
    works: tuple[str, ...]
    why: str
    start_position: str
    steps: tuple[str, ...] = Field(min_length=1)
    cues: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    stop_rules: tuple[str, ...] = Field(min_length=1)
    equipment: tuple[Equipment, ...] = ()
    options: tuple[Option, ...] = ()  # e.g. the machines of stationary cardio
    dose: DoseSpec
    limits: Limits
    progression: tuple[Rung, ...] = ()
    regressions: tuple[Regression, ...] = ()
    conditions: tuple[ConditionNote, ...] = ()
    article: ArticleRef
    rules: tuple[str, ...] = ()
    figure: Figure
    # RULES D-6 (v2): the one instruction for `unknown` (required for every exercise; checked by the loader).
    unknown: UnknownNote | None = None
    # RULES D-11: the no-floor / fall-risk versions.
    versions: tuple[Version, ...] = ()
    # Camera-coach settings, validated by kneehab.motion (the domain does not interpret them).
    detector: dict[str, Any] | None = None

    def version_for(self, *, no_floor: bool, fall_risk: bool) -> Version | None:
        """The D-11 version this person does (no-floor first, then fall-risk), or None for the base text."""
        for profile, on in (("no_floor", no_floor), ("fall_risk", fall_risk)):
            if on:
                found = next((v for v in self.versions if v.profile == profile), None)
                if found is not None:
                    return found
        return None

    def notes_for(self, column: Column, phase: Phase) -> list[ConditionNote]:
        """The §4.3 notes that apply in this column and phase (an `any` note applies in every phase)."""
        return [n for n in self.conditions if n.column == column and n.phase in (Phase.ANY, phase)]


class AvoidItem(Frozen):
    id: str
    name: str
    why: str
    examples: tuple[str, ...] = ()
    article_quote: str
    rules: tuple[str, ...] = ()
    profile: Literal["fall_risk"] | None = None  # RULES D-11: shown only in that profile


class EquipmentInfo(Frozen):
    """An equipment word and its household substitute (RULES D-5)."""

    id: str
    name: str
    substitute: str = ""  # empty when nothing needs substituting (e.g. the floor)
    rules: tuple[str, ...] = ("D-5",)


class Guidance(Frozen):
    """Article advice that is not an exercise: ice and heat, when to see a professional, start small."""

    id: str
    title: str
    text: str
    article_quote: str
    rules: tuple[str, ...] = ()


class Library(Frozen):
    exercises: dict[str, Exercise]
    avoid: tuple[AvoidItem, ...]
    equipment: dict[str, EquipmentInfo]
    guidance: dict[str, Guidance]

    def get(self, exercise_id: str) -> Exercise:
        return self.exercises[exercise_id]
