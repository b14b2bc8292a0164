"""The nightly scan (issue 11 §3): every person's escalations and caseload row for one date, computed
ahead of the morning so the caseload reads them (services/caseload.py serves a kept row while nothing
newer exists, and computes the rest).

Idempotent and resumable: a person whose row for the date is kept at their current revision is skipped,
so running it again (or after an interruption) only does what is left. Safe while servers serve: each
batch is its own short transactions, and a person written meanwhile simply gets a newer revision (their
row is computed again on the next look or the next run). The server admin runs it (`kneehab scan`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.exercise import Library
from kneehab.services import people
from kneehab.services.caseload import row_json
from kneehab.services.caseload_batch import rows_in
from kneehab.store import repo, scan_repo
from kneehab.store.db import Database

BATCH = 100  # people read in one transaction and written in the next


@dataclass(frozen=True)
class ScanReport:
    people: int  # everyone enrolled
    computed: int  # rows computed now
    kept: int  # rows already current for the date (an earlier or interrupted run)
    escalations: int  # escalations recorded for the date
    unreadable: tuple[int, ...]  # person ids whose records the library or rules cannot read (C-13)


def scan(
    db: Database,
    *,
    today: date,
    now: datetime,
    library: Library,
    progress: Callable[[int, int], None] | None = None,
) -> ScanReport:
    with db.read() as s:
        everyone = scan_repo.people(s)
        revisions = scan_repo.revisions(s)
        kept = scan_repo.stored(s, today)
    todo = [p for p in everyone if kept.get(p[0], (None,))[0] != revisions.get(p[0])]
    done, raised, unreadable = 0, 0, []
    for first in range(0, len(todo), BATCH):
        batch = todo[first : first + BATCH]
        results = []
        with db.read() as s:
            revs = scan_repo.revisions(s, [p[0] for p in batch])  # before the records, as caseload
            # Deleted since the list was read: left out.
            patients = [people.Patient(*p) for p in batch if p[0] in revs]
            # Each row as caseload.row_in gives it, the batch's records read together.
            found_rows = rows_in(s, patients, today, library)
            for patient in patients:
                found = found_rows[patient.id]
                if not isinstance(found, tuple):  # C-13: said on their pages
                    unreadable.append(patient.id)  # the scan goes on
                    continue
                row, course = found
                day = max(today, patient.start)
                results.append((patient.id, day, revs[patient.id], row, course))
        with db.write() as s:
            kept_rows = [(pid, day, rev, row_json(row)) for pid, day, rev, row, _ in results]
            scan_repo.keep_many(s, kept_rows, now)
            # The day's escalations, as replay.persist_escalation records one (none for "none").
            escalated = [
                (pid, course.escalation)
                for pid, day, _, _, course in results
                if day == today and course.escalation.level != EscalationLevel.NONE
            ]
            raised += repo.add_escalations(s, escalated, now=now)
        done += len(results)
        if progress is not None:
            progress(min(first + BATCH, len(todo)), len(todo))
    return ScanReport(
        people=len(everyone),
        computed=done,
        kept=len(everyone) - len(todo),
        escalations=raised,
        unreadable=tuple(unreadable),
    )
