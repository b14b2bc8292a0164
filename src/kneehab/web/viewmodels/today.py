"""Today: the guided session (player plan + saved state) and, without JavaScript, one form per exercise."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.program import Program, ProgramItem
from kneehab.domain.records import SessionEntry
from kneehab.domain.stops import SYMPTOMS_MARK, is_stop, stops_the_day
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
    figure_steps: list[str] = []  # the drawing's panels in order, in words (shown under it)
    left_today: bool = False  # "Stop — it hurts" left it for today (D-1): the player passes it by
    camera: bool = False  # its library file has a `[detector]`: "Count with my camera" is offered


class PlayerPlan(BaseModel):
    day: date
    signature: str  # a saved state only resumes the same day's same plan
    exercises: list[PlayerExercise]
    state_url: str = "/api/v1/today/state"
    entry_url: str = "/api/v1/today/entries"
    camera: bool = False  # the camera coach can run here (the pose model's files are installed)
    live_url: str = "/api/v1/live"
    pose_url: str = "/pose/"
    camera_test: bool = False  # test-only setting camera_test_mode
    camera_test_fps: float = 5.0


class Logged(BaseModel):
    summary: str
    pain_during_max: int
    skipped: bool
    stopped: bool = False  # "Stop — it hurts" was pressed during it today
    # What the camera coach counted (issue 13), in words, for the person and their clinician.
    camera: str | None = None


class DayStopped(BaseModel):
    """Today's session was stopped by "Stop — it hurts": what Today says until tomorrow."""

    heading: str
    message: str
    next_step: str
    exercise_id: str
    rules: list[str]


class TodayItem(BaseModel):
    card: ExerciseCard
    logged: Logged | None
    uses_minutes: bool
    sets: int


class TodaySection(BaseModel):
    label: str
    items: list[TodayItem]


class PhysioNote(BaseModel):
    """A note from the person's physical therapist (RULES D-7), shown until dismissed."""

    id: int
    day: date
    by: str
    text: str
    dismiss_url: str


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
    stopped: DayStopped | None = None  # no session, no "Start" or "Resume", until tomorrow
    stop_exercise: str = ""  # the exercise the stop form names first when the player is not running
    notes: list[PhysioNote] = []  # issue 12: notes from the physical therapist, until dismissed


def player_exercise(
    item: ProgramItem, cue: str, figure_url: str, figure_steps: list[str] | None = None
) -> PlayerExercise:
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
        figure_steps=figure_steps or [],
    )


def _done_words(entry: SessionEntry) -> str:
    """What was done before a stop, in plain words ("1 set of 10 and 2 reps", "12 s of the hold")."""
    if entry.minutes:
        return f"{entry.minutes} min"
    counts = entry.reps or entry.hold_s
    unit = "reps" if entry.reps else "s"
    if not counts or not any(counts):
        return "before the first set was done"
    return "after " + " + ".join(f"{c} {unit}" for c in counts)


def logged(entry: SessionEntry) -> Logged:
    if is_stop(entry):
        text = f"Stopped {_done_words(entry)} · pain {entry.pain_during_max}/10"
        return Logged(
            summary=text, pain_during_max=entry.pain_during_max, skipped=False, stopped=True
        )
    if entry.skipped and entry.sets_done == 0:
        text = "Not done"
    else:
        sets = "1 set" if entry.sets_done == 1 else f"{entry.sets_done} sets"
        effort = f" · {entry.effort}" if entry.effort else ""
        text = f"Done: {sets} · pain {entry.pain_during_max}/10{effort}"
    return Logged(
        summary=text,
        pain_during_max=entry.pain_during_max,
        skipped=entry.skipped,
        camera=camera_words(entry),
    )


def camera_words(entry: SessionEntry) -> str | None:
    """The camera's counts per set ("set 1: 10 reps, held 18 s; knee drifting in at rep 3"), or None."""
    if not entry.camera:
        return None
    parts = []
    for c in entry.camera:
        if not c.reliable:
            parts.append(f"set {c.set}: not seen clearly ({c.reps} counted), counted by hand")
            continue
        words = f"set {c.set}: {c.reps} rep{'s' if c.reps != 1 else ''}"
        if c.hold_s is not None:
            words += f", held {c.hold_s:g} s"
        if c.knee_inward:
            reps = ", ".join(str(r) for r in c.knee_inward)
            words += f"; knee drifting in at rep {reps}"
        parts.append(words)
    return "Camera: " + "; ".join(parts)


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
    day_stop = next((e for e in entries.values() if stops_the_day(e)), None)
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
            mine_now = player_exercise(item, card.key_cue, card.figure_url, card.figure_steps)
            mine_now.left_today = entry is not None and is_stop(entry)
            mine_now.camera = library.exercises[item.exercise_id].detector is not None
            player.append(mine_now)
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
        stopped=day_stopped(day_stop, program) if day_stop is not None else None,
        stop_exercise=day_stop.exercise_id if day_stop is not None else "",
    )


def day_stopped(entry: SessionEntry, program: Program) -> DayStopped:
    item = program.item(entry.exercise_id)
    name = item.name if item is not None else entry.exercise_id
    return DayStopped(
        heading="Today's session is stopped",
        message=(
            f"You stopped {name} with pain {entry.pain_during_max} out of 10"
            + (" and sharp or catching pain" if entry.sharp_pain else "")
            + (" and a new symptom" if SYMPTOMS_MARK in entry.skip_reason else "")
            + ". Rest the knee for the rest of today; ice or heat may ease it."
        ),
        next_step=(
            "Tomorrow morning's check-in asks the warning-sign questions again, and it decides "
            "what follows for this exercise."
        ),
        exercise_id=entry.exercise_id,
        rules=["P1", "§1.1"],
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


class StopChoice(BaseModel):
    value: str
    label: str


class StopFormView(BaseModel):
    """'Stop — it hurts': which exercise (the one in the player when there is one), how much it hurts
    now, sharp pain, any new symptoms (RULES P1, C-14); what was done of it travels along unseen."""

    exercise_id: str  # the one chosen in advance ("" when nothing is known: the person chooses)
    exercises: list[StopChoice]
    pain_scale: list[PainOption]
    symptoms: list[Choice]
    values: dict[str, Any]
    done: dict[str, str]  # the player's counts of the exercise it was showing


DONE_FIELDS = ("sets_done", "reps", "hold_s", "minutes")


def stop_form_view(
    items: list[ProgramItem],
    chosen: str,
    values: dict[str, Any] | None = None,
    done: dict[str, str] | None = None,
) -> StopFormView:
    ids = {i.exercise_id for i in items}
    values = dict(values or {})
    if chosen in ids:
        values.setdefault("exercise_id", chosen)
    return StopFormView(
        exercise_id=chosen if chosen in ids else "",
        exercises=[StopChoice(value=i.exercise_id, label=i.name) for i in items],
        pain_scale=pain_scale(),
        # Sharp or catching pain has its own question just above.
        symptoms=[c for c in symptom_choices() if c.value != "catching"],
        values=values,
        done={k: v for k, v in (done or {}).items() if k in (*DONE_FIELDS, "done_for") and v},
    )


class StopResultView(BaseModel):
    """After 'Stop — it hurts': what to do next and why. It says one thing, and Today says the same."""

    heading: str
    message: str
    next_step: str = ""
    reasons: list[str]
    rules: list[str]
    css: str
    next_label: str
    next_url: str


def stop_result(
    name: str,
    pain: int,
    p1_stop: bool,
    symptoms: bool,
    ceiling: int | None,
    sharp: bool = False,
) -> StopResultView:
    """RULES P1: pain ≥ 8, sharp/catching pain (or a new symptom) stops today's session; the warning-sign
    questions come at the next morning check-in (what the P1 banner says). Otherwise (D-1) that
    exercise is left for today, and the words say whether the pain was above the limit or within it."""
    if p1_stop or symptoms:
        what = []
        if sharp:
            what.append("sharp or catching pain")
        if symptoms:
            what.append("a new symptom")
        return StopResultView(
            heading="Stop exercising for today",
            message=(
                f"You stopped {name} with pain {pain} out of 10"
                + ("".join(f" and {w}" for w in what))
                + ". Stop exercising for today and rest the knee; ice or heat may ease it."
            ),
            next_step=(
                "Tomorrow morning's check-in asks the warning-sign questions again, before your "
                "next session."
            ),
            reasons=[
                "Pain of 8 or more, sharp or catching pain, or a new symptom means the knee needs a "
                "rest today.",
                "Get help today if the knee swells a lot, locks, gives way, or gets hot and red; call "
                "emergency services for chest pain, sudden breathlessness or a cold, pale or blue "
                "foot.",
            ],
            rules=["P1", "§1.1", *(["C-14"] if symptoms else [])],
            css="alert",
            next_label="Back to Today",
            next_url="/today",
        )
    if ceiling is not None and pain > ceiling:
        message = (
            f"Pain {pain} out of 10 is above your limit of {ceiling}. Leave {name} for the rest "
            "of today. Go on with the next exercise only if it does not hurt."
        )
        reasons = [
            f"Exercise should keep your knee pain at {ceiling} out of 10 or less. Tomorrow's "
            "check-in makes this exercise easier if it keeps hurting."
        ]
        rules = ["D-1", "P4"]
    else:
        within = f" is within your limit of {ceiling}" if ceiling is not None else " is noted"
        message = (
            f"Pain {pain} out of 10{within}, and you stopped: leave {name} for the rest of today. "
            "Go on with the next exercise only if it does not hurt."
        )
        reasons = [
            "Stopping when something does not feel right is always allowed. Your program does "
            "not change for it; if it keeps hurting, tell kneehab at your morning check-in."
        ]
        rules = ["D-1"]
    return StopResultView(
        heading=f"{name}: left for today",
        message=message,
        reasons=reasons,
        rules=rules,
        css="notice",
        next_label="Back to today's session",
        next_url="/today",
    )
