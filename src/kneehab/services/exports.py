"""Exports of a person's program and course (issue 14): the printable handout (PDF), the calendar
(iCalendar) and the clinic's record (FHIR R4), each one use-case = access decision + audit row + render.

Every export is the signed-in person's own or a permitted clinician's: `services.people.exported`
asks access.py and writes the audit row (`export.handout`, `export.calendar`, `export.fhir`, …) for
every export, the person's own included. The subject is gathered by the small functions below, the
ONLY places that read the course (`_read`: one transaction, no audit row of its own: the export's row
is its audit).
The renderers in kneehab.exports are pure (same data and date → same bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action
from kneehab.domain.course import Course
from kneehab.domain.exercise import Library
from kneehab.domain.identity import Actor, Role, Scope
from kneehab.domain.local_time import local_date
from kneehab.domain.records import History
from kneehab.errors import Conflict, NotFound
from kneehab.exports import calendar_ics, fhir_bundle, handout_pdf
from kneehab.exports.calendar_ics import DEFAULT_REMIND_AT
from kneehab.exports.context import (
    CourseSubject,
    DatedEntry,
    ExportContext,
    HeldSubject,
    ProgramSubject,
)
from kneehab.services.accounts import new_secret, secret_hash
from kneehab.services.acting import Acting, authorize
from kneehab.services.audit import record_tx
from kneehab.services.course import HistoryView
from kneehab.services.people import exported, open_record
from kneehab.services.replay import course_in, history_in
from kneehab.store import account_repo, calendar_repo, repo
from kneehab.store.db import Database
from kneehab.store.repo import ProgramVersion

T = TypeVar("T")

FEED_PATH = "/calendar/{secret}.ics"
# Who reads a subscription: whoever holds the URL (a phone's calendar), not a signed-in account. The secret
# stands for the person's own read-only token, for their program only (see `feed`).
FEED_READER = Actor(
    account_id=None, email="calendar subscription", role=Role.PERSON, token_scope=Scope.READ
)
WITHHELD = (
    "program: it is on hold after a warning sign, so there is nothing to print or put in a "
    "calendar; open Today in kneehab for what to do"
)


@dataclass(frozen=True)
class Request:
    """Who asks for which person's export, and when (the audit row's facts)."""

    actor: Actor
    person_id: int
    now: datetime
    today: date
    base_url: str
    library: Library
    request_id: str = "-"

    @property
    def who(self) -> Acting:
        return Acting(self.actor, self.person_id)

    @property
    def context(self) -> ExportContext:
        return ExportContext(
            now=self.now, today=self.today, base_url=self.base_url, library=self.library
        )


# --- gathering: one small function per need --------------------------------------------------


def _name_in(s: DbSession, person_id: int) -> tuple[str, str]:
    account = account_repo.account_of_person(s, person_id)
    if account is None:
        return f"Person {person_id}", ""
    return (account.name or account.email), account.email


@dataclass(frozen=True)
class _Read:
    """What an export is made of, read in one transaction after access.py's decision."""

    course: Course
    stored: list[ProgramVersion]  # the program versions in effect by `today`
    name: str
    email: str
    past: History | None = None  # with_records: the records as of `today` …
    kept: HistoryView | None = None  # … every entry, check-in and outcome …
    intake_at: datetime | None = None  # … and when the first intake was recorded


def _read(
    db: Database, who: Acting, *, today: date, library: Library, with_records: bool = False
) -> _Read:
    """The course (as the app shows it today), its versions and the person's name; with the records
    for a clinic's record system. Not audited here: the export's own row is the audit of all of it
    (`people.exported`), so the reads it is made of do not add rows of their own (a server admin's
    use-cases do: audit.machine_read)."""
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        course = course_in(s, person_id, today, library)
        stored = [v for v in repo.program_versions(s, person_id) if v.effective <= today]
        name, email = _name_in(s, person_id)
        if not with_records:
            return _Read(course, stored, name, email)
        past = history_in(s, person_id, today)
        kept = HistoryView(
            tuple(repo.entries(s, person_id)),
            repo.checkins(s, person_id),
            repo.outcomes(s, person_id),
        )
        first = repo.intakes(s, person_id)[0]
    return _Read(course, stored, name, email, past, kept, first.recorded_at)


def _program(who: Acting, read: _Read) -> ProgramSubject:
    course, stored = read.course, read.stored
    assert course.program is not None
    version, since = (
        (stored[-1].version, stored[-1].effective) if stored else (1, course.program.start)
    )
    return ProgramSubject(
        person_id=who.person_id,
        name=read.name,
        triage=course.triage,
        program=course.program,
        version=version,
        version_date=since,
    )


def program_subject(db: Database, who: Acting, *, today: date, library: Library) -> ProgramSubject:
    """The program the app shows today, and the version in effect."""
    read = _read(db, who, today=today, library=library)
    if read.course.program is None or read.course.locked_by is not None:
        raise Conflict(WITHHELD)
    return _program(who, read)


def calendar_subject(
    db: Database, who: Acting, *, today: date, library: Library
) -> ProgramSubject | HeldSubject:
    """What a subscribed calendar shows: the program, or (withheld, or locked after a warning sign)
    the fact that it is on hold and the session events it must cancel on the phone."""
    read = _read(db, who, today=today, library=library)
    course, stored = read.course, read.stored
    if course.program is not None and course.locked_by is None:
        return _program(who, read)
    # The last version that had exercise days: the phone may hold events of that SEQUENCE.
    last = next((v for v in reversed(stored) if any(v.program.schedule().values())), None)
    version = stored[-1].version if stored else 0
    return HeldSubject(
        person_id=who.person_id,
        today=today,
        sequence=max(version, last.version + 1 if last else 0),
        programs=tuple(v.program for v in stored),
    )


def course_subject(db: Database, who: Acting, *, today: date, library: Library) -> CourseSubject:
    """The program and the recorded course, for a clinic's record system."""
    read = _read(db, who, today=today, library=library, with_records=True)
    course, stored, past, kept = read.course, read.stored, read.past, read.kept
    assert past is not None and kept is not None and read.intake_at is not None
    # A clinician's set_condition names the fields it changes ({"condition": …, "onset": …}); only one
    # that names the condition restates it.
    stated = [
        str(c.value["condition"])
        for c in past.clinician
        if c.action == "set_condition" and isinstance(c.value, dict) and c.value.get("condition")
    ]
    return CourseSubject(
        person_id=who.person_id,
        name=read.name,
        email=read.email,
        triage=course.triage,
        program=course.program,
        on_hold=course.program is None or course.locked_by is not None,
        version=stored[-1].version if stored else 0,
        version_date=stored[-1].effective if stored else past.start,
        start=past.start,
        intake=past.intake,
        intake_at=read.intake_at,
        condition=stated[-1] if stated else past.intake.condition.value,
        condition_by="clinician" if stated else "patient",
        entries=tuple(DatedEntry(e.day, e.entry) for e in kept.entries if e.day <= today),
        checkins=tuple(c for c in kept.checkins if c.date <= today),
        outcomes=tuple(o for o in kept.outcomes if o.date <= today),
    )


# --- the use-cases ------------------------------------------------------------------------------


def _export(db: Database, req: Request, kind: str, resource: str, make: Callable[[], T]) -> T:
    return exported(
        db, req.actor, req.person_id, kind=kind, resource=resource, now=req.now,
        request_id=req.request_id, make=make,
    )  # fmt: skip


def handout(
    db: Database,
    req: Request,
    *,
    large: bool = False,
    paper: str = "a4",
    resource: str = "program/handout.pdf",
) -> bytes:
    """The printable program (PDF)."""

    def make() -> bytes:
        subject = program_subject(db, req.who, today=req.today, library=req.library)
        return handout_pdf.render(subject, ctx=req.context, large=large, paper=paper)

    return _export(db, req, "handout", resource, make)


def calendar(
    db: Database, req: Request, *, remind_at: str | None, resource: str = "program/calendar.ics"
) -> bytes:
    """The exercise days as an iCalendar file (a one-off download); the reminder at `remind_at`,
    else at the person's subscription's time, else DEFAULT_REMIND_AT."""

    def make() -> bytes:
        subject = program_subject(db, req.who, today=req.today, library=req.library)
        remind = remind_at or has_subscription(db, req.who) or DEFAULT_REMIND_AT
        return calendar_ics.render(subject, ctx=req.context, remind_at=remind)

    return _export(db, req, "calendar", resource, make)


def fhir(db: Database, req: Request, *, resource: str = "fhir/Patient/{id}/$everything") -> bytes:
    """The person's course as a FHIR R4 Bundle (JSON)."""

    def make() -> bytes:
        subject = course_subject(db, req.who, today=req.today, library=req.library)
        return fhir_bundle.render(subject, ctx=req.context)

    return _export(db, req, "fhir", resource, make)


# --- the private calendar subscription -------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    url: str  # https://…/calendar/{secret}.ics (shown once: only its hash is kept)
    webcal: str  # the same address with webcal://, which phones open as a subscription
    remind_at: str


def _feed_urls(base_url: str, secret: str, remind_at: str) -> Subscription:
    url = f"{base_url.rstrip('/')}{FEED_PATH.format(secret=secret)}"
    return Subscription(url=url, webcal="webcal://" + url.split("://", 1)[1], remind_at=remind_at)


def _subscription_row(s: DbSession, req: Request, action: str) -> None:
    record_tx(
        s, actor=req.actor, action=action, resource="program/calendar/subscription", now=req.now,
        person_id=req.person_id, clinic_id=account_repo.person_clinic(s, req.person_id),
        request_id=req.request_id,
    )  # fmt: skip


def subscribe(db: Database, req: Request, *, remind_at: str) -> Subscription:
    """A new private subscription URL (a new secret ends the old one); the person's own act only.
    In the trail whoever makes it: it opens a standing export of the program."""
    calendar_ics.remind_time(remind_at)
    open_record(
        db, req.actor, req.person_id, action=Action.WRITE_HEALTH, resource="calendar/subscription",
        now=req.now, request_id=req.request_id,
    )  # fmt: skip
    program_subject(db, req.who, today=req.today, library=req.library)  # a program to show
    secret = new_secret()
    with db.write() as s:
        calendar_repo.put_feed(s, req.person_id, secret_hash(secret), remind_at.strip(), req.now)
        _subscription_row(s, req, "export.calendar_subscribe")
    return _feed_urls(req.base_url, secret, remind_at.strip())


def unsubscribe(db: Database, req: Request) -> bool:
    """Revoke the subscription: its URL is a 404 from now on. False when there was none."""
    open_record(
        db, req.actor, req.person_id, action=Action.WRITE_HEALTH, resource="calendar/subscription",
        now=req.now, request_id=req.request_id,
    )  # fmt: skip
    with db.write() as s:
        _subscription_row(s, req, "export.calendar_revoke")
        return calendar_repo.drop_feed(s, req.person_id)


def has_subscription(db: Database, who: Acting) -> str | None:
    """The reminder time of the person's subscription, or None when they have none."""
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        row = calendar_repo.feed_of(s, who.person_id)
        return row.remind_at if row else None


def feed(
    db: Database,
    secret: str,
    *,
    now: datetime,
    base_url: str,
    library: Library,
    request_id: str = "-",
) -> bytes:
    """The subscribed calendar, for whoever holds the secret; each read is in the person's trail.
    "Today" is the person's own date (their timezone), not the server's. While the program is on
    hold (withheld, or locked after a warning sign) the calendar still answers: no exercise days,
    no reminders, the phone's old events cancelled and one all-day "on hold" event today."""
    with db.write() as s:
        row = calendar_repo.feed_by_hash(s, secret_hash(secret))
        if row is None:
            raise NotFound("calendar: not found")
        person_id, remind_at = row.person_id, row.remind_at
        zone = repo.person_timezone(s, person_id)
        record_tx(
            s, actor=FEED_READER, action="export.calendar_feed", resource="calendar/{secret}.ics",
            now=now, person_id=person_id, clinic_id=account_repo.person_clinic(s, person_id),
            request_id=request_id,
        )  # fmt: skip
    today = local_date(now, zone)
    reader = Acting(replace(FEED_READER, person_id=person_id), person_id)
    subject = calendar_subject(db, reader, today=today, library=library)
    ctx = ExportContext(now=now, today=today, base_url=base_url, library=library)
    if isinstance(subject, HeldSubject):
        return calendar_ics.render_on_hold(subject, ctx=ctx)
    return calendar_ics.render(subject, ctx=ctx, remind_at=remind_at, subscription=True)
