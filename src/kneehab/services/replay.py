"""Rebuilding a person's course from the stored records, and appending what a replay decided.

Every use-case that needs the course goes through `course_in()` inside its own transaction, so what
it checks and what it writes see the same records.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.domain import course as course_engine
from kneehab.domain.course import Course
from kneehab.domain.escalation import Escalation, EscalationLevel
from kneehab.domain.exercise import Library
from kneehab.domain.progression import Decision
from kneehab.domain.records import History
from kneehab.errors import InvalidInput
from kneehab.store import repo

# The rule book this kneehab applies (RULES v2). People stored under an earlier one are moved to it
# by `rules_upgrade.upgrade_rules()` with a dated `rules-v2` program version (ADR 0004).
RULES_VERSION = 2
RULES_V2_KIND = "rules-v2"


def history_in(s: DbSession, person_id: int, today: date) -> History:
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


def course_in(s: DbSession, person_id: int, today: date, library: Library) -> Course:
    try:
        return course_engine.replay(history_in(s, person_id, today), library)
    except course_engine.HistoryMismatch as exc:  # C-13: a record that does not fit the program
        raise InvalidInput(str(exc)) from None


def _decision_for(
    course_: Course, day: date, exercise_id: str | None, kind: str
) -> Decision | None:
    for d in course_.decisions:
        if d.date == day and d.exercise_id == exercise_id and d.action.value == kind:
            return d
    return None


def persist_decisions(
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


def persist_escalation(s: DbSession, person_id: int, esc: Escalation, now: datetime) -> int | None:
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
