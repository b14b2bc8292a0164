"""Outcome measures (RULES D-3, §6): one sitting's measures, all saved or none."""

from __future__ import annotations

from datetime import date, datetime

from kneehab.access import Action
from kneehab.domain.records import OutcomeRecord
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting, authorize
from kneehab.store import repo
from kneehab.store.db import Database


def record_outcome(
    db: Database, who: Acting, outcome: OutcomeRecord, *, today: date, now: datetime
) -> int:
    return record_outcomes(db, who, [outcome], today=today, now=now)[0]


def record_outcomes(
    db: Database,
    who: Acting,
    outcomes: list[OutcomeRecord] | tuple[OutcomeRecord, ...],
    *,
    today: date,
    now: datetime,
) -> list[int]:
    """Several outcome measures of one sitting, all saved or none (RULES D-3, §6)."""
    person_id = who.person_id
    late = [o for o in outcomes if o.date > today]
    if late:
        raise InvalidInput(f"date: {late[0].date} is after today ({today})")
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        repo.get_person(s, person_id)
        return [repo.add_outcome(s, person_id, o, now=now) for o in outcomes]
