"""What every export renders from: the context of the export (when, where the app lives, which library)
and the subject (a person's current program, or their whole course), as plain frozen data.

Renderers (`handout_pdf`, `calendar_ics`, `fhir_bundle`) are pure functions of these two: no clock, no
database, no random ids, so the same data on the same date gives the same bytes. The only value that
may differ between two renders of the same data is `ExportContext.now`, the stated creation timestamp.
The subject is gathered in one place (services/exports.py), from the services the app itself shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.program import Program, Triage
from kneehab.domain.records import CheckIn, OutcomeRecord, SessionEntry


@dataclass(frozen=True)
class ExportContext:
    now: datetime  # the stated creation timestamp (aware); the only value two renders may differ in
    today: date  # the date the program is shown as of
    base_url: str  # the configured public URL (QR codes, links, calendar subscriptions)
    library: Library

    @property
    def host(self) -> str:
        """The public host name: the domain of stable calendar UIDs and FHIR identifiers."""
        return urlsplit(self.base_url).hostname or "localhost"

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"


@dataclass(frozen=True)
class ProgramSubject:
    """A person's program as the app shows it today, with the version it is."""

    person_id: int
    name: str  # what the person is called on paper (their account name, else their email)
    triage: Triage
    program: Program
    version: int  # the number of the program version in effect (1 = as first planned)
    version_date: date  # the day that version took effect


@dataclass(frozen=True)
class HeldSubject:
    """A program on hold (withheld, or locked after a warning sign): what a subscribed calendar needs to
    take its exercise days and reminders off the phone."""

    person_id: int
    today: date  # the person's own date: the day of the "on hold" event
    sequence: int  # above every SEQUENCE the phone may hold, so the cancellations win
    programs: tuple[Program, ...]  # every version so far: the events they made are cancelled


@dataclass(frozen=True)
class DatedEntry:
    day: date
    entry: SessionEntry


@dataclass(frozen=True)
class CourseSubject:
    """Everything a clinic's record system takes (FHIR): the program and the recorded course."""

    person_id: int
    name: str
    email: str
    triage: Triage
    program: Program | None  # None when the intake's triage withheld it (D-2)
    on_hold: bool  # withheld, or locked after a warning sign (E1)
    version: int
    version_date: date
    start: date
    intake: Intake
    intake_at: datetime
    condition: str  # the stated condition's id (the intake's, or a clinician's later statement)
    condition_by: str  # "patient" or "clinician": who stated it (never a diagnosis, RULES D-6)
    entries: tuple[DatedEntry, ...]
    checkins: tuple[CheckIn, ...]
    outcomes: tuple[OutcomeRecord, ...]
