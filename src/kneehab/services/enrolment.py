"""Enrolment: screen the intake, build the first program and keep both; and deleting a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kneehab.domain.exercise import Library
from kneehab.domain.identity import Role
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import Program, Triage
from kneehab.domain.screening import screen
from kneehab.errors import Conflict, InvalidInput
from kneehab.services import accounts
from kneehab.services.replay import RULES_VERSION, library_or_default
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
    start: date,
    now: datetime,
    library: Library | None = None,
    replace: int | None = None,
    account_id: int | None = None,
    new_account: tuple[str, str] | None = None,
) -> Enrollment:
    """Screen the intake, build the first program and keep both, in one transaction. `replace` deletes
    that person first. The person belongs to `account_id` (an account without a record yet: it joins
    that account's clinic, if any), or to a new self-managed account `new_account` = (email,
    password) made in the same transaction (first run's "save your program")."""
    triage = screen(intake)
    program = plan(intake, triage, library_or_default(library), start=start)
    with db.write() as s:
        if new_account is not None:
            email, password = new_account
            made = accounts.add_account_tx(
                s, email, role="person", clinic_id=None, password=password, actor=None, now=now
            )
            account_id = made.account_id
        owner = account_repo.account(s, account_id) if account_id is not None else None
        if account_id is not None and (owner is None or owner.role != Role.PERSON.value):
            raise InvalidInput("account: only a person's own account holds a program")
        if owner is not None and owner.person_id is not None:
            raise Conflict(
                "you already have a program; to start again, delete your data on the My data page"
            )
        if replace is not None:
            repo.delete_person(s, replace)
        pid = repo.add_person(s, start=start, now=now, rules_version=RULES_VERSION)
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
    return Enrollment(pid, triage, program, account_id)


def people_ids(db: Database) -> list[int]:
    with db.read() as s:
        return repo.person_ids(s)


def current_person_id(db: Database) -> int | None:
    """The single local person (accounts come later; this is the one place that decides)."""
    with db.read() as s:
        return repo.first_person_id(s)


def delete_person(db: Database, person_id: int) -> None:
    """Delete everything about a person, and leave none of it readable on disk (the web, the API
    and the CLI all come here)."""
    with db.write() as s:
        repo.delete_person(s, person_id)
    db.forget_deleted()
