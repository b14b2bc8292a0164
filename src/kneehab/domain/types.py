"""Value objects shared by every part of the domain.

Everything here is immutable and validated on construction, so code that receives one of these can trust it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

PainScore = Annotated[
    int, Field(ge=0, le=10, description="NPRS 0 (no pain) to 10 (worst imaginable)")
]
RuleId = str
# RULES D-13 / EXAMPLES EX-36: no text a person reads may match this; rule ids travel in `rules`.
RULE_ID_PATTERN = re.compile(r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§")
ExerciseId = str

# The keys a dose may use (RULES C-8). Order matters for display and for "one variable per step".
NumericDoseKey = Literal["sets", "reps", "hold_s", "load_kg", "step_cm", "minutes"]
DoseKey = Literal["sets", "reps", "hold_s", "load_kg", "step_cm", "minutes", "variant"]
DOSE_KEYS: tuple[str, ...] = get_args(DoseKey)


class Frozen(BaseModel):
    """Base for immutable domain models: unknown fields are mistakes, not extras."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(StrEnum):
    """Triage levels (RULES D-2), ordered by severity through `LEVEL_ORDER`."""

    OK = "ok"
    SOON = "soon"
    OUT_OF_SCOPE = "out_of_scope"
    URGENT = "urgent"
    EMERGENCY = "emergency"


# RULES C-3: emergency > urgent > out_of_scope > soon > ok.
LEVEL_ORDER: dict[Level, int] = {
    Level.OK: 0,
    Level.SOON: 1,
    Level.OUT_OF_SCOPE: 2,
    Level.URGENT: 3,
    Level.EMERGENCY: 4,
}

# Levels that withhold a self-managed program (D-2).
NO_PROGRAM_LEVELS: frozenset[Level] = frozenset({Level.EMERGENCY, Level.URGENT, Level.OUT_OF_SCOPE})


class Condition(StrEnum):
    PES_ANSERINE = "pes_anserine_bursitis"
    MEDIAL_OA = "medial_knee_oa"
    PFP = "patellofemoral_pain"
    MCL = "mcl_sprain"
    MENISCUS = "medial_meniscus"
    UNKNOWN = "unknown"


class Onset(StrEnum):
    INJURY = "injury"
    GRADUAL = "gradual"


class Knee(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNSPECIFIED = "unspecified"


class Category(StrEnum):
    STRETCH = "stretch"
    STRENGTH = "strength"
    CORE = "core"
    BALANCE = "balance"
    AEROBIC = "aerobic"
    YOGA = "yoga"


class Block(StrEnum):
    """Session blocks, in the order a session runs them."""

    WARM_UP = "warm_up"
    STRENGTH = "strength"
    AEROBIC = "aerobic"
    COOL_DOWN = "cool_down"


BLOCK_ORDER: tuple[Block, ...] = (Block.WARM_UP, Block.STRENGTH, Block.AEROBIC, Block.COOL_DOWN)


class Dose(Frozen):
    """A prescription for one exercise (RULES C-8). Unused keys are None."""

    sets: int | None = Field(default=None, ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=50)
    hold_s: int | None = Field(default=None, ge=1, le=600)
    load_kg: float | None = Field(default=None, ge=0, le=20)
    step_cm: int | None = Field(default=None, ge=0, le=60)
    minutes: int | None = Field(default=None, ge=1, le=180)
    variant: str | None = None

    def get(self, key: str) -> int | float | str | None:
        value: int | float | str | None = getattr(self, key)
        return value

    def with_(self, **changes: int | float | str | None) -> Dose:
        return self.model_copy(update=changes)

    def changed_keys(self, other: Dose) -> list[str]:
        return [k for k in DOSE_KEYS if self.get(k) != other.get(k)]

    def as_dict(self) -> dict[str, int | float | str | None]:
        return {k: self.get(k) for k in DOSE_KEYS}

    def describe(self, *, per_side: bool = False) -> str:
        """Plain words, e.g. '2 sets of 10, hold 2 s' or '2 sets of 10 each side, hold 1 s'."""
        parts: list[str] = []
        if self.sets and self.reps:
            parts.append(f"{self.sets} {'set' if self.sets == 1 else 'sets'} of {self.reps}")
        elif self.sets and self.hold_s:
            parts.append(f"{self.sets} × {self.hold_s} s hold")
        elif self.reps:
            parts.append(f"{self.reps} reps")
        if per_side and parts:
            parts[0] += " each side"
        if self.reps and self.hold_s:
            parts.append(f"hold {self.hold_s} s")
        if self.minutes:
            parts.append(f"{self.minutes} min")
        if self.load_kg:
            parts.append(f"{self.load_kg:g} kg ankle weight")
        if self.step_cm:
            parts.append(f"{self.step_cm} cm step")
        if self.variant:
            parts.append(f"as {self.variant}")
        return ", ".join(parts) or "as tolerated"
