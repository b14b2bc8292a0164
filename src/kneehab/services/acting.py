"""Who a use-case acts as, and for whom: every use-case that touches a person's record takes an
`Acting` and asks access.py inside its own transaction, so the web, the API, the command line and any
later entrypoint get the same decision (issue 10 §0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.access import READS, Action, allows, check, own_record
from kneehab.domain.identity import SERVER_ADMIN, Actor, Role, Subject
from kneehab.store import repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class Acting:
    actor: Actor  # the signed-in account, a token's account, or the server admin on the machine
    person_id: int  # whose record


def on_machine(person_id: int) -> Acting:
    """The command line on the machine acts as the server admin (issue 10 §1)."""
    return Acting(SERVER_ADMIN, person_id)


def own(actor: Actor) -> Acting | None:
    """A person acting on their own record (None until their first run is saved, and for a role
    without a record of its own: access.py's OWN_RECORD)."""
    person_id = own_record(actor)
    return Acting(actor, person_id) if person_id is not None else None


def subject_tx(s: DbSession, person_id: int) -> Subject:
    """Whose record it is (a person that does not exist is a Subject nobody may reach)."""
    found = repo.find_person(s, person_id)  # read once a transaction: the use-case reads it too
    if found is None:
        return Subject(None, None)
    return Subject(person_id, found.clinic_id)


def authorize(s: DbSession, who: Acting, action: Action) -> None:
    """access.py's decision for this record, inside the use-case's transaction; a refusal is the
    same NotFound as a record that does not exist. A change also takes the person's lock, so two
    writes for one person (two tabs, two app servers) run one after the other (issue 11 §1)."""
    subject = subject_tx(s, who.person_id)
    check(who.actor, action, subject)
    if action not in READS:
        if who.actor.role == Role.SERVER_ADMIN:
            # A change made on the machine (kneehab log, checkin, check, start …) is in the person's
            # trail like a clinician's, in the change's own transaction (issue 10 §6); appended before
            # the person's lock, the order a clinician's action takes them (people.open_record_tx).
            # Imported here: services.audit itself asks this module for its access decisions.
            from kneehab.services.audit import record_tx

            record_tx(
                s, actor=who.actor, action=action.value, resource="command line",
                now=datetime.now(UTC), person_id=who.person_id, clinic_id=subject.clinic_id,
            )  # fmt: skip
        repo.lock_person(s, who.person_id)


def permitted(db: Database, who: Acting, action: Action) -> bool:
    """access.py's answer for this record, for an entrypoint that must refuse in its own words (the
    camera coach's close code); the use-cases it calls decide again in their own transactions."""
    with db.read() as s:
        return allows(who.actor, action, subject_tx(s, who.person_id))


def require(db: Database, who: Acting, action: Action) -> None:
    """`authorize` in a read of its own: a route's refusal before it reads a body, so nobody learns
    from a 422 that a person exists; the use-case decides again (and audits) when it runs."""
    with db.read() as s:
        authorize(s, who, action)
