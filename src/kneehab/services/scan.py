"""The nightly scan (issue 11 §3): every person's escalations and caseload row for one date, computed
ahead of the morning so the caseload reads them (services/caseload.py serves a kept row while nothing
newer exists, and computes the rest).

Idempotent and resumable: a person whose row for the date is kept at their current revision is skipped,
so running it again (or after an interruption) only does what is left. Safe while servers serve: each
batch is its own short transactions, and a person written meanwhile simply gets a newer revision (their
row is computed again on the next look or the next run). The server admin runs it (`kneehab scan`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime

from kneehab import heap
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.exercise import Library
from kneehab.domain.local_time import local_date
from kneehab.errors import InvalidInput
from kneehab.services import people
from kneehab.services.caseload import row_json
from kneehab.services.caseload_batch import rows_in
from kneehab.store import repo, scan_repo
from kneehab.store.db import Database, open_database, sqlite_path

BATCH = 100  # people read in one transaction and written in the next
MAX_JOBS = 32  # worker processes (`--jobs`)


@dataclass(frozen=True)
class ScanReport:
    people: int  # everyone enrolled
    computed: int  # rows computed now
    kept: int  # rows already current for the date (an earlier or interrupted run)
    escalations: int  # escalations recorded for the date
    unreadable: tuple[int, ...]  # person ids whose records the library or rules cannot read (C-13)
    days: tuple[date, ...] = ()  # the dates scanned (each person's own, without `today`)


def scan(
    db: Database,
    *,
    today: date | None,
    now: datetime,
    library: Library,
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
) -> ScanReport:
    """Every person's row and escalations for `today`, or, when `today` is None, for their own date at
    `now` in their timezone (issue 11 §1: the date their pages and the caseload use). `jobs` > 1: that
    many worker processes share the batches (each batch is worked out and written by one of them, as
    it would be alone: the same rows and escalations either way)."""
    if not 1 <= jobs <= MAX_JOBS:
        raise InvalidInput(f"--jobs: {jobs} is not allowed; give 1 to {MAX_JOBS}")
    if jobs > 1 and db.is_sqlite and sqlite_path(db.url) is None:
        raise InvalidInput("--jobs: an in-memory database cannot be shared with other processes")
    with db.read() as s:
        everyone = scan_repo.people(s)
        revisions = scan_repo.revisions(s)
        day_of = {p[0]: today or local_date(now, p[4]) for p in everyone}
        kept = {
            pid: found
            for day in sorted(set(day_of.values()))
            for pid, found in scan_repo.stored(s, day).items()
            if day_of.get(pid) == day
        }
    todo = [p[:4] for p in everyone if kept.get(p[0], (None,))[0] != revisions.get(p[0])]
    by_day: dict[date, list[_Person]] = {}
    for person in todo:
        by_day.setdefault(day_of[person[0]], []).append(person)
    batches = [
        (day, group[first : first + BATCH])
        for day, group in sorted(by_day.items())
        for first in range(0, len(group), BATCH)
    ]
    done, raised, unreadable, seen = 0, 0, [], 0
    for size, (computed, escalations, unread) in _batches(db, batches, now, library, jobs):
        done, raised, seen = done + computed, raised + escalations, seen + size
        unreadable += unread
        if progress is not None:
            progress(seen, len(todo))
    return ScanReport(
        people=len(everyone),
        computed=done,
        kept=len(everyone) - len(todo),
        escalations=raised,
        unreadable=tuple(sorted(unreadable)),
        days=tuple(sorted(set(day_of.values()))),
    )


_Person = tuple[int, str, str, date]  # scan_repo.people's


def _batches(
    db: Database,
    batches: list[tuple[date, list[_Person]]],
    now: datetime,
    library: Library,
    jobs: int,
) -> Iterator[tuple[int, tuple[int, int, list[int]]]]:
    """Each batch's (size, result) for its date, in this process or shared by `jobs` worker
    processes."""
    if jobs == 1 or len(batches) < 2:
        for day, batch in batches:
            yield len(batch), _batch(db, batch, day, now, library)
        return
    # Fresh interpreters (spawn): a forked child would share this process's connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        min(jobs, len(batches)), mp_context=context, initializer=_worker, initargs=(db.url, library)
    ) as pool:
        running = {pool.submit(_in_worker, batch, day, now): len(batch) for day, batch in batches}
        for future in as_completed(running):
            yield running[future], future.result()


_WORKER: list[tuple[Database, Library]] = []  # a worker process's database and library


def _worker(url: str, library: Library) -> None:
    heap.settle()  # the library and modules out of the full collections, as the scan's own process
    _WORKER.append((open_database(url, upgrade=False), library))


def _in_worker(batch: list[_Person], today: date, now: datetime) -> tuple[int, int, list[int]]:
    db, library = _WORKER[0]
    return _batch(db, batch, today, now, library)


def _batch(
    db: Database, batch: list[_Person], today: date, now: datetime, library: Library
) -> tuple[int, int, list[int]]:
    """One batch: its rows worked out in one read transaction and kept, with the day's
    escalations, in one write; (rows computed, escalations recorded, C-13 person ids)."""
    results = []
    unreadable = []
    # A batch rebuilds 100 courses: the collector waits until they are dropped (kneehab/heap.py).
    with heap.collector_paused(), db.read() as s:
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
        raised = repo.add_escalations(s, escalated, now=now)
    return len(results), raised, unreadable
