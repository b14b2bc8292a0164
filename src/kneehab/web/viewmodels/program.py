"""My program, one thing per screen: a short overview (pain limit, the week at a glance, one card per exercise),
a page per exercise, and short pages for the moves to avoid, the equipment, and ice/heat and when to get help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Code, Exercise, Library
from kneehab.domain.program import WEEKDAYS, ItemStatus, Program, ProgramItem, Triage
from kneehab.domain.types import BLOCK_ORDER, Level
from kneehab.web.viewmodels.common import BLOCK_LABELS, Banner, day_label, dose_text, short_day

FigureFn = Callable[[Exercise], str]  # the figure's (cacheable) URL

STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.ACTIVE: "",
    ItemStatus.PAUSED: "Paused until a clinician reviews it",
    ItemStatus.STOPPED: "Stopped after pain — the safety questions come at your next morning check-in",
}
CONDITION_CHANGES: dict[Code, str] = {
    Code.EMPHASISE: "This exercise is especially useful for your kind of knee pain.",
    Code.OK: "No change is needed for your kind of knee pain.",
    Code.MODIFY: "",  # the item's own modification text says what to do differently
    Code.AVOID: "",
}
_DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri"}
_DAY_NAMES |= {"sat": "Sat", "sun": "Sun"}


def exercise_url(exercise_id: str) -> str:
    return f"/program/exercises/{exercise_id}"


def first_sentence(text: str) -> str:
    """The first sentence of a reason (cards show one line; the exercise page shows all of it)."""
    text = text.strip()
    for end in (". ", "! ", "? "):
        cut = text.find(end)
        if cut != -1:
            text = text[: cut + 1]
            break
    return text


def figure_alt(ex: Exercise) -> str:
    caption = ex.figure.caption.strip().rstrip(".")
    return (
        f"{ex.name}, drawn step by step: {caption}."
        if caption
        else f"{ex.name}, drawn step by step."
    )


def figure_steps(ex: Exercise) -> list[str]:
    """The drawing's panels in order, in words ("Start", "End"; "Cat", "Cow"): shown as text under the
    figure, where they stay legible on a phone (the drawing itself has no words)."""
    return [k.label[:1].upper() + k.label[1:] for k in ex.figure.keyframes]


class EquipmentLine(BaseModel):
    name: str
    use: str
    have: bool
    substitute: str = ""


class ExerciseCard(BaseModel):
    """What a list shows about one exercise: enough to recognise it, with a link to the rest."""

    id: str
    name: str
    block: str
    block_label: str
    figure_url: str
    figure_alt: str
    figure_steps: list[str]  # the drawing's panels in order, in words
    dose: str
    why_line: str
    key_cue: str
    modification: str
    status: str
    status_label: str
    days: str
    url: str


def exercise_card(
    item: ProgramItem, library: Library, program: Program, figure: FigureFn
) -> ExerciseCard:
    ex = library.get(item.exercise_id)
    return ExerciseCard(
        id=item.exercise_id,
        name=item.name,
        block=item.block.value,
        block_label=BLOCK_LABELS[item.block],
        figure_url=figure(ex),
        figure_alt=figure_alt(ex),
        figure_steps=figure_steps(ex),
        dose=dose_text(item.dose, per_side=item.per_side),
        why_line=first_sentence(item.why),
        key_cue=ex.cues[0] if ex.cues else ex.summary,
        modification=item.modification,
        status=item.status.value,
        status_label=STATUS_LABELS[item.status],
        days=", ".join(_DAY_NAMES[d] for d in WEEKDAYS if d in item.days),
        url=exercise_url(item.exercise_id),
    )


class DayBlock(BaseModel):
    label: str
    exercises: list[str]


class Day(BaseModel):
    date: date
    label: str
    short: str  # "Tue 4 Mar"
    today: bool
    count: int
    summary: str  # "Warm-up, Strength, Cool-down · 9 exercises" or "Rest day"
    blocks: list[DayBlock]


class Section(BaseModel):
    block: str
    label: str
    exercises: list[ExerciseCard]


class Link(BaseModel):
    label: str
    url: str
    hint: str


class ProgramView(BaseModel):
    banner: Banner | None  # an escalation that needs action (RULES §5)
    start: date
    review_notice: str  # D-2 `soon`: book a review within 1–2 weeks (empty when not needed)
    review_title: str = ""  # dated: "Book a review by …", or "Your review was due by …" once past
    review_on: date | None
    notices: list[str]
    phase_note: str
    pain_limit: str
    week_title: str  # "This week", or "Your first week" when the program started this week
    # The main button: the session, unless "Stop — it hurts" ended today's session (every page
    # agrees with the stop until the next morning).
    start_label: str = "Start today's session"
    day_stopped: bool = False
    week: list[Day]
    sections: list[Section]
    more: list[Link]  # the avoid list, equipment, ice/heat and when to see a professional
    # The contract, as `kneehab plan --json` prints it (EXAMPLES: Plan JSON), for the program as
    # of today: the same serialiser, so the CLI, the API and exports say the same things.
    triage: dict[str, Any] = {}
    program: dict[str, Any] | None = None


def _week_start(program: Program, today: date) -> date:
    """Monday of this week, or the program's first day when it started after that Monday: days before
    the start were never part of the program, so they are not shown as its rest days."""
    monday = today - timedelta(days=today.weekday())
    return max(monday, program.start)


def _week(program: Program, today: date) -> list[Day]:
    first = _week_start(program, today)
    out = []
    for offset in range(7):
        day = first + timedelta(days=offset)
        items = [] if day < program.start else program.items_on(day)
        blocks = [
            DayBlock(label=BLOCK_LABELS[b], exercises=[i.name for i in items if i.block == b])
            for b in BLOCK_ORDER
            if any(i.block == b for i in items)
        ]
        n = len(items)
        summary = (
            f"{', '.join(b.label for b in blocks)} · {n} exercise{'s' if n != 1 else ''}"
            if n
            else "Rest day"
        )
        out.append(
            Day(
                date=day,
                label=day_label(day),
                short=short_day(day),
                today=day == today,
                count=n,
                summary=summary,
                blocks=blocks,
            )
        )
    return out


def _more(program: Program) -> list[Link]:
    swaps = len(program.swaps)
    offered = [o for o in program.later_options if o.state == "offered"]
    choose = (
        [
            Link(
                label="Ready to try" if offered else "Exercises you can swap in",
                url="/program/swaps",
                hint=(
                    f"{len(offered)} new exercise{'s' if len(offered) != 1 else ''} offered; "
                    if offered
                    else ""
                )
                + f"{swaps} you can do instead of one in your session",
            )
        ]
        if swaps or offered
        else []
    )
    fixed = [
        Link(
            label="Print my program, or add it to your calendar",
            url="/program/take",
            hint="A handout to print; reminders on your exercise days",
        ),
        Link(
            label="Moves to avoid for now",
            url="/program/avoid",
            hint=f"{len(program.avoid)} kinds of movement, and why",
        ),
        Link(
            label="Equipment and what to use instead",
            url="/program/equipment",
            hint="Household things that work just as well",
        ),
        Link(
            label="Ice and heat",
            url="/program/advice#ice-heat",
            hint="What eases the knee; how to start small",
        ),
        Link(
            label="When to see a professional",
            url="/program/advice#see-a-professional",
            hint="Signs that need a clinician",
        ),
    ]
    return [*choose, *fixed]


def _limit_reason(program: Program) -> str:
    """D-1 (v2): a limit above the standard one is there because of the person's usual pain."""
    base = program.baseline_pain
    if base is not None and base >= program.pain_ceiling > 3:
        return f" Your limit is {program.pain_ceiling} because your usual morning pain is {base}."
    return ""


REVIEW_WITHIN = timedelta(days=14)  # D-2 `soon`: a review within 1–2 weeks of the start


def _review_notice(program: Program, triage: Triage, today: date) -> tuple[str, str]:
    """D-2 `soon`, said in words true on the day it is read: "within 1–2 weeks" (and the date) on the
    first day, the date after it, and once that date has passed, that the review was due then (never
    "within 1–2 weeks" on day 16)."""
    if triage.level != Level.SOON:
        return "", ""
    due = program.start + REVIEW_WITHIN
    steady = (
        "You can go on gently at your starting doses; your exercises will not step up until a "
        "physical therapist or doctor has reviewed your program."
    )
    if today <= program.start:
        return f"{triage.message} Book it by {day_label(due)}.", "Book a review within 1–2 weeks"
    if today <= due:
        return steady, f"Book a review by {day_label(due)}"
    return (
        f"If you have not had it yet, book it now. {steady}",
        f"Your review was due by {day_label(due)}",
    )


def program_view(
    program: Program,
    triage: Triage,
    library: Library,
    *,
    today: date,
    figure: FigureFn,
    banner: Banner | None = None,
    day_stopped: bool = False,
) -> ProgramView:
    sections = []
    for block in BLOCK_ORDER:
        items = [i for i in program.items if i.block == block]
        if items:
            cards = [exercise_card(i, library, program, figure) for i in items]
            sections.append(Section(block=block.value, label=BLOCK_LABELS[block], exercises=cards))
    review, review_title = _review_notice(program, triage, today)
    notices = [n for n in program.notices if not (review and n.startswith("Book a review"))]
    return ProgramView(
        banner=banner,
        day_stopped=day_stopped,
        start_label="Today's session is stopped: see Today"
        if day_stopped
        else "Start today's session",
        start=program.start,
        review_notice=review,
        review_title=review_title,
        review_on=program.review_on,
        notices=notices,
        phase_note=program.phase_note,
        pain_limit=(
            f"Keep knee pain during exercise at {program.pain_ceiling} out of 10 or less. "
            "If it goes higher, stop that exercise." + _limit_reason(program)
        ),
        week_title="Your first week"
        if _week_start(program, today) == program.start
        else "This week",
        week=_week(program, today),
        sections=sections,
        more=_more(program),
    )


# ---- one exercise --------------------------------------------------------------------------


class ExerciseView(BaseModel):
    """Everything about one exercise of the person's program."""

    banner: Banner | None
    id: str
    name: str
    block_label: str
    status_label: str
    figure_url: str
    figure_alt: str
    figure_steps: list[str]  # the drawing's panels in order, in words (shown under it)
    figure_caption: str
    summary: str
    dose: str
    days: str
    tempo: str
    start_position: str
    steps: list[str]
    cues: list[str]
    mistakes: list[str]
    stop_rules: list[str]
    why: str
    rules: list[str]
    condition_change: str  # what differs for the person's condition (RULES §4.3)
    options: list[str]
    equipment: list[EquipmentLine]
    progressions: list[str]  # the steps still ahead, easiest first
    back_url: str = "/program"


def _equipment(ex: Exercise, library: Library, program: Program) -> list[EquipmentLine]:
    needs = {e.id: e for e in program.equipment}
    out = []
    for eq in ex.equipment:
        need = needs.get(eq.id)
        info = library.equipment.get(eq.id)
        name = info.name if info else eq.id
        use = need.use if need else name
        what = f"{use} — {eq.use}" if eq.use else use
        out.append(
            EquipmentLine(
                name=name,
                use=what,
                have=bool(need and need.have),
                substitute=info.substitute if info else "",
            )
        )
    return out


def _ahead(ex: Exercise, item: ProgramItem, library: Library) -> list[str]:
    """Progression rungs not yet reached at the current dose (a variant rung names its exercise)."""
    out = []
    for rung in ex.progression:
        if rung.change == "variant":
            target = library.exercises.get(rung.to or "")
            out.append(f"{rung.note} ({target.name})" if target else rung.note)
            continue
        now = item.dose.get(rung.change)
        if rung.until is None or now is None or float(now) < rung.until:
            out.append(rung.note)
    return out


def exercise_view(
    item: ProgramItem,
    library: Library,
    program: Program,
    *,
    figure: FigureFn,
    banner: Banner | None = None,
) -> ExerciseView:
    ex = library.get(item.exercise_id)
    card = exercise_card(item, library, program, figure)
    change = item.modification or CONDITION_CHANGES[item.code]
    return ExerciseView(
        banner=banner,
        id=item.exercise_id,
        name=item.name,
        block_label=card.block_label,
        status_label=card.status_label,
        figure_url=card.figure_url,
        figure_alt=card.figure_alt,
        figure_steps=card.figure_steps,
        figure_caption=ex.figure.caption,
        summary=ex.summary,
        dose=card.dose,
        days=card.days,
        tempo=item.tempo,
        start_position=ex.start_position,
        steps=list(ex.steps),
        cues=list(ex.cues),
        mistakes=list(ex.mistakes),
        stop_rules=list(ex.stop_rules),
        why=item.why,
        rules=list(item.rules),
        condition_change=change,
        options=list(item.options),
        equipment=_equipment(ex, library, program),
        progressions=_ahead(ex, item, library),
    )


# ---- the short pages reached from My program -----------------------------------------------


class Titled(BaseModel):
    name: str
    why: str
    examples: list[str] = []
    rules: list[str] = []


class Named(BaseModel):
    id: str
    name: str


class SwapOption(BaseModel):
    """RULES D-10: an exercise the person may choose instead of one in the session."""

    id: str
    name: str
    dose: str
    why: str
    rules: list[str]
    replaces: list[Named]


class Offer(BaseModel):
    """RULES D-12: "Ready to try: X", offered and never added by itself."""

    id: str
    name: str
    why: str
    rules: list[str]
    in_place_of: Named | None


class SwapsView(BaseModel):
    intro: str
    swaps: list[SwapOption]
    offers: list[Offer]
    back_url: str = "/program"


def swaps_view(program: Program) -> SwapsView:
    names = {i.exercise_id: i.name for i in program.items}

    def named(ex_id: str) -> Named:
        return Named(id=ex_id, name=names.get(ex_id, ex_id))

    return SwapsView(
        intro=(
            "Your session keeps a small number of exercises. You can choose one of these instead "
            "of an exercise of the same kind: it starts at its own starting dose from today, and "
            "the one it replaces waits here with its dose kept."
        ),
        swaps=[
            SwapOption(
                id=sw.item.exercise_id,
                name=sw.item.name,
                dose=sw.item.dose_text,
                why=sw.item.why,
                rules=list(sw.item.rules),
                replaces=[named(x) for x in sw.can_replace if x in names],
            )
            for sw in program.swaps
        ],
        offers=[
            Offer(
                id=o.exercise_id,
                name=o.name,
                why=o.why,
                rules=list(o.rules),
                in_place_of=named(o.in_place_of) if o.in_place_of else None,
            )
            for o in program.later_options
            if o.state == "offered"
        ],
    )


class AvoidView(BaseModel):
    avoid: list[Titled]
    left_out: list[Titled]
    later: list[Titled]
    back_url: str = "/program"


def avoid_view(program: Program) -> AvoidView:
    return AvoidView(
        avoid=[
            Titled(name=a.name, why=a.why, examples=list(a.examples), rules=list(a.rules))
            for a in program.avoid
        ],
        left_out=[Titled(name=o.name, why=o.why, rules=list(o.rules)) for o in program.left_out],
        later=[Titled(name=o.name, why=o.why, rules=list(o.rules)) for o in program.later_options],
    )


class NeededItem(BaseModel):
    name: str
    have: bool
    use: str  # what to use: the item itself, or the household substitute (RULES D-5, C-15)
    needed_by: list[str]  # exercise names


class EquipmentView(BaseModel):
    items: list[NeededItem]
    back_url: str = "/program"


def equipment_view(program: Program) -> EquipmentView:
    names = {i.exercise_id: i.name for i in program.items}
    return EquipmentView(
        items=[
            NeededItem(
                name=e.name,
                have=e.have,
                use=e.use,
                needed_by=[names.get(x, x) for x in e.needed_by],
            )
            for e in program.equipment
        ]
    )


class AdviceView(BaseModel):
    ice_heat: str
    start_small: str
    see_professional: str
    back_url: str = "/program"


def advice_view(program: Program) -> AdviceView:
    return AdviceView(
        ice_heat=program.ice_heat,
        start_small=program.start_small,
        see_professional=program.see_professional,
    )
