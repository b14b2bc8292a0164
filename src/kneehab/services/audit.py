"""The audit trail (issue 10 §6): append-only, never a health value, each row chained to the one
before it by a SHA-256 hash, so `verify` proves nothing was edited or removed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action, check
from kneehab.domain.identity import Actor, Role, Subject
from kneehab.services.acting import Acting, authorize
from kneehab.store import account_repo
from kneehab.store.db import Database
from kneehab.store.point_read import KeptTransaction
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
    # The anchor (audit_head) disagrees with the chain's end: rows removed from (or added to) the end.
    end: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None and self.end is None


def _digest(prev: str, row: AuditRow) -> str:
    return _chain(
        prev, row.at, row.actor_id, row.actor, row.actor_role, row.person_id, row.clinic_id,
        row.action, row.resource, row.request_id, row.outcome,
    )  # fmt: skip


def _chain(
    prev: str,
    at: datetime,
    actor_id: int | None,
    actor: str,
    actor_role: str,
    person_id: int | None,
    clinic_id: int | None,
    action: str,
    resource: str,
    request_id: str,
    outcome: str,
) -> str:
    """The row's hash from the one before it and its fields (the one definition `verify` re-checks)."""
    fields = (
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        str(actor_id),
        actor,
        actor_role,
        str(person_id),
        str(clinic_id),
        action,
        resource,
        request_id,
        outcome,
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
    record_people_tx(
        s, actor=actor, action=action, resource=resource, now=now, person_ids=[person_id],
        clinic_id=clinic_id, request_id=request_id, outcome=outcome,
    )  # fmt: skip


def record_people_tx(
    s: DbSession,
    *,
    actor: Actor,
    action: str,
    resource: str,
    now: datetime,
    person_ids: Sequence[int | None],
    clinic_id: int | None = None,
    request_id: str = "-",
    outcome: str = "ok",
) -> None:
    """Append one row per person in the caller's transaction, in one flush (a look at many people,
    such as the caseload, costs one write). The anchor moves to the new end in the same transaction."""
    append_tx(
        s,
        [
            Trail(actor, action, resource, now, person_id, clinic_id, request_id, outcome)
            for person_id in person_ids
        ],
    )


@dataclass(frozen=True, slots=True)
class Trail:
    """One row to append (its hashes are made by `append_tx`)."""

    actor: Actor
    action: str
    resource: str
    now: datetime
    person_id: int | None = None
    clinic_id: int | None = None
    request_id: str = "-"
    outcome: str = "ok"


def append_tx(s: DbSession, trail: Sequence[Trail]) -> None:
    """Append these rows, in order, in the caller's transaction: each chained to the one before it,
    in one INSERT, and the anchor moved to the new end."""
    if not trail:
        return
    account_repo.lock_audit(s)
    head = account_repo.audit_end(s)
    if head is not None:
        count, prev = head
    else:  # the first row, or a trail restored from a backup made before the anchor
        prev, count = account_repo.last_audit_hash(s) or GENESIS, account_repo.audit_count(s)
    rows = _chained(prev, trail)
    account_repo.add_audit(s, rows)
    account_repo.set_audit_head(s, count + len(rows), rows[-1]["hash"])


class NoAnchor(Exception):
    """The trail has no anchor yet (a trail restored from a backup made before it): `anchor` first."""


def append_kept(tx: KeptTransaction, trail: Callable[[], Sequence[Trail]]) -> None:
    """`append_tx` in a kept transaction (Database.kept_write: the token uses that arrive together,
    services/accounts.py). `trail` gives the rows once the trail's head is read: on PostgreSQL that
    read is the one round trip that also answers whatever the caller sent before it (its token
    marks, which decide the rows); the rows and the anchor's move go with the COMMIT. NoAnchor,
    before anything is appended, when the trail has no anchor."""
    account_repo.lock_audit_kept(tx)
    head = account_repo.audit_end_kept(tx)
    if head is None:
        raise NoAnchor()
    rows_to_add = trail()
    if not rows_to_add:
        return
    count, prev = head
    rows = _chained(prev, rows_to_add)
    account_repo.append_audit_kept(tx, rows, count + len(rows))


def anchor(db: Database) -> None:
    """Give a trail without an anchor the one it would have (its row count and newest hash), as
    its next append would: every row so far is in the chain `verify` walks."""
    with db.write() as s:
        account_repo.lock_audit(s)
        if account_repo.audit_end(s) is None:
            last = account_repo.last_audit_hash(s) or GENESIS
            account_repo.set_audit_head(s, account_repo.audit_count(s), last)


def _chained(prev: str, trail: Sequence[Trail]) -> list[dict[str, Any]]:
    """The rows to insert after the row whose hash is `prev`, each chained to the one before it.
    Plain rows, not ORM objects: a look at a caseload of 500 appends 500 rows on the request path."""
    rows: list[dict[str, Any]] = []
    for t in trail:
        actor_id, label, role = t.actor.account_id, t.actor.label, t.actor.role.value
        resource, request_id = t.resource[:200], t.request_id[:32]
        hash_ = _chain(
            prev, t.now, actor_id, label, role, t.person_id, t.clinic_id, t.action, resource,
            request_id, t.outcome,
        )  # fmt: skip
        rows.append({
            "at": t.now, "actor_id": actor_id, "actor": label, "actor_role": role,
            "person_id": t.person_id, "clinic_id": t.clinic_id, "action": t.action,
            "resource": resource, "request_id": request_id, "outcome": t.outcome,
            "prev_hash": prev, "hash": hash_,
        })  # fmt: skip
        prev = hash_
    return rows


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
    where the trail was edited, removed from or reordered. Then the anchor (audit_head): rows
    removed from the end leave a chain that holds, but fewer rows than it counts."""
    with db.read() as s:
        rows = account_repo.audit_rows(s)
        head = account_repo.audit_head(s)
    prev = GENESIS
    for row in rows:
        if row.prev_hash != prev or row.hash != _digest(prev, row):
            return Verification(len(rows), row.id)
        prev = row.hash
    anchored = (0, GENESIS) if head is None else (head.rows, head.hash)
    if anchored == (len(rows), prev):
        return Verification(len(rows), None)
    if anchored[0] > len(rows):
        end = (
            f"{anchored[0] - len(rows)} row(s) were removed at the end: the anchor counts "
            f"{anchored[0]} rows, {len(rows)} are left"
        )
    elif head is None:
        end = "the anchor (table audit_head) is missing: rows may have been removed at the end"
    else:
        end = (
            f"the anchor counts {anchored[0]} rows ending in {anchored[1][:12]}…, the trail has "
            f"{len(rows)} ending in {prev[:12]}…: its end was removed or rewritten"
        )
    return Verification(len(rows), None, end)


def machine_read(db: Database, who: Acting, resource: str, now: datetime | None = None) -> None:
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
