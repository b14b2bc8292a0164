"""The engine's memory while a course is replayed day by day (RULES v2): what it knows of each
exercise (`ExerciseState`) and of the course (`CourseState`: holds, flares, injuries, swaps, later
options, clinician actions), and the program versions it writes (C-18). `course.replay` drives it;
each morning's decisions are made by `checkin_decisions.CheckinDecisions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from kneehab.domain.baseline import (
    Baseline,
    baseline_pain,
    is_big_rise,
    is_rise,
    session_days,
    week_rising,
    week_start,
)
from kneehab.domain.checkin_words import CourseSoFar, Reading, read
from kneehab.domain.clinician_limits import (
    CLINICIAN_CEILING,
    by_whom,
    cap,
    dose_outside_limits,
)
from kneehab.domain.conditions import (
    columns_for,
    pain_ceiling,
    phase_for,
    step_cap_cm,
)
from kneehab.domain.escalation import (
    Escalation,
    EscalationLevel,
    MeasuresMemo,
    Situation,
    daily_pain,
    escalate,
)
from kneehab.domain.exercise import Column, Library, Phase
from kneehab.domain.intake import Intake
from kneehab.domain.later_options import (
    NO_FLARE_DAYS,
    NO_GIVEWAY_DAYS,
    PARENT,
    REOFFER_DAYS,
    STANDING_OPTIONS,
    UNLOCK_DAY,
    Parents,
    criteria_met,
)
from kneehab.domain.planning import (
    ARTICLE_ORDER,
    program_item_for,
    swap_for,
)
from kneehab.domain.program import ItemStatus, Program, ProgramItem, Triage
from kneehab.domain.progression import (
    Action,
    Decision,
    Performance,
    decision,
    dose_words,
    performance,
    stop_now,
)
from kneehab.domain.progression_ladder import step_down
from kneehab.domain.records import (
    CheckIn,
    ClinicianAction,
    History,
    OfferAnswer,
    Rescreen,
    SessionEntry,
    SwapChoice,
)
from kneehab.domain.screening import screen_rescreen
from kneehab.domain.types import (
    BLOCK_ORDER,
    LEVEL_ORDER,
    NO_PROGRAM_LEVELS,
    Block,
    Category,
    Dose,
    Frozen,
    Level,
    Onset,
)

FLARE_HOLD_DAYS = 3  # P9: check-ins f, f+1, f+2; the earliest step is f+3
CADENCE_DAYS = 7  # C-7
P2_GAP = 4  # P2: ≤ 4 days between the two performances …
P2_GAP_WEEKLY = 8  # … ≤ 8 for an item scheduled once a week
ATTRIBUTION_DAYS = 7  # P8: increases dated d−7 … d−1
RESUME_MORNINGS = 3  # P10
REPAUSE_DAYS = 28  # P10 / E12
E13_WINDOW = 14  # E13: a second floor hold within 14 days
COLD_ONLY_DAYS = 2  # D-14: the day of an injury or a swelling report and the 2 days after
AEROBIC_GENTLEST = {  # P12: the gentlest option the person can use
    "walking": "walk 5 minutes at a time on flat ground",
    "stationary-cardio": "do 5 minutes of seated leg and arm movements at home",
    "pool-exercise": "do 5 minutes of gentle aqua jogging",
}
# C-18 version kinds; `hold` makes no version.
KIND: dict[Action, str] = {
    Action.PROGRESS: "progress",
    Action.REGRESS: "regress",
    Action.PAUSE: "pause",
    Action.STOP: "stop",
    Action.RESUME: "resume",
}


class ProgramVersion(Frozen):
    """One dated program change (C-18): version 1 is the plan; each later one has a kind."""

    version: int
    date: dt.date
    kind: str  # plan, progress, regress, pause, stop, resume, phase, unlock, swap, clinician
    exercise_id: str | None = None
    replaces: str | None = None
    rules: tuple[str, ...]
    reason: str
    program: Program

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "date": self.date.isoformat(),
            "kind": self.kind,
            "exercise_id": self.exercise_id,
            "replaces": self.replaces,
            "rules": list(self.rules),
            "reason": self.reason,
        }


class HistoryMismatch(ValueError):
    """A history that does not fit its program (C-13); the message names the field."""


def _ladder_ids(exercise_id: str, library: Library) -> set[str]:
    """An exercise and every variant its ladders can reach (a person may log the variant's id)."""
    seen: set[str] = set()
    todo = [exercise_id]
    while todo:
        current = todo.pop()
        if current in seen or current not in library.exercises:
            continue
        seen.add(current)
        ex = library.get(current)
        todo.extend(r.to for r in ex.progression if r.to)
        todo.extend(r.to for r in ex.regressions if r.to)
    return seen


def owners(program: Program, library: Library) -> dict[str, str]:
    """Logged exercise id → the program item it belongs to (an item always owns its own id)."""
    out: dict[str, str] = {i.exercise_id: i.exercise_id for i in program.items}
    for item in program.items:
        for ex_id in _ladder_ids(item.exercise_id, library):
            out.setdefault(ex_id, item.exercise_id)
    return out


@dataclass
class ExerciseState:
    """What the engine remembers about one exercise between check-ins."""

    item_index: int  # session order
    start_dose: Dose
    latest_change: dt.date | None = None  # §0.1 change (C-7, P11); None = program start
    raises: list[tuple[dt.date, Dose, Dose]] = field(default_factory=list)  # not yet undone
    increases: list[tuple[dt.date, Dose]] = field(default_factory=list)  # for P8 T2
    undone: set[dt.date] = field(default_factory=set)  # dates of increases undone
    doses: list[tuple[dt.date, Dose]] = field(default_factory=list)  # dose from each date
    last_regress: dt.date | None = None
    regressed_dose: Dose | None = None
    paused_on: dt.date | None = None
    pause_kind: str | None = None  # auto | clinician | p13 | catching | repause
    last_resume: dt.date | None = None
    stopped_on: dt.date | None = None
    stopped_by_catching_repeat: bool = False
    progression_paused: bool = False  # D-7: a clinician paused automatic progression
    pause_reason: str = ""  # D-7: the clinician's reason for their own pause
    perfs: dict[dt.date, Performance] = field(default_factory=dict)  # in date order
    judged: set[dt.date] = field(default_factory=set)
    used: set[dt.date] = field(default_factory=set)  # P8: performances used for a regression
    floor_holds: list[dt.date] = field(default_factory=list)  # P12 holds at 5 min

    def copy(self) -> ExerciseState:
        """An independent copy: each list, set and dict copied, what they hold (dates, doses,
        performances: immutable) shared. Every field is a value or such a flat container."""
        new = object.__new__(ExerciseState)
        new.__dict__.update(
            {k: v.copy() if type(v) in _FLAT_TYPES else v for k, v in self.__dict__.items()}
        )
        return new

    def add_performance(self, perf: Performance) -> None:
        """The day's performance. The days are replayed in order, so `perfs` stays in date order,
        which `_last_two_before` reads from its end."""
        last = next(reversed(self.perfs), None)
        if last is not None and last >= perf.date:
            raise ValueError(f"a performance of {perf.date} after one of {last}")
        self.perfs[perf.date] = perf

    def dose_on(self, day: dt.date, current: Dose) -> Dose:
        before = [d for when, d in self.doses if when <= day]
        return before[-1] if before else current


def _last_two_before(perfs: dict[dt.date, Performance], day: dt.date) -> list[Performance]:
    """The last two performances dated before `day`, oldest first: all of them that the D-12 criteria
    read (`Parents.last_two`). `perfs` is in date order (`ExerciseState.add_performance`), so they
    are read from its end: looking at every performance of the course instead, for each option on
    each check-in, grew with the course (~4 ms a check-in at 365 days)."""
    two: list[Performance] = []
    for perf in reversed(perfs.values()):
        if perf.date < day:
            two.append(perf)
            if len(two) == 2:
                break
    return two[::-1]


class CourseState:
    """Day-by-day state while replaying a history. Only `replay` uses it."""

    _stored: object | None = None  # course_snapshot.StoredModels, on a kept state and its clones

    def __init__(self, history: History, library: Library, triage: Triage, program: Program):
        self.h, self.library, self.triage = history, library, triage
        self.program = program
        self.known = owners(program, library)
        for swap in getattr(program, "swaps", ()):
            self.known.setdefault(swap.exercise_id, swap.exercise_id)
        self.ex: dict[str, ExerciseState] = {
            item.exercise_id: ExerciseState(
                item_index=i, start_dose=item.dose, doses=[(history.start, item.dose)]
            )
            for i, item in enumerate(program.items)
        }
        self.decisions: list[Decision] = []
        self.versions = [
            ProgramVersion(
                version=1,
                date=history.start,
                kind="plan",
                rules=("D-2", "D-4", "D-10", "C-8"),
                reason="The starting program.",
                program=program,
            )
        ]
        self.index_events(history)
        self.offered_from: dict[str, dt.date] = {}
        self.reoffer_after: dict[str, dt.date] = {}  # not now, or paused: offer again after this
        self.replaced: dict[str, str] = {}  # option → the parent it took the place of
        self.in_program_since: dict[str, dt.date] = {
            i.exercise_id: history.start for i in program.items
        }
        self.rise: dict[dt.date, bool] = {}
        self.baselines: dict[dt.date, Baseline] = {}
        self.flares: list[dt.date] = []
        self._escalation: Escalation | None = None
        self._escalation_key: tuple[dt.date, int, int] | None = None
        self._situation_parts: tuple[tuple[object, ...], dict[str, Any]] | None = None
        self._measures_memo: tuple[dict[str, Any], tuple[int, int, int], MeasuresMemo] | None = None
        self._grown_parts: tuple[tuple[int, ...], dict[str, Any]] | None = None
        self.full_set_after: dict[
            dt.date, list[str]
        ] = {}  # §1.1: date → why the full set is due next
        self.screens: list[tuple[dt.date, Triage]] = []  # check-in words that found something
        self.rescreen_hits: list[tuple[dt.date, Triage]] = []
        self.prescribed: set[dt.date] = set()
        # Progression holds (§0.1) that wait for a clinician.
        self.triage_hold = triage.level == Level.SOON and not history.reviewed  # D-2
        self.rescreen_hold = False  # a re-screen answered `soon`
        self.rf08_hold = False  # RF08 / P13
        self.swelling_hold = False  # C-14 repeated swelling
        self.clinician_holds: list[tuple[dt.date, str]] = []
        # P13 at plan time: standing exercises left out until a clinician review (intake RF08).
        self.left_out_waiting: tuple[str, ...] = tuple(
            o.exercise_id
            for o in program.left_out
            if "P13" in o.rules and "RF08" in history.intake.red_flags and not history.reviewed
        )
        self.locked_by: Triage | None = None
        self.rising: dict[dt.date, bool] = {}  # Monday → judged rising (C-5)
        self.judged_weeks: set[dt.date] = set()
        self.rising_weeks: list[dt.date] = []
        self.p5_dates: list[dt.date] = []
        self.e13_dates: list[dt.date] = []
        self.reviews: list[dt.date] = []
        self.acknowledged: list[tuple[dt.date, str]] = []
        self.ceiling_override: int | None = history.pain_ceiling
        self.tolerance = history.morning_tolerance
        self.phase_override: Phase | None = None
        intake = history.intake
        self.injuries: list[dt.date] = (
            [history.start]
            if intake.onset == Onset.INJURY and intake.weeks_since_onset == 0
            else []
        )
        self.gave_way: list[dt.date] = [history.start] if "RF08" in intake.red_flags else []
        self.caught: list[dt.date] = []
        self.caught_or_locked: list[dt.date] = []
        self.swollen: list[dt.date] = []
        self.rf08_hold = "RF08" in intake.red_flags and not history.reviewed
        self.phase: str = program.phase
        self.next_day = history.start  # the first day not yet replayed

    def index_events(self, history: History) -> None:
        """The history's dated records by date (each acts on its own date; before the start, on
        day 0)."""
        self.sessions = {s.date: s for s in history.sessions}
        self.session_index = {s.date: i for i, s in enumerate(history.sessions)}
        self.checkins = sorted(history.checkins, key=lambda c: c.date)
        self.checkin_dates = {c.date for c in self.checkins}
        self.by_date = {c.date: c for c in self.checkins}
        self.done = session_days(history.sessions)
        self.rescreens_on: dict[dt.date, list[Rescreen]] = {}
        for r in sorted(history.rescreens, key=lambda r: r.date):
            self.rescreens_on.setdefault(max(r.date, history.start), []).append(r)
        self.clinician_on: dict[dt.date, list[ClinicianAction]] = {}
        for c in sorted(history.clinician, key=lambda c: c.date):
            self.clinician_on.setdefault(max(c.date, history.start), []).append(c)
        # D-12: the person's answers to "Ready to try".
        self.answers: dict[str, list[OfferAnswer]] = {}
        for answer in sorted(history.offers, key=lambda a: a.date):
            self.answers.setdefault(answer.exercise_id, []).append(answer)
        self.swaps_on: dict[dt.date, list[SwapChoice]] = {}
        for choice in history.swaps:
            self.swaps_on.setdefault(choice.date, []).append(choice)
        self._indexed: History | None = history

    def index_tail(self, history: History, tail: History) -> None:
        """`index_events(history)` for a state indexed over `self.h`, where `history` holds
        `self.h`'s records followed by `tail`'s, every one of those dated after every one of
        `self.h`'s (a snapshot's day): the old indexes are kept and only the tail is indexed. The
        indexes are never changed in place (a clone shares them), so each one touched is new."""
        start = history.start
        offset = len(self.h.sessions)
        self.sessions = {**self.sessions, **{x.date: x for x in tail.sessions}}
        self.session_index = {
            **self.session_index,
            **{x.date: offset + i for i, x in enumerate(tail.sessions)},
        }
        # Sorted by date: the tail's dates all come after the old ones (a stable sort of the whole).
        checkins = sorted(tail.checkins, key=lambda c: c.date)
        self.checkins = [*self.checkins, *checkins]
        self.checkin_dates = self.checkin_dates | {c.date for c in checkins}
        self.by_date = {**self.by_date, **{c.date: c for c in checkins}}
        self.done = self.done | session_days(tail.sessions)
        self.rescreens_on = _grouped(
            self.rescreens_on, sorted(tail.rescreens, key=lambda r: r.date), start
        )
        self.clinician_on = _grouped(
            self.clinician_on, sorted(tail.clinician, key=lambda c: c.date), start
        )
        answers = dict(self.answers)
        for answer in sorted(tail.offers, key=lambda a: a.date):
            answers[answer.exercise_id] = [*answers.get(answer.exercise_id, ()), answer]
        self.answers = answers
        swaps = dict(self.swaps_on)
        for choice in tail.swaps:
            swaps[choice.date] = [*swaps.get(choice.date, ()), choice]
        self.swaps_on = swaps
        self._indexed = history

    # -- state --

    @property
    def locked(self) -> bool:
        return self.locked_by is not None

    def flare_hold_until(self, day: dt.date) -> dt.date | None:
        """P9: the last check-in date of the hold covering `day`, if any."""
        ends = [f + dt.timedelta(days=FLARE_HOLD_DAYS - 1) for f in self.flares if f <= day]
        end = max(ends, default=None)
        return end if end is not None and day <= end else None

    def rising_week_hold(self, day: dt.date) -> bool:
        last = week_start(day) - dt.timedelta(days=7)
        return self.rising.get(last, False)

    def clinician_hold(self) -> bool:
        return self.triage_hold or self.rescreen_hold or self.rf08_hold or self.swelling_hold

    def held(self, day: dt.date) -> bool:
        """§0.1 progression hold on `day`."""
        return (
            self.locked
            or self.clinician_hold()
            or self.flare_hold_until(day) is not None
            or self.rising_week_hold(day)
        )

    def baseline(self, day: dt.date) -> Baseline:
        if day not in self.baselines:
            self.baselines[day] = baseline_pain(self.h.intake.pain_now, self.checkins, day)
        return self.baselines[day]

    def ceiling(self, day: dt.date) -> tuple[int, tuple[str, ...]]:
        return pain_ceiling(
            self.h.intake,
            start=self.h.start,
            on=day,
            override=self.ceiling_override,
            baseline=self.baseline(day).value,
            injuries=self.injuries,
        )

    def phases(self, day: dt.date) -> dict[Column, Phase]:
        intake = self.h.intake
        if self.phase_override is not None:
            return {c: self.phase_override for c in columns_for(intake)}
        return {c: phase_for(intake, c, start=self.h.start, on=day) for c in columns_for(intake)}

    def item(self, ex_id: str) -> ProgramItem:
        found = self.program.item(ex_id)
        assert found is not None
        return found

    # -- changing the program --

    def version(
        self,
        day: dt.date,
        kind: str,
        rules: Sequence[str],
        reason: str,
        exercise_id: str | None = None,
        replaces: str | None = None,
    ) -> None:
        self.versions.append(
            ProgramVersion(
                version=len(self.versions) + 1,
                date=day,
                kind=kind,
                exercise_id=exercise_id,
                replaces=replaces,
                rules=tuple(dict.fromkeys(rules)),
                reason=reason,
                program=self.program,
            )
        )

    def set_item(self, ex_id: str, dose: Dose, status: ItemStatus) -> bool:
        item = self.item(ex_id)
        new = item.model_copy(update={"dose": dose, "status": status})
        if new == item:
            return False
        items = tuple(new if i.exercise_id == ex_id else i for i in self.program.items)
        self.program = self.program.model_copy(update={"items": items})
        return True

    def apply(self, d: Decision) -> None:
        self.decisions.append(d)
        ex = self.ex[d.exercise_id]
        item = self.item(d.exercise_id)
        status = {
            Action.PAUSE: ItemStatus.PAUSED,
            Action.STOP: ItemStatus.STOPPED,
            Action.RESUME: ItemStatus.ACTIVE,
        }.get(d.action, item.status)
        if d.flags:  # a logged-while-paused note changes nothing (C-13)
            return
        changed = d.action in (
            Action.PROGRESS,
            Action.REGRESS,
            Action.PAUSE,
            Action.STOP,
            Action.RESUME,
        )
        if changed:
            ex.latest_change = d.date
        if d.to_dose != d.from_dose:
            ex.doses.append((d.date, d.to_dose))
        if d.action == Action.PROGRESS:
            ex.raises.append((d.date, d.from_dose, d.to_dose))
            ex.increases.append((d.date, d.to_dose))
        elif d.action == Action.RESUME:
            if "P10" in d.rules:  # C-9's aerobic continuation at 5 minutes is not an increase
                ex.increases.append((d.date, d.to_dose))
            ex.last_resume = d.date
            ex.paused_on = ex.pause_kind = None
            ex.stopped_on = None
        elif d.action == Action.REGRESS:
            ex.last_regress, ex.regressed_dose = d.date, d.to_dose
        elif d.action == Action.STOP:
            ex.stopped_on = d.date
        if self.set_item(d.exercise_id, d.to_dose, status) or changed:
            # The version names the exercise, once: some reasons name it already (P2's).
            named = d.reason if d.reason.startswith(item.name) else f"{item.name}: {d.reason}"
            self.version(d.date, KIND[d.action], d.rules, named, d.exercise_id)
        if d.action == Action.PAUSE and d.exercise_id in self.replaced:
            self.parent_returns(d.exercise_id, d.date)

    def lower(self, ex_id: str, dose: Dose) -> tuple[Dose, tuple[str, ...], str] | None:
        """One C-8 step below `dose`: undo the latest progression not yet undone, else the ladder."""
        ex = self.ex[ex_id]
        undo = ex.raises[-1][1] if ex.raises and ex.raises[-1][2] == dose else None
        step = step_down(ex_id, dose, ex.start_dose, undo, self.library)
        if step is None:
            return None
        return step.dose, step.rules, step.note

    def undo_latest(self, ex_id: str, to: Dose) -> None:
        ex = self.ex[ex_id]
        if ex.raises and ex.raises[-1][1] == to:
            ex.undone.add(ex.raises.pop()[0])

    # -- the words of the morning --

    def so_far(self) -> CourseSoFar:
        return CourseSoFar(
            age=self.h.intake.age,
            injuries=tuple(self.injuries),
            gave_way=tuple(self.gave_way),
            caught_or_locked=tuple(self.caught_or_locked),
            caught=tuple(self.caught),
            swollen=tuple(self.swollen),
        )

    def read_day(
        self, day: dt.date, checkin: CheckIn | None, rescreens: Sequence[Rescreen]
    ) -> tuple[Reading, Triage]:
        words = list(checkin.new_symptoms) if checkin else []
        if any(r.new_injury for r in rescreens) and "new_injury" not in words:
            words.append("new_injury")  # C-14: the re-screen's answer acts as the word
        flags = sorted({f for r in rescreens for f in r.red_flags})
        reading = read(
            day,
            words,
            chest_symptoms=bool(checkin and checkin.chest_symptoms)
            or any(r.chest_symptoms for r in rescreens),
            red_flags=flags,
            cold_foot=any(r.cold_foot for r in rescreens),
            so_far=self.so_far(),
        )
        merged = reading.triage
        for r in rescreens:
            base = screen_rescreen(r)
            if base.level == Level.SOON:
                self.rescreen_hold = True  # D-2: a re-screen `soon` holds until reviewed
            if base.level != Level.OK:
                self.rescreen_hits.append((r.date, base))
            merged = merge_triage(merged, base)
        # Remember what happened, for the next days' words.
        if "giving_way" in words or "RF08" in flags:
            self.gave_way.append(day)
        if "catching" in words:
            self.caught.append(day)
        if "catching" in words or reading.locking:
            self.caught_or_locked.append(day)
        if reading.swelling:
            self.swollen.append(day)
        if reading.new_injury:
            self.injuries.append(day)
        if reading.flare:
            self.flares.append(day)
        if reading.giving_way:
            self.rf08_hold = True
        if reading.swelling_repeat:
            self.swelling_hold = True
            self.clinician_holds.append((day, "C-14"))
        if checkin is not None and (reading.triage.rules or reading.triage.level != Level.OK):
            self.screens.append((day, reading.triage))
        return reading, merged

    def lock(self, day: dt.date, why: Triage) -> None:
        """E1: an urgent or emergency answer stops every exercise and locks the program."""
        if self.locked_by is None:
            self.locked_by = why
        rules = tuple(r for r in why.rules if r != "P1")
        for item in self.program.items:
            if item.status == ItemStatus.STOPPED and self.ex[item.exercise_id].stopped_on == day:
                continue
            reason = (
                f"Stop {item.name}: {why.message} Your program stays stopped until a clinician "
                "records that it is safe to restart."
            )
            self.apply(decision(item, Action.STOP, ("E1", *rules), reason, today=day))

    # -- one day --

    def day(self, day: dt.date) -> None:
        self.before_session(day)
        self.session(day)

    def before_session(self, day: dt.date) -> None:
        """Everything of `day` before its session: clinician actions, phase, the morning's check-in
        and re-screens with their decisions, and swaps (a generator asks the doses here)."""
        for action in self.clinician_on.get(day, ()):
            self.clinician(action)
        if not self.locked:
            self.recompute_phase(day)  # C-4: on the first date the early phase has ended
        checkin = self.by_date.get(day)
        rescreens = self.rescreens_on.get(day, [])
        if checkin is not None or rescreens:
            self.morning(day, checkin, rescreens)
        for choice in self.swaps_on.get(day, ()):
            self.swap(choice)
        self.note_prescribed(day)

    def entered(self, entering: ProgramItem, day: dt.date, *, keep_state: bool = False) -> None:
        """An exercise has just entered the session (a swap, an unlock, a clinician's addition): it
        is a change and an increase of that exercise (§0.1), dated `day`. `keep_state` keeps what
        the engine remembers of an exercise coming back (a swap returning)."""
        ex_id = entering.exercise_id
        ex = self.ex.get(ex_id) if keep_state else None
        if ex is None:
            ex = ExerciseState(item_index=0, start_dose=entering.dose, doses=[(day, entering.dose)])
            self.ex[ex_id] = ex
        ex.latest_change = day
        ex.increases.append((day, entering.dose))
        for i, item in enumerate(self.program.items):
            self.ex[item.exercise_id].item_index = i
        self.known.setdefault(ex_id, ex_id)
        self.in_program_since[ex_id] = day

    # -- D-10 swaps --

    def swap(self, choice: SwapChoice) -> None:
        """D-10 (v2): the person swaps a session item for one of their swaps: it enters at its start
        dose (a returning item at its kept dose) as a dated `swap` version — an increase, not a load
        change; the item it replaces moves to the swaps with its dose kept."""
        where = f"swaps ({choice.date.isoformat()})"
        offered = {s.exercise_id: s for s in self.program.swaps}
        if self.locked:
            raise HistoryMismatch(f"{where}: no swap while your program is stopped")
        if choice.swap_in not in offered:
            raise HistoryMismatch(
                f"{where}: '{choice.swap_in}' is not on your list of swaps; choose one of "
                f"{', '.join(sorted(offered)) or 'none'}"
            )
        chosen = offered[choice.swap_in]
        out = self.program.item(choice.swap_out)
        if out is None or choice.swap_out not in chosen.can_replace:
            raise HistoryMismatch(
                f"{where}: '{choice.swap_in}' can replace only "
                f"{', '.join(chosen.can_replace) or 'nothing in your session'}"
            )
        entering = chosen.item.model_copy(update={"days": out.days, "status": ItemStatus.ACTIVE})
        items = [entering if i.exercise_id == out.exercise_id else i for i in self.program.items]
        leaving = swap_for(out, items)
        rest = [s for s in self.program.swaps if s.exercise_id != choice.swap_in] + [leaving]
        swaps = tuple(swap_for(s.item, items) for s in rest)
        self.program = self.program.model_copy(update={"items": tuple(items), "swaps": swaps})
        day = choice.date
        self.entered(entering, day, keep_state=True)
        self.version(
            day,
            "swap",
            ("D-10",),
            f"You chose {entering.name} ({dose_words(entering, entering.dose)}) in place of "
            f"{out.name}, which stays on your list of swaps at {dose_words(out, out.dose)}.",
            entering.exercise_id,
            replaces=out.exercise_id,
        )

    def morning(self, day: dt.date, checkin: CheckIn | None, rescreens: Sequence[Rescreen]) -> None:
        reading, merged = self.read_day(day, checkin, rescreens)
        # §0.3 (2), D-2: emergency and urgent stop everything; an out-of-scope answer (e.g. RF15,
        # a new knee replacement) withholds the self-managed program the same way, until assessed.
        if merged.level in NO_PROGRAM_LEVELS:
            self.lock(day, merged)
            return
        if self.locked or checkin is None:
            return
        base = self.baseline(day)
        rise = is_rise(checkin.morning_pain, base, self.tolerance)
        big = rise and is_big_rise(checkin.morning_pain, base)
        self.rise[day] = rise
        if rise:
            self.flares.append(day)
        if big:
            self.full_set_after.setdefault(day, []).extend(("P8", "§1.1"))
        if reading.new_injury or reading.swelling:
            self.full_set_after.setdefault(day, []).extend(("C-14", "§1.1"))
        undo_weeks = self.judge_week(day)
        from kneehab.domain.checkin_decisions import CheckinDecisions  # it reads this state

        CheckinDecisions(
            self, day, checkin, reading, rise=rise, big=big, undo_weeks=undo_weeks
        ).run()

    def judge_week(self, day: dt.date) -> tuple[dt.date, dt.date] | None:
        """C-5: at the first check-in of a week, judge the week before; two rising weeks in a row
        return to the doses of the first week's start (P5 b)."""
        last = week_start(day) - dt.timedelta(days=7)
        if last in self.judged_weeks or last < week_start(self.h.start) - dt.timedelta(days=7):
            return None
        self.judged_weeks.add(last)
        rising = week_rising(self.checkins, last)
        self.rising[last] = rising
        if not rising:
            return None
        self.rising_weeks.append(last)
        before = last - dt.timedelta(days=7)
        if self.rising.get(before, False):
            return before, last
        return None

    def recompute_phase(self, day: dt.date) -> None:
        """C-4 (v2): the phase is recomputed at every check-in. On the first day the early phase has
        ended, a `phase` version switches every item's texts and options to the later cells and
        re-admits what only an early `A` cell kept out, to the swaps (the session is not re-ranked)."""
        phases = self.phases(day)
        phase = "early" if any(p == Phase.EARLY for p in phases.values()) else "later"
        if phase == self.phase:
            return
        self.phase = phase
        intake, start = self.h.intake, self.h.start
        items = list(self.refreshed_items(day))
        swaps = list(self.program.swaps)
        left_out = []
        back: list[str] = []
        for gone in self.program.left_out:
            entry = None
            if "C-4" in gone.rules and phase == "later":
                entry = program_item_for(
                    intake, self.triage, self.library, gone.exercise_id, start=start, on=day
                )
            if entry is None:
                left_out.append(gone)
                continue
            swaps.append(swap_for(entry, items))
            back.append(entry.name)
            self.known.setdefault(entry.exercise_id, entry.exercise_id)
        note = (
            "Standard phase: the full program for your knee, within today's pain limit."
            if phase == "later"
            else self.program.phase_note
        )
        self.program = self.program.model_copy(
            update={
                "phase": phase,
                "phase_note": note,
                "items": tuple(items),
                "swaps": tuple(swap_for(s.item, items) for s in swaps),
                "left_out": tuple(left_out),
            }
        )
        more = f" You can now choose {', '.join(back)} as swaps." if back else ""
        self.version(
            day,
            "phase",
            ("C-4", "C-2", "D-4"),
            "The early phase has ended: the notes, options and step height for the next phase "
            f"apply from today.{more}",
        )

    def session(self, day: dt.date) -> None:
        session = self.sessions.get(day)
        if session is None:
            return
        ceiling = self.ceiling(day)[0]
        grouped: dict[str, list[SessionEntry]] = {}
        offered = {o for o in self.offered_from}
        for j, entry in enumerate(session.entries):
            owner = self.known.get(entry.exercise_id)
            if owner is None and entry.exercise_id in offered:
                owner = entry.exercise_id  # C-13: on the offered list, not in the session
            if owner is None:
                i = self.session_index[day]
                raise HistoryMismatch(
                    f"sessions[{i}].entries[{j}].exercise_id: '{entry.exercise_id}' is neither in "
                    "your program nor on your swap or offered list"
                )
            grouped.setdefault(owner, []).append(entry)
        for ex_id, entries in grouped.items():
            found = self.program.item(ex_id)
            if found is None or ex_id not in self.ex:
                continue  # a swap not in the session: recorded, no decision (C-13)
            item = found
            perf = performance(entries, item.dose, day, ceiling)
            if perf is None:
                continue
            self.ex[ex_id].add_performance(perf)
            if item.status == ItemStatus.STOPPED or self.locked:
                continue
            stop = stop_now(item, perf)
            if stop is not None:
                self.flares.append(day)
                self.full_set_after.setdefault(day, []).extend(("P1", "§1.1"))
                if item.category == Category.AEROBIC:
                    self.e13_dates.append(day)
                self.apply(stop)

    def note_prescribed(self, day: dt.date) -> None:
        """C-12: a strength day counts as prescribed unless the whole program was paused."""
        if any(i.block == Block.STRENGTH for i in self.program.items_on(day)):
            self.prescribed.add(day)

    # -- D-12 later options --

    def escalation_on(self, day: dt.date) -> Escalation:
        """The escalation as of `day`, from the state so far (cached for the day: D-12 asks it for
        each option)."""
        key = (day, len(self.decisions), len(self.versions))
        if self._escalation_key != key or self._escalation is None:
            self._escalation_key = key
            self._escalation = escalate(
                situation(self.h.model_copy(update={"today": day}), self.triage, self)
            )
        return self._escalation

    def option_ready(self, option: str, day: dt.date) -> bool:
        """D-12 gates and criteria for one option on one check-in date."""
        start = self.h.start
        if (day - start).days < UNLOCK_DAY or self.held(day):
            return False
        if any(0 <= (day - f).days <= NO_FLARE_DAYS for f in self.flares):
            return False
        again = self.reoffer_after.get(option)
        if again is not None and (
            day < again + dt.timedelta(days=REOFFER_DAYS)
            or any(0 <= (day - f).days < REOFFER_DAYS for f in self.flares)
        ):
            return False
        if option in STANDING_OPTIONS and any(
            0 <= (day - g).days <= NO_GIVEWAY_DAYS for g in self.gave_way
        ):
            return False
        if (
            program_item_for(self.h.intake, self.triage, self.library, option, start=start, on=day)
            is None
        ):
            return False
        session = {i.exercise_id for i in self.program.items}
        parents = Parents(
            {x: _last_two_before(e.perfs, day) for x, e in self.ex.items()},
            self.in_program_since,
            {i.exercise_id: i.dose for i in self.program.items},
            step_cap_cm=step_cap_cm(self.h.intake, self.phases(day)),
            today=day,
        )
        if not criteria_met(option, parents, in_session=session):
            return False
        return self.escalation_on(day).level in (EscalationLevel.NONE, EscalationLevel.MESSAGE)

    def review_options(self, day: dt.date) -> list[str]:
        """Each check-in: which options are offered, and which accepted ones are due to unlock."""
        due: list[str] = []
        in_session = {i.exercise_id for i in self.program.items}
        for option in self.program.later_options:
            x = option.exercise_id
            if x in in_session:
                continue
            accepted = [a for a in self.answers.get(x, ()) if a.answer == "accept" and a.date < day]
            offered = self.offered_from.get(x)
            if accepted and offered is not None and accepted[-1].date >= offered:
                if not self.held(day):
                    due.append(x)
                continue
            declined = [
                a for a in self.answers.get(x, ()) if a.answer == "not_now" and a.date < day
            ]
            if declined and offered is not None and declined[-1].date >= offered:
                self.reoffer_after[x] = declined[-1].date
                del self.offered_from[x]
            if self.option_ready(x, day):
                self.offered_from.setdefault(x, day)
            else:
                self.offered_from.pop(x, None)
        return due

    def unlock(self, option: str, day: dt.date) -> None:
        """D-12: the accepted option enters at its start dose as the check-in's load change, into a
        free slot, else in place of its parent (which moves to the swaps with its dose kept)."""
        intake, start = self.h.intake, self.h.start
        entering = program_item_for(intake, self.triage, self.library, option, start=start, on=day)
        assert entering is not None
        cap = self.program.session_cap
        strength = [i for i in self.program.items if i.category != Category.AEROBIC]
        parent = self.program.item(PARENT.get(option, ""))
        items = list(self.program.items)
        swaps = list(self.program.swaps)
        if len(strength) < cap or parent is None:
            items.append(entering)
            replaced = None
        else:
            entering = entering.model_copy(update={"days": parent.days})
            items = [entering if i.exercise_id == parent.exercise_id else i for i in items]
            swaps.append(swap_for(parent, items))
            replaced = parent.exercise_id
            self.replaced[option] = parent.exercise_id
        items.sort(key=lambda i: (BLOCK_ORDER.index(i.block), article_index(i.exercise_id)))
        self.program = self.program.model_copy(
            update={"items": tuple(items), "swaps": tuple(swap_for(s.item, items) for s in swaps)}
        )
        self.entered(entering, day)
        self.offered_from.pop(option, None)
        instead = (
            f" in place of {parent.name}, which stays on your list of swaps at "
            f"{dose_words(parent, parent.dose)}"
            if replaced is not None and parent is not None
            else ""
        )
        self.version(
            day,
            "unlock",
            ("D-12", "P11"),
            f"You said yes to trying {entering.name}: it starts today at "
            f"{dose_words(entering, entering.dose)}{instead}.",
            option,
            replaces=replaced,
        )

    def parent_returns(self, option: str, day: dt.date) -> None:
        """D-12: when a later option is paused, the item it replaced comes back that day at its
        kept dose (a `swap` version) and the option is offered again after 14 days without a flare."""
        parent_id = self.replaced.pop(option)
        back = next((s for s in self.program.swaps if s.exercise_id == parent_id), None)
        gone = self.program.item(option)
        if back is None or gone is None:
            return
        entering = back.item.model_copy(update={"days": gone.days, "status": ItemStatus.ACTIVE})
        items = [entering if i.exercise_id == option else i for i in self.program.items]
        swaps = [s for s in self.program.swaps if s.exercise_id != parent_id]
        self.program = self.program.model_copy(
            update={"items": tuple(items), "swaps": tuple(swap_for(s.item, items) for s in swaps)}
        )
        for i, item in enumerate(self.program.items):
            self.ex[item.exercise_id].item_index = i
        self.reoffer_after[option] = day
        self.version(
            day,
            "swap",
            ("D-12", "D-10"),
            f"{gone.name} is paused, so {entering.name} comes back at "
            f"{dose_words(entering, entering.dose)}. {gone.name} is offered again after 14 days "
            "without a flare.",
            parent_id,
            replaces=option,
        )

    # -- clinician actions (D-7, D-8) --

    def clinician(self, action: ClinicianAction) -> None:
        day = action.date
        who = by_whom(action)
        if action.action in ("review", "assessment"):
            self.reviews.append(day)
            self.triage_hold = self.rescreen_hold = self.rf08_hold = self.swelling_hold = False
            for item in self.program.items:
                ex = self.ex[item.exercise_id]
                waiting = item.status == ItemStatus.PAUSED and ex.pause_kind in (
                    "p13",
                    "catching",
                    "repause",
                )
                unlock = action.action == "assessment" and item.status == ItemStatus.STOPPED
                if waiting or unlock:
                    self.clinician_resume(item, item.dose, action)
            self.left_out_waiting = ()
            if action.action == "assessment":
                self.locked_by = None
            what = (
                "assessed your knee" if action.action == "assessment" else "reviewed your program"
            )
            self.version(day, "clinician", ("D-7",), f"{cap(who)} {what}: {action.reason}")
        elif action.action == "acknowledge":
            self.acknowledged.append((day, str(action.value)))
        elif action.action == "set_ceiling" and isinstance(action.value, int):
            if not CLINICIAN_CEILING[0] <= action.value <= CLINICIAN_CEILING[1]:
                raise HistoryMismatch(
                    f"clinician ({day.isoformat()}): value: a pain limit is 2 to 5, "
                    f"not {action.value}"
                )
            self.ceiling_override = action.value
            self.version(
                day,
                "clinician",
                ("D-7", "D-8", "D-1"),
                f"{cap(who)} set your pain limit to {action.value}/10 (never below your usual "
                f"morning level): {action.reason}",
            )
        elif action.action == "set_tolerance" and isinstance(action.value, int):
            self.tolerance = action.value
            self.version(
                day,
                "clinician",
                ("D-7", "C-5"),
                f"{cap(who)} set how much a morning may rise above your usual level to "
                f"{action.value}: {action.reason}",
            )
        elif action.action == "set_phase" and action.value in ("early", "later"):
            self.phase_override = Phase(str(action.value))
            self.version(
                day,
                "clinician",
                ("D-7", "D-8", "C-4"),
                f"{cap(who)} set your program's phase to {action.value}: {action.reason}",
            )
        elif action.action == "set_session_cap" and isinstance(action.value, int):
            self.program = self.program.model_copy(update={"session_cap": action.value})
            self.version(
                day,
                "clinician",
                ("D-7", "D-10"),
                f"{cap(who)} set your sessions to at most {action.value} exercises: "
                f"{action.reason}",
            )
        elif action.action == "set_condition" and isinstance(action.value, dict):
            intake = Intake.model_validate({**self.h.intake.model_dump(), **action.value})
            self.h = self.h.model_copy(update={"intake": intake})
            self.program = self.program.model_copy(update={"items": self.refreshed_items(day)})
            self.version(
                day,
                "clinician",
                ("D-7", "D-6"),
                f"{cap(who)} changed what your program is built for: {action.reason}",
            )
        elif action.action == "note":
            return  # a message to the person (shown on Today until dismissed); the program is unchanged
        elif action.action == "add":
            self.clinician_add(action)
        elif action.exercise_id is not None:
            if self.program.item(action.exercise_id) is None:
                raise HistoryMismatch(
                    f"clinician ({day.isoformat()}): '{action.exercise_id}' is not in the program"
                )
            self.clinician_exercise(action)

    def clinician_add(self, action: ClinicianAction) -> None:
        """D-7: a clinician adds an exercise at its start dose (a dated `clinician` version)."""
        day, ex_id = action.date, action.exercise_id or ""
        where = f"clinician ({day.isoformat()})"
        if self.program.item(ex_id) is not None:
            raise HistoryMismatch(f"{where}: '{ex_id}' is already in the program")
        if ex_id not in self.library.exercises:
            raise HistoryMismatch(f"{where}: exercise_id: '{ex_id}' is not in the library")
        entering = program_item_for(
            self.h.intake,
            self.triage,
            self.library,
            ex_id,
            start=self.h.start,
            on=day,
            override_avoid=action.override is not None,
        )
        if entering is None:
            # An avoid cell without the clinician's override, the profile (D-11) or giving way (P13).
            raise HistoryMismatch(
                f"{where}: '{ex_id}' is left out for this person's knee or profile and cannot be "
                "added here"
            )
        if action.override is not None:
            shown = f"Added by {by_whom(action)} although it is usually avoided for your knee: "
            entering = entering.model_copy(
                update={
                    "modification": f"{shown}{action.override}",
                    "rules": (*entering.rules, "D-7"),
                }
            )
        items = sorted(
            (*self.program.items, entering),
            key=lambda i: (BLOCK_ORDER.index(i.block), article_index(i.exercise_id)),
        )
        swaps = tuple(swap_for(s.item, items) for s in self.program.swaps if s.exercise_id != ex_id)
        self.program = self.program.model_copy(update={"items": tuple(items), "swaps": swaps})
        self.entered(entering, day)
        self.version(
            day,
            "clinician",
            ("D-7", "D-8"),
            f"{entering.name} added by {by_whom(action)} at "
            f"{dose_words(entering, entering.dose)}: {action.reason}",
            ex_id,
        )

    def refreshed_items(self, day: dt.date) -> tuple[ProgramItem, ...]:
        """Every item's words, options and version for `day` (phase or condition changed), with
        its dose, status and days kept."""
        intake, start = self.h.intake, self.h.start
        items: list[ProgramItem] = []
        for item in self.program.items:
            fresh = program_item_for(
                intake, self.triage, self.library, item.exercise_id, start=start, on=day
            )
            keep = {"dose": item.dose, "status": item.status, "days": item.days}
            items.append(item if fresh is None else fresh.model_copy(update=keep))
        return tuple(items)

    def clinician_exercise(self, action: ClinicianAction) -> None:
        assert action.exercise_id is not None
        item = self.item(action.exercise_id)
        ex = self.ex[action.exercise_id]
        day = action.date
        if self.locked and action.action in ("resume", "pause"):
            return  # D-8: only a recorded assessment lifts a lock; the exercise stays stopped
        if action.action == "set_dose" and isinstance(action.value, dict):
            dose = Dose.model_validate(action.value)
            outside = dose_outside_limits(item.exercise_id, dose, self.library)
            if outside:  # D-7: a clinician's dose stays inside the exercise's limits
                raise HistoryMismatch(f"clinician ({day.isoformat()}): {outside}")
            raises = any(
                isinstance(a, int | float) and isinstance(b, int | float) and b > a
                for a, b in ((item.dose.get(k), dose.get(k)) for k in dose.changed_keys(item.dose))
            )
            self.clinician_change(item, dose, item.status, action)
            if raises:
                ex.raises.append((day, item.dose, dose))
                ex.increases.append((day, dose))
        elif action.action == "resume":
            dose = (
                Dose.model_validate(action.value) if isinstance(action.value, dict) else item.dose
            )
            outside = dose_outside_limits(item.exercise_id, dose, self.library)
            if outside:
                raise HistoryMismatch(f"clinician ({day.isoformat()}): {outside}")
            self.clinician_resume(item, dose, action)
        elif action.action == "pause":
            self.clinician_change(item, item.dose, ItemStatus.PAUSED, action)
            ex.paused_on, ex.pause_kind, ex.pause_reason = day, "clinician", action.reason
            if item.exercise_id in self.replaced:
                self.parent_returns(item.exercise_id, day)
        elif action.action == "remove":
            items = tuple(i for i in self.program.items if i.exercise_id != item.exercise_id)
            self.program = self.program.model_copy(update={"items": items})
            for i, kept in enumerate(items):
                self.ex[kept.exercise_id].item_index = i
            self.version(
                day,
                "clinician",
                ("D-7",),
                f"{item.name} removed by {by_whom(action)}: {action.reason}",
                item.exercise_id,
            )
        elif action.action in ("pause_progression", "resume_progression"):
            paused = action.action == "pause_progression"
            ex.progression_paused = paused
            what = "will not step up by itself" if paused else "steps up by itself again"
            self.version(
                day,
                "clinician",
                ("D-7", "D-8"),
                f"{item.name} {what}, as set by {by_whom(action)}: {action.reason}",
                item.exercise_id,
            )

    def clinician_resume(self, item: ProgramItem, dose: Dose, action: ClinicianAction) -> None:
        ex = self.ex[item.exercise_id]
        ex.paused_on = ex.pause_kind = None
        ex.stopped_on = None
        ex.last_resume = action.date
        self.clinician_change(item, dose, ItemStatus.ACTIVE, action)

    def clinician_change(
        self, item: ProgramItem, dose: Dose, status: ItemStatus, action: ClinicianAction
    ) -> None:
        ex = self.ex[item.exercise_id]
        ex.latest_change = action.date
        if dose != item.dose:
            ex.doses.append((action.date, dose))
        self.set_item(item.exercise_id, dose, status)
        if dose != item.dose:
            what = f"{dose_words(item, item.dose)} → {dose_words(item, dose)}"
        elif status != item.status:
            what = "paused" if status == ItemStatus.PAUSED else "restarted"
        else:
            what = "kept as it is"
        self.version(
            action.date,
            "clinician",
            ("D-7", "D-8"),
            f"{item.name} {what}, by {by_whom(action)}: {action.reason}",
            item.exercise_id,
        )

    def run(self) -> None:
        self.run_through(self.h.today)

    def run_through(self, last: dt.date) -> None:
        """Replay the days not yet replayed, up to and including `last` (a snapshot resumes here)."""
        day = self.next_day
        while day <= last:
            self.day(day)
            day += dt.timedelta(days=1)
        self.next_day = day

    # The indexes are rebuilt from `h` (index_events) and the library is given again on resume, so
    # a snapshot keeps neither (course_snapshot.py).
    _NOT_KEPT = (
        "library",
        "by_date",
        "sessions",
        "session_index",
        "checkins",
        "checkin_dates",
        "done",
        "rescreens_on",
        "clinician_on",
        "answers",
        "swaps_on",
        "_indexed",
        "_situation_parts",
        "_measures_memo",
        "_grown_parts",
        "_stored",  # the models its snapshot stores (course_snapshot.StoredModels): shared
    )

    def clone(self) -> CourseState:
        """An independent copy to replay on (`resume` it over the history to replay): the library
        and the indexes are shared (`resume` replaces them), the domain's records and decisions are
        immutable and shared, and every list, dict, set and exercise state the replay mutates is
        copied."""
        new = object.__new__(CourseState)
        new.__dict__.update(
            {
                k: v if k in self._SHARED else v.copy() if k in self._FLAT else _copied(v)
                for k, v in self.__dict__.items()
                if k not in self._NOT_COPIED
            }
        )
        return new

    # A clone shares the library, the indexes (never changed in place: `resume` makes new ones)
    # and the situation parts of its grown records while they are the same (`_grown_parts` checks);
    # the memos of the history parts are made again over the history `resume` gives.
    _SHARED = frozenset(_NOT_KEPT) - {"_situation_parts", "_measures_memo"}
    _NOT_COPIED = frozenset({"_situation_parts", "_measures_memo"})
    # The long containers that hold only immutable values (decisions, versions, baselines): copied
    # without looking into each value.
    _FLAT = frozenset({"decisions", "versions", "baselines"})

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in self._NOT_KEPT}

    def resume(self, history: History, library: Library, tail: History | None = None) -> None:
        """After loading a snapshot: the same state over `history` (its records up to the snapshot
        day plus the tail), with the library given again. `tail`: the records `history` adds to the
        state's own, all dated after them; when the state is indexed over its own history (a
        restored snapshot, a clone of one), only those are indexed."""
        self.library = library
        if tail is not None and getattr(self, "_indexed", None) is self.h:
            self.index_tail(history, tail)
        else:
            self.index_events(history)
        self.h = history


class _OnADay(Protocol):
    @property
    def date(self) -> dt.date: ...


_Dated = TypeVar("_Dated", bound=_OnADay)


def _grouped(
    by_day: dict[dt.date, list[_Dated]], records: Sequence[_Dated], start: dt.date
) -> dict[dt.date, list[_Dated]]:
    """`by_day` (records by date; before the start, on day 0) with `records` added, as a new dict
    whose touched lists are new too."""
    out: dict[dt.date, list[_Dated]] = dict(by_day)
    for r in records:
        day: dt.date = max(r.date, start)
        out[day] = [*out.get(day, []), r]  # a new list: the old one may be shared
    return out


def _copied(value: Any) -> Any:
    """`value` with its mutable containers copied (immutable values are shared)."""
    if isinstance(value, list):
        return [_copied(x) if isinstance(x, _MUTABLE) else x for x in value]
    if isinstance(value, dict):
        return {k: _copied(v) if isinstance(v, _MUTABLE) else v for k, v in value.items()}
    if isinstance(value, set):
        return set(value)
    if isinstance(value, ExerciseState):
        return value.copy()
    return value


_MUTABLE = (list, dict, set, ExerciseState)
_FLAT_TYPES = (list, dict, set)  # ExerciseState's containers: of immutable values only


def merge_triage(a: Triage, b: Triage) -> Triage:
    if b.level == Level.OK and not b.rules:
        return a
    top = b if LEVEL_ORDER[b.level] > LEVEL_ORDER[a.level] else a
    return Triage(
        level=top.level,
        rules=tuple(dict.fromkeys((*a.rules, *b.rules))),
        message=top.message,
        reasons=tuple(dict.fromkeys((*a.reasons, *b.reasons))),
    )


def article_index(exercise_id: str) -> int:
    return ARTICLE_ORDER.index(exercise_id) if exercise_id in ARTICLE_ORDER else len(ARTICLE_ORDER)


def _history_parts(history: History, done: frozenset[dt.date] | None = None) -> dict[str, Any]:
    """The Situation fields that come from the history's records alone (not from its `today`);
    `done` when the caller already has `session_days(history.sessions)`."""
    clinician = history.clinician
    return {
        "pain": daily_pain(history.checkins, history.outcomes),
        "outcomes": history.outcomes,
        "acknowledgements": tuple(
            (c.date, str(c.value)) for c in clinician if c.action == "acknowledge"
        ),
        "reviews": tuple(c.date for c in clinician if c.action in ("review", "assessment")),
        "assessments": tuple(c.date for c in clinician if c.action == "assessment"),
        "done": session_days(history.sessions) if done is None else done,
    }


def _records_key(history: History) -> tuple[object, ...]:
    return (history.checkins, history.outcomes, history.sessions, history.clinician)


def _history_parts_of(history: History, run: CourseState) -> dict[str, Any]:
    """`_history_parts`, kept on the run while the history's record tuples are the same objects: a
    request asks for the situation of today, yesterday and the day before over one history, and the
    parts scan every check-in and session of the course (the same `is` test keeps it exact)."""
    key = _records_key(history)
    # A state unpickled from a snapshot has no such attribute.
    kept: tuple[tuple[object, ...], dict[str, Any]] | None = getattr(run, "_situation_parts", None)
    if kept is not None and all(a is b for a, b in zip(kept[0], key, strict=True)):
        return kept[1]
    parts = _history_parts(history, run.done if run.h.sessions is history.sessions else None)
    run._situation_parts = (key, parts)
    return parts


def situation(history: History, triage: Triage, run: CourseState | None) -> Situation:
    common: dict[str, Any] = {
        "intake": history.intake,
        "start": history.start,
        "today": history.today,
        "reviewed": history.reviewed,
        "triage": triage,
    }
    if run is None:
        return Situation(program=None, **common, **_history_parts(history))
    items = run.program.items
    ex = run.ex
    # Built without validation: every value below comes from the engine's own typed state (validating
    # the year of daily pain and baselines again cost a tenth of a 365-day request).
    from_run: dict[str, Any] = {
        **_grown_parts_of(run),
        "baseline_today": run.baseline(history.today).value,
        "review_on": run.program.review_on,
        "waiting_for_clinician": tuple(
            i.exercise_id
            for i in items
            if i.status == ItemStatus.PAUSED
            and ex[i.exercise_id].pause_kind in ("p13", "catching", "repause")
        )
        + run.left_out_waiting,
        "clinician_paused": {
            i.exercise_id: ex[i.exercise_id].pause_reason
            for i in items
            if i.status == ItemStatus.PAUSED and ex[i.exercise_id].pause_kind == "clinician"
        },
        "paused_since": {
            i.exercise_id: since
            for i in items
            if i.status != ItemStatus.ACTIVE
            and (since := ex[i.exercise_id].paused_on or ex[i.exercise_id].stopped_on)
        },
        "aerobic_floor_holds": tuple(sorted((d, x) for x, e in ex.items() for d in e.floor_holds)),
    }
    parts = _history_parts_of(history, run)
    built = Situation.model_construct(program=run.program, **common, **parts, **from_run)
    return built.share_measures(_measures_memo(run, parts))


def _grown(run: CourseState) -> tuple[int, ...]:
    """The lengths of the state's records that only ever grow during a replay (lists appended to,
    a set and a dict added to, an existing date's baseline never replaced): equal lengths on the
    same run mean equal contents."""
    return (
        len(run.screens),
        len(run.rescreen_hits),
        len(run.p5_dates),
        len(run.prescribed),
        len(run.baselines),
        len(run.rising_weeks),
        len(run.decisions),
        len(run.clinician_holds),
    )


def grown_parts(run: CourseState) -> dict[str, Any]:
    """The Situation fields made from the state's growing records (the year of decisions, baselines
    and prescribed days of a long course), built afresh."""
    return {
        "checkin_screens": tuple(run.screens),
        "rescreens": tuple(run.rescreen_hits),
        "p5_dates": tuple(run.p5_dates),
        "prescribed": frozenset(run.prescribed),
        "baselines": {d: b.value for d, b in run.baselines.items()},
        "rising_weeks": tuple(run.rising_weeks),
        "p1_stops": tuple(
            (d.date, d.exercise_id)
            for d in run.decisions
            if d.action == Action.STOP and "P1" in d.rules and "E1" not in d.rules
        ),
        "clinician_holds": tuple(run.clinician_holds),
    }


def _grown_parts_of(run: CourseState) -> dict[str, Any]:
    """`grown_parts`, kept on the run while none of those records has grown: a request asks for the
    situation of today, yesterday and the day before from the same state, and D-12 asks again for
    each later option of a day. The values are immutable, or a dict no situation changes."""
    grown = _grown(run)
    kept: tuple[tuple[int, ...], dict[str, Any]] | None = getattr(run, "_grown_parts", None)
    if kept is not None and kept[0] == grown:
        return kept[1]
    parts = grown_parts(run)
    run._grown_parts = (grown, parts)
    return parts


def _measures_memo(run: CourseState, parts: dict[str, Any]) -> MeasuresMemo:
    """One memo of §5.2 measures for the situations built over the same history parts and the same
    P5 dates, prescribed days and rising weeks (the three only grow as the replay goes on, so their
    lengths tell them apart; the parts are compared by identity)."""
    grown = (len(run.p5_dates), len(run.prescribed), len(run.rising_weeks))
    kept: tuple[dict[str, Any], tuple[int, int, int], MeasuresMemo] | None = getattr(
        run, "_measures_memo", None
    )
    if kept is not None and kept[0] is parts and kept[1] == grown:
        return kept[2]
    memo: MeasuresMemo = {}
    run._measures_memo = (parts, grown, memo)
    return memo
