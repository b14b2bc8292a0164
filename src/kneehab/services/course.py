"""Reading a person's course: the current program, today's exercises, status and history views,
and the Progress JSON contract (`kneehab progress --json` and the API say the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kneehab.access import Action
from kneehab.domain.course import Course
from kneehab.domain.escalation import Escalation
from kneehab.domain.exercise import Library
from kneehab.domain.program import Program, ProgramItem, Triage
from kneehab.domain.progression import Decision
from kneehab.domain.records import CheckIn, History, OutcomeRecord
from kneehab.exports.plan_json import item_to_json, program_to_json, triage_to_json
from kneehab.services.acting import Acting, authorize
from kneehab.services.audit import machine_read
from kneehab.services.replay import RULES_V2_KIND, course_in, head_in, history_in
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.repo import EntryRecord, EscalationRecord, ProgramChange, ProgramVersion


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


def course(db: Database, who: Acting, *, today: date, library: Library) -> Course:
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        found = course_in(s, person_id, today, library)
    machine_read(db, who, "course")  # kneehab today, program, … on the machine
    return found


def today_items(db: Database, who: Acting, *, today: date, library: Library) -> list[ProgramItem]:
    """The exercises scheduled today, at their current doses (none when triage withholds a program)."""
    current = course(db, who, today=today, library=library).program
    return current.items_on(today) if current is not None else []


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


def history_of(db: Database, who: Acting, *, today: date) -> History:
    """The person's records as a history file (`kneehab progress --history` replays it)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        found = history_in(s, person_id, today)
    machine_read(db, who, "history")
    return found


def history_head_of(db: Database, who: Acting, *, today: date) -> History:
    """The person's intake, start and settings as of `today`, without their records (a page that
    needs the start date or the goals reads the same at any course length)."""
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return head_in(s, who.person_id, today)


def status(db: Database, who: Acting, *, today: date, library: Library) -> Status:
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        current = course_in(s, person_id, today, library)  # from the person's snapshot
        person = repo.get_person(s, person_id)
        checkins = tuple(c for c in repo.checkins(s, person_id) if c.date <= today)
        clinician = tuple(c for c in repo.events(s, person_id)[2] if c.date <= today)
        triage = repo.latest_intake(s, person_id).triage
        open_ = tuple(e for e in repo.escalations(s, person_id) if e.acknowledged_at is None)
        stored = repo.program_versions(s, person_id)
    machine_read(db, who, "status")
    versions = len(stored)
    updates = tuple(v for v in stored if v.kind == RULES_V2_KIND and v.effective <= today)
    return Status(
        person_id=person_id,
        today=today,
        start=person.start,
        triage=triage,
        reviewed=person.reviewed or any(c.action in ("review", "assessment") for c in clinician),
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
        pain=tuple(PainPoint(c.date, c.morning_pain, c.avg_pain) for c in checkins),
        versions=versions,
        rules_updates=updates,
    )


def history(db: Database, who: Acting) -> HistoryView:
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        repo.get_person(s, person_id)
        view = HistoryView(
            tuple(repo.entries(s, person_id)),
            repo.checkins(s, person_id),
            repo.outcomes(s, person_id),
        )
    machine_read(db, who, "history")
    return view


def entries_of_day(db: Database, who: Acting, *, day: date) -> tuple[EntryRecord, ...]:
    """The entries logged for `day` (only that day's rows are read: a page of today costs the same
    at any course length)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        repo.get_person(s, person_id)
        after = repo.entries(s, person_id, after=day - timedelta(days=1))
        return tuple(r for r in after if r.day == day)


def history_of_start(db: Database, who: Acting) -> datetime:
    """When this person's record was made (its audit trail starts there)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return repo.get_person(s, person_id).created_at


def program_changes(
    db: Database, who: Acting, *, kind: str | None = None, effective: date | None = None
) -> list[ProgramChange]:
    """The person's program versions without their programs (a page that shows what changed): all
    of them, or only those of `kind` or effective on `effective`."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        repo.get_person(s, person_id)
        return repo.program_changes(s, person_id, kind=kind, effective=effective)


def program_versions(db: Database, who: Acting) -> list[ProgramVersion]:
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        repo.get_person(s, person_id)
        return repo.program_versions(s, person_id)
