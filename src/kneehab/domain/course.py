"""A whole course of care rebuilt from its history: triage, plan, then each check-in's decisions.

RULES C-6: decisions are made at each check-in, the morning after a session. The intake is triaged
once, as it was given; red flags answered again later (`History.rescreens`, §1.1) act from their own
date: a stopping tier stops every exercise from that day and locks the program, a `soon` tier holds
progression from that day until a clinician has reviewed it (D-2). Earlier decisions stay as they were.
"""

from __future__ import annotations

import datetime as dt

from kneehab.domain.baseline import (
    above_baseline,
    baseline_pain,
    rising_two_weeks,
    session_days,
    weekly_rising,
)
from kneehab.domain.conditions import is_acute, pain_ceiling
from kneehab.domain.escalation import Escalation, Situation, daily_pain, escalate
from kneehab.domain.exercise import Library
from kneehab.domain.planning import plan
from kneehab.domain.program import ItemStatus, Program, Triage
from kneehab.domain.progression import (
    Action,
    Decision,
    Morning,
    Performance,
    Track,
    decide,
    pause_after_stop,
    performance,
    stop_for_red_flags,
    stop_for_symptoms,
    stop_now,
)
from kneehab.domain.records import CheckIn, History, Rescreen, SessionEntry
from kneehab.domain.screening import screen, screen_checkin, screen_rescreen
from kneehab.domain.types import Block, Frozen, Level


class ProgramVersion(Frozen):
    """One program change: version 1 is the plan; later ones follow a dose or status decision."""

    version: int
    date: dt.date
    rules: tuple[str, ...]
    reason: str
    program: Program


class Course(Frozen):
    triage: Triage
    program: Program | None  # the current prescription; None when triage withholds it (D-2)
    decisions: tuple[Decision, ...]  # chronological
    escalation: Escalation  # as of history.today
    versions: tuple[ProgramVersion, ...]
    # The check-in or re-screen triage (urgent, emergency or out of scope) that stopped the whole
    # program; it stays locked until a clinician clears it (no clearing event exists yet).
    locked_by: Triage | None = None


class HistoryMismatch(ValueError):
    """A history that does not fit its program (C-13); the message names the field and the rule."""


def _ceiling(history: History, on: dt.date) -> int:
    return pain_ceiling(history.intake, start=history.start, on=on, override=history.pain_ceiling)[
        0
    ]


def _ladder_ids(exercise_id: str, library: Library) -> set[str]:
    """An exercise and every variant its ladders can reach, up or down (C-8: a regression may
    switch to an easier variant); a person may log the variant's id."""
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
    owners: dict[str, str] = {i.exercise_id: i.exercise_id for i in program.items}
    for item in program.items:
        for ex_id in _ladder_ids(item.exercise_id, library):
            owners.setdefault(ex_id, item.exercise_id)
    return owners


def _check_entries(history: History, owners: dict[str, str], library: Library) -> None:
    for i, session in enumerate(history.sessions):
        for j, entry in enumerate(session.entries):
            where = f"sessions[{i}].entries[{j}].exercise_id"
            if entry.exercise_id not in library.exercises:
                raise HistoryMismatch(
                    f"{where}: '{entry.exercise_id}' is not an exercise in the library (RULES C-13)"
                )
            if entry.exercise_id not in owners:
                raise HistoryMismatch(
                    f"{where}: '{entry.exercise_id}' was never in this person's program (RULES C-13)"
                )


class _Replay:
    """Day-by-day state while replaying a history. Only `replay` uses it."""

    def __init__(self, history: History, library: Library, triage: Triage, program: Program):
        self.h, self.library, self.triage = history, library, triage
        self.program = program
        self.owners = owners(program, library)
        self.tracks = {
            i.exercise_id: Track(
                exercise_id=i.exercise_id, start_dose=i.dose, dose_since=history.start
            )
            for i in program.items
        }
        self.perfs: dict[str, list[Performance]] = {i.exercise_id: [] for i in program.items}
        self.decisions: list[Decision] = []
        self.versions = [
            ProgramVersion(
                version=1,
                date=history.start,
                rules=("D-2", "D-4", "C-8"),
                reason="The starting program.",
                program=program,
            )
        ]
        self.sessions = {s.date: s for s in history.sessions}
        self.checkins = sorted(history.checkins, key=lambda c: c.date)
        self.done = session_days(history.sessions)
        self.above: dict[dt.date, bool] = {}
        self.screens: list[tuple[dt.date, Triage]] = []
        self.rescreens: list[tuple[dt.date, Triage]] = []  # re-screens that found something
        # Each re-screen acts on its own date; one answered before the start acts on day 0.
        self.rescreens_on: dict[dt.date, list[Rescreen]] = {}
        for r in sorted(history.rescreens, key=lambda r: r.date):
            self.rescreens_on.setdefault(max(r.date, history.start), []).append(r)
        self.prescribed: set[dt.date] = set()
        self.held = program.progression_held and not history.reviewed
        # An urgent/emergency red flag locks the program until a clinician clears it.
        self.locked_by: Triage | None = None

    @property
    def locked(self) -> bool:
        return self.locked_by is not None

    # -- applying decisions --

    def apply(self, decision: Decision) -> None:
        self.decisions.append(decision)
        self.tracks[decision.exercise_id] = self.tracks[decision.exercise_id].after(decision)
        item = self.program.item(decision.exercise_id)
        assert item is not None
        status = {Action.PAUSE: ItemStatus.PAUSED, Action.STOP: ItemStatus.STOPPED}.get(
            decision.action, item.status
        )
        new = item.model_copy(update={"dose": decision.to_dose, "status": status})
        if new == item:
            return
        items = tuple(new if i.exercise_id == item.exercise_id else i for i in self.program.items)
        self.program = self.program.model_copy(update={"items": items})
        self.versions.append(
            ProgramVersion(
                version=len(self.versions) + 1,
                date=decision.date,
                rules=decision.rules,
                reason=f"{item.name}: {decision.reason}",
                program=self.program,
            )
        )

    # -- one day --

    def morning(self, checkin: CheckIn) -> Morning:
        on = checkin.date
        base = baseline_pain(self.h.intake.pain_now, self.checkins, self.done, on)
        tol = self.h.morning_tolerance
        above = above_baseline(checkin.morning_pain, base, tol)
        self.above[on] = above
        return Morning(
            date=on,
            pain=checkin.morning_pain,
            baseline=base,
            above=above,
            previous_above=self.above.get(on - dt.timedelta(days=1), False),
            weekly_rising=weekly_rising(self.checkins, on, tol),
            rising_two_weeks=rising_two_weeks(self.checkins, on, tol),
        )

    def entries_on(self, on: dt.date) -> dict[str, list[SessionEntry]]:
        session = self.sessions.get(on)
        out: dict[str, list[SessionEntry]] = {}
        for entry in session.entries if session else ():
            out.setdefault(self.owners[entry.exercise_id], []).append(entry)
        return out

    def check_in(self, checkin: CheckIn) -> None:
        screen = screen_checkin(checkin, self.h.intake)
        if screen.rules or screen.level != Level.OK:
            self.screens.append((checkin.date, screen))
        morning = self.morning(checkin)
        if checkin.new_symptoms:
            self.stop_for(checkin, screen)
            return
        yesterday = checkin.date - dt.timedelta(days=1)
        done_yesterday = self.entries_on(yesterday)
        for item in self.program.items:
            if item.status == ItemStatus.STOPPED and screen.level == Level.OK and not self.locked:
                self.apply(pause_after_stop(item, checkin.date))
                continue
            history = self.perfs[item.exercise_id]
            perf = history[-1] if item.exercise_id in done_yesterday and history else None
            decision = decide(
                item,
                self.tracks[item.exercise_id],
                morning,
                perf,
                history,
                held=self.held,
                library=self.library,
            )
            if decision is not None:
                self.apply(decision)

    def stop_for(self, checkin: CheckIn, screen: Triage) -> None:
        """P1 at a check-in: a red flag stops everything; other symptoms stop what was just done."""
        severe = screen.level in (Level.URGENT, Level.EMERGENCY)
        if severe and self.locked_by is None:
            self.locked_by = screen
        last = max((d for d in self.done if d < checkin.date), default=None)
        provoking = set(self.entries_on(last)) if last is not None else set()
        rules = tuple(r for r in screen.rules if r != "P1")
        advice = screen.message if severe else "The warning-sign questions are asked again."
        for item in self.program.items:
            if item.status == ItemStatus.STOPPED:
                continue
            provoked = not provoking or item.exercise_id in provoking
            if severe or (provoked and item.status == ItemStatus.ACTIVE):
                self.apply(
                    stop_for_symptoms(item, checkin.new_symptoms, rules, advice, checkin.date)
                )

    def rescreen(self, rescreen: Rescreen, on: dt.date) -> None:
        """Red flags answered again (§1.1), applied on `on` at their §1 tier (E1, D-2, C-10)."""
        triage = screen_rescreen(rescreen)
        if triage.level == Level.OK:
            return
        self.rescreens.append((rescreen.date, triage))
        if triage.level == Level.SOON:
            self.held = self.held or not self.h.reviewed  # D-2, from this day on
            return
        if self.locked_by is None:
            self.locked_by = triage
        rules = tuple(r for r in triage.rules if r != "P1")
        for item in self.program.items:
            if item.status != ItemStatus.STOPPED:
                self.apply(stop_for_red_flags(item, rules, triage.message, on))

    def session(self, on: dt.date) -> None:
        ceiling = _ceiling(self.h, on)
        for ex_id, entries in self.entries_on(on).items():
            item = self.program.item(ex_id)
            assert item is not None
            perf = performance(entries, item.dose, on, ceiling)
            self.perfs[ex_id].append(perf)
            # P1 applies to a paused exercise done anyway too (C-13): strong pain always stops.
            if item.status != ItemStatus.STOPPED and (stop := stop_now(item, perf)) is not None:
                self.apply(stop)

    def note_prescribed(self, on: dt.date) -> None:
        """C-12: a strength day counts as prescribed unless the whole program was paused."""
        if any(i.block == Block.STRENGTH for i in self.program.items_on(on)):
            self.prescribed.add(on)

    def run(self) -> None:
        by_date = {c.date: c for c in self.checkins}
        day = self.h.start
        while day <= self.h.today:
            if day in by_date:
                self.check_in(by_date[day])  # the morning first
            for rescreen in self.rescreens_on.get(day, ()):
                self.rescreen(rescreen, day)  # then answers given before or during the session
            self.note_prescribed(day)
            self.session(day)
            day += dt.timedelta(days=1)


def _situation(history: History, triage: Triage, run: _Replay | None) -> Situation:
    return Situation(
        intake=history.intake,
        start=history.start,
        today=history.today,
        reviewed=history.reviewed,
        triage=triage,
        program=run.program if run else None,
        pain=daily_pain(history.checkins, history.outcomes),
        outcomes=history.outcomes,
        checkin_screens=tuple(run.screens) if run else (),
        rescreens=tuple(run.rescreens) if run else (),
        p5_dates=tuple(d.date for d in run.decisions if "P5" in d.rules) if run else (),
        prescribed=frozenset(run.prescribed) if run else frozenset(),
        done=session_days(history.sessions),
    )


def replay(history: History, library: Library) -> Course:
    """Rebuild the course from intake and start: screen, plan, then every day up to `today`."""
    triage = screen(history.intake)
    program = plan(history.intake, triage, library, start=history.start)
    if program is None:
        return Course(
            triage=triage,
            program=None,
            decisions=(),
            versions=(),
            escalation=escalate(_situation(history, triage, None)),
        )
    run = _Replay(history, library, triage, program)
    _check_entries(history, run.owners, library)
    run.run()
    ceiling, ceiling_rules = pain_ceiling(
        history.intake, start=history.start, on=history.today, override=history.pain_ceiling
    )
    current = run.program.model_copy(
        update={
            "pain_ceiling": ceiling,
            "pain_ceiling_rules": ceiling_rules,
            "acute": is_acute(history.intake, start=history.start, on=history.today),
            "progression_held": run.held,
        }
    )
    run.program = current
    return Course(
        triage=triage,
        program=current,
        decisions=tuple(run.decisions),
        escalation=escalate(_situation(history, triage, run)),
        versions=tuple(run.versions),
        locked_by=run.locked_by,
    )
