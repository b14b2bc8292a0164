"""Enrolment: screen the intake, build the first program and keep both; and deleting a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import Program, Triage
from kneehab.domain.screening import screen
from kneehab.services.replay import RULES_VERSION, library_or_default
from kneehab.store import repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class Enrollment:
    person_id: int
    triage: Triage
    program: Program | None


def enroll(
    db: Database,
    intake: Intake,
    *,
    start: date,
    now: datetime,
    library: Library | None = None,
    replace: int | None = None,
) -> Enrollment:
    """Screen the intake, build the first program and keep both. `replace` deletes that person first."""
    triage = screen(intake)
    program = plan(intake, triage, library_or_default(library), start=start)
    with db.write() as s:
        if replace is not None:
            repo.delete_person(s, replace)
        pid = repo.add_person(s, start=start, now=now, rules_version=RULES_VERSION)
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
    return Enrollment(pid, triage, program)


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
