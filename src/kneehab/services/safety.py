"""The safety questions mid-course (RULES §1.1, P1): the short set before each day's session, the
full re-screen, and "Stop — it hurts". Each is one transaction, and the gate every session write
passes (`require_session_allowed`) lives here, so the web, the API and the CLI behave the same.

The day's short answers are kept with that day's player state (one row per person and day) under
`SESSION_CHECK_KEY`; the player's own saves go through `sessions.save_player_position`, which keeps
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action
from kneehab.domain.course import Course
from kneehab.domain.escalation import STOPPING
from kneehab.domain.exercise import Library
from kneehab.domain.program import ItemStatus, Triage
from kneehab.domain.progression import PAIN_STOP
from kneehab.domain.records import Rescreen, SessionEntry
from kneehab.domain.screening import screen_rescreen, symptom_flags
from kneehab.domain.stops import is_stop, stops_the_day
from kneehab.domain.types import Level
from kneehab.errors import DayStopped, InvalidInput, SafetyCheckDue
from kneehab.services.acting import Acting, authorize
from kneehab.services.audit import machine_read
from kneehab.services.replay import (
    course_in,
    persist_decisions,
    persist_escalation,
)
from kneehab.services.rules_upgrade import ensure_rules
from kneehab.store import repo
from kneehab.store.db import Database

SESSION_CHECK_KEY = "session_check"


# --- the gate ---------------------------------------------------------------------------------


def check_in_tx(s: DbSession, person_id: int, day: date) -> dict[str, Any] | None:
    state = repo.get_player_state(s, person_id, day)
    found = state.get(SESSION_CHECK_KEY) if state else None
    return dict(found) if isinstance(found, dict) else None


def _any_yes(check: dict[str, Any]) -> bool:
    answers = check.get("answers")
    said = any(answers.values()) if isinstance(answers, dict) else False
    return said or any(bool(check.get(k)) for k in ("new_injury", "cold_foot", "chest_symptoms"))


def require_check_cleared(s: DbSession, person_id: int, day: date) -> None:
    """RULES §1.1: today's short safety questions answered, and any yes (or a full-set day) followed
    by the full safety questions; otherwise SafetyCheckDue saying which is missing."""
    check = check_in_tx(s, person_id, day)
    if check is None:
        raise SafetyCheckDue(
            "today's safety questions have not been answered: answer them first "
            "(RULES §1.1), then save the session",
            full_set=False,
        )
    if not check.get("cleared", False):
        why = (
            "today is a day for the full safety questions"
            if check.get("full_set_due") and not _any_yes(check)
            else "a yes in today's safety questions needs the full safety questions first"
        )
        raise SafetyCheckDue(f"{why} (RULES §1.1), then save the session", full_set=True)


def require_session_allowed(
    s: DbSession, person_id: int, day: date, exercise_ids: tuple[str, ...], library: Library
) -> None:
    """What every write of today's session passes: the safety questions (§1.1), and no stop that
    ended the day or stopped that exercise (P1)."""
    require_check_cleared(s, person_id, day)
    for done in repo.entries_on(s, person_id, day):
        if stops_the_day(done):
            raise DayStopped(
                'today\'s session was stopped with "Stop — it hurts" (RULES P1): nothing more '
                "is recorded today; rest the knee, and tomorrow morning's check-in asks again"
            )
        if is_stop(done) and done.exercise_id in exercise_ids:
            name = library.get(done.exercise_id).name
            raise DayStopped(
                f'{name} was stopped today with "Stop — it hurts" (RULES P1, D-1): it is not '
                "recorded again today; go on with the others only if they stay within your limit"
            )


def session_check(db: Database, who: Acting, *, day: date) -> dict[str, Any] | None:
    """Today's pre-session answers, or None when they have not been given yet."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return check_in_tx(s, person_id, day)


def course_and_check(
    db: Database, who: Acting, *, day: date, library: Library
) -> tuple[Course, SafetyCheckDue | None]:
    """The course as of `day` and, when today's safety questions (§1.1) do not allow the session yet,
    the refusal that says so, in one read: a route checks both before a session write and refuses
    in its own order (a withheld or locked program first)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        found = course_in(s, person_id, day, library)
        try:
            require_check_cleared(s, person_id, day)
            due = None
        except SafetyCheckDue as refused:
            due = refused
    machine_read(db, who, "course")  # as services.course
    return found, due


def check_status(db: Database, who: Acting, *, day: date) -> None:
    """Raise SafetyCheckDue unless today's session may be recorded (pages check before a form)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        require_check_cleared(s, person_id, day)


# --- the full re-screen -----------------------------------------------------------------------


def rescreen_tx(
    s: DbSession,
    person_id: int,
    *,
    day: date,
    flags: list[str] | tuple[str, ...] = (),
    symptoms: list[str] | tuple[str, ...] = (),
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    new_injury: bool = False,
    full_set: bool,
    now: datetime,
    library: Library,
) -> Triage:
    """Keep the answers as a re-screen dated `day` and act on them in the caller's transaction.
    `full_set`: the whole set was asked (only that restarts the weekly clock, §1.1)."""
    ensure_rules(s, person_id, day, now, library)
    person = repo.get_person(s, person_id)
    words = set(symptoms)
    ticked = set(flags) | set(symptom_flags(words, repo.latest_intake(s, person_id).intake))
    try:
        record = Rescreen(
            date=day,
            red_flags=tuple(sorted(ticked)),
            cold_foot=cold_foot or "cold_foot" in words,
            chest_symptoms=chest_symptoms,
            new_injury=new_injury,
            full_set=full_set,
        )
    except ValidationError as err:
        raise InvalidInput(f"flags: {err.errors()[0]['msg']}") from err
    answered = screen_rescreen(record)
    repo.add_rescreen(s, person_id, record, answered, now=now)
    if answered.level != Level.OK and day >= person.start:
        result = course_in(s, person_id, day, library)
        if answered.level in STOPPING:
            persist_decisions(s, person_id, result, now)
        persist_escalation(s, person_id, result.escalation, now)
    return answered


def _clear_check_tx(s: DbSession, person_id: int, day: date, now: datetime) -> None:
    state = repo.get_player_state(s, person_id, day)
    if state and isinstance(state.get(SESSION_CHECK_KEY), dict):
        check = {**state[SESSION_CHECK_KEY], "cleared": True, "cleared_at": now.isoformat()}
        repo.set_player_state(s, person_id, day, {**state, SESSION_CHECK_KEY: check}, now=now)


def rescreen(
    db: Database,
    who: Acting,
    *,
    flags: list[str] | tuple[str, ...] = (),
    symptoms: list[str] | tuple[str, ...] = (),
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    new_injury: bool = False,
    now: datetime,
    today: date,
    library: Library,
    clears_check: bool = False,
    full_set: bool = True,
) -> Triage:
    """Re-ask the red flags (answers and/or symptom words, RULES C-14) and keep the answers as a
    re-screen dated `today` (default: the date of `now`). The intake stays as it was given; the
    answers act from `today` on (RULES §1.1, D-2, C-10): a stopping tier stops every exercise from
    that day and locks the program until a clinician clears it (the stop versions and the day's
    escalation are written in the same transaction); `soon` holds progression from that day until
    a clinician has reviewed the program. With `clears_check` (the full set answered after today's
    short questions), a result without a stopping sign lets today's session go ahead. `full_set`
    False: only some answers or symptom words were given (they act, but the week's full set is
    still due). Returns the triage of what was reported now."""
    person_id = who.person_id
    day = today
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        triage = rescreen_tx(
            s,
            person_id,
            day=day,
            flags=flags,
            symptoms=symptoms,
            cold_foot=cold_foot,
            chest_symptoms=chest_symptoms,
            new_injury=new_injury,
            full_set=full_set,
            now=now,
            library=library,
        )
        if clears_check and triage.level not in STOPPING:
            _clear_check_tx(s, person_id, day, now)
    return triage


# --- the short set before each day's session --------------------------------------------------


def save_session_check(
    db: Database,
    who: Acting,
    *,
    day: date,
    answers: dict[str, bool],
    new_injury: bool,
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    full_set_due: bool | None = None,
    now: datetime,
    library: Library,
) -> Triage:
    """Save the day's short red-flag answers, and any yes as a re-screen dated `day`, in one
    transaction. `cleared` stays false after a yes — or when the full set is due today (RULES §1.1:
    after a stop, a much sorer morning, a new injury or swelling, E2/E3, and weekly; worked out
    here from the course unless given) — until the full re-screen has been answered
    (`rescreen(..., clears_check=True)`)."""
    person_id = who.person_id
    flags = sorted(k for k, v in answers.items() if v)
    lib = library
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        if full_set_due is None:
            full_set_due = course_in(s, person_id, day, lib).full_rescreen_due
        triage = rescreen_tx(
            s,
            person_id,
            day=day,
            flags=flags,
            cold_foot=cold_foot,
            chest_symptoms=chest_symptoms,
            new_injury=new_injury,
            full_set=False,
            now=now,
            library=lib,
        )
        record = {
            "answers": dict(sorted(answers.items())),
            "new_injury": new_injury,
            "cold_foot": cold_foot,
            "chest_symptoms": chest_symptoms,
            "level": triage.level.value,
            "rules": list(triage.rules),
            "answered_at": now.isoformat(),
            "cleared": not (flags or new_injury or cold_foot or chest_symptoms or full_set_due),
            "full_set_due": full_set_due,
        }
        state = repo.get_player_state(s, person_id, day) or {}
        state[SESSION_CHECK_KEY] = record
        repo.set_player_state(s, person_id, day, state, now=now)
    return triage


# --- "Stop — it hurts" ------------------------------------------------------------------------


@dataclass(frozen=True)
class StopRecorded:
    triage: Triage  # the re-screen of what was reported with the stop
    p1: bool  # RULES P1: pain at or above the stop level, or sharp or catching pain
    stops_the_day: bool  # the whole session ends today (P1, or a new symptom with the stop)


def stop_exercise(
    db: Database,
    who: Acting,
    *,
    entry: SessionEntry,
    symptoms: list[str] | tuple[str, ...] = (),
    chest_symptoms: bool = False,
    day: date,
    now: datetime,
    library: Library,
) -> StopRecorded:
    """Keep a stop as that day's entry of the exercise and re-screen what came with it, in one
    transaction. Never refused for want of the day's safety questions: a report of pain or a new
    symptom is always taken (it re-screens by itself)."""
    person_id = who.person_id
    if not is_stop(entry):
        raise InvalidInput("skip_reason: a stop is recorded by 'Stop — it hurts' only")
    lib = library
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        ensure_rules(s, person_id, day, now, lib)
        program = course_in(s, person_id, day, lib).program
        item = program.item(entry.exercise_id) if program is not None else None
        if item is None:
            raise InvalidInput(f"exercise_id: '{entry.exercise_id}' is not in your program")
        paused = item.status != ItemStatus.ACTIVE  # C-13: noted for the physio all the same
        repo.upsert_entry(s, person_id, day, entry, now=now, paused=paused)
        triage = rescreen_tx(
            s,
            person_id,
            day=day,
            symptoms=symptoms,
            chest_symptoms=chest_symptoms,
            full_set=False,
            now=now,
            library=lib,
        )
    p1 = entry.pain_during_max >= PAIN_STOP or entry.sharp_pain
    return StopRecorded(triage, p1, stops_the_day(entry))
