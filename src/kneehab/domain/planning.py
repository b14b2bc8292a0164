"""Build a person's program from the intake, the triage and the library (issue 2 §3).

Pure and deterministic: the same intake, triage, library and start date give the same program.
Rules used: D-2 (who gets a program), §4.3 + C-4 + D-6 (what is included, modified or left out), D-4/C-8 (start
doses), §3.2 (weekly frequency), D-1/C-2 (pain ceiling), D-5/C-15 (equipment), E2/E4/E5/E10 (review date).
"""

from __future__ import annotations

from datetime import date, timedelta

from kneehab.domain.conditions import (
    CONDITION_AVOID,
    CONDITION_NOTES,
    columns_for,
    is_acute,
    pain_ceiling,
    phase_for,
)
from kneehab.domain.exercise import (
    Code,
    Column,
    ConditionNote,
    Exercise,
    Library,
    Option,
    Phase,
    Role,
)
from kneehab.domain.intake import Intake
from kneehab.domain.program import (
    WEEKDAYS,
    AvoidEntry,
    EquipmentNeed,
    LaterOption,
    LeftOut,
    Program,
    ProgramItem,
    Triage,
)
from kneehab.domain.types import (
    BLOCK_ORDER,
    NO_PROGRAM_LEVELS,
    Category,
    Condition,
    Dose,
    Level,
)

# The article's own order, used to lay out each block.
ARTICLE_ORDER: tuple[str, ...] = (
    "inner-thigh-stretch",
    "supine-hamstring-stretch",
    "side-lunge-stretch",
    "seated-butterfly-stretch",
    "seated-straight-leg-raise",
    "bridge",
    "side-lying-leg-raise",
    "step-up",
    "double-knee-to-chest",
    "stationary-cardio",
    "pool-exercise",
    "walking",
    "childs-pose",
    "cat-cow",
)

# RULES §3.2 weekly frequency, as day offsets from the program start.
STRENGTH_DAYS = (0, 2, 4)  # 3×/week, never on consecutive days
DAILY = (0, 1, 2, 3, 4, 5, 6)  # stretches and yoga: daily is fine
AEROBIC_DAYS = (1, 3, 5, 6)  # 4×/week (3–5 allowed), mostly on non-strength days

CODE_SENTENCE: dict[Code, str] = {
    Code.EMPHASISE: "The rules emphasise it for your knee (RULES §4.3).",
    Code.OK: "The rules include it for your knee as tolerated (RULES §4.3).",
    Code.MODIFY: "The rules include it with a change for your knee (RULES §4.3).",
}


def _sort_key(ex: Exercise) -> tuple[int, int, str]:
    order = ARTICLE_ORDER.index(ex.id) if ex.id in ARTICLE_ORDER else len(ARTICLE_ORDER)
    return (BLOCK_ORDER.index(ex.block), order, ex.id)


def _verdict(notes: list[ConditionNote]) -> tuple[Code, str]:
    """Combine the §4.3 notes from every column that applies: avoid > modify > emphasise > ok."""
    codes = {n.code for n in notes}
    for code in (Code.AVOID, Code.MODIFY):
        if code in codes:
            text = " ".join(dict.fromkeys(n.note.strip() for n in notes if n.code == code))
            return code, text
    return (Code.EMPHASISE if Code.EMPHASISE in codes else Code.OK), ""


def _advice(notes: list[ConditionNote]) -> str:
    """The notes of E / OK cells (e.g. "E, ball between knees only"): said with the item."""
    keep = (Code.EMPHASISE, Code.OK)
    return " ".join(dict.fromkeys(n.note.strip() for n in notes if n.code in keep and n.note))


def _notes(ex_or_opt: Exercise | Option, phases: dict[Column, Phase]) -> list[ConditionNote]:
    return [n for col, ph in phases.items() for n in ex_or_opt.notes_for(col, ph)]


def _start_dose(ex: Exercise, intake: Intake) -> Dose:
    """RULES C-8: start low. Strength starts at 1 set for people 65+ or in more pain (pain_now ≥ 6)."""
    dose = ex.dose.to_dose()
    strength = ex.category in (Category.STRENGTH, Category.CORE)
    if strength and dose.sets is not None and (intake.age >= 65 or intake.pain_now >= 6):
        low = ex.limits.sets[0] if ex.limits.sets else 1
        dose = dose.with_(sets=max(low, 1))
    return dose


def _days(offsets: tuple[int, ...], start: date) -> tuple[str, ...]:
    keys = {WEEKDAYS[(start.weekday() + off) % 7] for off in offsets}
    return tuple(d for d in WEEKDAYS if d in keys)


def _review(intake: Intake, triage: Triage) -> tuple[int | None, tuple[str, ...]]:
    """Days from start to the first planned review, with the rules that set it."""
    due: list[tuple[int, str]] = []
    if triage.level == Level.SOON:
        due.append((14, "D-2"))
    if intake.weeks_since_onset < 6:  # E2: a recent problem (< 6 weeks), injury or not
        due.append((14, "E2"))
    if intake.chronic:
        due.append((14, "E10"))
    if intake.weeks_since_onset >= 6:
        due.append((42, "E4"))
    if intake.condition == Condition.PFP:
        due.append((56, "E5"))
    if not due:
        return None, ()
    first = min(d for d, _ in due)
    return first, tuple(dict.fromkeys(rule for d, rule in due if d == first))


class _Builder:
    def __init__(self, intake: Intake, triage: Triage, library: Library, start: date) -> None:
        self.intake = intake
        self.triage = triage
        self.library = library
        self.start = start
        self.phases = {c: phase_for(intake, c, start=start, on=start) for c in columns_for(intake)}
        self.items: list[ProgramItem] = []
        self.left_out: list[LeftOut] = []

    def include(self, ex: Exercise) -> None:
        notes = _notes(ex, self.phases)
        code, change = _verdict(notes)
        if code == Code.AVOID:
            self.left_out.append(
                LeftOut(exercise_id=ex.id, name=ex.name, why=change, rules=("§4.3", "C-4", "D-6"))
            )
            return
        options, option_changes = self._options(ex)
        if ex.options and not options:
            self.left_out.append(
                LeftOut(
                    exercise_id=ex.id,
                    name=ex.name,
                    why="You told us you don't have access to what this needs.",
                    rules=("§3.2",),
                )
            )
            return
        modification = " ".join(t for t in (change, *option_changes) if t)
        if modification and code != Code.MODIFY:
            code = Code.MODIFY
        rules = tuple(dict.fromkeys((*ex.rules, "§4.3", "D-4", "C-8")))
        self.items.append(
            ProgramItem(
                exercise_id=ex.id,
                name=ex.name,
                category=ex.category,
                block=ex.block,
                dose=_start_dose(ex, self.intake),
                per_side=ex.dose.per_side,
                sides=("left", "right") if ex.dose.per_side else (),
                days=(),
                code=code,
                modification=modification,
                options=options,
                why=" ".join(t for t in (ex.why, CODE_SENTENCE[code], self.advice(notes)) if t),
                rules=rules,
                rest_s=ex.dose.rest_s,
                tempo=ex.dose.tempo,
            )
        )

    def advice(self, notes: list[ConditionNote]) -> str:
        """E / OK cell notes, for a stated condition only: `unknown` reads every column (D-6),
        whose notes speak of conditions the person has not been told they have."""
        return _advice(notes) if self.intake.condition != Condition.UNKNOWN else ""

    def _options(self, ex: Exercise) -> tuple[tuple[str, ...], list[str]]:
        names: list[str] = []
        changes: list[str] = []
        for opt in ex.options:
            if opt.needs is not None and opt.needs not in self.intake.access:
                continue
            code, change = _verdict(_notes(opt, self.phases))
            if code == Code.AVOID:
                continue
            names.append(opt.name)
            if change:
                changes.append(f"{opt.name}: {change}")
        return tuple(names), changes

    def scheduled(self) -> tuple[ProgramItem, ...]:
        aerobic = [i for i in self.items if i.category == Category.AEROBIC]
        out: list[ProgramItem] = []
        for item in self.items:
            offsets: tuple[int, ...]
            if item.category in (Category.STRENGTH, Category.CORE, Category.BALANCE):
                offsets = STRENGTH_DAYS
            elif item.category == Category.AEROBIC:
                k = aerobic.index(item)
                offsets = tuple(d for i, d in enumerate(AEROBIC_DAYS) if i % len(aerobic) == k)
            else:
                offsets = DAILY
            out.append(item.model_copy(update={"days": _days(offsets, self.start)}))
        return tuple(out)

    def equipment(self, items: tuple[ProgramItem, ...]) -> tuple[EquipmentNeed, ...]:
        needed: dict[str, list[str]] = {}
        for item in items:
            for eq in self.library.get(item.exercise_id).equipment:
                needed.setdefault(eq.id, []).append(item.exercise_id)
        out: list[EquipmentNeed] = []
        for eq_id in sorted(needed):
            info = self.library.equipment[eq_id]
            have = eq_id in self.intake.equipment
            use = info.name if have or not info.substitute else info.substitute
            out.append(
                EquipmentNeed(
                    id=eq_id, name=info.name, have=have, use=use, needed_by=tuple(needed[eq_id])
                )
            )
        return tuple(out)

    def avoid(self) -> tuple[AvoidEntry, ...]:
        entries = [
            AvoidEntry(id=a.id, name=a.name, why=a.why, examples=a.examples, rules=a.rules)
            for a in self.library.avoid
        ]
        for column in self.phases:
            for extra in CONDITION_AVOID.get(column, ()):
                entries.append(
                    AvoidEntry(id=extra.id, name=extra.name, why=extra.why, rules=extra.rules)
                )
        first: dict[str, AvoidEntry] = {}
        for e in entries:
            first.setdefault(e.id, e)
        return tuple(first.values())

    def later(self, ex: Exercise) -> LaterOption | None:
        code, _ = _verdict(_notes(ex, self.phases))
        if code == Code.AVOID:
            return None
        return LaterOption(
            exercise_id=ex.id,
            name=ex.name,
            why=f"{ex.summary} Add it only when you can do it safely and without pain.",
            rules=ex.rules,
        )


def _guidance(library: Library, key: str) -> str:
    item = library.guidance.get(key)
    return item.text if item else ""


def plan(intake: Intake, triage: Triage, library: Library, *, start: date) -> Program | None:
    """The starting program, or None when triage withholds a self-managed program (RULES D-2)."""
    if triage.level in NO_PROGRAM_LEVELS:
        return None
    b = _Builder(intake, triage, library, start)
    exercises = sorted(library.exercises.values(), key=_sort_key)
    for ex in exercises:
        if ex.role == Role.PROGRAM:
            b.include(ex)
    later = tuple(
        opt for ex in exercises if ex.role == Role.LATER and (opt := b.later(ex)) is not None
    )
    items = b.scheduled()
    ceiling, ceiling_rules = pain_ceiling(intake, start=start, on=start)
    early = any(p == Phase.EARLY for p in b.phases.values())
    review_days, review_rules = _review(intake, triage)
    notices: list[str] = []
    if triage.level == Level.SOON:
        notices.append(
            "Book a review with a physical therapist or doctor within 1–2 weeks. Your exercises "
            "stay at their starting doses until a clinician has reviewed your program (RULES D-2)."
        )
    if intake.condition == Condition.MCL and intake.mcl_grade is None:
        notices.append(
            "Your MCL sprain's grade is not known, so the program follows the safer grade II rules."
        )
    notices.append(CONDITION_NOTES[intake.condition])
    return Program(
        start=start,
        phase="early" if early else "later",
        phase_note=_phase_note(b.phases, early),
        acute=is_acute(intake, start=start, on=start),
        pain_ceiling=ceiling,
        pain_ceiling_rules=ceiling_rules,
        progression_held=triage.level == Level.SOON,
        items=items,
        later_options=later,
        left_out=tuple(b.left_out),
        avoid=b.avoid(),
        equipment=b.equipment(items),
        ice_heat=_guidance(library, "ice-heat"),
        see_professional=_guidance(library, "see-professional"),
        start_small=_guidance(library, "start-small"),
        review_on=start + timedelta(days=review_days) if review_days is not None else None,
        review_rules=review_rules,
        notices=tuple(notices),
    )


def _phase_note(phases: dict[Column, Phase], early: bool) -> str:
    if not early:
        return "Standard phase: the full program for your knee, within your pain limit."
    cols = [c for c, p in phases.items() if p == Phase.EARLY]
    names = {
        Column.MCL_GRADE_2_3: "the first 4 weeks after an MCL sprain",
        Column.MENISCUS: "the first weeks after a meniscus injury",
    }
    which = " and ".join(names.get(c, c.value) for c in cols)
    return (
        f"Early phase ({which}, RULES C-4): exercises that load the inner knee or bend it deeply "
        "are left out for now."
    )
