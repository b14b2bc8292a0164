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
from kneehab.domain.progression import PAIN_STOP, Decision
from kneehab.domain.records import (
    CheckIn,
    ClinicianAction,
    History,
    OfferAnswer,
    OutcomeRecord,
    Rescreen,
    Session,
    SessionEntry,
    SwapChoice,
)
from kneehab.domain.screening import screen, screen_checkin, screen_rescreen, symptom_flags
from kneehab.domain.types import Level
from kneehab.errors import InvalidInput
from kneehab.exports.plan_json import item_to_json, program_to_json, triage_to_json
from kneehab.library.load import default_library
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.repo import EntryRecord, EscalationRecord, ProgramVersion


@dataclass(frozen=True)
class Enrollment:
    person_id: int
    triage: Triage
    program: Program | None


# The rule book this kneehab applies (RULES v2). People stored under an earlier one are moved to it
# by `upgrade_rules()` with a dated `rules-v2` program version (ADR 0004).
RULES_VERSION = 2
RULES_V2_KIND = "rules-v2"


@dataclass(frozen=True)
class EntryResult:
    exercise_id: str
    day: date
    paused: bool  # RULES C-13: accepted and flagged `logged_while_paused`
    stop: bool  # P1: pain at or above the stop level, or sharp pain
    message: str  # plain words, no rule id (D-13)
    not_in_session: bool = False  # C-13: a swap or an offered option, outside the session
    rules: tuple[str, ...] = ()  # the rules behind the message, shown apart (D-13)


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
    rules_updates: tuple[ProgramVersion, ...] = ()  # the dated `rules-v2` events (ADR 0004)


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
        pid = repo.add_person(s, start=start, now=now, rules_version=RULES_VERSION)
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
                rules=tuple(
                    dict.fromkeys(("D-2", "D-4", "D-10", "C-8", *program.pain_ceiling_rules))
                ),
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
    swaps, offers, clinician = repo.events(s, person_id)
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
        swaps=tuple(x for x in swaps if x.date <= today),
        offers=tuple(x for x in offers if x.date <= today),
        clinician=tuple(x for x in clinician if x.date <= today),
    )


def _course(s: DbSession, person_id: int, today: date, library: Library) -> Course:
    try:
        return course_engine.replay(_history(s, person_id, today), library)
    except course_engine.HistoryMismatch as exc:  # C-13: a record that does not fit the program
        raise InvalidInput(str(exc)) from None


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
    """RULES C-13 (v2): what is rejected (InvalidInput naming the field) and what is accepted and
    flagged (`logged_while_paused`; `not_in_session` for a swap or an offered option)."""
    ex_id = entry.exercise_id
    if ex_id not in library.exercises:
        raise InvalidInput(f"exercise_id: '{ex_id}' is not an exercise in the library")
    item = _owner(program, ex_id, library) if program is not None else None
    outside = program is not None and item is None and ex_id in _swap_or_offered(program)
    if item is None and not outside:
        raise InvalidInput(
            f"exercise_id: '{ex_id}' is neither in your program nor on your swap or offered list"
        )
    name = item.name if item is not None else library.get(ex_id).name
    paused = item is not None and item.status != ItemStatus.ACTIVE
    stop = not entry.skipped and (entry.pain_during_max >= PAIN_STOP or entry.sharp_pain)
    rules: tuple[str, ...] = ()
    if stop:
        message = (
            f"Stop {name} for today: pain {entry.pain_during_max}/10"
            f"{' with sharp or catching pain' if entry.sharp_pain else ''}. Answer the "
            "warning-sign questions again before you exercise."
        )
        rules = ("P1", "§1.1")
    elif paused and item is not None:
        message = (
            f"Recorded. {name} is {item.status.value} in your program, so this is noted for "
            "your physio and does not change your program."
        )
        rules = ("C-13",)
    elif outside:
        message = (
            f"Recorded. {name} is not in your session (it is one you may choose instead), so "
            "this is noted for your physio and does not change your program."
        )
        rules = ("C-13", "D-10")
    else:
        message = "Recorded."
    return EntryResult(ex_id, day, paused, stop, message, not_in_session=outside, rules=rules)


def _swap_or_offered(program: Program) -> set[str]:
    """C-13 (v2): the swaps (D-10) and the later options offered now or in the program (D-12)."""
    ids = {sw.item.exercise_id for sw in program.swaps}
    ids |= {o.exercise_id for o in program.later_options if o.state in ("offered", "in_program")}
    return ids


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
        _ensure_rules(s, person_id, today_, now, lib)
        start = repo.get_person(s, person_id).start
        if day > today_:
            raise InvalidInput(
                f"date: {day} is after today ({today_}); a session cannot be logged in advance"
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


def _decision_for(
    course_: Course, day: date, exercise_id: str | None, kind: str
) -> Decision | None:
    for d in course_.decisions:
        if d.date == day and d.exercise_id == exercise_id and d.action.value == kind:
            return d
    return None


def _persist_decisions(
    s: DbSession, person_id: int, course_: Course, now: datetime
) -> tuple[int, ...]:
    """Append each program version of the replay (C-18: progress, regress, pause, stop, resume,
    phase, unlock, swap, clinician) not yet recorded; none is rewritten, and nothing dated before
    the person's move to rule book v2 is added (ADR 0004)."""
    stored = repo.program_versions(s, person_id)
    known = {(v.effective, v.exercise_id, v.kind) for v in stored}
    floor = max((v.effective for v in stored if v.kind == RULES_V2_KIND), default=None)
    written: list[int] = []
    for v in course_.versions:
        key = (v.date, v.exercise_id, v.kind)
        if v.kind == "plan" or key in known or (floor is not None and v.date < floor):
            continue
        d = _decision_for(course_, v.date, v.exercise_id, v.kind)
        written.append(
            repo.add_program_version(
                s,
                person_id,
                program=v.program,
                effective=v.date,
                now=now,
                kind=v.kind,
                actor=f"rule {v.rules[0]}" if v.rules else "rules",
                rules=v.rules,
                reason=v.reason,
                exercise_id=v.exercise_id,
                from_dose=d.from_dose if d else None,
                to_dose=d.to_dose if d else None,
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
        raise InvalidInput(f"date: {checkin.date} is after today ({today})")
    with db.write() as s:
        if repo.has_checkin(s, person_id, checkin.date):
            raise InvalidInput(f"date: a check-in for {checkin.date} is already recorded")
        _ensure_rules(s, person_id, today, now, lib)
        intake = repo.latest_intake(s, person_id).intake
        repo.add_checkin(s, person_id, checkin, now=now)
        result = _course(s, person_id, checkin.date, lib)
        versions = _persist_decisions(s, person_id, result, now)
        esc_id = _persist_escalation(s, person_id, result.escalation, now)
    todays = tuple(d for d in result.decisions if d.date == checkin.date)
    triage = screen_checkin(checkin, intake)
    return CheckInResult(todays, result.escalation, triage, versions, esc_id)


# --- the contract of a course: `kneehab progress --json` and the API say the same -----------------


def course_json(course_: Course, today: date) -> dict[str, Any]:
    """EXAMPLES' Progress JSON: today, triage, decisions, escalation, prescription (= the
    program's exercises), pain_ceiling, progression_held, versions (kind, exercise_id, replaces),
    baseline_pain and the full program as of `today`, serialised as `kneehab plan --json` does."""
    program = course_.program
    return {
        "today": today.isoformat(),
        "triage": triage_to_json(course_.triage),
        "decisions": [d.as_json() for d in course_.decisions],
        "escalation": course_.escalation.as_json(),
        "prescription": [item_to_json(i) for i in program.items] if program else [],
        "pain_ceiling": program.pain_ceiling if program else None,
        "progression_held": course_.progression_held if program else None,
        "versions": [v.as_json() for v in course_.versions],
        "baseline_pain": course_.baseline_pain,
        "program": program_to_json(program) if program else None,
    }


def history_of(db: Database, person_id: int, *, today: date) -> History:
    """The person's records as a history file (`kneehab progress --history` replays it)."""
    with db.read() as s:
        return _history(s, person_id, today)


# --- moving stored courses to rule book v2 (ADR 0004) -----------------------------------------


@dataclass(frozen=True)
class RulesUpgrade:
    person_id: int
    day: date
    version: int | None  # the `rules-v2` program version written, None when there is no program
    reason: str
    rules: tuple[str, ...]


def _status_words(item: ProgramItem) -> str:
    return {ItemStatus.PAUSED: "paused", ItemStatus.STOPPED: "stopped"}.get(
        item.status, "in your session"
    )


def _pain_limit_words(old: Program | None, new: Program, baseline: int | None) -> str:
    was = f" (it was {old.pain_ceiling})" if old and old.pain_ceiling != new.pain_ceiling else ""
    if baseline is not None and baseline >= new.pain_ceiling and new.pain_ceiling > 3:
        why = f", because your usual morning pain is {baseline}"
    elif new.acute:
        why = ", the lower limit for the first weeks after an injury"
    else:
        why = ""
    if old is not None and old.pain_ceiling == new.pain_ceiling:
        return f"Your pain limit stays at {new.pain_ceiling} out of 10{why}."
    return f"Your pain limit is now {new.pain_ceiling} out of 10{was}{why}."


def rules_v2_changes(
    old: Program | None, new: Program, *, baseline: int | None, tolerance_was: int
) -> tuple[str, tuple[str, ...]]:
    """What moving to rule book v2 changes for one person, in plain words (no rule id inside a
    sentence, D-13), and the rule ids apart."""
    lines = ["kneehab now follows its updated exercise rules."]
    rules: list[str] = ["C-18", "D-1"]
    lines.append(_pain_limit_words(old, new, baseline))
    if baseline is not None:
        lines.append(
            f"Your usual morning pain is now worked out from your recent morning check-ins: "
            f"it is {baseline} out of 10 today."
        )
        rules.append("C-5")
    if tolerance_was == 0:
        lines.append(
            "A morning counts as worse than usual when your pain is more than 1 point above "
            "your usual pain."
        )
    base = len(lines)
    before = {i.exercise_id: i for i in old.items} if old else {}
    for item in new.items:
        was = before.get(item.exercise_id)
        if was is None:
            lines.append(f"{item.name} is now in your program: {item.dose_text}.")
            continue
        if was.status != item.status:
            if item.status == ItemStatus.ACTIVE:
                lines.append(
                    f"{item.name} is back in your session at {item.dose_text}: an exercise is "
                    "now paused only when its lower dose keeps hurting, and a pause ends by "
                    "itself after three good mornings."
                )
                rules.extend(("P5", "P10"))
            else:
                lines.append(f"{item.name} is {_status_words(item)} for now.")
        elif was.dose != item.dose:
            lines.append(f"{item.name} is now {item.dose_text} (it was {was.dose_text}).")
    swap_ids = {sw.item.exercise_id for sw in new.swaps}
    gone = [i for i in (old.items if old else ()) if new.item(i.exercise_id) is None]
    to_swaps = [i.name for i in gone if i.exercise_id in swap_ids]
    left = [i.name for i in gone if i.exercise_id not in swap_ids]
    if to_swaps:
        lines.append(
            f"Your session now holds at most {new.session_cap} exercises besides the aerobic ones. "
            f"{_names(to_swaps)} {'is' if len(to_swaps) == 1 else 'are'} now among the exercises "
            "you can choose instead of one in your session."
        )
        rules.append("D-10")
    if left:
        lines.append(f"{_names(left)} {'is' if len(left) == 1 else 'are'} left out for now.")
    if new.progression_held and not (old and old.progression_held):
        lines.append("Your exercises will not step up for now.")
    elif old is not None and old.progression_held and not new.progression_held:
        lines.append("Your exercises can step up again when they are ready.")
    if len(lines) == base:
        lines.append("Nothing else in your program changes.")
    return " ".join(lines), tuple(dict.fromkeys(rules))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _upgrade_person(
    s: DbSession, person_id: int, day: date, now: datetime, library: Library
) -> RulesUpgrade | None:
    """Move one person stored under rule book v1 to v2 from `day` (ADR 0004). Nothing stored is
    rewritten: the v1 rows stay as the person saw them; one `rules-v2` version dated `day`
    explains what changes."""
    person = repo.get_person(s, person_id)
    if person.rules_version >= RULES_VERSION:
        return None
    day = max(day, person.start)
    tolerance_was = person.morning_tolerance
    if tolerance_was == 0:  # v1 stored 0 for everyone (its default, not a clinician's choice)
        repo.set_morning_tolerance(s, person_id, 1)
    old = repo.latest_program(s, person_id)
    result = _course(s, person_id, day, library)
    repo.set_rules_version(s, person_id, RULES_VERSION)
    new = result.program
    if new is None:
        if old is None:
            return RulesUpgrade(person_id, day, None, "", ())
        stopped = tuple(i.model_copy(update={"status": ItemStatus.STOPPED}) for i in old.items)
        reason = (
            "kneehab now follows its updated exercise rules, and they give you no exercises "
            f"for now. {result.triage.message}"
        )
        rules: tuple[str, ...] = ("C-18", "D-2", *result.triage.rules)
        snapshot = old.model_copy(update={"items": stopped})
    else:
        reason, rules = rules_v2_changes(
            old, new, baseline=result.baseline_pain, tolerance_was=tolerance_was
        )
        snapshot = new
    version = repo.add_program_version(
        s,
        person_id,
        program=snapshot,
        effective=day,
        now=now,
        kind=RULES_V2_KIND,
        actor="rule book v2",
        rules=tuple(dict.fromkeys(rules)),
        reason=reason,
    )
    return RulesUpgrade(person_id, day, version, reason, tuple(dict.fromkeys(rules)))


def upgrade_rules(
    db: Database, *, today: date, now: datetime, library: Library | None = None
) -> list[RulesUpgrade]:
    """Move every person stored under an earlier rule book to v2 from `today`, one transaction per
    person; people already on v2 are left alone, so running it again changes nothing."""
    lib = _lib(library)
    with db.read() as s:
        ids = repo.person_ids(s)
    done: list[RulesUpgrade] = []
    for pid in ids:
        with db.write() as s:
            found = _upgrade_person(s, pid, today, now, lib)
        if found is not None:
            done.append(found)
    return done


def _ensure_rules(s: DbSession, person_id: int, day: date, now: datetime, library: Library) -> None:
    """A write for a person still on rule book v1 moves them to v2 first (same transaction)."""
    if repo.get_person(s, person_id).rules_version < RULES_VERSION:
        _upgrade_person(s, person_id, day, now, library)


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
        stored = repo.program_versions(s, person_id)
    versions = len(stored)
    updates = tuple(v for v in stored if v.kind == RULES_V2_KIND and v.effective <= today)
    current = course_engine.replay(past, _lib(library))
    return Status(
        person_id=person_id,
        today=today,
        start=past.start,
        triage=triage,
        reviewed=past.reviewed or any(c.action in ("review", "assessment") for c in past.clinician),
        program=current.program,
        # The last one of each wins; for a course moved to v2, only decisions from that day on
        # (earlier ones are the recorded versions, ADR 0004).
        latest={
            d.exercise_id: d
            for d in current.decisions
            if not updates or d.date >= max(u.effective for u in updates)
        },
        escalation=current.escalation,
        open_escalations=open_,
        pain=tuple(PainPoint(c.date, c.morning_pain, c.avg_pain) for c in past.checkins),
        versions=versions,
        rules_updates=updates,
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
            "course_events": _events_json(s, person_id),
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


def _events_json(s: DbSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """The v2 dated events in the history-file shape (EXAMPLES contract)."""
    swaps, offers, clinician = repo.events(s, person_id)
    return {
        "swaps": [x.model_dump(mode="json", by_alias=True) for x in swaps],
        "offers": [x.model_dump(mode="json") for x in offers],
        "clinician": [x.model_dump(mode="json") for x in clinician],
    }


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


def _record_event(
    db: Database,
    person_id: int,
    event: repo.CourseEvent,
    *,
    today: date,
    now: datetime,
    by: str | None = None,
    library: Library | None = None,
) -> tuple[int, ...]:
    """Keep one dated v2 event (a swap, an offer answer, a clinician action) and append the program
    versions it leads to, in one transaction; an event the program cannot take (a swap that is not
    on the list, one while locked…) is refused naming the field and nothing is kept."""
    lib = _lib(library)
    if event.date > today:
        raise InvalidInput(f"date: {event.date} is after today ({today})")
    with db.write() as s:
        _ensure_rules(s, person_id, today, now, lib)
        if event.date < repo.get_person(s, person_id).start:
            raise InvalidInput(f"date: {event.date} is before the program start")
        repo.add_event(s, person_id, event, now=now, by=by)
        result = _course(s, person_id, today, lib)
        return _persist_decisions(s, person_id, result, now)


def choose_swap(
    db: Database,
    person_id: int,
    *,
    swap_in: str,
    swap_out: str,
    day: date,
    now: datetime,
    library: Library | None = None,
) -> tuple[int, ...]:
    """RULES D-10: the person swaps a session exercise for one of their swaps, from `day`."""
    choice = SwapChoice.model_validate({"date": day, "in": swap_in, "out": swap_out})
    return _record_event(db, person_id, choice, today=day, now=now, library=library)


def answer_offer(
    db: Database,
    person_id: int,
    *,
    exercise_id: str,
    answer: str,
    day: date,
    now: datetime,
    library: Library | None = None,
) -> tuple[int, ...]:
    """RULES D-12: the answer to "Ready to try: X" (`accept` or `not_now`)."""
    try:
        record = OfferAnswer.model_validate(
            {"date": day, "exercise_id": exercise_id, "answer": answer}
        )
    except ValidationError as err:
        raise InvalidInput(f"answer: {err.errors()[0]['msg']}") from None
    current = course(db, person_id, today=day, library=library).program
    later = current.later_options if current is not None else ()
    offered = [o.exercise_id for o in later if o.state == "offered"]
    if exercise_id not in offered:
        raise InvalidInput(
            f"exercise_id: '{exercise_id}' is not offered to you now "
            f"(offered: {', '.join(offered) or 'none'})"
        )
    return _record_event(db, person_id, record, today=day, now=now, library=library)


def clinician_action(
    db: Database,
    person_id: int,
    action: ClinicianAction,
    *,
    today: date,
    now: datetime,
    by: str,
    library: Library | None = None,
) -> tuple[int, ...]:
    """RULES D-7: one dated clinician action (review, assessment, set_ceiling, resume …) with its
    reason; it acts from its date on and earlier decisions stay as they were."""
    return _record_event(db, person_id, action, today=today, now=now, by=by, library=library)


def mark_reviewed(
    db: Database,
    person_id: int,
    *,
    now: datetime,
    by: str = "clinician",
    today: date | None = None,
    reason: str = "Program reviewed by a clinician.",
) -> None:
    """D-2, D-7: a clinician review dated `today` (default: the date of `now`). It ends the states
    that wait for a clinician from that day on; decisions before it stay as they were."""
    day = today or now.date()
    review = ClinicianAction(date=day, action="review", reason=reason)
    _record_event(db, person_id, review, today=day, now=now, by=by)


def delete_person(db: Database, person_id: int) -> None:
    """Delete everything about a person, and leave none of it readable on disk (the web, the API
    and the CLI all come here)."""
    with db.write() as s:
        repo.delete_person(s, person_id)
    db.forget_deleted()


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
        _ensure_rules(s, person_id, day, now, _lib(library))
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
    full_set_due: bool = False,
    now: datetime,
) -> Triage:
    """Save the day's short red-flag answers; any yes goes through `rescreen` (kept as a re-screen
    dated `day`). `cleared` stays false after a yes — or when the full set is due today (RULES
    §1.1: the day after a stop, a big rise, a new injury or swelling, and weekly) — until the full
    re-screen has been answered (`clear_session_check`)."""
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
        "cleared": not (flags or new_injury or cold_foot or chest_symptoms or full_set_due),
        "full_set_due": full_set_due,
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
