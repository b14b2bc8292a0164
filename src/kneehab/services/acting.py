"""Who a use-case acts as, and for whom: every use-case that touches a person's record takes an
`Acting` and asks access.py inside its own transaction, so the web, the API, the command line and any
later entrypoint get the same decision (issue 10 §0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.access import READS, Action, check
from kneehab.domain.identity import SERVER_ADMIN, Actor, Role, Subject
from kneehab.services.audit import record_tx
from kneehab.store import account_repo, repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class Acting:
    actor: Actor  # the signed-in account, a token's account, or the server admin on the machine
    person_id: int  # whose record


def on_machine(person_id: int) -> Acting:
    """The command line on the machine acts as the server admin (issue 10 §1)."""
    return Acting(SERVER_ADMIN, person_id)


def own(actor: Actor) -> Acting | None:
    """A person acting on their own record (None until their first run is saved)."""
    return Acting(actor, actor.person_id) if actor.person_id is not None else None


def subject_tx(s: DbSession, person_id: int) -> Subject:
    """Whose record it is (a person that does not exist is a Subject nobody may reach)."""
    found = account_repo.person_and_clinic(s, person_id)  # one light query: every use-case asks
    if found is None:
        return Subject(None, None)
    return Subject(person_id, found[1])


def authorize(s: DbSession, who: Acting, action: Action) -> None:
    """access.py's decision for this record, inside the use-case's transaction; a refusal is the
    same NotFound as a record that does not exist. A change also takes the person's lock, so two
    writes for one person (two tabs, two app servers) run one after the other (issue 11 §1)."""
    check(who.actor, action, subject_tx(s, who.person_id))
    if action not in READS:
        repo.lock_person(s, who.person_id)


def audit_machine_read(
    db: Database, who: Acting, resource: str, now: datetime | None = None
) -> None:
    """The server admin's read of a person's record (status, history, backup, export on the machine)
    goes into that person's trail like a clinician's look (people.open_record): the use-case calls
    this after its read and before returning, so a read that cannot be audited is not handed out.
    Others' reads are audited per request where they come in (open_record), the person's own not."""
    if who.actor.role != Role.SERVER_ADMIN:
        return
    with db.write() as s:
        record_tx(
            s, actor=who.actor, action=Action.READ_HEALTH.value, resource=resource,
            now=now or datetime.now(UTC), person_id=who.person_id,
            clinic_id=account_repo.person_clinic(s, who.person_id),
        )  # fmt: skip
