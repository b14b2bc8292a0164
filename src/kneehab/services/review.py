"""The person's choices and the clinician's actions (RULES D-7, D-10, D-12) and escalation notices:
each a dated event kept with the program versions it leads to, in one transaction."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action
from kneehab.domain.exercise import Library
from kneehab.domain.records import ClinicianAction, OfferAnswer, SwapChoice
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting, authorize
from kneehab.services.replay import course_in, persist_decisions
from kneehab.services.rules_upgrade import ensure_rules
from kneehab.store import repo
from kneehab.store.db import Database


def mark_escalations_seen(
    db: Database, who: Acting, escalation_ids: list[int], *, now: datetime
) -> None:
    person_id = who.person_id
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        for esc_id in escalation_ids:
            repo.mark_escalation_seen(s, person_id, esc_id, now=now)


def acknowledge_escalation(
    db: Database, who: Acting, escalation_id: int, *, now: datetime, by: str = "person"
) -> None:
    person_id = who.person_id
    with db.write() as s:
        authorize(s, who, Action.ACKNOWLEDGE)
        repo.acknowledge_escalation(s, person_id, escalation_id, now=now, by=by)


def _record_event(
    db: Database,
    who: Acting,
    action: Action,
    event: repo.CourseEvent,
    *,
    today: date,
    now: datetime,
    by: str | None = None,
    library: Library,
) -> tuple[int, ...]:
    """Keep one dated v2 event (a swap, an offer answer, a clinician action) and append the program
    versions it leads to, in one transaction; an event the program cannot take (a swap that is not
    on the list, one while locked…) is refused naming the field and nothing is kept."""
    if event.date > today:
        raise InvalidInput(f"date: {event.date} is after today ({today})")
    with db.write() as s:
        authorize(s, who, action)
        return record_event_tx(s, who, event, today=today, now=now, by=by, library=library)


def record_event_tx(
    s: DbSession,
    who: Acting,
    event: repo.CourseEvent,
    *,
    today: date,
    now: datetime,
    by: str | None = None,
    library: Library,
) -> tuple[int, ...]:
    """`_record_event`'s writes, in the caller's transaction after its own access decision."""
    lib, person_id = library, who.person_id
    if event.date > today:
        raise InvalidInput(f"date: {event.date} is after today ({today})")
    ensure_rules(s, person_id, today, now, lib)
    if event.date < repo.get_person(s, person_id).start:
        raise InvalidInput(f"date: {event.date} is before the program start")
    repo.add_event(s, person_id, event, now=now, by=by)
    result = course_in(s, person_id, today, lib)
    return persist_decisions(s, person_id, result, now)


def choose_swap(
    db: Database,
    who: Acting,
    *,
    swap_in: str,
    swap_out: str,
    day: date,
    now: datetime,
    library: Library,
) -> tuple[int, ...]:
    """RULES D-10: the person swaps a session exercise for one of their swaps, from `day`."""
    choice = SwapChoice.model_validate({"date": day, "in": swap_in, "out": swap_out})
    return _record_event(db, who, Action.WRITE_HEALTH, choice, today=day, now=now, library=library)


def answer_offer(
    db: Database,
    who: Acting,
    *,
    exercise_id: str,
    answer: str,
    day: date,
    now: datetime,
    library: Library,
) -> tuple[int, ...]:
    """RULES D-12: the answer to "Ready to try: X" (`accept` or `not_now`)."""
    person_id = who.person_id
    try:
        record = OfferAnswer.model_validate(
            {"date": day, "exercise_id": exercise_id, "answer": answer}
        )
    except ValidationError as err:
        raise InvalidInput(f"answer: {err.errors()[0]['msg']}") from None
    with db.read() as s:  # what is on offer; the write's own transaction decides and locks
        authorize(s, who, Action.READ_HEALTH)
        current = course_in(s, person_id, day, library).program
    later = current.later_options if current is not None else ()
    offered = [o.exercise_id for o in later if o.state == "offered"]
    if exercise_id not in offered:
        raise InvalidInput(
            f"exercise_id: '{exercise_id}' is not offered to you now "
            f"(offered: {', '.join(offered) or 'none'})"
        )
    return _record_event(db, who, Action.WRITE_HEALTH, record, today=day, now=now, library=library)


def clinician_action(
    db: Database,
    who: Acting,
    action: ClinicianAction,
    *,
    today: date,
    now: datetime,
    by: str,
    library: Library,
) -> tuple[int, ...]:
    """RULES D-7: one dated clinician action (review, assessment, set_ceiling, resume …) with its
    reason; it acts from its date on and earlier decisions stay as they were."""
    return _record_event(
        db, who, Action.CLINICAL_ACTION, action, today=today, now=now, by=by, library=library
    )


def mark_reviewed(
    db: Database,
    who: Acting,
    *,
    now: datetime,
    by: str = "clinician",
    today: date,
    reason: str = "Program reviewed by a clinician.",
    library: Library,
) -> None:
    """D-2, D-7: a clinician review dated `today` (default: the date of `now`). It ends the states
    that wait for a clinician from that day on; decisions before it stay as they were."""
    day = today
    review = ClinicianAction(date=day, action="review", reason=reason)
    _record_event(
        db, who, Action.CLINICAL_ACTION, review, today=day, now=now, by=by, library=library
    )
