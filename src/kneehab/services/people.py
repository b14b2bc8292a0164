"""The people a clinician may see (issue 10 §5): who they are, and the access decision with its audit
row for every look at one of them (issue 10 §6). The caseload's summaries come with issue 12."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session as DbSession

from kneehab.access import READS, Action, check
from kneehab.domain.identity import Actor, Subject
from kneehab.errors import Conflict, NotFound
from kneehab.services.acting import subject_tx
from kneehab.services.audit import record_tx
from kneehab.store import account_repo, repo
from kneehab.store.db import Database

T = TypeVar("T")
LIST_PATIENTS = Action.LIST_PATIENTS.value  # the audit action of a look at a clinic's list


@dataclass(frozen=True)
class Patient:
    id: int
    email: str
    name: str
    start: date
    timezone: str | None = None  # the person's own zone: their "today" (issue 11 §1)


def patients(db: Database, actor: Actor, *, now: datetime, request_id: str = "-") -> list[Patient]:
    """The people of the actor's clinic (404 words for anyone who may not list them)."""
    with db.write() as s:
        found = patients_in(s, actor)
        record_tx(
            s, actor=actor, action=LIST_PATIENTS, resource="patients", now=now,
            clinic_id=actor.clinic_id, request_id=request_id,
        )  # fmt: skip
    return found


def patients_in(s: DbSession, actor: Actor) -> list[Patient]:
    """`patients` in the caller's transaction, without its audit row (the caller writes it: the
    caseload writes one for the clinic and one for each person it shows, in one transaction)."""
    check(actor, Action.LIST_PATIENTS, Subject(None, actor.clinic_id), what="clinic")
    assert actor.clinic_id is not None
    return [
        Patient(pid, email or "", name or "", start, zone)
        for pid, email, name, start, zone in account_repo.people_of_clinic(s, actor.clinic_id)
    ]


def open_record(
    db: Database,
    actor: Actor,
    person_id: int,
    *,
    action: Action,
    resource: str,
    now: datetime,
    request_id: str = "-",
) -> None:
    """The access decision for `actor` on this person's record; a look by anyone but the person is
    audited (a refusal too), never with a health value."""
    with db.read() as s:
        subject = subject_tx(s, person_id)
    try:
        check(actor, action, subject)
    except NotFound:
        if actor.person_id != person_id:
            with db.write() as s:
                record_tx(
                    s, actor=actor, action=action.value, resource=resource, now=now,
                    person_id=subject.person_id, clinic_id=subject.clinic_id,
                    request_id=request_id, outcome="refused",
                )  # fmt: skip
        raise
    if actor.person_id != person_id:
        with db.write() as s:
            record_tx(
                s, actor=actor, action=action.value, resource=resource, now=now,
                person_id=person_id, clinic_id=subject.clinic_id, request_id=request_id,
            )  # fmt: skip


def exported(
    db: Database,
    actor: Actor,
    person_id: int,
    *,
    kind: str,
    resource: str,
    now: datetime,
    make: Callable[[], T],
    request_id: str = "-",
) -> T:
    """An export of this person's data (issue 14: every export is in the audit trail): the access
    decision, then `make()`, then one row `export.{kind}` whoever asked, the person's own exports
    too (a copy of their data left kneehab). The outcome says refused, on_hold (nothing to export:
    the program is withheld or locked) or ok; never a health value."""
    with db.read() as s:
        subject = subject_tx(s, person_id)

    def row(outcome: str) -> None:
        with db.write() as s:
            record_tx(
                s, actor=actor, action=f"export.{kind}", resource=resource, now=now,
                person_id=subject.person_id, clinic_id=subject.clinic_id,
                request_id=request_id, outcome=outcome,
            )  # fmt: skip

    try:
        check(actor, Action.READ_HEALTH, subject)
    except NotFound:
        row("refused")
        raise
    try:
        made = make()
    except Conflict:
        row("on_hold")
        raise
    row("ok")
    return made


def open_record_tx(
    s: DbSession,
    actor: Actor,
    person_id: int,
    *,
    action: Action,
    resource: str,
    now: datetime,
    request_id: str = "-",
) -> NotFound | None:
    """`open_record` in the caller's write transaction (a change also takes the person's lock, as
    `acting.authorize` does). A refusal is returned, not raised: its audit row is in this
    transaction, so the caller commits and then raises it."""
    subject = subject_tx(s, person_id)
    refused: NotFound | None = None
    try:
        check(actor, action, subject)
    except NotFound as err:
        refused = err
    if actor.person_id != person_id:
        record_tx(
            s, actor=actor, action=action.value, resource=resource, now=now,
            person_id=subject.person_id if refused else person_id, clinic_id=subject.clinic_id,
            request_id=request_id, outcome="refused" if refused else "ok",
        )  # fmt: skip
    if refused is not None:
        return refused
    if action not in READS:
        repo.lock_person(s, person_id)
    return None
