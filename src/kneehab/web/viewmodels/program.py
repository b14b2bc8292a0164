"""My program: this week by day, each exercise with its picture, steps, dose and reasons, what to avoid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pydantic import BaseModel

from kneehab.domain.exercise import Exercise, Library
from kneehab.domain.program import WEEKDAYS, ItemStatus, Program, ProgramItem, Triage
from kneehab.domain.types import BLOCK_ORDER, Level
from kneehab.web.viewmodels.common import BLOCK_LABELS, Banner, day_label, dose_text

FigureFn = Callable[[Exercise], str]

STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.ACTIVE: "",
    ItemStatus.PAUSED: "Paused until a clinician reviews it",
    ItemStatus.STOPPED: "Stopped today — answer the safety questions again before continuing",
}


class EquipmentLine(BaseModel):
    name: str
    use: str
    have: bool


class ExerciseCard(BaseModel):
    id: str
    name: str
    block: str
    block_label: str
    summary: str
    figure_svg: str
    figure_caption: str
    start_position: str
    steps: list[str]
    cues: list[str]
    key_cue: str
    mistakes: list[str]
    stop_rules: list[str]
    dose: str
    tempo: str
    why: str
    modification: str
    options: list[str]
    equipment: list[EquipmentLine]
    status: str
    status_label: str
    days: str
    rules: list[str]


class Day(BaseModel):
    date: date
    label: str
    today: bool
    exercises: list[str]


class Section(BaseModel):
    block: str
    label: str
    exercises: list[ExerciseCard]


class Titled(BaseModel):
    name: str
    why: str
    examples: list[str] = []


class ProgramView(BaseModel):
    banner: Banner | None  # an escalation that needs action (RULES §5)
    start: date
    review_notice: str  # D-2 `soon`: book a review within 1–2 weeks (empty when not needed)
    review_on: date | None
    notices: list[str]
    phase_note: str
    pain_limit: str
    week: list[Day]
    sections: list[Section]
    equipment: list[EquipmentLine]
    avoid: list[Titled]
    later: list[Titled]
    left_out: list[Titled]
    ice_heat: str
    see_professional: str
    start_small: str


_DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


def _equipment(ex: Exercise, library: Library, program: Program) -> list[EquipmentLine]:
    needs = {e.id: e for e in program.equipment}
    out = []
    for eq in ex.equipment:
        need = needs.get(eq.id)
        info = library.equipment.get(eq.id)
        name = info.name if info else eq.id
        use = need.use if need else name
        what = f"{use} — {eq.use}" if eq.use else use
        out.append(EquipmentLine(name=name, use=what, have=bool(need and need.have)))
    return out


def exercise_card(
    item: ProgramItem, library: Library, program: Program, figure: FigureFn
) -> ExerciseCard:
    ex = library.get(item.exercise_id)
    days = ", ".join(_DAY_NAMES[d] for d in WEEKDAYS if d in item.days)
    return ExerciseCard(
        id=item.exercise_id,
        name=item.name,
        block=item.block.value,
        block_label=BLOCK_LABELS[item.block],
        summary=ex.summary,
        figure_svg=figure(ex),
        figure_caption=ex.figure.caption,
        start_position=ex.start_position,
        steps=list(ex.steps),
        cues=list(ex.cues),
        key_cue=ex.cues[0] if ex.cues else ex.summary,
        mistakes=list(ex.mistakes),
        stop_rules=list(ex.stop_rules),
        dose=dose_text(item.dose, per_side=item.per_side),
        tempo=item.tempo,
        why=item.why,
        modification=item.modification,
        options=list(item.options),
        equipment=_equipment(ex, library, program),
        status=item.status.value,
        status_label=STATUS_LABELS[item.status],
        days=days,
        rules=list(item.rules),
    )


def _week(program: Program, today: date) -> list[Day]:
    monday = today - timedelta(days=today.weekday())
    out = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        names = [] if day < program.start else [i.name for i in program.items_on(day)]
        out.append(Day(date=day, label=day_label(day), today=day == today, exercises=names))
    return out


def program_view(
    program: Program,
    triage: Triage,
    library: Library,
    *,
    today: date,
    figure: FigureFn,
    banner: Banner | None = None,
) -> ProgramView:
    sections = []
    for block in BLOCK_ORDER:
        items = [i for i in program.items if i.block == block]
        if items:
            cards = [exercise_card(i, library, program, figure) for i in items]
            sections.append(Section(block=block.value, label=BLOCK_LABELS[block], exercises=cards))
    review = triage.message if triage.level == Level.SOON else ""
    notices = [n for n in program.notices if not (review and n.startswith("Book a review"))]
    return ProgramView(
        banner=banner,
        start=program.start,
        review_notice=review,
        review_on=program.review_on,
        notices=notices,
        phase_note=program.phase_note,
        pain_limit=(
            f"Keep knee pain during exercise at {program.pain_ceiling} out of 10 or less. "
            "If it goes higher, stop that exercise."
        ),
        week=_week(program, today),
        sections=sections,
        equipment=[EquipmentLine(name=e.name, use=e.use, have=e.have) for e in program.equipment],
        avoid=[Titled(name=a.name, why=a.why, examples=list(a.examples)) for a in program.avoid],
        later=[Titled(name=o.name, why=o.why) for o in program.later_options],
        left_out=[Titled(name=o.name, why=o.why) for o in program.left_out],
        ice_heat=program.ice_heat,
        see_professional=program.see_professional,
        start_small=program.start_small,
    )
