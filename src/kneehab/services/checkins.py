"""The morning check-in: recorded with the decisions and escalation it leads to, and any new symptom
re-screened (RULES C-14, §1.1), all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kneehab.access import Action
from kneehab.domain.escalation import Escalation
from kneehab.domain.exercise import Library
from kneehab.domain.program import Triage
from kneehab.domain.progression import Decision
from kneehab.domain.records import CheckIn
from kneehab.domain.screening import screen_checkin
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting, authorize
from kneehab.services.replay import (
    course_in,
    persist_decisions,
    persist_escalation,
)
from kneehab.services.rules_upgrade import ensure_rules
from kneehab.services.safety import rescreen_tx
from kneehab.store import repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class CheckInResult:
    decisions: tuple[Decision, ...]  # the decisions dated this check-in's day
    escalation: Escalation
    triage: Triage  # re-screen of the check-in's new symptoms
    new_versions: tuple[int, ...]  # program version numbers written by this check-in
    escalation_id: int | None


def check_in(
    db: Database,
    who: Acting,
    checkin: CheckIn,
    *,
    today: date,
    now: datetime,
    library: Library,
) -> CheckInResult:
    """Record the morning check-in, then the decisions and escalation it leads to; new symptoms or
    chest symptoms are also kept as a re-screen dated today (one transaction, whichever entrypoint)."""
    person_id = who.person_id
    lib = library
    if checkin.date > today:
        raise InvalidInput(f"date: {checkin.date} is after today ({today})")
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        if repo.has_checkin(s, person_id, checkin.date):
            raise InvalidInput(f"date: a check-in for {checkin.date} is already recorded")
        ensure_rules(s, person_id, today, now, lib)
        intake = repo.latest_intake(s, person_id).intake
        repo.add_checkin(s, person_id, checkin, now=now)
        result = course_in(s, person_id, checkin.date, lib)
        versions = persist_decisions(s, person_id, result, now)
        esc_id = persist_escalation(s, person_id, result.escalation, now)
        if checkin.new_symptoms or checkin.chest_symptoms:
            rescreen_tx(
                s,
                person_id,
                day=today,
                symptoms=list(checkin.new_symptoms),
                chest_symptoms=checkin.chest_symptoms,
                full_set=False,
                now=now,
                library=lib,
            )
    todays = tuple(d for d in result.decisions if d.date == checkin.date)
    triage = screen_checkin(checkin, intake)
    return CheckInResult(todays, result.escalation, triage, versions, esc_id)
