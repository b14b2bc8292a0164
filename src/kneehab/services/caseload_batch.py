"""Many caseload rows at once (the nightly scan, issue 11 §3): `caseload.row_in` for a batch of people
with one query a table instead of about ten a person.

A person is worked out here when their course snapshot fits (made by this engine, library and rule
book, from their current head and records) and lies within the records a row reads anyway (the last
SPARK_DAYS) and at most `replay.READ_KEEPS_AFTER_DAYS` days back: their course is then the snapshot's
state and the records after it, exactly as `replay.recent_course_in` takes it. Everyone else (no
snapshot, a stale one, one too old, a start after the day) goes through `row_in` itself, which also
keeps a fresh snapshot for them. Either way the row and the course are `row_in`'s (tests hold them
equal for a varied population).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session as DbSession

from kneehab.domain import course as course_engine
from kneehab.domain.course import Course, CourseSnapshot, StaleSnapshot
from kneehab.domain.course_snapshot import restore_state
from kneehab.domain.exercise import Library
from kneehab.domain.records import History
from kneehab.errors import CourseUnreadable, InvalidInput
from kneehab.services import people
from kneehab.services.caseload import SPARK_DAYS, CaseloadRow, compute_row, row_in
from kneehab.services.replay import (
    READ_KEEPS_AFTER_DAYS,
    made_with,
    records_after,
    refuse_unreadable_records,
    stored_made_with,
)
from kneehab.store import repo, snapshot_repo

Result = tuple[CaseloadRow, Course] | InvalidInput | CourseUnreadable  # an error: C-13


def rows_in(
    s: DbSession, patients: Sequence[people.Patient], today: date, library: Library
) -> dict[int, Result]:
    """Each patient's `row_in(s, patient, max(today, start), library)`, or the C-13 error it raises,
    inside the caller's transaction."""
    ids = [p.id for p in patients]
    since = today - timedelta(days=SPARK_DAYS)
    records = repo.people_records(s, ids, after=since, today=today)
    snapshots = snapshot_repo.load_many(s, ids)
    through = snapshot_repo.records_through_many(s, list(snapshots))
    out: dict[int, Result] = {}
    for patient in patients:
        try:
            found = _fast(patient, today, since, library, records, snapshots, through)
            if found is None:  # row_in's own way (and its snapshot kept for the next night)
                found = row_in(s, patient, max(today, patient.start), library)
        except (InvalidInput, CourseUnreadable) as err:
            out[patient.id] = err
            continue
        out[patient.id] = found
    return out


def _fast(
    patient: people.Patient,
    today: date,
    since: date,
    library: Library,
    records: repo.PeopleRecords,
    snapshots: dict[int, snapshot_repo.StoredSnapshot],
    through: dict[int, tuple[date, str]],
) -> tuple[CaseloadRow, Course] | None:
    """The row from the snapshot and the records read for the batch; None when `row_in` must do it."""
    pid = patient.id
    person, stored = records.persons.get(pid), snapshots.get(pid)
    if person is None or stored is None or person.start > today or pid not in records.intakes:
        return None
    if not since <= stored.day < today or (today - stored.day).days > READ_KEEPS_AFTER_DAYS:
        return None
    head = History(
        intake=records.intakes[pid],
        start=person.start,
        today=today,
        pain_ceiling=person.pain_ceiling,
        morning_tolerance=person.morning_tolerance,
        reviewed=person.reviewed,
    )
    if stored_made_with(stored) != made_with(library, person.rules_version, head):
        return None
    if through.get(pid, (stored.day, "0|")) != (stored.day, stored.records):
        return None
    swaps, offers, clinician = records.events.get(pid, ((), (), ()))
    window = head.model_copy(
        update={
            "sessions": tuple(x for x in records.sessions.get(pid, ()) if x.date <= today),
            "checkins": tuple(x for x in records.checkins.get(pid, ()) if x.date <= today),
            "outcomes": tuple(x for x in records.outcomes.get(pid, ()) if x.date <= today),
            "rescreens": tuple(x for x in records.rescreens.get(pid, ()) if x.date <= today),
            "swaps": tuple(x for x in swaps if since < x.date <= today),
            "offers": tuple(x for x in offers if since < x.date <= today),
            "clinician": tuple(x for x in clinician if since < x.date <= today),
        }
    )
    tail = records_after(window, stored.day)
    refuse_unreadable_records(tail, library)
    snap = CourseSnapshot(day=stored.day, head=stored.head, state=stored.state)
    try:
        course, _ = course_engine.replay_from_state(
            restore_state(snap), snap, tail, library, keep=None
        )
    except StaleSnapshot:
        return None  # row_in replays it from the start
    except course_engine.HistoryMismatch as exc:
        raise InvalidInput(str(exc)) from None
    recent = window.model_copy(update={"clinician": tuple(c for c in clinician if c.date <= today)})
    last = records.last_days.get(pid, (None, None))
    return compute_row(patient, recent, library, course, last=last), course
