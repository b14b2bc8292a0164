"""Enrolment: screen the intake, build the first program and keep both; and deleting a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kneehab.access import Action, allows, check
from kneehab.domain.exercise import Library
from kneehab.domain.identity import Actor, Role, Subject
from kneehab.domain.intake import Intake
from kneehab.domain.local_time import known_zone, local_date
from kneehab.domain.planning import plan
from kneehab.domain.program import Program, Triage
from kneehab.domain.screening import screen
from kneehab.errors import Conflict, InvalidInput
from kneehab.services import accounts
from kneehab.services.acting import Acting, authorize
from kneehab.services.replay import RULES_VERSION
from kneehab.store import account_repo, repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class Enrollment:
    person_id: int
    triage: Triage
    program: Program | None
    account_id: int | None = None


def enroll(
    db: Database,
    intake: Intake,
    *,
    actor: Actor | None,
    start: date,
    now: datetime,
    library: Library,
    replace: int | None = None,
    account_id: int | None = None,
    new_account: tuple[str, str] | None = None,
    timezone: str | None = None,
) -> Enrollment:
    """Screen the intake, build the first program and keep both, in one transaction. `replace` deletes
    that person first. The person belongs to `account_id` (an account without a record yet: it joins
    that account's clinic, if any), or to a new self-managed account `new_account` = (email,
    password) made in the same transaction (first run's "save your program"). `actor` is who enrols:
    the person themselves, a clinician of their clinic, the server admin, or None for a newcomer
    saving their own first run; only a clinician sets the pain limit (RULES D-1, D-7)."""
    _may_enrol(actor, intake, account_id=account_id, new_account=new_account)
    zone = checked_zone(timezone)
    triage = screen(intake)
    program = plan(intake, triage, library, start=start)
    with db.write() as s:
        if new_account is not None:
            email, password = new_account
            made = accounts.add_account_tx(
                s, email, role="person", clinic_id=None, password=password, actor=None, now=now
            )
            account_id = made.account_id
        if replace is not None:
            # Deleting a record is access.py's decision like any other, in this same transaction,
            # so a refused or failed enrolment deletes nothing.
            if actor is None:
                raise InvalidInput("replace: sign in to start a program again")
            authorize(s, Acting(actor, replace), Action.DELETE_PERSON)
            if account_id is None:  # the new program stays with the account that held the old one
                held = account_repo.account_of_person(s, replace)
                account_id = held.id if held is not None else None
        # The account's row is held until commit: two enrolments of one account cannot both pass the
        # "no program yet" check (issue 11 §1).
        owner = account_repo.account(s, account_id, lock=True) if account_id is not None else None
        if actor is not None and owner is not None and actor.account_id != owner.id:
            # someone else's account: a clinician of its clinic (or the server admin) only
            check(actor, Action.CLINICAL_ACTION, Subject(None, owner.clinic_id), what="account")
        if account_id is not None and (owner is None or owner.role != Role.PERSON.value):
            raise InvalidInput("account: only a person's own account holds a program")
        if owner is not None and owner.person_id is not None and owner.person_id != replace:
            raise Conflict(
                "you already have a program; to start again, delete your data on the My data page"
            )
        if replace is not None:
            repo.delete_person(s, replace)
            if owner is not None:
                # The database cleared the account's link (ON DELETE SET NULL) behind the loaded row;
                # SQLite may give the new record the same id, so the assignment below must be written.
                s.expire(owner, ["person_id"])
        pid = repo.add_person(s, start=start, now=now, rules_version=RULES_VERSION, timezone=zone)
        if owner is not None:
            owner.person_id = pid
            account_repo.set_person_clinic(s, pid, owner.clinic_id)
        repo.add_intake(s, pid, intake, triage, now=now)
        if program is not None:
            repo.add_program_version(
                s,
                pid,
                program=program,
                effective=start,
                now=now,
                kind="plan",
                actor="planner",
                rules=tuple(
                    dict.fromkeys(("D-2", "D-4", "D-10", "C-8", *program.pain_ceiling_rules))
                ),
                reason=f"Starting program built from the intake (triage: {triage.level.value}).",
            )
    if replace is not None:
        db.forget_deleted()  # as delete_person: the old record is not left readable on disk
    return Enrollment(pid, triage, program, account_id)


def _may_enrol(
    actor: Actor | None,
    intake: Intake,
    *,
    account_id: int | None,
    new_account: tuple[str, str] | None,
) -> None:
    if actor is None and new_account is None:
        raise InvalidInput("account: sign in, or create an account to save your program")
    if intake.pain_ceiling is not None and (
        actor is None or not allows(actor, Action.CLINICAL_ACTION, Subject(None, actor.clinic_id))
    ):
        raise InvalidInput(
            "pain_ceiling: only a clinician sets the pain limit (RULES D-1, D-7); leave it out"
        )


def checked_zone(timezone: str | None) -> str | None:
    """The zone a person gave (their browser's, or typed), or None for the server's."""
    zone = (timezone or "").strip()
    if not zone:
        return None
    if not known_zone(zone):
        raise InvalidInput(
            f"timezone: '{zone[:64]}' is not a timezone name this server knows; use a name such "
            "as Europe/Berlin or America/New_York, or leave it out for the server's"
        )
    return zone


def zone_of(db: Database, who: Acting) -> str | None:
    """The timezone of the person's record: whoever may read their record may know their "today"."""
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return repo.person_timezone(s, who.person_id)


def own_zone(who: Acting, record: accounts.OwnRecord) -> str | None:
    """`zone_of` from what the sign-in lookup read of the person's own record (web/auth.py): the same
    access.py decision on the same subject, without another read."""
    check(who.actor, Action.READ_HEALTH, record.subject)
    return record.timezone


def person_today(db: Database, who: Acting, now: datetime) -> date:
    """The person's own date at `now` (issue 11 §1)."""
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return local_date(now, repo.person_timezone(s, who.person_id))


def set_timezone(db: Database, who: Acting, timezone: str | None) -> str | None:
    """Change the person's timezone (None: the server's); their records keep their dates."""
    zone = checked_zone(timezone)
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        repo.set_person_timezone(s, who.person_id, zone)
    return zone


def people_ids(db: Database) -> list[int]:
    with db.read() as s:
        return repo.person_ids(s)


def headcount(db: Database) -> tuple[int, int]:
    """(people with a record, accounts) in the database: what a whole-database restore would replace."""
    with db.read() as s:
        return len(repo.person_ids(s)), account_repo.count_accounts(s)


def current_person_id(db: Database) -> int | None:
    """The lowest person id, or None: for tests and one-person tools only. Commands that act on a
    person ask for --person once more than one is enrolled (cli/care_options.py)."""
    with db.read() as s:
        return repo.first_person_id(s)


def delete_person(db: Database, who: Acting) -> None:
    """Delete everything about a person, and leave none of it readable on disk (the web, the API
    and the CLI all come here)."""
    person_id = who.person_id
    with db.write() as s:
        authorize(s, who, Action.DELETE_PERSON)
        repo.delete_person(s, person_id)
    db.forget_deleted()
