"""The SQL of accounts: clinics, accounts, sessions, failed sign-ins, one-time links, access tokens,
drafts and the audit trail. Only hashes of secrets are stored or looked up here."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Row,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from kneehab.errors import Conflict
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.point_read import Asked, KeptTransaction, Sent
from kneehab.store.tables import (
    AccessTokenRow,
    AccountRow,
    AuditHeadRow,
    AuditRow,
    AuthSessionRow,
    ClinicRow,
    DraftRow,
    InvitationRow,
    LoginAttemptRow,
    OneTimeLinkRow,
    PersonRow,
)

# A course stored before accounts (migration 0005, which keeps its own copy, and restore) waits under
# this placeholder until its person claims it.
UNCLAIMED = re.compile(r"person-\d+@kneehab\.local")


def unclaimed_email(person_id: int) -> str:
    return f"person-{person_id}@kneehab.local"


EXPORT_PREFIX = "export."  # the audit actions of exports (services.people.exported)
TOKEN_USE = "token_use"  # the audit action of a request made with a personal access token
AUDIT_LOCK = 7_410_201  # PostgreSQL advisory lock taken by each audit append (one chain)


# --- clinics and accounts -------------------------------------------------------------------------


def add_clinic(s: DbSession, name: str, now: datetime) -> int:
    row = ClinicRow(name=name, created_at=now)
    s.add(row)
    s.flush()
    return row.id


def clinic(s: DbSession, clinic_id: int) -> ClinicRow | None:
    return s.get(ClinicRow, clinic_id)


def add_account(
    s: DbSession,
    *,
    email: str,
    role: str,
    name: str,
    clinic_id: int | None,
    person_id: int | None,
    password_hash: str | None,
    now: datetime,
) -> int:
    row = AccountRow(
        email=email,
        role=role,
        name=name,
        clinic_id=clinic_id,
        person_id=person_id,
        password_hash=password_hash,
        created_at=now,
    )
    s.add(row)
    try:
        s.flush()
    except IntegrityError:  # the same email at the same moment from another request
        raise Conflict(f"email: an account with {email} already exists") from None
    return row.id


def account(s: DbSession, account_id: int, *, lock: bool = False) -> AccountRow | None:
    return s.get(AccountRow, account_id, with_for_update=lock or None)


def account_by_email(s: DbSession, email: str) -> AccountRow | None:
    return s.scalars(select(AccountRow).where(AccountRow.email == email)).first()


def account_of_person(s: DbSession, person_id: int) -> AccountRow | None:
    return s.scalars(select(AccountRow).where(AccountRow.person_id == person_id)).first()


def accounts(s: DbSession, clinic_id: int | None = None) -> list[AccountRow]:
    query = select(AccountRow).order_by(AccountRow.id)
    if clinic_id is not None:
        query = query.where(AccountRow.clinic_id == clinic_id)
    return list(s.scalars(query))


def person_clinic(s: DbSession, person_id: int) -> int | None:
    return s.scalar(select(PersonRow.clinic_id).where(PersonRow.id == person_id))


def set_person_clinic(s: DbSession, person_id: int, clinic_id: int | None) -> None:
    s.execute(update(PersonRow).where(PersonRow.id == person_id).values(clinic_id=clinic_id))
    repo.forget_person(s, person_id)  # a record read before this transaction's change is stale


# --- sessions ---------------------------------------------------------------------------------


def add_session(
    s: DbSession, account_id: int, token_hash: str, csrf_token: str, now: datetime
) -> None:
    s.add(
        AuthSessionRow(
            account_id=account_id,
            token_hash=token_hash,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )
    s.flush()


# The account's own person record, as every lookup of who is signed in reads it: whose record it is,
# its timezone, and its version (creation time, revision, rule book: web/kept_views.py).
_RECORD = (
    PersonRow.id.label("record_id"),
    PersonRow.clinic_id.label("record_clinic_id"),
    PersonRow.timezone.label("record_timezone"),
    PersonRow.revision.label("record_revision"),
    PersonRow.created_at.label("record_created_at"),
    PersonRow.rules_version.label("record_rules_version"),
)

# Every request's lookup, built once (a statement object used again skips SQLAlchemy's rebuilding
# and its result's re-keying): the session, its account (None only if it were gone) and the
# account's own person record (None when not enrolled or the record is gone).
SIGNED_IN = (
    select(
        AuthSessionRow.csrf_token,
        AuthSessionRow.created_at,
        AuthSessionRow.last_seen_at,
        AccountRow.id.label("account_id"),
        AccountRow.email,
        AccountRow.name,
        AccountRow.role,
        AccountRow.clinic_id,
        AccountRow.person_id,
        AccountRow.removed_at,
        *_RECORD,
    )
    .outerjoin(AccountRow, AccountRow.id == AuthSessionRow.account_id)
    .outerjoin(PersonRow, PersonRow.id == AccountRow.person_id)
    .where(AuthSessionRow.token_hash == bindparam("token_hash"))
)


OWN_RECORD = select(*_RECORD).where(PersonRow.id == bindparam("person_id"))


def own_record(conn: Connection, person_id: int) -> Row[*tuple[Any, ...]] | None:
    """The person record's columns as `signed_in` reads them (None when the record is gone)."""
    return conn.execute(OWN_RECORD, {"person_id": person_id}).first()


def signed_in(db: Database, token_hash: str) -> Any | None:
    """The session with this hash, its account and the account's person record, in one query (on
    the connection this thread keeps for the lookup every request makes: store/point_read.py)."""
    return db.read_first(SIGNED_IN, {"token_hash": token_hash})


async def signed_in_waiting(db: Database, token_hash: str) -> Any | None:
    """`signed_in` from the event loop, left free while the database answers."""
    return await db.read_first_waiting(SIGNED_IN, {"token_hash": token_hash})


def session_by_hash(s: DbSession, token_hash: str) -> AuthSessionRow | None:
    return s.scalars(select(AuthSessionRow).where(AuthSessionRow.token_hash == token_hash)).first()


def touch_session(s: DbSession, token_hash: str, now: datetime) -> None:
    s.execute(
        update(AuthSessionRow)
        .where(AuthSessionRow.token_hash == token_hash)
        .values(last_seen_at=now)
    )


def delete_session(s: DbSession, token_hash: str) -> None:
    s.execute(delete(AuthSessionRow).where(AuthSessionRow.token_hash == token_hash))


def delete_sessions_of(s: DbSession, account_id: int) -> int:
    result = s.execute(delete(AuthSessionRow).where(AuthSessionRow.account_id == account_id))
    return int(getattr(result, "rowcount", 0) or 0)


# --- failed sign-ins --------------------------------------------------------------------------


def add_failed_login(s: DbSession, email_key: str, address: str, now: datetime) -> None:
    s.add(LoginAttemptRow(email_key=email_key, address=address, at=now))
    s.flush()


def failed_logins_since(
    s: DbSession, *, since: datetime, email_key: str | None = None, address: str | None = None
) -> list[datetime]:
    query = select(LoginAttemptRow.at).where(LoginAttemptRow.at >= since)
    if email_key is not None:
        query = query.where(LoginAttemptRow.email_key == email_key)
    if address is not None:
        query = query.where(LoginAttemptRow.address == address)
    return sorted(s.scalars(query))


def forget_failed_logins(s: DbSession, email_key: str) -> None:
    s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.email_key == email_key))


# --- one-time links and access tokens -----------------------------------------------------------


def add_link(
    s: DbSession,
    *,
    token_hash: str,
    kind: str,
    account_id: int,
    created_by: str,
    now: datetime,
    expires: datetime,
    clinic_id: int | None = None,
) -> None:
    s.add(
        OneTimeLinkRow(
            token_hash=token_hash,
            kind=kind,
            clinic_id=clinic_id,
            account_id=account_id,
            created_by=created_by,
            created_at=now,
            expires_at=expires,
        )
    )
    s.flush()


def take_link(s: DbSession, link_id: int, now: datetime) -> bool:
    """Mark a link used if it still is unused and alive; False when another request took it first."""
    result = s.execute(
        update(OneTimeLinkRow)
        .where(
            OneTimeLinkRow.id == link_id,
            OneTimeLinkRow.used_at.is_(None),
            OneTimeLinkRow.expires_at > now,
        )
        .values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def cancel_links(s: DbSession, account_id: int, now: datetime) -> None:
    """End every unused link of an account (a newer one, or the account's use of one, replaces them)."""
    s.execute(
        update(OneTimeLinkRow)
        .where(OneTimeLinkRow.account_id == account_id, OneTimeLinkRow.used_at.is_(None))
        .values(used_at=now)
    )


def link_by_hash(s: DbSession, token_hash: str) -> OneTimeLinkRow | None:
    return s.scalars(select(OneTimeLinkRow).where(OneTimeLinkRow.token_hash == token_hash)).first()


# --- a clinic's invitations (by email; the account is looked at only when the link is used) -------


def add_invitation(
    s: DbSession,
    *,
    token_hash: str,
    clinic_id: int,
    email: str,
    role: str,
    name: str,
    created_by: str,
    now: datetime,
    expires: datetime,
) -> int:
    row = InvitationRow(
        token_hash=token_hash, clinic_id=clinic_id, email=email, role=role, name=name,
        created_by=created_by, created_at=now, expires_at=expires,
    )  # fmt: skip
    s.add(row)
    s.flush()
    return row.id


def end_invitations(s: DbSession, clinic_id: int, email: str, now: datetime) -> None:
    """End the clinic's unused invitations of this email (a newer one replaces them)."""
    s.execute(
        update(InvitationRow)
        .where(
            InvitationRow.clinic_id == clinic_id,
            InvitationRow.email == email,
            InvitationRow.used_at.is_(None),
        )
        .values(used_at=now)
    )


def invitation(s: DbSession, invitation_id: int) -> InvitationRow | None:
    return s.get(InvitationRow, invitation_id)


def invitation_by_hash(s: DbSession, token_hash: str) -> InvitationRow | None:
    return s.scalars(select(InvitationRow).where(InvitationRow.token_hash == token_hash)).first()


def take_invitation(s: DbSession, invitation_id: int, now: datetime) -> bool:
    """Mark an invitation used if it still is unused and alive; False when another request took it."""
    result = s.execute(
        update(InvitationRow)
        .where(
            InvitationRow.id == invitation_id,
            InvitationRow.used_at.is_(None),
            InvitationRow.expires_at > now,
        )
        .values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def pending_invitations(s: DbSession, clinic_id: int, now: datetime) -> list[InvitationRow]:
    return list(
        s.scalars(
            select(InvitationRow)
            .where(
                InvitationRow.clinic_id == clinic_id,
                InvitationRow.used_at.is_(None),
                InvitationRow.expires_at > now,
            )
            .order_by(InvitationRow.id)
        )
    )


def add_token(
    s: DbSession, *, account_id: int, name: str, scope: str, token_hash: str, now: datetime
) -> int:
    row = AccessTokenRow(
        account_id=account_id, name=name, scope=scope, token_hash=token_hash, created_at=now
    )
    s.add(row)
    s.flush()
    return row.id


def tokens_of(s: DbSession, account_ids: list[int]) -> list[AccessTokenRow]:
    """The tokens of these accounts (revoked ones too), oldest first."""
    if not account_ids:
        return []
    query = select(AccessTokenRow).where(AccessTokenRow.account_id.in_(account_ids))
    return list(s.scalars(query.order_by(AccessTokenRow.id)))


def token_by_hash(s: DbSession, token_hash: str) -> AccessTokenRow | None:
    return s.scalars(select(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash)).first()


# Every token request's lookup, built once (as SIGNED_IN): the token, its account and the account's
# own person record (None when not enrolled or the record is gone).
TOKEN_IN = (
    select(
        AccessTokenRow.id.label("token_id"),
        AccessTokenRow.scope,
        AccessTokenRow.revoked_at.label("token_revoked_at"),
        AccountRow.id.label("account_id"),
        AccountRow.email,
        AccountRow.role,
        AccountRow.clinic_id,
        AccountRow.person_id,
        AccountRow.removed_at,
        *_RECORD,
    )
    .outerjoin(AccountRow, AccountRow.id == AccessTokenRow.account_id)
    .outerjoin(PersonRow, PersonRow.id == AccountRow.person_id)
    .where(AccessTokenRow.token_hash == bindparam("token_hash"))
)


def token_in(db: Database, token_hash: str) -> Any | None:
    """The token with this hash, its account and the account's person record, in one query on the
    connection this thread keeps (store/point_read.py), as `signed_in` reads a session."""
    return db.read_first(TOKEN_IN, {"token_hash": token_hash})


def ask_token(tx: KeptTransaction, token_hash: str) -> Asked:
    """`token_in`, sent in a kept transaction (its row read when asked for)."""
    return tx.ask(TOKEN_IN, {"token_hash": token_hash})


# A use marks the token only while it is live: not revoked, its account not removed (either may
# have happened since the lookup read it, in another process).
_MARK_USED = (
    update(AccessTokenRow)
    .where(
        AccessTokenRow.id == bindparam("token_id"),
        AccessTokenRow.revoked_at.is_(None),
        exists().where(AccountRow.id == AccessTokenRow.account_id, AccountRow.removed_at.is_(None)),
    )
    .values(last_used_at=bindparam("used_at"))
)


def mark_tokens_used(tx: KeptTransaction, when: dict[int, datetime]) -> dict[int, Sent]:
    """Each live token's last-used time, row by row in id order (the order every writer locks them
    in). Sent, not waited for: each one's count, when read, says whether it was marked (a token
    revoked or an account removed meanwhile is not)."""
    return {
        token_id: tx.send(_MARK_USED, {"token_id": token_id, "used_at": when[token_id]})
        for token_id in sorted(when)
    }


def token(s: DbSession, token_id: int) -> AccessTokenRow | None:
    return s.get(AccessTokenRow, token_id)


# --- drafts -----------------------------------------------------------------------------------


def draft(s: DbSession, key_hash: str, now: datetime) -> dict[str, Any] | None:
    row = s.get(DraftRow, key_hash)
    if row is None or row.expires_at <= now:
        return None
    return dict(row.data)


def put_draft(
    s: DbSession, key_hash: str, kind: str, data: dict[str, Any], expires: datetime
) -> None:
    row = s.get(DraftRow, key_hash)
    if row is None:
        s.add(DraftRow(key_hash=key_hash, kind=kind, data=data, expires_at=expires))
    else:
        row.kind, row.data, row.expires_at = kind, data, expires
    s.flush()


def drop_draft(s: DbSession, key_hash: str) -> None:
    s.execute(delete(DraftRow).where(DraftRow.key_hash == key_hash))


def drop_expired_drafts(s: DbSession, now: datetime) -> None:
    s.execute(delete(DraftRow).where(DraftRow.expires_at <= now))


# --- the audit trail --------------------------------------------------------------------------


def lock_audit(s: DbSession) -> None:
    """Appends are serialised so each row chains to the one before it (SQLite writers already are)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(_AUDIT_LOCK)


def last_audit_hash(s: DbSession) -> str | None:
    return s.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))


def add_audit(s: DbSession, rows: list[dict[str, Any]]) -> None:
    """Append rows in one statement (a look at a whole caseload is one INSERT, not one per person),
    through the table rather than the ORM's bulk path, which builds an object a row."""
    if len(rows) > 1 and s.get_bind().dialect.name == "postgresql":
        # psycopg's executemany sends one INSERT a row: one statement instead, with an array for
        # each column that varies (the person, the hashes) and one value for the rest.
        values: list[str] = []
        params: dict[str, Any] = {}
        for column in _AUDIT_COLUMNS:
            column_values = [r[column.key] for r in rows]
            if all(v == column_values[0] for v in column_values):
                values.append(f"CAST(:{column.key} AS {_pg_type(column)})")
                params[column.key] = column_values[0]
            else:
                values.append(f"u.{column.key}")
                params[f"{column.key}_s"] = column_values
        varying = [c.key for c in _AUDIT_COLUMNS if f"{c.key}_s" in params]
        arrays = ", ".join(
            f"CAST(:{c.key}_s AS {_pg_type(c)}[])" for c in _AUDIT_COLUMNS if c.key in varying
        )
        names = ", ".join(c.key for c in _AUDIT_COLUMNS)
        s.execute(
            text(
                f"INSERT INTO audit_log ({names}) SELECT {', '.join(values)} FROM unnest({arrays})"
                f" WITH ORDINALITY AS u({', '.join(varying)}, n) ORDER BY n"
            ),
            params,
        )
    else:
        s.connection().execute(insert(_AUDIT_TABLE), rows)


_AUDIT_TABLE = cast(Table, AuditRow.__table__)
_AUDIT_COLUMNS = [c for c in _AUDIT_TABLE.columns if c.key != "id"]
_AUDIT_INSERT = insert(_AUDIT_TABLE).values(
    {c.key: bindparam(f"v_{c.key}") for c in _AUDIT_COLUMNS}
)


_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
_PG_TYPES = {c.key: str(c.type.compile(dialect=_PG)) for c in _AUDIT_COLUMNS}


def _pg_type(column: Any) -> str:
    return _PG_TYPES[column.key]


def audit_count(s: DbSession) -> int:
    return int(s.scalar(select(func.count()).select_from(AuditRow)) or 0)


def audit_head(s: DbSession) -> AuditHeadRow | None:
    """The trail's anchor: its number of rows and its newest hash (None before the first row)."""
    return s.get(AuditHeadRow, 1)


# The append's own read and write of the anchor, as Core statements built once: an ORM object of the
# head would be one more object loaded, compared and flushed on every audited request.
_HEAD = select(AuditHeadRow.rows, AuditHeadRow.hash).where(AuditHeadRow.id == 1)
_MOVE_HEAD = (
    update(AuditHeadRow)
    .where(AuditHeadRow.id == 1)
    .values(rows=bindparam("head_rows"), hash=bindparam("head_hash"))
)


def audit_end(s: DbSession) -> tuple[int, str] | None:
    """The anchor's row count and hash (None before the first row), for an append."""
    row = s.connection().execute(_HEAD).first()
    return None if row is None else (row.rows, row.hash)


def set_audit_head(s: DbSession, rows: int, hash_: str) -> None:
    conn = s.connection()
    if not conn.execute(_MOVE_HEAD, {"head_rows": rows, "head_hash": hash_}).rowcount:
        conn.execute(insert(AuditHeadRow).values(id=1, rows=rows, hash=hash_))


# The same append, on a kept connection (Database.kept_write): the statements above and the INSERT
# below, each compiled once for the engine.
_AUDIT_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=AUDIT_LOCK)


# The anchor's row stays locked from this read to the COMMIT (SQLite: its write lock already), so
# the move below cannot miss it: it is sent with the rows, not checked by a round trip of its own.
_HEAD_LOCKED = _HEAD.with_for_update()


def lock_audit_kept(tx: KeptTransaction) -> None:
    """`lock_audit`, in a kept transaction (sent: the head's read waits for it)."""
    if tx.dialect_name == "postgresql":
        tx.send(_AUDIT_LOCK)


def audit_end_kept(tx: KeptTransaction) -> tuple[int, str] | None:
    """`audit_end`, in a kept transaction, the anchor's row locked until the COMMIT."""
    row = tx.first(_HEAD_LOCKED)
    return None if row is None else (row.rows, row.hash)


def append_audit_kept(tx: KeptTransaction, rows: list[dict[str, Any]], head_rows: int) -> None:
    """`add_audit` and `set_audit_head` (an anchor read by `audit_end_kept`), in a kept
    transaction: sent, answered with its COMMIT."""
    tx.run_many(_AUDIT_INSERT, [{f"v_{k}": v for k, v in r.items()} for r in rows])
    tx.send(_MOVE_HEAD, {"head_rows": head_rows, "head_hash": rows[-1]["hash"]})


def audit_rows(
    s: DbSession,
    *,
    person_id: int | None = None,
    clinic_id: int | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    not_actor: int | None = None,
    since: datetime | None = None,
) -> list[AuditRow]:
    query = select(AuditRow)
    if not_actor is not None:
        # Leave out their own rows, except what a token of theirs did (an app, not them) and their
        # own exports (a copy of their data that left kneehab: issue 14).
        query = query.where(
            (AuditRow.actor_id != not_actor)
            | AuditRow.actor_id.is_(None)
            | (AuditRow.action == TOKEN_USE)
            | AuditRow.action.startswith(EXPORT_PREFIX)
        )
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if person_id is not None:
        query = query.where(AuditRow.person_id == person_id)
    if clinic_id is not None:
        query = query.where(AuditRow.clinic_id == clinic_id)
    query = query.order_by(AuditRow.id.desc() if newest_first else AuditRow.id)
    if limit is not None:
        query = query.limit(limit)
    return list(s.scalars(query))


def count_accounts(s: DbSession) -> int:
    return int(s.scalar(select(func.count()).select_from(AccountRow)) or 0)


def people_of_clinic(
    s: DbSession, clinic_id: int
) -> list[tuple[int, str | None, str | None, date, str | None]]:
    """(person id, account email, account name, start, timezone) by id: the columns, not the ORM
    objects (a caseload look lists 500 people on every request)."""
    rows = s.execute(
        select(PersonRow.id, AccountRow.email, AccountRow.name, PersonRow.start, PersonRow.timezone)
        .outerjoin(AccountRow, AccountRow.person_id == PersonRow.id)
        .where(PersonRow.clinic_id == clinic_id)
        .order_by(PersonRow.id)
    ).all()
    return [(pid, email, name, start, zone) for pid, email, name, start, zone in rows]
