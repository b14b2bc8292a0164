"""Today: the guided session (player plan + saved state) and, without JavaScript, one form per exercise."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.program import Program, ProgramItem
from kneehab.domain.records import SessionEntry
from kneehab.domain.types import BLOCK_ORDER
from kneehab.web.viewmodels.common import (
    BLOCK_LABELS,
    EFFORT_CHOICES,
    Banner,
    Choice,
    PainOption,
    day_label,
    pain_scale,
    symptom_choices,
)
from kneehab.web.viewmodels.program import ExerciseCard, FigureFn, exercise_card


class PlayerExercise(BaseModel):
    """What the player needs to time one exercise."""

    id: str
    name: str
    block_label: str
    cue: str
    sets: int
    reps: int | None
    hold_s: int | None
    minutes: int | None
    rest_s: int
    sides: list[str]
    figure_url: str


class PlayerPlan(BaseModel):
    day: date
    signature: str  # a saved state only resumes the same day's same plan
    exercises: list[PlayerExercise]
    state_url: str = "/api/v1/today/state"
    entry_url: str = "/api/v1/today/entries"


class Logged(BaseModel):
    summary: str
    pain_during_max: int
    skipped: bool


class TodayItem(BaseModel):
    card: ExerciseCard
    logged: Logged | None
    uses_minutes: bool
    sets: int


class TodaySection(BaseModel):
    label: str
    items: list[TodayItem]


class TodayView(BaseModel):
    day: date
    day_label: str
    banner: Banner | None
    session_day: bool
    rest_message: str
    pain_limit: str
    sections: list[TodaySection]
    done: int
    total: int
    plan: PlayerPlan
    saved_state: dict[str, Any] | None
    time_scale: float
    pain_scale: list[PainOption]
    efforts: list[Choice]
    check_due: bool  # RULES §1.1: today's short safety questions come before the session
    check_url: str = "/today/check"


def player_exercise(item: ProgramItem, cue: str, figure_url: str) -> PlayerExercise:
    d = item.dose
    return PlayerExercise(
        id=item.exercise_id,
        name=item.name,
        block_label=BLOCK_LABELS[item.block],
        cue=cue,
        sets=d.sets or 1,
        reps=d.reps,
        hold_s=d.hold_s,
        minutes=d.minutes,
        rest_s=item.rest_s,
        sides=list(item.sides),
        figure_url=figure_url,
    )


def logged(entry: SessionEntry) -> Logged:
    if entry.skipped and entry.sets_done == 0:
        text = f"Not done · pain {entry.pain_during_max}/10"
    else:
        sets = "1 set" if entry.sets_done == 1 else f"{entry.sets_done} sets"
        effort = f" · {entry.effort}" if entry.effort else ""
        text = f"Done: {sets} · pain {entry.pain_during_max}/10{effort}"
    return Logged(summary=text, pain_during_max=entry.pain_during_max, skipped=entry.skipped)


def ordered(items: list[ProgramItem]) -> list[ProgramItem]:
    """Warm-up → strength → aerobic → cool-down (the program's own order within a block)."""
    return [i for block in BLOCK_ORDER for i in items if i.block == block]


def today_view(
    program: Program,
    library: Library,
    *,
    today: date,
    entries: dict[str, SessionEntry],
    saved_state: dict[str, Any] | None,
    time_scale: float,
    figure: FigureFn,
    banner: Banner | None,
    check_due: bool = False,
) -> TodayView:
    items = ordered(program.items_on(today))
    sections: list[TodaySection] = []
    player: list[PlayerExercise] = []
    for block in BLOCK_ORDER:
        mine = [i for i in items if i.block == block]
        if not mine:
            continue
        rows = []
        for item in mine:
            card = exercise_card(item, library, program, figure)
            entry = entries.get(item.exercise_id)
            rows.append(
                TodayItem(
                    card=card,
                    logged=logged(entry) if entry else None,
                    uses_minutes=bool(item.dose.minutes and not item.dose.reps),
                    sets=item.dose.sets or 1,
                )
            )
            player.append(player_exercise(item, card.key_cue, card.figure_url))
        sections.append(TodaySection(label=BLOCK_LABELS[block], items=rows))
    signature = f"{today.isoformat()}:" + ",".join(
        f"{p.id}/{p.sets}/{p.reps}/{p.hold_s}/{p.minutes}" for p in player
    )
    return TodayView(
        day=today,
        day_label=day_label(today),
        banner=banner,
        session_day=bool(items),
        rest_message=(
            ""
            if items
            else "Nothing is scheduled today. Rest, walk as usual, and check in tomorrow."
        ),
        pain_limit=(
            f"Your pain limit: {program.pain_ceiling} out of 10. If an exercise hurts more than "
            "that, press “Stop — it hurts”."
        ),
        sections=sections,
        done=sum(1 for i in items if i.exercise_id in entries),
        total=len(items),
        plan=PlayerPlan(day=today, signature=signature, exercises=player),
        saved_state=saved_state,
        time_scale=time_scale,
        pain_scale=pain_scale(),
        efforts=EFFORT_CHOICES,
        check_due=check_due and bool(items),
    )


class RecordView(BaseModel):
    """Without JavaScript: one exercise's record form on its own screen."""

    day_label: str
    item: TodayItem
    pain_scale: list[PainOption]
    efforts: list[Choice]
    values: dict[str, Any]
    action: str = "/today/entries"
    back_url: str = "/today"


def record_view(
    vm: TodayView, exercise_id: str, values: dict[str, Any] | None = None
) -> RecordView | None:
    item = next((i for s in vm.sections for i in s.items if i.card.id == exercise_id), None)
    if item is None:
        return None
    return RecordView(
        day_label=vm.day_label,
        item=item,
        pain_scale=vm.pain_scale,
        efforts=vm.efforts,
        values=values or {},
    )


class StopFormView(BaseModel):
    """'Stop — it hurts': which exercise, how much it hurts now, any new symptoms (RULES P1, C-14)."""

    exercise_id: str
    exercise_name: str
    pain_scale: list[PainOption]
    symptoms: list[Choice]
    values: dict[str, Any]


def stop_form_view(
    exercise_id: str, name: str, values: dict[str, Any] | None = None
) -> StopFormView:
    return StopFormView(
        exercise_id=exercise_id,
        exercise_name=name,
        pain_scale=pain_scale(),
        symptoms=[c for c in symptom_choices()],
        values=values or {},
    )


class StopResultView(BaseModel):
    """After 'Stop — it hurts': what to do next and why."""

    heading: str
    message: str
    reasons: list[str]
    rules: list[str]
    css: str
    next_label: str
    next_url: str


def stop_result(
    name: str, pain: int, p1_stop: bool, symptoms: bool, ceiling: int | None
) -> StopResultView:
    """RULES P1: pain ≥ 8, sharp/catching pain or any new symptom stops the session and re-screens;
    pain above the ceiling (D-1) ends that exercise for today."""
    if p1_stop or symptoms:
        return StopResultView(
            heading="Stop today's session",
            message=(
                f"You stopped {name} with pain {pain} out of 10"
                + (" and new symptoms" if symptoms else "")
                + ". Stop exercising for today. Rest the knee; ice or heat may ease it."
            ),
            reasons=[
                "Strong, sharp or catching pain, or a new symptom, means the knee needs a rest and "
                "the safety questions must be answered again before the next session."
            ],
            rules=["P1", "§1.1"],
            css="alert",
            next_label="Answer the safety questions now",
            next_url="/rescreen",
        )
    limit = f"above your limit of {ceiling}" if ceiling is not None and pain > ceiling else "noted"
    return StopResultView(
        heading=f"{name} stopped for today",
        message=(
            f"Pain {pain} out of 10 is {limit}. Leave {name} for the rest of today. You can go on "
            "with the next exercise only if it does not hurt."
        ),
        reasons=[
            "Exercise should stay within your pain limit. Tomorrow's check-in will make this "
            "exercise easier if it keeps hurting."
        ],
        rules=["D-1", "P4"],
        css="notice",
        next_label="Back to today's session",
        next_url="/today",
    )
