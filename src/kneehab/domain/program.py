"""A person's program: what `plan()` builds and what progression changes, version by version."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from kneehab.domain.exercise import Code
from kneehab.domain.types import Block, Category, Dose, Frozen, Level

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ItemStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # P5: provoking exercise paused; kept in the program, not scheduled
    STOPPED = "stopped"  # P1: stopped that day pending re-screen


class Triage(Frozen):
    """RULES D-2 triage: the level, every rule that fired, and exactly what to do."""

    level: Level
    rules: tuple[str, ...]
    message: str
    reasons: tuple[str, ...] = ()  # one plain sentence per rule that fired


class ProgramItem(Frozen):
    exercise_id: str
    name: str
    category: Category
    block: Block
    dose: Dose
    per_side: bool
    sides: tuple[Literal["left", "right"], ...] = ()
    days: tuple[str, ...]  # weekday keys from WEEKDAYS
    code: Code  # RULES §4.3 code that applied (emphasise / ok / modify)
    modification: str = ""  # what to do differently when code is modify
    options: tuple[str, ...] = ()  # aerobic machines or modes the person can use
    why: str
    rules: tuple[str, ...]
    status: ItemStatus = ItemStatus.ACTIVE
    rest_s: int = 45
    tempo: str = ""
    # RULES D-13 (v2): the text the person sees, with the D-11 version and condition overrides applied.
    start_position: str = ""
    steps: tuple[str, ...] = ()
    version: str = (
        ""  # the D-11 version in use ("no_floor" / "fall_risk"), "" for the base exercise
    )

    @property
    def dose_text(self) -> str:
        """The dose in plain words, with 'each side' where it applies."""
        return self.dose.describe(per_side=self.per_side)


class LaterOption(Frozen):
    """Exercises the article names for later, 'when you can tolerate them safely' (RULES D-12)."""

    exercise_id: str
    name: str
    why: str
    rules: tuple[str, ...] = ()
    state: Literal["not_yet", "offered", "in_program"] = "not_yet"
    in_place_of: str | None = None  # the parent it would replace when the session is full (D-12)
    offered_from: date | None = None


class SwapItem(Frozen):
    """RULES D-10: a candidate beyond the session cap, ready to enter at its start dose in place of
    one of `can_replace` (strength block for strength block, stretch/yoga for stretch/yoga)."""

    item: ProgramItem
    can_replace: tuple[str, ...] = ()

    @property
    def exercise_id(self) -> str:
        return self.item.exercise_id


class Profile(Frozen):
    """RULES D-11 profile after the defaults (age ≥ 65 when unanswered)."""

    no_floor: bool = False
    fall_risk: bool = False


class LeftOut(Frozen):
    """A program exercise the rules kept out for this person, and why (RULES §4.3, D-6, access)."""

    exercise_id: str
    name: str
    why: str
    rules: tuple[str, ...] = ()


class AvoidEntry(Frozen):
    id: str
    name: str
    why: str
    examples: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


class EquipmentNeed(Frozen):
    """RULES C-15: what the program needs, whether the person has it, and what to use instead."""

    id: str
    name: str
    have: bool
    use: str
    needed_by: tuple[str, ...] = ()
    height_cm: int | None = None  # C-15 (v2): the step height needed now (step entry only)
    surface: Literal["floor", "bed"] | None = (
        None  # C-15 (v2): where lying work is done (mat entry)
    )


class Program(Frozen):
    start: date
    phase: Literal["early", "later"]
    phase_note: str
    acute: bool
    pain_ceiling: int
    pain_ceiling_rules: tuple[str, ...]
    progression_held: (
        bool  # D-2: triage `soon` holds progression until a clinician marks it reviewed
    )
    items: tuple[ProgramItem, ...]
    later_options: tuple[LaterOption, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    avoid: tuple[AvoidEntry, ...]
    equipment: tuple[EquipmentNeed, ...]
    ice_heat: str
    see_professional: str
    start_small: str = ""
    review_on: date | None
    review_rules: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    # v2 (RULES D-10, D-11, D-13, D-14, C-5, D-1): plan-time values; the engine updates the dynamic ones.
    notice_rules: tuple[
        str, ...
    ] = ()  # the rule ids behind `notices` (never inside the text, D-13)
    phase_rules: tuple[str, ...] = ()  # the rule ids behind `phase_note`
    profile: Profile = Profile()
    session_cap: int = 6
    swaps: tuple[SwapItem, ...] = ()
    avoid_note: str = ""
    stretch_again: str = ""
    yoga: str = ""
    trouble_tolerating: str | None = None
    baseline_pain: int | None = None
    pain_ceiling_flag: bool = False

    def item(self, exercise_id: str) -> ProgramItem | None:
        return next((i for i in self.items if i.exercise_id == exercise_id), None)

    def schedule(self) -> dict[str, list[str]]:
        """Weekday → exercise ids in session order (only active items)."""
        out: dict[str, list[str]] = {d: [] for d in WEEKDAYS}
        for item in self.items:
            if item.status != ItemStatus.ACTIVE:
                continue
            for d in item.days:
                out[d].append(item.exercise_id)
        return out

    def items_on(self, day: date) -> list[ProgramItem]:
        """The active items scheduled on a date, in block order then program order."""
        key = WEEKDAYS[day.weekday()]
        return [i for i in self.items if i.status == ItemStatus.ACTIVE and key in i.days]
