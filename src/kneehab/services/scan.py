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

from kneehab.domain.exercise import Library
from kneehab.errors import CourseUnreadable, InvalidInput
from kneehab.services import people
from kneehab.services.caseload import row_in, row_json
from kneehab.services.replay import persist_escalation
from kneehab.store import scan_repo
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
            for pid, email, name, start in batch:
                day, revision = max(today, start), revs.get(pid)
                if revision is None:  # deleted since the list was read
                    continue
                try:
                    # The course from the person's snapshot (issue 11 §2) when one fits.
                    patient = people.Patient(pid, email, name, start)
                    row, course = row_in(s, patient, day, library)
                except (InvalidInput, CourseUnreadable):  # C-13: said on their pages
                    unreadable.append(pid)  # the scan goes on
                    continue
                results.append((pid, day, revision, row, course))
        with db.write() as s:
            for pid, day, revision, row, course in results:
                scan_repo.keep(s, pid, day, revision, row_json(row), now)
                if day == today and persist_escalation(s, pid, course.escalation, now) is not None:
                    raised += 1
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
