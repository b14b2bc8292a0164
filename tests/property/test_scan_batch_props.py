"""The nightly scan's batch is `caseload.row_in`, person for person (issue 11 §3), on both stores.

For random small populations (the course generator of test_snapshot_props: swaps, offers, clinician
actions, re-screens with red flags; now and then records that do not fit the program), each person
stored with a snapshot after a random day (a recent one, one too old to reuse, or none) and scanned
on a random later day: every row, course (decisions, escalation, program) and C-13 error that
`caseload_batch.rows_in` gives for the batch is the one `row_in` gives for that person alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_progression_props import LIB
from test_snapshot_props import courses

from kneehab.domain import course as course_engine
from kneehab.domain.course_snapshot import history_head
from kneehab.domain.records import History
from kneehab.domain.screening import screen
from kneehab.errors import CourseUnreadable, InvalidInput
from kneehab.services import caseload_batch, people
from kneehab.services.caseload import row_in
from kneehab.services.replay import (
    RULES_VERSION,
    engine_fingerprint,
    history_in,
    library_fingerprint,
)
from kneehab.store import populate_repo, repo, snapshot_repo
from kneehab.store.db import Database
from kneehab.store.snapshot_repo import StoredSnapshot

NOW = dt.datetime(2026, 3, 20, 6, tzinfo=dt.UTC)
_EMAILS = itertools.count(1)


def _store(db: Database, history: History, keep_back: int | None) -> people.Patient:
    """The course's records and events and (unless `keep_back` is None, or the records do not fit
    the program) the snapshot after `today - keep_back` of the course as the store gives it back."""
    email = f"batch-{next(_EMAILS)}@example.test"
    with db.write() as s:
        pid = populate_repo.add_course(
            s, email=email, password_hash="-", history=history, triage=screen(history.intake),
            versions=(), snapshot=None, rules_version=RULES_VERSION, now=NOW,
        )  # fmt: skip
        for event in (*history.swaps, *history.offers, *history.clinician):
            repo.add_event(s, pid, event, now=NOW)
        stored = history_in(s, pid, history.today)
        if keep_back is not None:
            keep = history.today - dt.timedelta(days=keep_back)
            try:
                _, kept = course_engine.replay_keeping(stored, LIB, keep=keep)
            except course_engine.HistoryMismatch:  # C-13: both ways must say so, in the same words
                kept = None
            if kept is not None:
                key = (engine_fingerprint(), library_fingerprint(LIB), RULES_VERSION, RULES_VERSION)
                records = snapshot_repo.records_through(s, pid, kept.day)
                snap = StoredSnapshot(kept.day, *key, history_head(stored), records, kept.state)
                snapshot_repo.save(s, pid, snap, now=NOW)
    return people.Patient(pid, email, "", history.start)


def _outcome(found: Any) -> Any:
    if isinstance(found, InvalidInput | CourseUnreadable):
        return (type(found).__name__, str(found))
    row, course = found
    return row, course.decisions, course.escalation, course.program


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        # the snapshot's day, days before the course's last (None: no snapshot; 12: too old to use)
        st.tuples(courses(), st.sampled_from([1, 2, 1, 3, 5, 12, None])),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([1, 0, 2, 9]),  # days after the latest course's last day
)
def test_the_batch_gives_row_in_s_rows(
    db: Database, population: list[tuple[History, int | None]], later: int
) -> None:
    patients = [_store(db, history, keep_back) for history, keep_back in population]
    today = max(h.today for h, _ in population) + dt.timedelta(days=later)
    with db.read() as s:
        batched = caseload_batch.rows_in(s, patients, today, LIB)
        for patient in patients:
            try:
                single: Any = row_in(s, patient, max(today, patient.start), LIB)
            except (InvalidInput, CourseUnreadable) as err:
                single = err
            assert _outcome(batched[patient.id]) == _outcome(single), patient.id
