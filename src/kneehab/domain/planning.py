"""Build a person's program from the intake, the triage and the library (issue 2 §3; v2 issue 8).

Pure and deterministic: the same intake, triage, library and start date give the same program.
Rules used: D-2 (who gets a program), §4.3 + C-4 + D-6 (what is included, modified or left out), D-10 (at most
6 non-aerobic exercises, the rest as swaps), D-11 (no-floor and fall-risk versions), D-12 (later options),
D-13 (the text a person reads: overrides applied, no rule ids in sentences), D-14 (the article's guidance and
ice/heat safety), D-4/C-8 (start doses), §3.2 (weekly frequency), D-1/C-2/C-5 (pain ceiling), D-5/C-15
(equipment), E2/E4/E5/E10 (review date), P13 (giving way at intake).

The pieces the progression engine needs on later dates are public: `program_item_for` (an item as it would
enter on a date: a swap re-admitted at a phase change, an unlocked later option), `swap_for`, `equipment_for`,
`step_use_text`, `ice_heat_text`, `trouble_tolerating_text`, `LATER_PARENT` and `SESSION_CAP`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from kneehab.domain.conditions import (
    CEILING_FLAG,
    CONDITION_AVOID,
    CONDITION_NOTES,
    columns_for,
    is_acute,
    pain_ceiling,
    phase_for,
    step_cap_cm,
)
from kneehab.domain.exercise import (
    Code,
    Column,
    ConditionNote,
    Equipment,
    Exercise,
    Library,
    Option,
    Phase,
    Role,
    TextOverride,
    Version,
    VersionOverride,
)
from kneehab.domain.intake import Intake
from kneehab.domain.later_options import PARENT
from kneehab.domain.program import (
    WEEKDAYS,
    AvoidEntry,
    EquipmentNeed,
    LaterOption,
    LeftOut,
    Profile,
    Program,
    ProgramItem,
    SwapItem,
    Triage,
)
from kneehab.domain.types import (
    BLOCK_ORDER,
    NO_PROGRAM_LEVELS,
    Block,
    Category,
    Condition,
    Dose,
    Level,
    Onset,
)

# The article's own order, used to lay out each block and to break ties (D-10).
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

# RULES D-10: the session cap (a clinician may set 3–10, D-7), slot 1 and the slot-2 stretches.
SESSION_CAP = 6
CORE_SLOT = "double-knee-to-chest"
ARTICLE_STRETCHES: tuple[str, ...] = ARTICLE_ORDER[:4]

# RULES D-12: the item a later option enters in place of when the session is full (declared once,
# with the later options' criteria).
LATER_PARENT = PARENT

# RULES §0.1: standing knee-loading exercises (P13 pauses them after giving way).
STANDING_KNEE_LOADING: frozenset[str] = frozenset(
    {"step-up", "side-lunge-stretch", "single-leg-balance", "squat", "lunge"}
)

# RULES §3.2 weekly frequency, as day offsets from the program start.
STRENGTH_DAYS = (0, 2, 4)  # 3×/week, never on consecutive days
DAILY = (0, 1, 2, 3, 4, 5, 6)  # stretches and yoga: daily is fine
AEROBIC_DAYS = (1, 3, 5, 6)  # 4×/week (3–5 allowed), mostly on non-strength days

# RULES D-13 (EX-36): plain words; the ids travel in `rules`.
CODE_SENTENCE: dict[Code, str] = {
    Code.EMPHASISE: "Recommended for your knee.",
    Code.OK: "Included for your knee, as you tolerate it.",
    Code.MODIFY: "Included for your knee, with a change.",
}
# RULES D-13: the pattern no text a person reads may match (EX-36).

# The rule ids behind each condition's timing note (CONDITION_NOTES).
CONDITION_NOTE_RULES: dict[Condition, tuple[str, ...]] = {
    Condition.MEDIAL_OA: ("§4.1", "§4.3"),
    Condition.PFP: ("§4.3",),
    Condition.MENISCUS: ("§4.3",),
    Condition.MCL: ("§4.3",),
    Condition.PES_ANSERINE: ("§4.1",),
    Condition.UNKNOWN: ("D-6",),
}

P13_WALKING = (
    "Hold a rail or use a stick where the knee feels unsafe; if it gives way while walking, stop and "
    "call your clinic."
)
P13_LEFT_OUT = (
    "Left out until a clinician has checked your knee: it has given way, and this exercise loads the "
    "knee while you stand on it."
)


def _sort_key(ex_id: str, block: Block) -> tuple[int, int, str]:
    order = ARTICLE_ORDER.index(ex_id) if ex_id in ARTICLE_ORDER else len(ARTICLE_ORDER)
    return (BLOCK_ORDER.index(block), order, ex_id)


def _article_index(ex_id: str) -> int:
    return ARTICLE_ORDER.index(ex_id) if ex_id in ARTICLE_ORDER else len(ARTICLE_ORDER)


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
    """Days from start to the first planned review, with the rules that set it (v2: E2 for every
    non-chronic onset at day 14, E10 only when chronic and not yet assessed — from day 0 —, E4 for
    every onset at day 42, E5 for kneecap pain at day 56; D-2 `soon` within 2 weeks)."""
    due: list[tuple[int, str]] = [(42, "E4")]
    if triage.level == Level.SOON:
        due.append((14, "D-2"))
    if not intake.chronic:
        due.append((14, "E2"))
    elif not intake.was_assessed:
        due.append((0, "E10"))
    if intake.condition == Condition.PFP:
        due.append((56, "E5"))
    first = min(d for d, _ in due)
    return first, tuple(dict.fromkeys(rule for d, rule in due if d == first))


# --------------------------------------------------------------------------------------------- texts (D-13)


@dataclass(frozen=True)
class ItemText:
    """What the person reads for one exercise: its name, start position, steps and the change to make."""

    name: str
    start_position: str
    steps: tuple[str, ...]
    modification: str
    version: Version | None


def _applied(cell: TextOverride, version: Version | None) -> bool:
    """True when every replacement the cell carries is what the person sees (no version text above it)."""
    if not cell.overrides:
        return False
    if version is None:
        return True
    start_ok = cell.start_position is None or version.start_position is None
    steps_ok = cell.steps is None or version.steps is None
    return start_ok and steps_ok


def item_text(
    ex: Exercise, phases: dict[Column, Phase], *, unknown: bool, version: Version | None
) -> ItemText:
    """RULES D-13 (3) and D-6: the base text with the replacements applied, most specific first (the D-11
    version's own override for the column, the version, the condition/phase cell or `unknown` note, the
    base), and the one change the steps do not already say."""
    cells: list[TextOverride]
    keys: list[tuple[Column | Literal["unknown"], Phase]]
    if unknown:
        cells = [ex.unknown] if ex.unknown is not None else []
        keys = [("unknown", Phase.ANY)]
    else:
        cells = [
            n for n in _notes(ex, phases) if n.code in (Code.MODIFY, Code.AVOID) or n.overrides
        ]
        keys = list(phases.items())
    version_cells: list[VersionOverride] = []
    if version is not None:
        for col, ph in keys:
            found = version.override_for(col, ph)
            if found is not None:
                version_cells.append(found)

    def pick(field: str) -> object:
        for src in (*version_cells, version, *cells):
            if src is None:
                continue
            value = getattr(src, field)
            if value is not None:
                return value
        return getattr(ex, field)

    start_position = str(pick("start_position"))
    steps_value = pick("steps")
    steps = tuple(steps_value) if isinstance(steps_value, tuple) else ex.steps

    words: list[str] = []
    if version is not None and version.note:
        words.append(version.note)
    if unknown and ex.unknown is not None:
        # D-6: the one instruction stays, unless the version silences it (a note that does not apply to
        # the version, e.g. "pad your knees" for a seated version: an override without replacement text).
        silenced = any(not v.overrides for v in version_cells)
        words.extend(v.remainder for v in version_cells if v.remainder)
        if not silenced:
            words.append(ex.unknown.note)
    elif version_cells:
        words.extend(v.remainder for v in version_cells if v.remainder)
    else:
        for cell in cells:
            assert isinstance(cell, ConditionNote)
            if cell.code == Code.AVOID:
                continue
            if cell.code != Code.MODIFY and not cell.overrides:
                continue
            words.append(cell.remainder if _applied(cell, version) else cell.note)
    modification = " ".join(dict.fromkeys(w.strip() for w in words if w.strip()))
    name = version.name if version is not None and version.name else ex.name
    return ItemText(name, start_position, steps, modification, version)


# ------------------------------------------------------------------------------------------ the builder


class _Builder:
    def __init__(
        self,
        intake: Intake,
        triage: Triage,
        library: Library,
        start: date,
        on: date,
        *,
        override_avoid: bool = False,
    ) -> None:
        self.override_avoid = override_avoid  # D-7: a clinician's explicit override of an A cell
        self.intake = intake
        self.triage = triage
        self.library = library
        self.start = start
        self.on = on
        self.phases = {c: phase_for(intake, c, start=start, on=on) for c in columns_for(intake)}
        self.unknown = intake.condition == Condition.UNKNOWN
        self.giving_way = "RF08" in triage.rules  # P13 from day 0 (D-2)
        self.items: list[ProgramItem] = []
        self.left_out: list[LeftOut] = []

    def version(self, ex: Exercise) -> Version | None:
        return ex.version_for(no_floor=self.intake.no_floor, fall_risk=self.intake.fall_risk)

    def build(self, ex: Exercise) -> ProgramItem | LeftOut:
        """The item for `ex` on this date, or why it is left out (A cell, D-11, P13, access)."""
        notes = _notes(ex, self.phases)
        code, change = _verdict(notes)
        if code == Code.AVOID and not self.override_avoid:
            return LeftOut(
                exercise_id=ex.id, name=ex.name, why=change, rules=("§4.3", "C-4", "D-6")
            )
        if code == Code.AVOID:  # D-7 override: the item carries the clinician's reason instead
            code = Code.MODIFY
        version = self.version(ex)
        if version is not None and version.excluded:
            return LeftOut(exercise_id=ex.id, name=ex.name, why=version.why, rules=("D-11",))
        if self.giving_way and ex.id in STANDING_KNEE_LOADING:
            return LeftOut(exercise_id=ex.id, name=ex.name, why=P13_LEFT_OUT, rules=("RF08", "P13"))
        options, option_changes = self._options(ex)
        if ex.options and not options:
            return LeftOut(
                exercise_id=ex.id,
                name=ex.name,
                why="You told us you don't have access to what this needs.",
                rules=("§3.2",),
            )
        text = item_text(ex, self.phases, unknown=self.unknown, version=version)
        extra = [] if self.unknown else option_changes
        if option_changes and not self.unknown and code != Code.MODIFY:
            code = Code.MODIFY
        if self.giving_way and ex.id == "walking":
            extra = [*extra, P13_WALKING]
        step_cm = ex.dose.step_cm
        if step_cm is not None and (note := step_needs_text(self.intake, step_cm)):
            extra = [*extra, note]
        modification = " ".join(t for t in (text.modification, *extra) if t)
        rules = [*ex.rules, "§4.3", "D-4", "C-8"]
        if version is not None:
            rules.append("D-11")
        if self.unknown:
            rules.append("D-6")
        if text.start_position != ex.start_position or text.steps != ex.steps:
            rules.append("D-13")
        if self.giving_way and ex.id == "walking":
            rules += ["RF08", "P13"]
        return ProgramItem(
            exercise_id=ex.id,
            name=text.name,
            category=ex.category,
            block=ex.block,
            dose=_start_dose(ex, self.intake),
            per_side=ex.dose.per_side,
            sides=("left", "right") if ex.dose.per_side else (),
            days=_days(_offsets(ex.category, 0, 1), self.start),
            code=code,
            modification=modification,
            options=options,
            why=" ".join(
                t
                for t in (ex.why, CODE_SENTENCE[code], self.advice(_unsilenced(notes, version)))
                if t
            ),
            rules=tuple(dict.fromkeys(rules)),
            rest_s=ex.dose.rest_s,
            tempo=ex.dose.tempo,
            start_position=text.start_position,
            steps=text.steps,
            version=version.profile if version is not None else "",
        )

    def advice(self, notes: list[ConditionNote]) -> str:
        """E / OK cell notes, for a stated condition only: `unknown` shows its one instruction (D-6)."""
        return _advice(notes) if not self.unknown else ""

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

    def avoid(self) -> tuple[AvoidEntry, ...]:
        entries = [
            AvoidEntry(id=a.id, name=a.name, why=a.why, examples=a.examples, rules=a.rules)
            for a in self.library.avoid
            if a.profile is None or (a.profile == "fall_risk" and self.intake.fall_risk)
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

    def later(self, ex: Exercise, session: Sequence[ProgramItem], cap: int) -> LaterOption | None:
        code, _ = _verdict(_notes(ex, self.phases))
        if code == Code.AVOID:
            return None
        version = self.version(ex)
        if version is not None and version.excluded:
            return None
        parent = LATER_PARENT.get(ex.id)
        full = len(session) >= cap
        in_session = {i.exercise_id for i in session}
        summary = version.summary if version is not None and version.summary else ex.summary
        return LaterOption(
            exercise_id=ex.id,
            name=version.name if version is not None and version.name else ex.name,
            why=f"{summary} It is offered to you when you are ready for it; it is never added "
            "without asking you.",
            rules=tuple(dict.fromkeys((*ex.rules, "D-12"))),
            state="not_yet",
            in_place_of=parent if full and parent in in_session else None,
            offered_from=None,
        )


def _unsilenced(notes: list[ConditionNote], version: Version | None) -> list[ConditionNote]:
    """The notes a D-11 version does not silence (an override without replacement text, e.g. "stay on
    your toes" for the counter plank)."""
    if version is None:
        return notes
    quiet = {(o.column, o.phase) for o in version.overrides if not o.overrides and not o.remainder}
    return [
        n for n in notes if (n.column, n.phase) not in quiet and (n.column, Phase.ANY) not in quiet
    ]


def _offsets(category: Category, index: int, count: int) -> tuple[int, ...]:
    if category in (Category.STRENGTH, Category.CORE, Category.BALANCE):
        return STRENGTH_DAYS
    if category == Category.AEROBIC:
        return tuple(d for i, d in enumerate(AEROBIC_DAYS) if i % max(count, 1) == index)
    return DAILY


def _schedule_aerobic(items: list[ProgramItem], start: date) -> list[ProgramItem]:
    aerobic = [i for i in items if i.category == Category.AEROBIC]
    out: list[ProgramItem] = []
    for item in items:
        if item.category == Category.AEROBIC:
            k = aerobic.index(item)
            offsets = _offsets(item.category, k, len(aerobic))
            out.append(item.model_copy(update={"days": _days(offsets, start)}))
        else:
            out.append(item)
    return out


# ----------------------------------------------------------------------------------- selection (D-10)

_CODE_RANK = {Code.EMPHASISE: 0, Code.OK: 1, Code.MODIFY: 2}


def _group(block: Block) -> str:
    """Swaps replace like for like: strength block for strength block, stretch/yoga for stretch/yoga."""
    return "strength" if block == Block.STRENGTH else "flexibility"


def select_session(
    candidates: Sequence[ProgramItem], cap: int = SESSION_CAP
) -> tuple[list[ProgramItem], list[ProgramItem]]:
    """RULES D-10: (session, swaps) among the non-aerobic candidates, each list in session order.

    Slot 1: double knee to chest when allowed; slot 2: the first of the article's four stretches by code
    (E, OK, M), then article order; then E before the rest, strength block before stretch/yoga, OK before M,
    article order."""
    chosen: list[ProgramItem] = []
    pool = [c for c in candidates if c.category != Category.AEROBIC]
    core = next((c for c in pool if c.exercise_id == CORE_SLOT), None)
    if core is not None:
        chosen.append(core)
    stretches = sorted(
        (c for c in pool if c.exercise_id in ARTICLE_STRETCHES),
        key=lambda c: (_CODE_RANK[c.code], _article_index(c.exercise_id)),
    )
    if stretches:
        chosen.append(stretches[0])
    rest = sorted(
        (c for c in pool if c not in chosen),
        key=lambda c: (
            c.code != Code.EMPHASISE,
            c.block != Block.STRENGTH,
            c.code == Code.MODIFY,
            _article_index(c.exercise_id),
        ),
    )
    chosen = (chosen + rest)[: max(cap, 0)]
    ids = {c.exercise_id for c in chosen}

    def order(items: Iterable[ProgramItem]) -> list[ProgramItem]:
        return sorted(items, key=lambda i: _sort_key(i.exercise_id, i.block))

    return order(chosen), order(c for c in pool if c.exercise_id not in ids)


def swap_for(item: ProgramItem, session: Sequence[ProgramItem]) -> SwapItem:
    """RULES D-10: a swap and the session items it can replace (same group, non-aerobic)."""
    group = _group(item.block)
    can = tuple(
        s.exercise_id
        for s in session
        if s.category != Category.AEROBIC
        and _group(s.block) == group
        and s.exercise_id != item.exercise_id
    )
    rules = tuple(dict.fromkeys((*item.rules, "D-10")))
    return SwapItem(item=item.model_copy(update={"rules": rules}), can_replace=can)


def program_item_for(
    intake: Intake,
    triage: Triage,
    library: Library,
    exercise_id: str,
    *,
    start: date,
    on: date | None = None,
    override_avoid: bool = False,
) -> ProgramItem | None:
    """The item as it would enter the program on `on` (its start dose, that day's phase texts, the D-11
    version), or None when it is left out for the person on that day (A cell, D-11, P13, access).
    `override_avoid`: a clinician overrides an A cell (D-7); D-11, P13 and access still leave it out."""
    b = _Builder(intake, triage, library, start, on or start, override_avoid=override_avoid)
    built = b.build(library.get(exercise_id))
    return built if isinstance(built, ProgramItem) else None


# ----------------------------------------------------------------------------------- equipment (C-15)

STEP_RUNG_CM = 5  # D-4 ladder: 10 → 15 → 20 → 25 cm
STEP_MATCH_CM = 2  # D-5: ± 2 cm


def step_needs_text(intake: Intake, height_cm: int) -> str:
    """RULES D-5: said with the step-up when nothing the person has matches the prescribed height."""
    if "step" in intake.equipment:
        return ""
    stair = intake.stair_height_cm
    if stair is not None and abs(stair - height_cm) <= STEP_MATCH_CM:
        return ""
    low, high = height_cm - STEP_MATCH_CM, height_cm + STEP_MATCH_CM
    return f"Needs a firm step {height_cm} cm high ({low} to {high} cm); see your equipment list."


def step_use_text(
    *,
    height_cm: int,
    have_step: bool,
    stair_height_cm: int | None,
    fall_risk: bool,
    cap_cm: int,
) -> str:
    """RULES D-5 (v2) and EX-26: what to step onto at the prescribed height (± 2 cm)."""
    low, high = height_cm - STEP_MATCH_CM, height_cm + STEP_MATCH_CM
    span = f"{height_cm} cm high ({low}–{high} cm)"
    if have_step:
        text = f"your step, set to {height_cm} cm ({low}–{high} cm)"
        return text + (", beside a rail or counter you can hold" if fall_risk else "")
    stair = ""
    stair_fits = stair_height_cm is not None and abs(stair_height_cm - height_cm) <= STEP_MATCH_CM
    if stair_height_cm is not None and not stair_fits:
        later = [
            h
            for h in range(height_cm + STEP_RUNG_CM, cap_cm + 1, STEP_RUNG_CM)
            if abs(stair_height_cm - h) <= STEP_MATCH_CM
        ]
        mine = f"your bottom stair ({stair_height_cm} cm)"
        if later:
            fits = f"fits when your step height reaches {later[0]} cm"
            stair = (
                f"{mine} {fits}"
                if fall_risk
                else f"{mine.capitalize()} is too high for now; it {fits}."
            )
        elif stair_height_cm > height_cm:
            stair = f"{mine} is higher than your step-ups go, so don't use it for them"
        else:
            stair = f"{mine} is lower than your step height, so don't use it for step-ups"
        if not fall_risk and not later:
            stair = stair[0].upper() + stair[1:] + "."
    if fall_risk:
        text = f"a firm step {span} beside a rail or counter you can hold"
        if stair_fits:
            return (
                f"{text}; your bottom stair ({stair_height_cm} cm) fits, holding its rail. "
                "No foam pad or blanket."
            )
        if stair:
            until = "Until then skip" if "fits when" in stair else "Until you have one, skip"
            return (
                f"{text}; {stair}. No foam pad or blanket. {until} step-ups "
                "(this does not count against you)."
            )
        return (
            f"{text}. No foam pad or blanket. Until you have one, skip step-ups "
            "(this does not count against you)."
        )
    text = f"a firm, stable step or step-stool {span}"
    if stair_fits:
        return f"{text}, or your bottom stair ({stair_height_cm} cm), holding the rail."
    pad = "Until you have one, use a foam pad or a firmly folded blanket, holding a counter."
    return " ".join(t for t in (f"{text}.", stair, pad) if t)


def version_of(library: Library, item: ProgramItem) -> Version | None:
    """The D-11 version an item is done in (for its cues, mistakes, equipment and figure), or None."""
    ex = library.get(item.exercise_id)
    return next((v for v in ex.versions if v.profile == item.version), None)


def _item_equipment(library: Library, item: ProgramItem) -> tuple[Equipment, ...]:
    version = version_of(library, item)
    if version is not None and version.equipment is not None:
        return version.equipment
    return library.get(item.exercise_id).equipment


def equipment_for(
    intake: Intake, library: Library, items: Sequence[ProgramItem], *, step_cap: int = 25
) -> tuple[EquipmentNeed, ...]:
    """RULES C-15 (v2): what these items need, whether the person has it, what to use instead, the step
    height needed now (step entry) and where the lying work is done (mat entry)."""
    needed: dict[str, list[str]] = {}
    for item in items:
        for eq in _item_equipment(library, item):
            needed.setdefault(eq.id, []).append(item.exercise_id)
    out: list[EquipmentNeed] = []
    for eq_id in sorted(needed):
        info = library.equipment[eq_id]
        have = eq_id in intake.equipment
        use = info.name if have or not info.substitute else info.substitute
        height: int | None = None
        surface: Literal["floor", "bed"] | None = None
        if eq_id == "step":
            heights = [
                int(h)
                for i in items
                if i.exercise_id in needed[eq_id] and (h := i.dose.step_cm) is not None
            ]
            height = max(heights) if heights else None
            if height is not None:
                use = step_use_text(
                    height_cm=height,
                    have_step=have,
                    stair_height_cm=intake.stair_height_cm,
                    fall_risk=intake.fall_risk,
                    cap_cm=step_cap,
                )
        if eq_id == "mat":
            surface = "bed" if intake.no_floor else "floor"
            if intake.no_floor:
                use = "a firm bed: do the lying exercises on it instead of the floor"
        if eq_id == "foam_pad" and intake.fall_risk:
            continue  # D-11: no foam pad in the fall-risk profile
        out.append(
            EquipmentNeed(
                id=eq_id,
                name=info.name,
                have=have,
                use=use,
                needed_by=tuple(needed[eq_id]),
                height_cm=height,
                surface=surface,
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------------- guidance (D-14)


def _guidance(library: Library, key: str) -> str:
    item = library.guidance.get(key)
    return item.text if item else ""


def ice_heat_text(library: Library, *, cold_only: bool, swelling: bool = False) -> str:
    """RULES D-14: the ice/heat advice for a day. `cold_only` inside a cold-only window (an injury date and
    the 2 days after; a swelling report and the 2 days after) — the engine decides the window; `swelling`
    picks the wording for a swelling report."""
    if not cold_only:
        return _guidance(library, "ice-heat")
    return _guidance(library, "ice-heat-swelling" if swelling else "ice-heat-cold-only")


def trouble_tolerating_text(library: Library) -> str:
    """RULES D-14: shown on a day an exercise is paused, stopped or held at its floor, and while E12 is open."""
    return _guidance(library, "trouble-tolerating")


def yoga_text(library: Library, *, no_floor: bool) -> str:
    """RULES D-14: the yoga guidance; the no-floor profile names a chair yoga class."""
    return _guidance(library, "yoga-no-floor" if no_floor else "yoga")


def cold_only_at_start(intake: Intake) -> bool:
    """RULES D-14: program day 0 is an injury date when the intake is an injury with weeks_since_onset 0."""
    return intake.onset == Onset.INJURY and intake.weeks_since_onset == 0


# ------------------------------------------------------------------------------------------------ plan


def plan(intake: Intake, triage: Triage, library: Library, *, start: date) -> Program | None:
    """The starting program, or None when triage withholds a self-managed program (RULES D-2)."""
    if triage.level in NO_PROGRAM_LEVELS:
        return None
    b = _Builder(intake, triage, library, start, start)
    exercises = sorted(library.exercises.values(), key=lambda e: _sort_key(e.id, e.block))
    candidates: list[ProgramItem] = []
    for ex in exercises:
        if ex.role != Role.PROGRAM:
            continue
        built = b.build(ex)
        if isinstance(built, LeftOut):
            b.left_out.append(built)
        else:
            candidates.append(built)
    session, extra = select_session(candidates, SESSION_CAP)
    aerobic = [c for c in candidates if c.category == Category.AEROBIC]
    items = _schedule_aerobic(
        sorted([*session, *aerobic], key=lambda i: _sort_key(i.exercise_id, i.block)), start
    )
    swaps = tuple(swap_for(s, session) for s in extra)
    later = tuple(
        opt
        for ex in exercises
        if ex.role == Role.LATER and (opt := b.later(ex, session, SESSION_CAP)) is not None
    )
    ceiling, ceiling_rules = pain_ceiling(intake, start=start, on=start)
    early = any(p == Phase.EARLY for p in b.phases.values())
    review_days, review_rules = _review(intake, triage)
    notices: list[str] = []
    notice_rules: list[str] = []
    if triage.level == Level.SOON:
        notices.append(
            "Book a review with a physical therapist or doctor within 1–2 weeks. Your exercises "
            "stay at their starting doses until a clinician has reviewed your program."
        )
        notice_rules.append("D-2")
    if b.giving_way:
        notices.append(
            "Because your knee has given way, the exercises you do standing on the leg are left out "
            "until a clinician has checked it."
        )
        notice_rules += ["RF08", "P13"]
    if intake.condition == Condition.MCL and intake.mcl_grade is None:
        notices.append(
            "Your MCL sprain's grade is not known, so the program follows the safer grade II rules."
        )
        notice_rules.append("§4.3")
    notices.append(CONDITION_NOTES[intake.condition])
    notice_rules += CONDITION_NOTE_RULES.get(intake.condition, ())
    if extra:
        notices.append(
            f"Your sessions hold {len(session)} exercises to start small; the others are listed as "
            "swaps you can choose instead of one of them."
        )
        notice_rules.append("D-10")
    return Program(
        start=start,
        phase="early" if early else "later",
        phase_note=_phase_note(b.phases, early, unknown=b.unknown),
        phase_rules=("C-4",),
        acute=is_acute(intake, start=start, on=start),
        pain_ceiling=ceiling,
        pain_ceiling_rules=ceiling_rules,
        progression_held=triage.level == Level.SOON,
        items=tuple(items),
        later_options=later,
        left_out=tuple(b.left_out),
        avoid=b.avoid(),
        equipment=equipment_for(intake, library, items, step_cap=step_cap_cm(intake, b.phases)),
        ice_heat=ice_heat_text(library, cold_only=cold_only_at_start(intake)),
        see_professional=_guidance(library, "see-professional"),
        start_small=_guidance(library, "start-small"),
        review_on=start + timedelta(days=review_days) if review_days is not None else None,
        review_rules=review_rules,
        notices=tuple(notices),
        notice_rules=tuple(dict.fromkeys(notice_rules)),
        profile=Profile(no_floor=intake.no_floor, fall_risk=intake.fall_risk),
        session_cap=SESSION_CAP,
        swaps=swaps,
        avoid_note=_guidance(library, "avoid-initially"),
        stretch_again=_guidance(library, "stretch-again"),
        yoga=yoga_text(library, no_floor=intake.no_floor),
        trouble_tolerating=None,
        baseline_pain=intake.pain_now,
        pain_ceiling_flag=ceiling > CEILING_FLAG,
    )


def _phase_note(phases: dict[Column, Phase], early: bool, *, unknown: bool = False) -> str:
    if not early:
        return "Standard phase: the full program for your knee, within your pain limit."
    cols = [c for c, p in phases.items() if p == Phase.EARLY]
    names = {
        Column.MCL_GRADE_2_3: "the first 4 weeks after an MCL sprain",
        Column.MENISCUS: "the first weeks after a meniscus injury",
    }
    # D-6: no diagnosis is implied when the cause is not known.
    which = (
        "the first 4 weeks after a knee injury"
        if unknown
        else " and ".join(names.get(c, c.value) for c in cols)
    )
    return (
        f"Early phase ({which}): exercises that load the inner knee or bend it deeply "
        "are left out for now."
    )
