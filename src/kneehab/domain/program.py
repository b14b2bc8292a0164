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

    @property
    def dose_text(self) -> str:
        """The dose in plain words, with 'each side' where it applies."""
        return self.dose.describe(per_side=self.per_side)


class LaterOption(Frozen):
    """Exercises the article names for later, 'when you can tolerate them safely'."""

    exercise_id: str
    name: str
    why: str
    rules: tuple[str, ...] = ()


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
