"""Use-cases: the domain's pure decisions plus the store, with the clock passed in.

Every function that writes does so in one transaction (`db.write()`); `today`/`now` are arguments.
The database keeps the raw records (intake, sessions, check-ins, outcomes, review flag); the current
state is rebuilt by `replay()` and each new program change is appended as a version row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session as DbSession

from kneehab.domain import course as course_engine
from kneehab.domain.course import Course
from kneehab.domain.escalation import STOPPING, Escalation, EscalationLevel
from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import ItemStatus, Program, ProgramItem, Triage
from kneehab.domain.progression import PAIN_STOP, Action, Decision
from kneehab.domain.records import (
    CheckIn,
    History,
    OutcomeRecord,
    Rescreen,
    Session,
    SessionEntry,
)
from kneehab.domain.screening import screen, screen_checkin, screen_rescreen, symptom_flags
from kneehab.domain.types import Level
from kneehab.errors import InvalidInput
from kneehab.library.load import default_library
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.repo import EntryRecord, EscalationRecord, ProgramVersion


@dataclass(frozen=True)
class Enrollment:
    person_id: int
    triage: Triage
    program: Program | None


@dataclass(frozen=True)
class EntryResult:
    exercise_id: str
    day: date
    paused: bool  # RULES C-13: accepted and flagged
    stop: bool  # P1: pain at or above the stop level, or sharp pain
    message: str


@dataclass(frozen=True)
class CheckInResult:
    decisions: tuple[Decision, ...]  # the decisions dated this check-in's day
    escalation: Escalation
    triage: Triage  # re-screen of the check-in's new symptoms
    new_versions: tuple[int, ...]  # program version numbers written by this check-in
    escalation_id: int | None


@dataclass(frozen=True)
class PainPoint:
    day: date
    morning_pain: int
    avg_pain: int | None


@dataclass(frozen=True)
class Status:
    person_id: int
    today: date
    start: date
    triage: Triage
    reviewed: bool
    program: Program | None
    latest: dict[str, Decision]  # exercise id → its latest decision
    escalation: Escalation  # as of today
    open_escalations: tuple[EscalationRecord, ...]  # recorded and not yet acknowledged
    pain: tuple[PainPoint, ...]
    versions: int


@dataclass(frozen=True)
class HistoryView:
    entries: tuple[EntryRecord, ...]
    checkins: tuple[CheckIn, ...]
    outcomes: tuple[OutcomeRecord, ...]


def _lib(library: Library | None) -> Library:
    return library if library is not None else default_library()


# --- enrolment and the current person -------------------------------------------------------


def enroll(
    db: Database,
    intake: Intake,
    *,
    start: date,
    now: datetime,
    library: Library | None = None,
    replace: int | None = None,
) -> Enrollment:
    """Screen the intake, build the first program and keep both. `replace` deletes that person first."""
    triage = screen(intake)
    program = plan(intake, triage, _lib(library), start=start)
    with db.write() as s:
        if replace is not None:
            repo.delete_person(s, replace)
        pid = repo.add_person(s, start=start, now=now)
        repo.add_intake(s, pid, intake, triage, now=now)
        if program is not None:
            repo.add_program_version(
                s,
                pid,
                program=program,
                effective=start,
                now=now,
                kind="plan",
                actor="planner",
                rules=("D-2", "D-4", *program.pain_ceiling_rules),
                reason=f"Starting program built from the intake (triage: {triage.level.value}).",
            )
    return Enrollment(pid, triage, program)


def current_person_id(db: Database) -> int | None:
    """The single local person (accounts come later; this is the one place that decides)."""
    with db.read() as s:
        return repo.first_person_id(s)


# --- rebuilding the course -------------------------------------------------------------------


def _history(s: DbSession, person_id: int, today: date) -> History:
    """The person's records as of `today` (later, back-dated records are left out of the view)."""
    person = repo.get_person(s, person_id)
    if today < person.start:
        raise InvalidInput(f"today: {today} is before the program start ({person.start})")
    return History(
        intake=repo.latest_intake(s, person_id).intake,
        start=person.start,
        today=today,
        pain_ceiling=person.pain_ceiling,
        morning_tolerance=person.morning_tolerance,
        sessions=tuple(x for x in repo.sessions(s, person_id) if x.date <= today),
        checkins=tuple(c for c in repo.checkins(s, person_id) if c.date <= today),
        outcomes=tuple(o for o in repo.outcomes(s, person_id) if o.date <= today),
        rescreens=tuple(r for r in repo.rescreens(s, person_id) if r.date <= today),
        reviewed=person.reviewed,
    )


def _course(s: DbSession, person_id: int, today: date, library: Library) -> Course:
    return course_engine.replay(_history(s, person_id, today), library)


def course(db: Database, person_id: int, *, today: date, library: Library | None = None) -> Course:
    with db.read() as s:
        return _course(s, person_id, today, _lib(library))


def today_items(
    db: Database, person_id: int, *, today: date, library: Library | None = None
) -> list[ProgramItem]:
    """The exercises scheduled today, at their current doses (none when triage withholds a program)."""
    current = course(db, person_id, today=today, library=library).program
    return current.items_on(today) if current is not None else []


# --- logging sessions ------------------------------------------------------------------------


def _owner(program: Program, exercise_id: str, library: Library) -> ProgramItem | None:
    """The program item an exercise id belongs to: the item itself or a variant on its ladders."""
    owner = course_engine.owners(program, library).get(exercise_id)
    return program.item(owner) if owner is not None else None


def _check_entry(
    entry: SessionEntry, day: date, program: Program | None, library: Library
) -> EntryResult:
    """RULES C-13: what is rejected (InvalidInput naming the field) and what is accepted and flagged."""
    if entry.exercise_id not in library.exercises:
        raise InvalidInput(
            f"exercise_id: '{entry.exercise_id}' is not an exercise in the library (C-13)"
        )
    item = _owner(program, entry.exercise_id, library) if program is not None else None
    if item is None:
        raise InvalidInput(
            f"exercise_id: '{entry.exercise_id}' has never been in your program, so it cannot "
            "be logged (C-13)"
        )
    paused = item.status != ItemStatus.ACTIVE
    stop = not entry.skipped and (entry.pain_during_max >= PAIN_STOP or entry.sharp_pain)
    if stop:
        message = (
            f"Stop {item.name} for today: pain {entry.pain_during_max}/10"
            f"{' with sharp or catching pain' if entry.sharp_pain else ''}. Answer the "
            "warning-sign questions at your next check-in (P1)."
        )
    elif paused:
        message = (
            f"Recorded. {item.name} is {item.status.value} in your program, so this is flagged "
            "for your physio (C-13)."
        )
    else:
        message = "Recorded."
    return EntryResult(entry.exercise_id, day, paused, stop, message)


def save_entry(
    db: Database,
    person_id: int,
    *,
    day: date,
    entry: SessionEntry,
    now: datetime,
    today: date | None = None,
    library: Library | None = None,
) -> EntryResult:
    """Insert or correct one exercise entry. `today` defaults to the date of `now`."""
    return save_session(
        db,
        person_id,
        session=Session(date=day, entries=(entry,)),
        now=now,
        today=today,
        library=library,
    )[0]


def save_session(
    db: Database,
    person_id: int,
    *,
    session: Session,
    now: datetime,
    today: date | None = None,
    library: Library | None = None,
) -> list[EntryResult]:
    """Save every entry of a session, or none of them if any is rejected."""
    lib, today_, day = _lib(library), today or now.date(), session.date
    with db.write() as s:
        start = repo.get_person(s, person_id).start
        if day > today_:
            raise InvalidInput(
                f"date: {day} is after today ({today_}); a session cannot be logged in advance "
                "(C-13)"
            )
        if day < start:
            raise InvalidInput(f"date: {day} is before the program start ({start})")
        # The program as it stood on that day decides what may be logged and what is paused.
        program = _course(s, person_id, day, lib).program
        results = [_check_entry(e, day, program, lib) for e in session.entries]
        for entry, result in zip(session.entries, results, strict=True):
            repo.upsert_entry(s, person_id, day, entry, now=now, paused=result.paused)
    return results


def save_player_state(
    db: Database, person_id: int, *, day: date, state: dict[str, Any], now: datetime
) -> None:
    with db.write() as s:
        repo.get_person(s, person_id)
        repo.set_player_state(s, person_id, day, state, now=now)


def load_player_state(db: Database, person_id: int, *, day: date) -> dict[str, Any] | None:
    with db.read() as s:
        return repo.get_player_state(s, person_id, day)


# --- check-ins -------------------------------------------------------------------------------


def _snapshot_for(course_: Course, day: date) -> Program | None:
    """The program as it stood after the changes of `day` (the latest version dated ≤ day)."""
    dated = [v.program for v in course_.versions if v.date <= day]
    return dated[-1] if dated else course_.program


def _persist_decisions(
    s: DbSession, person_id: int, course_: Course, now: datetime
) -> tuple[int, ...]:
    """Append a version for each program-changing decision not yet recorded (none is rewritten)."""
    known = {(v.effective, v.exercise_id, v.kind) for v in repo.program_versions(s, person_id)}
    written: list[int] = []
    for d in course_.decisions:
        key = (d.date, d.exercise_id, d.action.value)
        if d.action == Action.HOLD or key in known:
            continue
        program = _snapshot_for(course_, d.date)
        if program is None:
            continue
        written.append(
            repo.add_program_version(
                s,
                person_id,
                program=program,
                effective=d.date,
                now=now,
                kind=d.action.value,
                actor=f"rule {d.rules[0]}" if d.rules else "rules",
                rules=d.rules,
                reason=d.reason,
                exercise_id=d.exercise_id,
                from_dose=d.from_dose,
                to_dose=d.to_dose,
            )
        )
        known.add(key)
    return tuple(written)


def _persist_escalation(s: DbSession, person_id: int, esc: Escalation, now: datetime) -> int | None:
    """Record the day's escalation when there is one (and the day has none yet); its id or None."""
    if esc.level == EscalationLevel.NONE:
        return None
    return repo.add_escalation(
        s,
        person_id,
        day=esc.date,
        level=esc.level.value,
        rules=esc.rules,
        message=esc.message,
        now=now,
    )


def check_in(
    db: Database,
    person_id: int,
    checkin: CheckIn,
    *,
    today: date,
    now: datetime,
    library: Library | None = None,
) -> CheckInResult:
    """Record the morning check-in, then the decisions and escalation it leads to (one transaction)."""
    lib = _lib(library)
    if checkin.date > today:
        raise InvalidInput(f"date: {checkin.date} is after today ({today}) (C-13)")
    with db.write() as s:
        if repo.has_checkin(s, person_id, checkin.date):
            raise InvalidInput(f"date: a check-in for {checkin.date} is already recorded")
        intake = repo.latest_intake(s, person_id).intake
        repo.add_checkin(s, person_id, checkin, now=now)
        result = _course(s, person_id, checkin.date, lib)
        versions = _persist_decisions(s, person_id, result, now)
        esc_id = _persist_escalation(s, person_id, result.escalation, now)
    todays = tuple(d for d in result.decisions if d.date == checkin.date)
    triage = screen_checkin(checkin, intake)
    return CheckInResult(todays, result.escalation, triage, versions, esc_id)


# --- outcomes, status, history ---------------------------------------------------------------


def record_outcome(
    db: Database, person_id: int, outcome: OutcomeRecord, *, today: date, now: datetime
) -> int:
    if outcome.date > today:
        raise InvalidInput(f"date: {outcome.date} is after today ({today})")
    with db.write() as s:
        repo.get_person(s, person_id)
        return repo.add_outcome(s, person_id, outcome, now=now)


def status(db: Database, person_id: int, *, today: date, library: Library | None = None) -> Status:
    with db.read() as s:
        past = _history(s, person_id, today)
        triage = repo.latest_intake(s, person_id).triage
        open_ = tuple(e for e in repo.escalations(s, person_id) if e.acknowledged_at is None)
        versions = repo.count_program_versions(s, person_id)
    current = course_engine.replay(past, _lib(library))
    return Status(
        person_id=person_id,
        today=today,
        start=past.start,
        triage=triage,
        reviewed=past.reviewed,
        program=current.program,
        latest={d.exercise_id: d for d in current.decisions},  # the last one of each wins
        escalation=current.escalation,
        open_escalations=open_,
        pain=tuple(PainPoint(c.date, c.morning_pain, c.avg_pain) for c in past.checkins),
        versions=versions,
    )


def history(db: Database, person_id: int) -> HistoryView:
    with db.read() as s:
        repo.get_person(s, person_id)
        return HistoryView(
            tuple(repo.entries(s, person_id)),
            repo.checkins(s, person_id),
            repo.outcomes(s, person_id),
        )


def program_versions(db: Database, person_id: int) -> list[ProgramVersion]:
    with db.read() as s:
        repo.get_person(s, person_id)
        return repo.program_versions(s, person_id)


# --- export ----------------------------------------------------------------------------------

EXPORT_FORMAT = "kneehab-person-export"
CSV_COLUMNS = (
    "date",
    "record",
    "exercise_id",
    "side",
    "sets_done",
    "reps",
    "hold_s",
    "load_kg",
    "step_cm",
    "minutes",
    "pain_during_max",
    "effort",
    "rir",
    "sharp_pain",
    "skipped",
    "skip_reason",
    "paused_when_logged",
    "morning_pain",
    "morning_stiffness",
    "avg_pain",
    "new_symptoms",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(db: Database, person_id: int) -> dict[str, Any]:
    """Everything kept about a person, JSON-able and deterministic (no clock read here)."""
    with db.read() as s:
        p = repo.get_person(s, person_id)
        data: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "format_version": 1,
            "person": {
                "id": p.id,
                "created_at": _iso(p.created_at),
                "start": p.start.isoformat(),
                "pain_ceiling": p.pain_ceiling,
                "morning_tolerance": p.morning_tolerance,
                "reviewed": p.reviewed,
                "reviewed_at": _iso(p.reviewed_at),
                "reviewed_by": p.reviewed_by,
            },
            "intakes": [
                {
                    "recorded_at": _iso(i.recorded_at),
                    "intake": i.intake.model_dump(mode="json"),
                    "triage": i.triage.model_dump(mode="json"),
                }
                for i in repo.intakes(s, person_id)
            ],
            "program_versions": [
                {
                    "version": v.version,
                    "effective": v.effective.isoformat(),
                    "created_at": _iso(v.created_at),
                    "kind": v.kind,
                    "actor": v.actor,
                    "rules": list(v.rules),
                    "reason": v.reason,
                    "exercise_id": v.exercise_id,
                    "from": v.from_dose.as_dict() if v.from_dose else None,
                    "to": v.to_dose.as_dict() if v.to_dose else None,
                    "program": v.program.model_dump(mode="json"),
                }
                for v in repo.program_versions(s, person_id)
            ],
            "session_entries": [
                {
                    "date": e.day.isoformat(),
                    **e.entry.model_dump(mode="json"),
                    "paused_when_logged": e.paused_when_logged,
                    "recorded_at": _iso(e.recorded_at),
                }
                for e in repo.entries(s, person_id)
            ],
            "checkins": [c.model_dump(mode="json") for c in repo.checkins(s, person_id)],
            "outcomes": [o.model_dump(mode="json") for o in repo.outcomes(s, person_id)],
            "rescreens": [
                {
                    **r.rescreen.model_dump(mode="json"),
                    "triage": r.triage.model_dump(mode="json"),
                    "recorded_at": _iso(r.recorded_at),
                }
                for r in repo.rescreen_records(s, person_id)
            ],
            "escalations": [
                {
                    "id": e.id,
                    "date": e.day.isoformat(),
                    "level": e.level,
                    "rules": list(e.rules),
                    "message": e.message,
                    "created_at": _iso(e.created_at),
                    "seen_at": _iso(e.seen_at),
                    "acknowledged_at": _iso(e.acknowledged_at),
                    "acknowledged_by": e.acknowledged_by,
                }
                for e in repo.escalations(s, person_id)
            ],
        }
    return data


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value)
    return str(value)


def export_csv(db: Database, person_id: int) -> str:
    """Sessions and check-ins as one CSV, oldest first (a session's entries before that day's check-in)."""
    view = history(db, person_id)
    rows: list[tuple[date, int, dict[str, object]]] = []
    for e in view.entries:
        data = e.entry.model_dump()
        data.update(date=e.day, record="session", paused_when_logged=e.paused_when_logged)
        rows.append((e.day, 0, data))
    for c in view.checkins:
        rows.append((c.date, 1, {**c.model_dump(), "record": "checkin"}))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for _day, _order, data in sorted(rows, key=lambda r: (r[0], r[1])):
        writer.writerow([_cell(data.get(col)) for col in CSV_COLUMNS])
    return out.getvalue()


# --- escalations, review, deletion -----------------------------------------------------------


def mark_escalations_seen(
    db: Database, person_id: int, escalation_ids: list[int], *, now: datetime
) -> None:
    with db.write() as s:
        for esc_id in escalation_ids:
            repo.mark_escalation_seen(s, person_id, esc_id, now=now)


def acknowledge_escalation(
    db: Database, person_id: int, escalation_id: int, *, now: datetime, by: str = "person"
) -> None:
    with db.write() as s:
        repo.acknowledge_escalation(s, person_id, escalation_id, now=now, by=by)


def mark_reviewed(db: Database, person_id: int, *, now: datetime, by: str = "clinician") -> None:
    """D-2: the clinician has done the `soon` review, so progression may start."""
    with db.write() as s:
        repo.set_reviewed(s, person_id, now=now, by=by)


def delete_person(db: Database, person_id: int) -> None:
    with db.write() as s:
        repo.delete_person(s, person_id)


# --- re-screening (web: "Stop — it hurts" and the full re-screen, RULES §1.1, P1) ---------------


def rescreen(
    db: Database,
    person_id: int,
    *,
    flags: list[str] | tuple[str, ...] = (),
    symptoms: list[str] | tuple[str, ...] = (),
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    new_injury: bool = False,
    now: datetime,
    today: date | None = None,
    library: Library | None = None,
) -> Triage:
    """Re-ask the red flags (answers and/or symptom words, RULES C-14) and keep the answers as a
    re-screen dated `today` (default: the date of `now`). The intake stays as it was given; the
    answers act from `today` on (RULES §1.1, D-2, C-10): a stopping tier stops every exercise from
    that day and locks the program until a clinician clears it (the stop versions and the day's
    escalation are written in the same transaction); `soon` holds progression from that day until
    a clinician has reviewed the program. Returns the triage of what was reported now."""
    day = today or now.date()
    with db.write() as s:
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
            )
        except ValidationError as err:
            raise InvalidInput(f"flags: {err.errors()[0]['msg']}") from err
        answered = screen_rescreen(record)
        repo.add_rescreen(s, person_id, record, answered, now=now)
        if answered.level != Level.OK and day >= person.start:
            result = _course(s, person_id, day, _lib(library))
            if answered.level in STOPPING:
                _persist_decisions(s, person_id, result, now)
            _persist_escalation(s, person_id, result.escalation, now)
    return answered


# --- the short re-screen before each day's session (RULES §1.1; web: /today/check) --------------
# The answers are kept with that day's player state (one row per person and day) under this key; the
# player's own saves go through `save_player_position`, which keeps them.

SESSION_CHECK_KEY = "session_check"


def session_check(db: Database, person_id: int, *, day: date) -> dict[str, Any] | None:
    """Today's pre-session answers, or None when they have not been given yet."""
    state = load_player_state(db, person_id, day=day)
    found = state.get(SESSION_CHECK_KEY) if state else None
    return dict(found) if isinstance(found, dict) else None


def save_session_check(
    db: Database,
    person_id: int,
    *,
    day: date,
    answers: dict[str, bool],
    new_injury: bool,
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    now: datetime,
) -> Triage:
    """Save the day's short red-flag answers; any yes goes through `rescreen` (kept as a re-screen
    dated `day`). `cleared` stays false after a yes until the full re-screen has been answered
    (`clear_session_check`)."""
    flags = sorted(k for k, v in answers.items() if v)
    triage = rescreen(
        db,
        person_id,
        flags=flags,
        cold_foot=cold_foot,
        chest_symptoms=chest_symptoms,
        new_injury=new_injury,
        now=now,
        today=day,
    )
    record = {
        "answers": dict(sorted(answers.items())),
        "new_injury": new_injury,
        "cold_foot": cold_foot,
        "chest_symptoms": chest_symptoms,
        "level": triage.level.value,
        "rules": list(triage.rules),
        "answered_at": now.isoformat(),
        "cleared": not (flags or new_injury or cold_foot or chest_symptoms),
    }
    with db.write() as s:
        state = repo.get_player_state(s, person_id, day) or {}
        state[SESSION_CHECK_KEY] = record
        repo.set_player_state(s, person_id, day, state, now=now)
    return triage


def clear_session_check(db: Database, person_id: int, *, day: date, now: datetime) -> None:
    """The full re-screen was answered after a yes today and found no stopping sign."""
    with db.write() as s:
        state = repo.get_player_state(s, person_id, day)
        if state and isinstance(state.get(SESSION_CHECK_KEY), dict):
            check = {**state[SESSION_CHECK_KEY], "cleared": True, "cleared_at": now.isoformat()}
            repo.set_player_state(s, person_id, day, {**state, SESSION_CHECK_KEY: check}, now=now)


def save_player_position(
    db: Database, person_id: int, *, day: date, state: dict[str, Any], now: datetime
) -> None:
    """Save the player's state for the day, keeping that day's safety answers (the client cannot
    change or drop them)."""
    with db.write() as s:
        repo.get_person(s, person_id)
        kept = (repo.get_player_state(s, person_id, day) or {}).get(SESSION_CHECK_KEY)
        new = {k: v for k, v in state.items() if k != SESSION_CHECK_KEY}
        if kept is not None:
            new[SESSION_CHECK_KEY] = kept
        repo.set_player_state(s, person_id, day, new, now=now)


def record_outcomes(
    db: Database,
    person_id: int,
    outcomes: list[OutcomeRecord] | tuple[OutcomeRecord, ...],
    *,
    today: date,
    now: datetime,
) -> list[int]:
    """Several outcome measures of one sitting, all saved or none (RULES D-3, §6)."""
    late = [o for o in outcomes if o.date > today]
    if late:
        raise InvalidInput(f"date: {late[0].date} is after today ({today})")
    with db.write() as s:
        repo.get_person(s, person_id)
        return [repo.add_outcome(s, person_id, o, now=now) for o in outcomes]
