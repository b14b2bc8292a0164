"""Accounts (issue 10 §1–§2): clinics, people, clinicians and clinic admins; passwords (argon2id,
NIST SP 800-63B), throttled sign-in kept in the database, server-side sessions, one-time links for
invitations and resets, and personal access tokens. Secrets are random 256-bit values shown once;
only their SHA-256 is stored. Every change and every sign-in is written to the audit trail in the same
transaction."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action, check
from kneehab.domain.identity import ACCOUNT_ROLES, Actor, Role, Scope, Subject
from kneehab.errors import Conflict, InvalidInput, NotFound, Throttled, Unauthorized
from kneehab.services import audit
from kneehab.services.audit import NoAnchor, Trail, record_tx
from kneehab.services.group_commit import GroupCommit
from kneehab.store import account_repo
from kneehab.store.db import Database
from kneehab.store.point_read import KeptTransaction
from kneehab.store.tables import AccountRow, InvitationRow

PASSWORD_MIN, PASSWORD_MAX = 8, 256  # SP 800-63B: at least 8, at least 64 allowed; no other rules
EMAIL_MAX = 254
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # per account within the window
ADDRESS_FAILURES = 30  # per address within the window (many accounts tried from one place)
INVITE_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=24)
TOUCH_EVERY = timedelta(minutes=1)  # a session's last-seen time is written at most this often
WRONG_PAIR = "email or password is wrong"

_hasher = PasswordHasher()  # argon2id with the library's current RFC 9106 parameters


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (populate hashes its one shared password once)."""
    return _hasher.hash(password)


LINK_PATH = "/account/password"  # the page that takes an invitation or reset link

# Join links of invitations made before migration 0014 (a clinic's invitations are kept by email in
# `invitations` since): still honoured. JOIN_STAFF reached an existing account and is refused with
# plain words when opened (links.kind is at most 10 characters).
JOIN_STAFF = "join-staff"
JOIN_KINDS = ("join", JOIN_STAFF)  # proved by the account's own password


def link_url(base_url: str, secret: str) -> str:
    """The one-time link as people open it (base: the public URL, or where this server listens)."""
    return f"{base_url.rstrip('/')}{LINK_PATH}?link={secret}"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


# --- checks at the boundary -----------------------------------------------------------------------


def normal_email(raw: str) -> str:
    email = raw.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > EMAIL_MAX:
        raise InvalidInput(
            "email: type an email address such as name@example.org (one @, no spaces)"
        )
    return email


def check_password(password: str, email: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"password: use at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"password: use at most {PASSWORD_MAX} characters")
    if password.strip().lower() == email.lower():
        raise InvalidInput("password: choose something other than your email address")


def account_role(raw: str, clinic_id: int | None) -> Role:
    """The role of a new account; a clinician or clinic admin belongs to a clinic."""
    try:
        role = Role(raw)
    except ValueError:
        role = Role.SERVER_ADMIN
    if role not in ACCOUNT_ROLES:
        allowed = ", ".join(r.value for r in ACCOUNT_ROLES)
        raise InvalidInput(f"role: '{raw}' is not a role; allowed: {allowed}")
    if role != Role.PERSON and clinic_id is None:
        raise InvalidInput(f"--clinic: a {role.value} belongs to a clinic; give its id")
    return role


def actor_of(row: AccountRow, scope: Scope | None = None) -> Actor:
    return Actor(
        account_id=row.id,
        email=row.email,
        role=Role(row.role),
        clinic_id=row.clinic_id,
        person_id=row.person_id,
        token_scope=scope,
    )


# --- clinics and accounts -------------------------------------------------------------------------


def clinic_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: give the clinic a name of 1 to 200 characters")
    return name


def create_clinic(db: Database, name: str, *, actor: Actor, now: datetime) -> int:
    check(actor, Action.CREATE_CLINIC, Subject(None, None), what="clinic")
    name = clinic_name(name)
    with db.write() as s:
        clinic_id = account_repo.add_clinic(s, name, now)
        record_tx(
            s, actor=actor, action="clinic_create", resource=f"clinic/{clinic_id}", now=now,
            clinic_id=clinic_id,
        )  # fmt: skip
    return clinic_id


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    invitation: str | None  # the one-time link's secret when no password was given


def add_account(
    db: Database,
    email: str,
    *,
    role: str,
    clinic_id: int | None,
    name: str = "",
    password: str | None,
    actor: Actor,
    now: datetime,
    person_id: int | None = None,
) -> NewAccount:
    """A new account; with no password, a one-time invitation link (7 days) to set it. access.py
    decides as for an invitation into that clinic (no clinic: a self-managed person, the server
    admin's)."""
    action = Action.INVITE_PERSON if role == Role.PERSON.value else Action.INVITE_CLINICIAN
    check(actor, action, Subject(None, clinic_id), what="clinic")
    with db.write() as s:
        return add_account_tx(
            s, email, role=role, clinic_id=clinic_id, name=name, password=password, actor=actor,
            now=now, person_id=person_id,
        )  # fmt: skip


def add_account_tx(
    s: DbSession,
    email: str,
    *,
    role: str,
    clinic_id: int | None,
    name: str = "",
    password: str | None,
    actor: Actor | None,
    now: datetime,
    person_id: int | None = None,
) -> NewAccount:
    """`add_account` in the caller's transaction; `actor` None: the account signs itself up."""
    email = normal_email(email)
    role_ = account_role(role, clinic_id)
    if password is not None:
        check_password(password, email)
    if clinic_id is not None and account_repo.clinic(s, clinic_id) is None:
        raise NotFound(f"clinic: {clinic_id} not found")
    if account_repo.account_by_email(s, email) is not None:
        raise Conflict(
            f"email: an account with {email} already exists; sign in, or use another email"
        )
    hashed = _hasher.hash(password) if password is not None else None
    account_id = account_repo.add_account(
        s,
        email=email,
        role=role_.value,
        name=name.strip(),
        clinic_id=clinic_id,
        person_id=person_id,
        password_hash=hashed,
        now=now,
    )
    row = account_repo.account(s, account_id)
    assert row is not None
    by = actor or actor_of(row)
    invitation = None
    if password is None:
        invitation = _new_link(s, account_id, "invite", by, now)
    record_tx(
        s, actor=by, action="account_create", resource=f"account/{account_id}", now=now,
        clinic_id=clinic_id, person_id=person_id,
    )  # fmt: skip
    return NewAccount(account_id, invitation)


# The failed-sign-in key of a sign-up refused because the email has an account: it counts towards
# the address's limit only (never towards that account's own, which would lock its owner out).
SIGNUP_TAKEN = "signup-email-taken"


def signup(
    db: Database, email: str, password: str, *, now: datetime, address: str = "unknown"
) -> Actor:
    """A self-managed person's own account (no clinic); they enrol next. The 409 for an email that
    has an account tells that it has one (docs/security.md): such answers count as failures of the
    address, so one address cannot try many emails quickly."""
    try:
        with db.write() as s:
            _throttle_address(s, address, now)
            made = add_account_tx(
                s, email, role="person", clinic_id=None, password=password, actor=None, now=now
            )
            row = account_repo.account(s, made.account_id)
            assert row is not None
            return actor_of(row)
    except Conflict:
        with db.write() as s:
            account_repo.add_failed_login(s, secret_hash(SIGNUP_TAKEN), address, now)
        raise


def _throttle_address(s: DbSession, address: str, now: datetime) -> None:
    found = account_repo.failed_logins_since(s, since=now - THROTTLE_WINDOW, address=address)
    if len(found) >= ADDRESS_FAILURES:
        until = found[-ADDRESS_FAILURES] + THROTTLE_WINDOW
        wait = max(1, int((until - now).total_seconds()))
        raise Throttled(
            f"too many tries from here: wait {max(1, wait // 60)} minute(s), until "
            f"{until.strftime('%H:%M')} UTC, then try again",
            retry_after_s=wait,
        )


def account_actor(db: Database, account_id: int) -> Actor:
    with db.read() as s:
        row = account_repo.account(s, account_id)
        if row is None:
            raise NotFound(f"account: {account_id} not found")
        return actor_of(row)


def _new_link(
    s: DbSession,
    account_id: int,
    kind: str,
    actor: Actor,
    now: datetime,
    clinic_id: int | None = None,
) -> str:
    secret = new_secret()
    lifetime = RESET_LIFETIME if kind == "reset" else INVITE_LIFETIME
    if kind not in JOIN_KINDS:
        # One live invitation or reset an account: the newest. A clinic's join link leaves the
        # account's own reset alone (anyone could otherwise cancel it by inviting their email).
        account_repo.cancel_links(s, account_id, now)
    account_repo.add_link(
        s,
        clinic_id=clinic_id,
        token_hash=secret_hash(secret),
        kind=kind,
        account_id=account_id,
        created_by=actor.label,
        now=now,
        expires=now + lifetime,
    )
    return secret


def _account_subject(row: AccountRow | None) -> Subject:
    """Whose account it is, for access.py (none: a Subject nobody but the server admin reaches)."""
    return Subject(row.person_id, row.clinic_id) if row is not None else Subject(None, None)


def reset_link(db: Database, email: str, *, actor: Actor, now: datetime) -> str:
    """A one-time link (24 h) that sets a new password; the server admin prints it."""
    email = normal_email(email)
    with db.write() as s:
        row = account_repo.account_by_email(s, email)
        check(actor, Action.RESET_PASSWORD, _account_subject(row), what="account")
        if row is None:
            raise NotFound(f"email: no account with {email}")
        secret = _new_link(s, row.id, "reset", actor, now)
        record_tx(
            s, actor=actor, action="reset_link", resource=f"account/{row.id}", now=now,
            clinic_id=row.clinic_id, person_id=row.person_id,
        )  # fmt: skip
    return secret


def use_link(
    db: Database, secret: str, password: str, *, now: datetime, address: str = "unknown"
) -> Actor:
    """Use a one-time link, once. An invitation or a reset sets a new password (every session of the
    account ends: a reset may follow a stolen password). A join link moves a self-managed person into
    the clinic, proved by their own password: throttled and audited like a sign-in, since whoever made
    the link has seen it."""
    invalid = NotFound(
        "link: this link is not valid any more (used, expired or mistyped); ask for a new one"
    )
    with db.read() as s:
        is_invitation = account_repo.invitation_by_hash(s, secret_hash(secret)) is not None
    if is_invitation:
        return _use_invitation(db, secret, password, now=now, address=address, invalid=invalid)
    wrong = False
    with db.write() as s:
        link = account_repo.link_by_hash(s, secret_hash(secret))
        if link is None or link.used_at is not None or link.expires_at <= now:
            raise invalid
        row = account_repo.account(s, link.account_id)
        assert row is not None  # the link is deleted with its account
        if link.kind in JOIN_KINDS:
            email_key = secret_hash(row.email)
            _throttle(s, email_key, address, now)
            if not _matches(row.password_hash, password):
                wrong = True
                account_repo.add_failed_login(s, email_key, address, now)
                record_tx(
                    s, actor=actor_of(row), action="join_used", resource=f"account/{row.id}",
                    now=now, clinic_id=link.clinic_id, outcome="failed",
                )  # fmt: skip
            elif not _joinable(link.kind, row):  # said only to whoever knows the password
                raise InvalidInput(
                    "link: this invitation cannot be used with an account that already exists "
                    "here; ask the clinic to invite another email address"
                )
        else:
            check_password(password, row.email)
        if not wrong:
            if not account_repo.take_link(s, link.id, now):  # once, even with two at a time
                raise invalid
            if link.kind == "join":
                row.clinic_id = link.clinic_id
                if row.person_id is not None:
                    account_repo.set_person_clinic(s, row.person_id, link.clinic_id)
            else:
                row.password_hash = _hasher.hash(password)
                account_repo.delete_sessions_of(s, row.id)
            account_repo.cancel_links(s, row.id, now)  # any older link of the account ends too
            actor = actor_of(row)
            record_tx(
                s, actor=actor, action=f"{link.kind}_used", resource=f"account/{row.id}", now=now,
                clinic_id=row.clinic_id, person_id=row.person_id,
            )  # fmt: skip
    if wrong:
        raise Unauthorized("password: that is not this account's password")
    return actor


def _use_invitation(
    db: Database, secret: str, password: str, *, now: datetime, address: str, invalid: NotFound
) -> Actor:
    """A clinic's invitation, used by whoever holds the link: a new email becomes an account of the
    clinic with the password chosen here; an existing self-managed person joins with their own
    password (throttled and audited like a sign-in), keeping their data. Anyone else who already has
    an account is told to ask for an invitation to another address."""
    wrong = False
    with db.write() as s:
        inv = account_repo.invitation_by_hash(s, secret_hash(secret))
        if inv is None or inv.used_at is not None or inv.expires_at <= now:
            raise invalid
        resource = f"invitation/{inv.id}"
        row = account_repo.account_by_email(s, inv.email)
        if row is None:
            check_password(password, inv.email)
            if not account_repo.take_invitation(s, inv.id, now):  # once, even with two at a time
                raise invalid
            account_id = account_repo.add_account(
                s, email=inv.email, role=inv.role, name=inv.name, clinic_id=inv.clinic_id,
                person_id=None, password_hash=_hasher.hash(password), now=now,
            )  # fmt: skip
            row = account_repo.account(s, account_id)
            assert row is not None
            actor = actor_of(row)
            record_tx(
                s, actor=actor, action="account_create", resource=f"account/{row.id}", now=now,
                clinic_id=inv.clinic_id,
            )  # fmt: skip
        else:
            email_key = secret_hash(row.email)
            _throttle(s, email_key, address, now)
            if not _matches(row.password_hash, password):
                wrong = True
                account_repo.add_failed_login(s, email_key, address, now)
                # The account's own row, not the clinic's: a failed try would tell the clinic
                # that the email has an account.
                record_tx(
                    s, actor=actor_of(row), action="invite_used", resource=resource, now=now,
                    outcome="failed",
                )  # fmt: skip
            elif not (
                inv.role == Role.PERSON.value
                and row.role == Role.PERSON.value
                and row.clinic_id is None
                and row.removed_at is None
            ):  # said only to whoever knows the password
                raise InvalidInput(
                    "link: this invitation cannot be used with an account that already exists "
                    "here; ask the clinic to invite another email address"
                )
            else:
                if not account_repo.take_invitation(s, inv.id, now):
                    raise invalid
                row.clinic_id = inv.clinic_id
                if row.person_id is not None:
                    account_repo.set_person_clinic(s, row.person_id, inv.clinic_id)
                account_repo.forget_failed_logins(s, email_key)
                actor = actor_of(row)
        if not wrong:
            record_tx(
                s, actor=actor, action="invite_used", resource=resource, now=now,
                clinic_id=inv.clinic_id, person_id=row.person_id,
            )  # fmt: skip
    if wrong:
        raise Unauthorized("password: that is not this account's password")
    return actor


def _joinable(kind: str, row: AccountRow) -> bool:
    """A join link moves only a self-managed person into a clinic (a clinician or a person of
    another clinic is not moved by a link someone else made)."""
    if kind == JOIN_STAFF:
        return False
    if kind == "join":
        return row.role == Role.PERSON.value and row.clinic_id is None
    return True


def unclaimed_account(db: Database) -> int | None:
    """The first account made by the upgrade for a course stored before accounts, not yet claimed."""
    with db.read() as s:
        for row in account_repo.accounts(s):
            if (
                account_repo.UNCLAIMED.fullmatch(row.email)
                and row.password_hash is None
                and row.person_id
            ):
                return row.id
    return None


def claim(db: Database, account_id: int, email: str, password: str, *, now: datetime) -> Actor:
    """Issue 10 §7: the person of an upgraded database takes their course: their own email and
    password replace the unclaimed address (once; then it is an ordinary account)."""
    email = normal_email(email)
    check_password(password, email)
    with db.write() as s:
        row = account_repo.account(s, account_id)
        if row is None or row.password_hash is not None:
            raise NotFound("account: there is no program here waiting to be claimed")
        if account_repo.account_by_email(s, email) is not None:
            raise Conflict(f"email: an account with {email} already exists; use another email")
        row.email, row.password_hash = email, _hasher.hash(password)
        actor = actor_of(row)
        record_tx(
            s, actor=actor, action="claim", resource=f"account/{row.id}", now=now,
            person_id=row.person_id,
        )  # fmt: skip
    return actor


def find(db: Database, email: str) -> AccountRow | None:
    """The account with this email (checked and lower-cased first), or None."""
    address = normal_email(email)
    with db.read() as s:
        return account_repo.account_by_email(s, address)


def any_account(db: Database) -> bool:
    with db.read() as s:
        return account_repo.count_accounts(s) > 0


@dataclass(frozen=True)
class NewInvitation:
    invitation_id: int
    invitation: str  # the one-time link's secret, shown once


def invite(
    db: Database, email: str, *, role: str, actor: Actor, now: datetime, name: str = ""
) -> NewInvitation:
    """A clinician or clinic admin invites an email into their own clinic (access.py decides who may
    invite whom); the one-time link (7 days) is shown on screen once. The invitation is kept by email
    and no account is read: the inviter sees the same pending invitation, audit row and working
    re-invite whether or not the email has an account anywhere (issue 10 §1). Only the invitee, on
    using the link, sets a password (a new email) or enters their own (an account that exists)."""
    wanted = account_role(role, actor.clinic_id)
    action = Action.INVITE_PERSON if wanted == Role.PERSON else Action.INVITE_CLINICIAN
    check(actor, action, Subject(None, actor.clinic_id), what="clinic")
    assert actor.clinic_id is not None
    address = normal_email(email)
    secret = new_secret()
    with db.write() as s:
        account_repo.end_invitations(s, actor.clinic_id, address, now)  # the newest one works
        invitation_id = account_repo.add_invitation(
            s, token_hash=secret_hash(secret), clinic_id=actor.clinic_id, email=address,
            role=wanted.value, name=name.strip()[:200], created_by=actor.label, now=now,
            expires=now + INVITE_LIFETIME,
        )  # fmt: skip
        record_tx(
            s, actor=actor, action="invite", resource=f"invitation/{invitation_id}", now=now,
            clinic_id=actor.clinic_id,
        )  # fmt: skip
    return NewInvitation(invitation_id, secret)


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    email: str
    role: str
    expires_at: datetime


def pending_invitations(db: Database, clinic_id: int, *, now: datetime) -> list[PendingInvitation]:
    """The clinic's invitations not used yet (the same whether or not the email has an account)."""
    with db.read() as s:
        return [
            PendingInvitation(r.id, r.email, r.role, r.expires_at)
            for r in account_repo.pending_invitations(s, clinic_id, now)
        ]


def link_asks(db: Database, secret: str, *, now: datetime) -> str:
    """What the link page asks whoever opened it: "new" (choose a password) or "own" (the password
    of the account that exists); "" for a link that is not valid. Only the link's holder sees it."""
    hashed = secret_hash(secret)
    with db.read() as s:
        invitation = account_repo.invitation_by_hash(s, hashed)
        if invitation is not None:
            if invitation.used_at is not None or invitation.expires_at <= now:
                return ""
            return "own" if account_repo.account_by_email(s, invitation.email) else "new"
        link = account_repo.link_by_hash(s, hashed)
        if link is None or link.used_at is not None or link.expires_at <= now:
            return ""
        return "own" if link.kind in JOIN_KINDS else "new"


ClinicRow = TypeVar("ClinicRow", AccountRow, InvitationRow)


def _of_clinic(actor: Actor, action: Action, row: ClinicRow | None, what: str) -> ClinicRow:
    """`row` (an account or an invitation) once access.py allows `action` on its clinic; otherwise,
    or when there is no such row (the server admin reaches every clinic), the 404 of no such `what`."""
    check(actor, action, Subject(None, row.clinic_id if row is not None else None), what=what)
    if row is None:
        raise NotFound(f"{what}: there is no such {what}")
    return row


def withdraw_invitation(db: Database, invitation_id: int, *, actor: Actor, now: datetime) -> None:
    """A clinic admin takes back an invitation nobody has used yet: its link stops working at once
    (the link page then says it is not valid), and the trail says who withdrew it."""
    with db.write() as s:
        found = account_repo.invitation(s, invitation_id)
        row = _of_clinic(actor, Action.WITHDRAW_INVITATION, found, "invitation")
        if row.used_at is not None or row.expires_at <= now:
            raise Conflict(
                "invitation: it was used, withdrawn or replaced, or it has expired, so there is "
                "nothing to withdraw; invite them again for a new link"
            )
        row.used_at = now  # an invitation ends once, whichever way (account_repo.end_invitations)
        record_tx(
            s, actor=actor, action="withdraw_invitation", resource=f"invitation/{row.id}", now=now,
            clinic_id=row.clinic_id,
        )  # fmt: skip


def remove_member(db: Database, account_id: int, *, actor: Actor, now: datetime) -> None:
    """A clinic admin removes a clinician or a person from the clinic: they cannot sign in any more
    and every session of theirs ends; a person's record stays (it is theirs), outside the clinic."""
    with db.write() as s:
        row = _of_clinic(
            actor, Action.REMOVE_MEMBER, account_repo.account(s, account_id), "account"
        )
        clinic = row.clinic_id  # before a person's is cleared below
        if row.id == actor.account_id:
            raise InvalidInput("account: you cannot remove yourself; ask another clinic admin")
        if row.role == Role.PERSON.value:
            row.clinic_id = None
            if row.person_id is not None:
                account_repo.set_person_clinic(s, row.person_id, None)
        else:
            row.removed_at = now
        account_repo.delete_sessions_of(s, row.id)
        record_tx(
            s, actor=actor, action="remove_member", resource=f"account/{row.id}", now=now,
            clinic_id=clinic, person_id=row.person_id,
        )  # fmt: skip


def _matches(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return bool(_hasher.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def list_accounts(db: Database, actor: Actor, clinic_id: int | None = None) -> list[AccountRow]:
    """A clinic's accounts, or (no clinic) every account: the server admin's."""
    with db.read() as s:
        check(actor, Action.LIST_MEMBERS, Subject(None, clinic_id), what="clinic")
        return account_repo.accounts(s, clinic_id)


# --- signing in ---------------------------------------------------------------------------------


def _throttle(s: object, email_key: str, address: str, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    for found, limit in (
        (account_repo.failed_logins_since(s, since=since, email_key=email_key), ACCOUNT_FAILURES),  # type: ignore[arg-type]
        (account_repo.failed_logins_since(s, since=since, address=address), ADDRESS_FAILURES),  # type: ignore[arg-type]
    ):
        if len(found) >= limit:
            until = found[-limit] + THROTTLE_WINDOW
            wait = max(1, int((until - now).total_seconds()))
            raise Throttled(
                f"too many wrong passwords: wait {max(1, wait // 60)} minute(s), until "
                f"{until.strftime('%H:%M')} UTC, then try again (or ask for a reset link)",
                retry_after_s=wait,
            )


def authenticate(
    db: Database, email: str, password: str, *, address: str, now: datetime, request_id: str = "-"
) -> Actor:
    """The account for this pair, or Unauthorized with one generic message; Throttled while too
    many recent failures (for the account or from the address). Failures are kept in the database."""
    email = email.strip().lower()
    email_key = secret_hash(email)
    with db.write() as s:
        _throttle(s, email_key, address, now)
        row = account_repo.account_by_email(s, email)
        ok = False
        if row is not None and row.password_hash and row.removed_at is None:
            try:
                ok = _hasher.verify(row.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            if ok and _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
        else:
            _hasher.hash(password)  # the same time spent for an unknown email
        if not ok:
            account_repo.add_failed_login(s, email_key, address, now)
            who = actor_of(row) if row is not None else Actor(None, "anonymous", Role.PERSON)
            record_tx(
                s, actor=who, action="sign_in", resource="auth/login", now=now,
                request_id=request_id, outcome="failed",
            )  # fmt: skip
    if not ok or row is None:
        raise Unauthorized(WRONG_PAIR)
    actor = actor_of(row)
    with db.write() as s:
        account_repo.forget_failed_logins(s, email_key)
    return actor


@dataclass(frozen=True)
class SignedIn:
    token: str  # the cookie's value, shown once
    csrf_token: str
    actor: Actor


def start_session(db: Database, actor: Actor, *, now: datetime, request_id: str = "-") -> SignedIn:
    """A new session (a new token at every sign-in: no fixation)."""
    assert actor.account_id is not None
    token, csrf = new_secret(), new_secret()
    with db.write() as s:
        account_repo.add_session(s, actor.account_id, secret_hash(token), csrf, now)
        record_tx(
            s, actor=actor, action="sign_in", resource="auth/login", now=now,
            request_id=request_id, clinic_id=actor.clinic_id, person_id=actor.person_id,
        )  # fmt: skip
    return SignedIn(token, csrf, actor)


@dataclass(frozen=True)
class OwnRecord:
    """The signed-in account's own person record as the sign-in lookup read it: whose record it is
    (access.py's subject; Subject(None, None) when the record is gone) and the person's timezone."""

    subject: Subject
    timezone: str | None
    # Which state of the record this is: its creation time, revision (raised by every change to its
    # records, web/kept_views.py) and rule book. None when the record is gone.
    version: tuple[datetime, int, int] | None = None


def _own_record(row: Any) -> OwnRecord:
    """The record's part of a lookup row (`record_*` columns; None or a None id: the record is gone)."""
    if row is None or row.record_id is None:
        return OwnRecord(Subject(None, None), None)
    return OwnRecord(
        Subject(row.record_id, row.record_clinic_id),
        row.record_timezone,
        (row.record_created_at, row.record_revision, row.record_rules_version),
    )


@dataclass(frozen=True)
class CurrentSession:
    actor: Actor
    csrf_token: str
    name: str = ""  # the account's display name
    record: OwnRecord | None = None  # None: the account has no person record of its own


class Upkeep(Enum):
    """The write a session's lookup asks for, now and then (never on most requests)."""

    TOUCH = "touch"  # its last-seen time, at most once a minute
    END = "end"  # idle too long, too old, or its account removed: deleted


def look_up_session(
    db: Database, token: str, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> tuple[CurrentSession | None, Upkeep | None]:
    """The session behind a cookie (None when unknown, idle too long or too old), and the write it
    asks for, to be done with `keep_up_session` (by the web app on its thread pool: it may wait for
    the database's write lock). A read: one query on a connection this thread keeps (the session,
    its account and the account's own record), made against the database on every request, so a
    sign-out or removal in another process counts at once."""
    row = account_repo.signed_in(db, secret_hash(token))
    return _session_of(row, now=now, idle=idle, lifetime=lifetime)


async def look_up_session_waiting(
    db: Database, token: str, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> tuple[CurrentSession | None, Upkeep | None]:
    """`look_up_session` for the event loop: on PostgreSQL its round trip leaves the loop free to
    serve other requests (a stalled database no longer stops the whole worker, /healthz included)."""
    row = await account_repo.signed_in_waiting(db, secret_hash(token))
    return _session_of(row, now=now, idle=idle, lifetime=lifetime)


def _session_of(
    row: Any | None, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> tuple[CurrentSession | None, Upkeep | None]:
    if row is None:
        return None, None
    expired = now - row.last_seen_at > idle or now - row.created_at > lifetime
    if expired or row.account_id is None or row.removed_at is not None:
        return None, Upkeep.END
    actor = _signed_in(row)
    record = _own_record(row) if row.person_id is not None else None
    upkeep = Upkeep.TOUCH if now - row.last_seen_at > TOUCH_EVERY else None
    return CurrentSession(actor, row.csrf_token, row.name, record), upkeep


def keep_up_session(db: Database, token: str, upkeep: Upkeep, *, now: datetime) -> None:
    """The write `look_up_session` asked for: the last-seen time written, or the session deleted."""
    hashed = secret_hash(token)
    with db.write() as s:
        if upkeep is Upkeep.END:
            account_repo.delete_session(s, hashed)
        else:
            account_repo.touch_session(s, hashed, now)


def resolve_session(
    db: Database, token: str, *, now: datetime, idle: timedelta, lifetime: timedelta
) -> CurrentSession | None:
    """The session behind a cookie, or None when unknown, idle too long or too old (then deleted);
    its last-seen time is written at most once a minute, so requests do not queue on the
    database's write lock just to be recognised."""
    current, upkeep = look_up_session(db, token, now=now, idle=idle, lifetime=lifetime)
    if upkeep is not None:
        keep_up_session(db, token, upkeep, now=now)
    return current


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def end_session(db: Database, token: str) -> None:
    with db.write() as s:
        account_repo.delete_session(s, secret_hash(token))


def end_all_sessions(db: Database, actor: Actor, *, now: datetime, request_id: str = "-") -> int:
    assert actor.account_id is not None
    with db.write() as s:
        ended = account_repo.delete_sessions_of(s, actor.account_id)
        record_tx(
            s, actor=actor, action="sign_out_everywhere", resource="auth/logout", now=now,
            request_id=request_id,
        )  # fmt: skip
    return ended


# --- personal access tokens -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    token_id: int
    secret: str  # shown once


def token_scope(raw: str) -> Scope:
    try:
        return Scope(raw)
    except ValueError:
        raise InvalidInput(f"--scope: '{raw}' is not a scope; allowed: read, write") from None


def create_token(
    db: Database, email: str, *, scope: str, name: str, actor: Actor, now: datetime
) -> NewToken:
    scope_ = token_scope(scope)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("--name: give the token a name of 1 to 100 characters")
    email = normal_email(email)
    secret = "kh_" + new_secret()
    with db.write() as s:
        row = account_repo.account_by_email(s, email)
        check(actor, Action.MANAGE_TOKENS, _account_subject(row), what="account")
        if row is None:
            raise NotFound(f"email: no account with {email}")
        token_id = account_repo.add_token(
            s, account_id=row.id, name=name, scope=scope_.value, token_hash=secret_hash(secret),
            now=now,
        )  # fmt: skip
        record_tx(
            s, actor=actor, action="token_create", resource=f"token/{token_id}", now=now,
            clinic_id=row.clinic_id, person_id=row.person_id,
        )  # fmt: skip
    return NewToken(token_id, secret)


@dataclass(frozen=True)
class TokenInfo:
    """What the server admin sees of a token (never its secret or hash)."""

    id: int
    account_id: int
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def list_tokens(db: Database, actor: Actor, account_ids: list[int]) -> list[TokenInfo]:
    """The tokens of these accounts with their last-used time (issue 10 §2), oldest first."""
    with db.read() as s:
        check(actor, Action.MANAGE_TOKENS, Subject(None, None), what="token")
        return [
            TokenInfo(
                t.id,
                t.account_id,
                t.name,
                t.scope,
                t.created_at,
                t.last_used_at,
                t.revoked_at is not None,
            )
            for t in account_repo.tokens_of(s, account_ids)
        ]


def revoke_token(db: Database, token_id: int, *, actor: Actor, now: datetime) -> None:
    with db.write() as s:
        row = account_repo.token(s, token_id)
        owner = account_repo.account(s, row.account_id) if row is not None else None
        check(actor, Action.MANAGE_TOKENS, _account_subject(owner), what="token")
        if row is None:
            raise NotFound(f"token: {token_id} not found")
        if row.revoked_at is None:
            row.revoked_at = now
        record_tx(s, actor=actor, action="token_revoke", resource=f"token/{token_id}", now=now)


def resolve_token(
    db: Database, secret: str, *, now: datetime, request_id: str = "-"
) -> Actor | None:
    """The actor a bearer token acts as (with its scope), or None when unknown or revoked."""
    found = resolve_token_record(db, secret, now=now, request_id=request_id)
    return found[0] if found is not None else None


@dataclass(frozen=True)
class TokenHit:
    """A live token as its lookup read it: who it acts as, and their own record (as a session's)."""

    token_id: int
    actor: Actor
    record: OwnRecord | None  # None: the account has no person record of its own


@dataclass(frozen=True)
class TokenUse:
    """One request's use of a token, when it came and the request's id (for its trail row): the
    token as its lookup read it (`hit`), or its hash, to be looked up in the use's batch."""

    hit: TokenHit | None
    now: datetime
    request_id: str = "-"
    token_hash: str | None = None


TokenFound = tuple[Actor, OwnRecord | None] | None


def look_up_token(db: Database, secret: str) -> TokenHit | None:
    """The live token behind a secret (None when unknown, revoked, or its account removed): a read,
    one query on a connection this thread keeps, like a session's lookup. Its use is not recorded
    yet: `resolve_token_record` and `use_token` write it before anything is answered."""
    return _live_hit(account_repo.token_in(db, secret_hash(secret)))


def _live_hit(row: Any) -> TokenHit | None:
    """The token a lookup row (account_repo.TOKEN_IN) holds, if it is live."""
    if row is None or row.token_revoked_at is not None:
        return None
    if row.account_id is None or row.removed_at is not None:
        return None
    actor = _signed_in(row, Scope(row.scope))
    return TokenHit(row.token_id, actor, _own_record(row) if row.person_id is not None else None)


def _signed_in(row: Any, scope: Scope | None = None) -> Actor:
    """The account a session's or a token's lookup row signs in (a token's with its scope)."""
    return Actor(
        account_id=row.account_id,
        email=row.email,
        role=Role(row.role),
        clinic_id=row.clinic_id,
        person_id=row.person_id,
        token_scope=scope,
    )


def resolve_token_record(
    db: Database, secret: str, *, now: datetime, request_id: str = "-"
) -> TokenFound:
    """`resolve_token`, with the account's own person record (None when the account has none). The
    use is in the audit trail, committed, before this returns; concurrent uses on one database are
    written together (services/group_commit.py), each with its own trail row."""
    hit = look_up_token(db, secret)
    if hit is None:
        return None
    used = _token_uses(db).submit(TokenUse(hit, now, request_id))
    return None if used is None else (used.actor, used.record)


async def use_token(
    db: Database, secret: str, *, now: datetime, request_id: str = "-"
) -> TokenFound:
    """`resolve_token_record` for the web app, on its event loop: the use's write waits for its
    batch without holding a thread (one thread writes each batch).

    SQLite: the lookup is a point read here (~20 µs in process; an unknown token never waits for
    the writers' turn). PostgreSQL: a read is a round trip to the server, and on the event loop it
    stalled every request of the worker (/healthz too) whenever the server was slow: the lookup
    goes with the use, in its batch's first round trip (docs/benchmarks.md, tokens4)."""
    if db.is_sqlite:
        hit = look_up_token(db, secret)
        if hit is None:
            return None
        use = TokenUse(hit, now, request_id)
    else:
        use = TokenUse(None, now, request_id, secret_hash(secret))
    used = await _token_uses(db).submit_async(use)
    return None if used is None else (used.actor, used.record)


def _token_uses(db: Database) -> GroupCommit[TokenUse, TokenHit | None]:
    batches = _TOKEN_BATCHES.get(db)
    if batches is None:
        with _BATCHES_LOCK:
            batches = _TOKEN_BATCHES.get(db)
            if batches is None:
                batches = _TOKEN_BATCHES[db] = GroupCommit(
                    lambda uses: _write_uses(db, uses), db.writers_turn
                )
    return batches


# One group commit of token uses per database (a Database is compared by its engine).
_TOKEN_BATCHES: weakref.WeakKeyDictionary[Database, GroupCommit[TokenUse, TokenHit | None]] = (
    weakref.WeakKeyDictionary()
)
_BATCHES_LOCK = threading.Lock()


def write_token_uses(db: Database, uses: Sequence[TokenUse]) -> list[bool]:
    """Each use's last-used time and trail row, in one write transaction (the rows in order); for
    each use, whether its token was still live (revoked or its account removed since the lookup:
    refused, and no row)."""
    return [used is not None for used in _write_uses(db, uses)]


def _write_uses(db: Database, uses: Sequence[TokenUse]) -> list[TokenHit | None]:
    """`write_token_uses`, with each use's live token (None: refused), looking up the uses that
    come with a hash only.

    Locks are taken in the order every writer takes them: the tokens' rows (their last-used times)
    by id, then the trail's. A batch that marked each token as it went, after the first use had
    taken the trail's lock, deadlocked with another process's batch on PostgreSQL."""
    try:
        return db.kept_write(lambda tx: _mark_and_append(tx, uses))
    except NoAnchor:  # a trail restored from before its anchor: anchored once, then as always
        audit.anchor(db)
        return db.kept_write(lambda tx: _mark_and_append(tx, uses))


def _mark_and_append(tx: KeptTransaction, uses: Sequence[TokenUse]) -> list[TokenHit | None]:
    # On a connection this thread keeps, with statements compiled once (store/point_read.py): the
    # session and pool around these few statements cost ~4× the database's own work. On PostgreSQL
    # at most three round trips: the lookups of the uses that need one; the marks, the trail's lock
    # and its head; then the rows and the anchor with the COMMIT.
    asked = {
        h: account_repo.ask_token(tx, h)
        for h in dict.fromkeys(u.token_hash for u in uses if u.hit is None and u.token_hash)
    }
    hits = [
        u.hit if u.hit is not None else _live_hit(asked[u.token_hash].row) if u.token_hash else None
        for u in uses
    ]
    last_used: dict[int, datetime] = {}
    for use, hit in zip(uses, hits, strict=True):
        if hit is not None:
            last_used[hit.token_id] = max(use.now, last_used.get(hit.token_id, use.now))
    if not last_used:  # nothing to mark or record (unknown tokens): no lock taken
        return [None] * len(uses)
    marks = account_repo.mark_tokens_used(tx, last_used)
    live: set[int] = set()

    def rows() -> list[Trail]:  # read once the head's answer has come, with the marks'
        live.update(token_id for token_id, sent in marks.items() if sent.rowcount)
        return [
            _use_row(use, hit)
            for use, hit in zip(uses, hits, strict=True)
            if hit is not None and hit.token_id in live
        ]

    audit.append_kept(tx, rows)
    return [hit if hit is not None and hit.token_id in live else None for hit in hits]


def _use_row(use: TokenUse, hit: TokenHit) -> Trail:
    actor = hit.actor
    resource = f"token/{hit.token_id}"
    return Trail(actor, account_repo.TOKEN_USE, resource, use.now, actor.person_id, actor.clinic_id,
                 use.request_id)  # fmt: skip
