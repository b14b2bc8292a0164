"""The audit trail (issue 10 §6): append-only, never a health value, each row chained to the one
before it by a SHA-256 hash, so `verify` proves nothing was edited or removed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action, check
from kneehab.domain.identity import Actor, Subject
from kneehab.services.acting import Acting, authorize
from kneehab.store import account_repo
from kneehab.store.db import Database
from kneehab.store.tables import AuditRow

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    actor_role: str
    person_id: int | None
    clinic_id: int | None
    action: str
    resource: str
    request_id: str
    outcome: str


@dataclass(frozen=True)
class Verification:
    rows: int
    first_broken: int | None  # the id of the first row whose chain does not hold

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def _digest(prev: str, row: AuditRow) -> str:
    at = row.at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = (
        at,
        str(row.actor_id),
        row.actor,
        row.actor_role,
        str(row.person_id),
        str(row.clinic_id),
        row.action,
        row.resource,
        row.request_id,
        row.outcome,
    )
    return hashlib.sha256((prev + "\x1f" + "\x1f".join(fields)).encode()).hexdigest()


def record_tx(
    s: DbSession,
    *,
    actor: Actor,
    action: str,
    resource: str,
    now: datetime,
    person_id: int | None = None,
    clinic_id: int | None = None,
    request_id: str = "-",
    outcome: str = "ok",
) -> None:
    """Append one row in the caller's transaction (so the trail and the change land together)."""
    account_repo.lock_audit(s)
    prev = account_repo.last_audit_hash(s) or GENESIS
    row = AuditRow(
        at=now,
        actor_id=actor.account_id,
        actor=actor.label,
        actor_role=actor.role.value,
        person_id=person_id,
        clinic_id=clinic_id,
        action=action,
        resource=resource[:200],
        request_id=request_id[:32],
        outcome=outcome,
        prev_hash=prev,
        hash="",
    )
    row.hash = _digest(prev, row)
    account_repo.add_audit(s, row)


def record(db: Database, **fields: object) -> None:
    with db.write() as s:
        record_tx(s, **fields)  # type: ignore[arg-type]


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.at,
        row.actor_id,
        row.actor,
        row.actor_role,
        row.person_id,
        row.clinic_id,
        row.action,
        row.resource,
        row.request_id,
        row.outcome,
    )


def entries(
    db: Database,
    actor: Actor,
    *,
    person_id: int | None = None,
    clinic_id: int | None = None,
    limit: int | None = 500,
    not_actor: int | None = None,
    since: datetime | None = None,
) -> list[AuditEntry]:
    """Newest first; `not_actor` leaves that account's own rows out, `since` earlier ones. access.py
    decides in the same read: a person's rows, a clinic's, or (no filter) the whole trail."""
    with db.read() as s:
        if person_id is not None:
            authorize(s, Acting(actor, person_id), Action.READ_PERSON_AUDIT)
        if clinic_id is not None:
            check(actor, Action.READ_CLINIC_AUDIT, Subject(None, clinic_id), what="clinic")
        if person_id is None and clinic_id is None:
            check(actor, Action.READ_AUDIT, Subject(None, None), what="audit trail")
        rows = account_repo.audit_rows(
            s, person_id=person_id, clinic_id=clinic_id, newest_first=True, limit=limit,
            not_actor=not_actor, since=since,
        )  # fmt: skip
        return [_entry(r) for r in rows]


def verify(db: Database) -> Verification:
    """Walk the chain from the first row; the first row whose stored hashes do not follow names
    where the trail was edited, removed from or reordered."""
    with db.read() as s:
        rows = account_repo.audit_rows(s)
    prev = GENESIS
    for row in rows:
        if row.prev_hash != prev or row.hash != _digest(prev, row):
            return Verification(len(rows), row.id)
        prev = row.hash
    return Verification(len(rows), None)
