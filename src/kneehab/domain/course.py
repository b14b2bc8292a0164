"""A whole course of care rebuilt from its history, day by day (RULES v2: §0.3, C-6, §2.3).

Each day: the morning check-in (its words and any re-screen of that day first, then the baseline,
the week's judgement and the phase, then one decision per exercise, then the day's one load change),
then the session (P1 stops). The intake is triaged once, as it was given; later answers act from their
own date and earlier decisions stay as they were (ADR 0003).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from kneehab.domain.conditions import (
    CEILING_FLAG,
    is_acute,
    step_cap_cm,
)
from kneehab.domain.course_snapshot import (
    RECORD_FIELDS,
    CourseSnapshot,
    StaleSnapshot,
    history_head,
    records_of,
    restore_state,
    take_snapshot,
)
from kneehab.domain.course_state import (
    COLD_ONLY_DAYS,
    CourseState,
    HistoryMismatch,
    ProgramVersion,
    owners,
    situation,
)
from kneehab.domain.escalation import (
    Escalation,
    adherence,
    escalate,
)
from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.later_options import (
    PARENT,
    REOFFER_DAYS,
)
from kneehab.domain.planning import (
    equipment_for,
    ice_heat_text,
    plan,
    step_needs_text,
    trouble_tolerating_text,
)
from kneehab.domain.program import ItemStatus, LaterOption, Program, ProgramItem, Triage
from kneehab.domain.progression import (
    Decision,
)
from kneehab.domain.records import (
    History,
)
from kneehab.domain.screening import screen
from kneehab.domain.types import (
    Category,
    Frozen,
)

__all__ = [
    "Course",
    "CourseSnapshot",
    "HistoryMismatch",
    "ProgramVersion",
    "StaleSnapshot",
    "owners",
    "replay",
    "replay_from",
    "replay_from_keeping",
    "replay_from_state",
    "replay_keeping",
]


class Course(Frozen):
    triage: Triage
    program: Program | None  # the prescription as of `today`; None when triage withholds it (D-2)
    decisions: tuple[Decision, ...]  # chronological
    escalation: Escalation  # as of history.today
    versions: tuple[ProgramVersion, ...]
    # The check-in or re-screen answer that stopped the whole program (E1); it stays locked until a
    # clinician records an assessment (D-7).
    locked_by: Triage | None = None
    baseline_pain: int | None = None  # B(today), C-5
    baseline_source: str = ""  # C-17 (6): where that number comes from, in plain words
    # Exercise id → the date it began to wait for a clinician (P13, repeated catching, a second
    # pause within 28 days; a standing exercise left out at the start after giving way): D-9, E12.
    waiting_since: dict[str, dt.date] = Field(default_factory=dict)
    progression_held: bool = False
    # §1.1 (v2): the full red-flag set is due today (the short set is asked before every session),
    # with the rules that made it due.
    full_rescreen_due: bool = False
    full_rescreen_rules: tuple[str, ...] = ()
    # C-12: done / prescribed strength days over the 14 days ending today (None before day 14).
    adherence_14: float | None = None


def _check_entries(history: History, library: Library) -> None:
    for i, session in enumerate(history.sessions):
        for j, entry in enumerate(session.entries):
            if entry.exercise_id not in library.exercises:
                raise HistoryMismatch(
                    f"sessions[{i}].entries[{j}].exercise_id: '{entry.exercise_id}' is not an "
                    "exercise in the library"
                )


def _assessed_later(history: History) -> History | None:
    """D-2, D-7 (v2): a clinician's recorded assessment lifts RF18 and RF19; the program then
    starts on the assessment's date, for the condition the clinician states (never a diagnosis).
    None when there is no assessment yet."""
    assessment = next(
        (c for c in history.clinician if c.action == "assessment" and c.date <= history.today),
        None,
    )
    if assessment is None:
        return None
    intake = history.intake
    for c in history.clinician:
        if c.action == "set_condition" and c.date <= assessment.date and isinstance(c.value, dict):
            intake = Intake.model_validate({**intake.model_dump(), **c.value})
    return history.model_copy(
        update={
            "intake": intake,
            "start": assessment.date,
            "clinician": tuple(c for c in history.clinician if c.date > assessment.date),
        }
    )


def _waiting_since(run: CourseState) -> dict[str, dt.date]:
    out = {x: run.h.start for x in run.left_out_waiting}
    for item in run.program.items:
        ex = run.ex[item.exercise_id]
        if item.status == ItemStatus.PAUSED and ex.pause_kind in ("p13", "catching", "repause"):
            out[item.exercise_id] = ex.paused_on or run.h.start
    return out


def _step_words(run: CourseState) -> tuple[ProgramItem, ...]:
    """D-5: the 'needs a firm step N cm high' sentence follows the height prescribed today."""
    items: list[ProgramItem] = []
    for item in run.program.items:
        start = run.ex[item.exercise_id].start_dose.step_cm
        now = item.dose.step_cm
        if start is None or now is None or start == now:
            items.append(item)
            continue
        old = step_needs_text(run.h.intake, start)
        new = step_needs_text(run.h.intake, now)
        text = item.modification.replace(old, new) if old else item.modification
        if not old and new:
            text = f"{text} {new}".strip()
        items.append(item.model_copy(update={"modification": " ".join(text.split())}))
    return tuple(items)


FULL_SET_EVERY_DAYS = 7  # §1.1: the full set weekly


def _full_rescreen(run: CourseState, history: History) -> dict[str, object]:
    """§1.1 (v2): the full red-flag set is due the day after a P1 stop, a big rise, a new injury or
    a swelling report, the day after E2 or E3 first fires, and every 7 days."""
    today = history.today
    yesterday = today - dt.timedelta(days=1)
    rules = list(run.full_set_after.get(yesterday, ()))
    if not run.locked:
        before = run.escalation_on(yesterday) if yesterday >= history.start else None
        earlier = (
            run.escalation_on(yesterday - dt.timedelta(days=1))
            if yesterday - dt.timedelta(days=1) >= history.start
            else None
        )
        for rule in ("E2", "E3"):
            if before and rule in before.rules and not (earlier and rule in earlier.rules):
                rules += [rule, "§1.1"]
    last = max(
        (r.date for r in history.rescreens if r.date <= today and r.full_set),
        default=history.start,
    )
    if (today - last).days >= FULL_SET_EVERY_DAYS:
        rules.append("§1.1")
    return {
        "full_rescreen_due": bool(rules) and not run.locked,
        "full_rescreen_rules": tuple(dict.fromkeys(rules)),
    }


def _later_states(run: CourseState, today: dt.date) -> tuple[LaterOption, ...]:
    """D-12 (v2) as of today: each option `not_yet`, `offered` (from a date) or `in_program`, and
    the parent it would replace when the session is full."""
    program = run.program
    in_session = {i.exercise_id for i in program.items}
    full = sum(1 for i in program.items if i.category != Category.AEROBIC) >= program.session_cap
    out: list[LaterOption] = []
    for option in program.later_options:
        x = option.exercise_id
        parent = PARENT.get(x)
        again = run.reoffer_after.get(x)
        if x in in_session:
            state, since = "in_program", None
        elif x in run.offered_from:
            state, since = "offered", run.offered_from[x]
        else:
            state = "not_yet"
            since = again + dt.timedelta(days=REOFFER_DAYS) if again else None
        out.append(
            option.model_copy(
                update={
                    "state": state,
                    "offered_from": since,
                    "in_place_of": parent if full and parent in in_session else None,
                }
            )
        )
    return tuple(out)


def replay(history: History, library: Library, *, assessed: bool = False) -> Course:
    """Rebuild the course from intake and start: screen, plan, then every day up to `today`.

    `assessed`: a clinician's recorded assessment has lifted RF18 and RF19 (D-7)."""
    return replay_keeping(history, library, keep=None, assessed=assessed)[0]


def replay_keeping(
    history: History, library: Library, *, keep: dt.date | None, assessed: bool = False
) -> tuple[Course, CourseSnapshot | None]:
    """`replay`, also keeping the state after day `keep` (before `today`) as a snapshot that
    `replay_from` resumes. None when there is no such state: `keep` outside start … today−1, or
    a course whose program waits for a clinician's assessment (D-2, D-7), which always replays."""
    triage = screen(history.intake, clinician_assessed=assessed)
    program = plan(history.intake, triage, library, start=history.start)
    if program is None:
        lifted = None if assessed else _assessed_later(history)
        if lifted is not None:
            return replay(lifted, library, assessed=True), None
        return Course(
            triage=triage,
            program=None,
            decisions=(),
            versions=(),
            escalation=escalate(situation(history, triage, None)),
        ), None
    run = CourseState(history, library, triage, program)
    _check_entries(history, library)
    kept = None
    if keep is not None and not assessed and history.start <= keep < history.today:
        run.run_through(keep)
        kept = take_snapshot(run, keep, head=history_head(history))
    run.run()
    return _finish(run, history, library), kept


def replay_from(snapshot: CourseSnapshot, tail: History, library: Library) -> Course:
    """The course as `replay(history)` gives it, from the state after `snapshot.day` and `tail`:
    the same person's history holding only the records dated after that day (C-13: each record
    acts from its own date, so the state after a day depends only on records up to it)."""
    return replay_from_keeping(snapshot, tail, library, keep=None)[0]


def replay_from_keeping(
    snapshot: CourseSnapshot, tail: History, library: Library, *, keep: dt.date | None
) -> tuple[Course, CourseSnapshot | None]:
    """`replay_from`, also keeping a later snapshot (after day `keep`, before `tail.today`)."""
    return _resume(restore_state(snapshot), snapshot.day, snapshot.head, tail, library, keep=keep)


def replay_from_state(
    state: CourseState,
    snapshot: CourseSnapshot,
    tail: History,
    library: Library,
    *,
    keep: dt.date | None,
) -> tuple[Course, CourseSnapshot | None]:
    """`replay_from_keeping` from `snapshot`'s state already loaded (`snapshot.live`, or one
    restored earlier); `state` is left unchanged, so it can serve again."""
    return _resume(state.clone(), snapshot.day, snapshot.head, tail, library, keep=keep)


def _resume(
    run: CourseState,
    day: dt.date,
    head: str,
    tail: History,
    library: Library,
    *,
    keep: dt.date | None,
) -> tuple[Course, CourseSnapshot | None]:
    if history_head(tail) != head or tail.today <= day or run.next_day != day + dt.timedelta(1):
        raise StaleSnapshot("the snapshot does not fit this history")
    if any(r.date <= day for r in records_of(tail)):
        raise StaleSnapshot("the tail holds records dated on or before the snapshot day")
    _check_entries(tail, library)
    records = {name: (*getattr(run.h, name), *getattr(tail, name)) for name in RECORD_FIELDS}
    # The engine's own copy of the history keeps the intake a clinician may have changed (D-7);
    # the history given out is the person's, as `replay` has it.
    history = tail.model_copy(update=records)
    run.resume(run.h.model_copy(update={**records, "today": tail.today}), library, tail)
    kept = None
    if keep is not None and day < keep < tail.today:
        run.run_through(keep)
        kept = take_snapshot(run, keep, head=head)
    run.run()
    return _finish(run, history, library), kept


def _finish(run: CourseState, history: History, library: Library) -> Course:
    """The course as of `history.today`, once every day up to it is replayed."""
    triage = run.triage
    today = history.today
    ceiling, ceiling_rules = run.ceiling(today)
    base = run.baseline(today)
    updates: dict[str, object] = {
        "pain_ceiling": ceiling,
        "pain_ceiling_rules": ceiling_rules,
        "acute": is_acute(history.intake, start=history.start, on=today, injuries=run.injuries),
        "progression_held": run.held(today),
    }
    swelling = [d for d in run.swollen if 0 <= (today - d).days <= COLD_ONLY_DAYS]
    injured = [d for d in run.injuries if 0 <= (today - d).days <= COLD_ONLY_DAYS]
    updates.update(
        {
            "baseline_pain": base.value,
            "pain_ceiling_flag": ceiling > CEILING_FLAG
            and not any(v == "ceiling" for _, v in run.acknowledged),
            # D-14: cold, not heat, on an injury date or a swelling report and the 2 days after.
            "ice_heat": ice_heat_text(
                library, cold_only=bool(swelling or injured), swelling=bool(swelling)
            ),
        }
    )
    updates["later_options"] = _later_states(run, today)
    run.program = run.program.model_copy(update={"items": _step_words(run)})
    # C-15 / D-5: equipment for today's items (a swap, an unlock or a higher step changes it).
    updates["equipment"] = equipment_for(
        run.h.intake,
        library,
        run.program.items,
        step_cap=step_cap_cm(run.h.intake, run.phases(today)),
    )
    run.program = run.program.model_copy(update=updates)
    escalation = escalate(situation(history, triage, run))
    troubled = (
        any(i.status != ItemStatus.ACTIVE for i in run.program.items)
        or any(today in e.floor_holds for e in run.ex.values())
        or "E12" in escalation.rules
    )
    current = run.program.model_copy(
        update={"trouble_tolerating": trouble_tolerating_text(library) if troubled else None}
    )
    run.program = current
    return Course(
        triage=triage,
        program=current,
        decisions=tuple(run.decisions),
        escalation=escalation,
        versions=tuple(run.versions),
        locked_by=run.locked_by,
        baseline_pain=base.value,
        baseline_source=base.source,
        waiting_since=_waiting_since(run),
        progression_held=run.held(today),
        adherence_14=adherence(
            frozenset(run.prescribed), frozenset(run.done), start=history.start, on=today
        ),
        **_full_rescreen(run, history),
    )
