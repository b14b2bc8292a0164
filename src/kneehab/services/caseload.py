"""The physical therapist's caseload (issue 12 §1, RULES D-9): one row per person of the clinic, in
the order of who needs them first, with why in words and rule ids.

`caseload()` is the ONE place the rows are served. A row is computed by replaying the course and kept
(caseload_rows) with the person's revision; it is served again only while the date and the revision
match, so a check-in shows at once (it raises the revision) and an unchanged person costs one lookup.
The nightly scan (services/scan.py) computes the rows ahead of the morning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session as DbSession

from kneehab.domain import caseload as d9
from kneehab.domain.course import Course
from kneehab.domain.exercise import Library
from kneehab.domain.identity import Actor
from kneehab.domain.local_time import local_date
from kneehab.domain.records import History
from kneehab.errors import Busy, Conflict, CourseUnreadable, InvalidInput
from kneehab.services import people
from kneehab.services.audit import record_people_tx
from kneehab.services.replay import recent_course_in, replay_readable
from kneehab.store import scan_repo
from kneehab.store.db import Database

SPARK_DAYS = 14  # the morning-pain sparkline covers the last 14 days


@dataclass(frozen=True)
class CaseloadRow:
    id: int
    name: str
    email: str
    condition: str  # as stated (intake, or as a clinician restated it) — never a diagnosis
    phase: str  # early | later | "" (no program)
    day: int  # day of the course (start = day 0)
    last_checkin: date | None
    adherence: float | None  # C-12, None before day 14
    morning_pain: tuple[int | None, ...]  # the last SPARK_DAYS mornings, oldest first
    flags: tuple[str, ...]  # domain.caseload.FLAGS keys
    review_on: date | None
    tier: int
    since: date
    why: str  # D-9 in words
    rules: tuple[str, ...]  # the rule ids behind `why`


def stated_condition(history: History) -> str:
    """The condition as the person stated it, or as a clinician restated it since (D-6, D-7)."""
    condition = history.intake.condition.value
    for c in history.clinician:
        if c.action == "set_condition" and isinstance(c.value, dict) and "condition" in c.value:
            condition = str(c.value["condition"])
    return condition


def flags_of(history: History, course: Course) -> tuple[str, ...]:
    """The open flags of one replayed course (the same as its caseload row's)."""
    return d9.flags(d9.facts_of(course, history))


def row_json(row: CaseloadRow) -> dict[str, Any]:
    """A row as kept in caseload_rows (dates as ISO text)."""
    data = asdict(row)
    for key in ("last_checkin", "review_on", "since"):
        data[key] = data[key].isoformat() if data[key] is not None else None
    return data


def row_from_json(data: dict[str, Any], patient: people.Patient) -> CaseloadRow:
    """A kept row, with the name and email as they are now (an account may be renamed)."""
    day = {
        k: date.fromisoformat(data[k]) if data[k] else None for k in ("last_checkin", "review_on")
    }
    return CaseloadRow(
        **{
            **data,
            **day,
            "since": date.fromisoformat(data["since"]),
            "id": patient.id,
            "name": patient.name or patient.email or f"person {patient.id}",
            "email": patient.email,
            "morning_pain": tuple(data["morning_pain"]),
            "flags": tuple(data["flags"]),
            "rules": tuple(data["rules"]),
        }
    )


def compute_row(
    patient: people.Patient,
    history: History,
    library: Library,
    course: Course | None = None,
    *,
    last: tuple[date | None, date | None] | None = None,
) -> CaseloadRow:
    """One person's row from their records (the replay, unless the caller has it already).
    `last`: (the latest check-in day, the latest entry day) when `history` holds only the records of
    the last SPARK_DAYS (replay.recent_course_in); the row is the same as from the whole history."""
    course = course if course is not None else replay_readable(history, library)
    last_checkin, last_entry = last if last is not None else (None, None)
    latest = max((d for d in (last_checkin, last_entry) if d is not None), default=None)
    facts = d9.facts_of(course, history, last_activity=latest)
    name = patient.name or patient.email or f"person {patient.id}"
    attention = d9.attention(name, **facts.model_dump(exclude={"adherence"}))
    today = history.today
    by_day = {c.date: c.morning_pain for c in history.checkins}
    first = today - timedelta(days=SPARK_DAYS - 1)
    program = course.program
    return CaseloadRow(
        id=patient.id,
        name=name,
        email=patient.email,
        condition=stated_condition(history),
        phase=program.phase if program else "",
        day=(today - history.start).days,
        last_checkin=max([*by_day, *([last_checkin] if last_checkin else [])], default=None),
        adherence=course.adherence_14,
        morning_pain=tuple(by_day.get(first + timedelta(days=i)) for i in range(SPARK_DAYS)),
        flags=d9.flags(facts),
        review_on=program.review_on if program else None,
        tier=attention.tier,
        since=attention.since,
        why=d9.words(attention),
        rules=attention.why,
    )


def row_in(
    s: DbSession, patient: people.Patient, day: date, library: Library
) -> tuple[CaseloadRow, Course]:
    """One person's row as of `day`, inside the caller's transaction (the caseload's and the scan's
    one way to work a row out): the course from their snapshot when one fits, and only the records
    the row reads (the last SPARK_DAYS, every clinician action, the latest check-in and entry days)."""
    since = day - timedelta(days=SPARK_DAYS)
    course, recent = recent_course_in(s, patient.id, day, library, since)
    last = (recent.last_checkin, recent.last_entry)
    return compute_row(patient, recent.history, library, course, last=last), course


def caseload(
    db: Database,
    actor: Actor,
    *,
    today: date,
    now: datetime,
    library: Library,
    flag: str | None = None,
    search: str = "",
    request_id: str = "-",
    resource: str = "/clinic",
) -> list[CaseloadRow]:
    """The actor's clinic, ordered by D-9 (tier, oldest open item, name); filtered by one flag and
    by a part of the name or email. The look is audited (access.py LIST_PATIENTS): one row for the
    clinic and one in the trail of each person shown (their pain and flags are on the row), written
    in the one transaction that also keeps the newly computed rows."""
    needle = search.strip().lower()
    rows: list[CaseloadRow] = []
    fresh: list[tuple[int, date, int, CaseloadRow]] = []
    with db.read() as s:
        found = people.patients_in(s, actor)
        wanted = [p for p in found if not needle or needle in f"{p.name} {p.email}".lower()]
        ids = [p.id for p in wanted]
        revisions = scan_repo.revisions(s, ids)  # before the records: a later write is never hidden
        kept = scan_repo.stored(s, None, ids)
        for patient in wanted:
            revision = revisions.get(patient.id)
            if revision is None:  # deleted since the list was read
                continue
            # Each person's own date (their timezone), never before their start.
            day = max(
                local_date(now, patient.timezone) if patient.timezone else today, patient.start
            )
            hit = kept.get(patient.id)
            if hit is not None and hit[0] == revision and hit[1] == day:
                rows.append(row_from_json(hit[2], patient))
                continue
            try:
                row, _course = row_in(s, patient, day, library)
            except (InvalidInput, CourseUnreadable) as err:  # C-13: records that no longer fit
                rows.append(_unreadable_row(patient, day, str(err)))
                continue
            rows.append(row)
            fresh.append((patient.id, day, revision, row))
    if flag:
        rows = [r for r in rows if flag in r.flags]
    look = _Look(actor, resource, request_id, now, [r.id for r in rows])
    _keep(db, look, fresh)
    return sorted(rows, key=lambda r: (r.tier, r.since, r.name.lower()))


def _unreadable_row(patient: people.Patient, day: date, why: str) -> CaseloadRow:
    """A person whose course cannot be rebuilt is listed first, saying why, never left out."""
    return CaseloadRow(
        id=patient.id, name=patient.name or patient.email or f"person {patient.id}",
        email=patient.email, condition="", phase="", day=(day - patient.start).days,
        last_checkin=None, adherence=None, morning_pain=(None,) * SPARK_DAYS, flags=(),
        review_on=None, tier=0, since=patient.start, why=why, rules=("C-13",),
    )  # fmt: skip


@dataclass(frozen=True)
class _Look:
    """One look at the caseload, as the audit trail keeps it (never a value of a row)."""

    actor: Actor
    resource: str
    request_id: str
    now: datetime
    shown: list[int]  # the people on the rows served

    def record_tx(self, s: DbSession) -> None:
        fields: dict[str, Any] = {
            "actor": self.actor, "action": people.LIST_PATIENTS, "resource": self.resource,
            "now": self.now, "clinic_id": self.actor.clinic_id, "request_id": self.request_id,
        }  # fmt: skip
        record_people_tx(s, person_ids=[None, *self.shown], **fields)


def _keep(db: Database, look: _Look, fresh: list[tuple[int, date, int, CaseloadRow]]) -> None:
    """Audit the look and keep newly computed rows for the next one, in one transaction. A busy
    store, or a row kept by another request meanwhile, only means computing that row again; the
    audit rows are then written alone, and a look that cannot be audited is not served."""
    try:
        with db.write() as s:
            look.record_tx(s)
            for pid, day, revision, row in fresh:
                scan_repo.keep(s, pid, day, revision, row_json(row), look.now)
        return
    except (Busy, Conflict):
        if not fresh:
            raise
    with db.write() as s:
        look.record_tx(s)
