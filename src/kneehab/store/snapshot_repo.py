"""Course snapshots (issue 11 §2): one row per person, the replay state after a day.

A snapshot is forgotten as soon as anything it was built from changes:
- every ORM write of a dated record (a back-dated entry, a check-in, a re-screen, an outcome, a
  swap, an offer answer or a clinician action) dated on or before the snapshot day deletes it,
  in the same flush (`_forget_on_flush`);
- deleting a person and replacing the whole database (restore) delete it explicitly (repo.py);
- on reading, `valid()` also checks the engine, library, rule book and history head it was made
  with, and that the count and latest `recorded_at` of the dated records up to its day are still
  the ones it was made from, so a write that bypasses the ORM (plain SQL) is caught as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, event, func, inspect, select, union_all
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.sql.elements import BindParameter
from zstandard import ZstdCompressor, ZstdDecompressor, ZstdError

from kneehab.store.point_read import session_rows
from kneehab.store.tables import (
    CheckInRow,
    CourseEventRow,
    CourseSnapshotRow,
    EntryRow,
    OutcomeRow,
    RescreenRow,
)

# zstd's level. A person's first write of a day keeps a new snapshot, so this is on the write path.
# Level 3 takes a 90-day state (150 KB) to 21.9 KB in ~0.2 ms and reads it back in ~0.06 ms; lzma
# (preset 0, used before) took ~4.5 ms and ~1.0 ms for 21.3 KB, ~8.8 and ~2.1 ms at 365 days
# (2026-12-07, docs/benchmarks.md). A blob in any other form reads as unreadable: replayed once.
COMPRESSION = 3


def _packed(state: bytes) -> bytes:
    # A compressor a call: one instance must not be used by two threads at once (requests run on
    # a thread pool), and making one costs ~10 µs.
    return ZstdCompressor(level=COMPRESSION).compress(state)


def _unpacked(blob: bytes | None) -> bytes:
    try:
        return ZstdDecompressor().decompress(bytes(blob or b""))
    except ZstdError:
        return b""


# The dated rows a course is replayed from (the history's records).
DATED_INPUTS: tuple[Any, ...] = (EntryRow, CheckInRow, RescreenRow, OutcomeRow, CourseEventRow)


@dataclass(frozen=True)
class StoredSnapshot:
    day: date
    engine: str
    library: str
    rules_version: int
    person_rules: int
    head: str
    records: str  # records_through(day) when it was made
    state: bytes = b""  # empty until `state_of` (a process may hold the state already)
    created_at: datetime | None = None


_META = (
    CourseSnapshotRow.day,
    CourseSnapshotRow.engine,
    CourseSnapshotRow.library,
    CourseSnapshotRow.rules_version,
    CourseSnapshotRow.person_rules,
    CourseSnapshotRow.head,
    CourseSnapshotRow.records,
    CourseSnapshotRow.created_at,
)


_LOAD = select(*_META).where(CourseSnapshotRow.person_id == bindparam("person_id"))


def load(s: DbSession, person_id: int) -> StoredSnapshot | None:
    """The person's snapshot without its state (see `state_of`)."""
    found = session_rows(s, _LOAD, {"person_id": person_id})
    if not found:
        return None
    day, engine, library, rules, person_rules, head, records, created = found[0]
    return StoredSnapshot(
        day, engine, library, rules, person_rules, head, records, created_at=created
    )


def state_of(s: DbSession, person_id: int) -> bytes:
    """The stored state, as `take_snapshot` made it (b"" when it cannot be read: replay all)."""
    found = s.scalar(
        select(CourseSnapshotRow.state).where(CourseSnapshotRow.person_id == person_id)
    )
    return _unpacked(found)


def save(s: DbSession, person_id: int, snap: StoredSnapshot, *, now: datetime) -> datetime:
    """Keep `snap` as the person's snapshot (one per person; a newer one replaces it)."""
    row = s.get(CourseSnapshotRow, person_id)
    if row is None:
        row = CourseSnapshotRow(person_id=person_id)
        s.add(row)
    row.day, row.engine, row.library = snap.day, snap.engine, snap.library
    row.rules_version, row.person_rules = snap.rules_version, snap.person_rules
    row.head, row.records, row.created_at = snap.head, snap.records, now
    row.state = _packed(snap.state)
    s.flush()
    return now


_FORGET = delete(CourseSnapshotRow).where(CourseSnapshotRow.person_id == bindparam("person_id"))
_FORGET_FROM = _FORGET.where(CourseSnapshotRow.day >= bindparam("from_day"))


def forget(s: DbSession, person_id: int, *, from_day: date | None = None) -> None:
    """Delete the person's snapshot (only one taken on or after `from_day`, when given)."""
    held = s.identity_map.get(s.identity_key(CourseSnapshotRow, person_id))
    if held is None and not s._flushing:  # nothing of it in this session: the statement built once
        if from_day is None:
            session_rows(s, _FORGET, {"person_id": person_id})
        else:
            session_rows(s, _FORGET_FROM, {"person_id": person_id, "from_day": from_day})
        return
    query = delete(CourseSnapshotRow).where(CourseSnapshotRow.person_id == person_id)
    if from_day is not None:
        query = query.where(CourseSnapshotRow.day >= from_day)
    s.execute(query)  # the ORM keeps the row it holds in step (and a flush's hook runs it)


def _records_through_query() -> Any:
    """One row per dated table: its count and latest `recorded_at` for a person up to a day. Built
    once (bound parameters): building ten subqueries on every request cost more than running them."""
    person: BindParameter[int] = bindparam("person_id")
    day: BindParameter[date] = bindparam("day")
    return union_all(
        *(
            select(func.count(), func.max(table.recorded_at)).where(
                table.person_id == person, table.day <= day
            )
            for table in DATED_INPUTS
        )
    )


_RECORDS_THROUGH = _records_through_query()


def records_through(s: DbSession, person_id: int, day: date) -> str:
    """The person's dated input rows up to and including `day`, as "count|latest recorded_at"
    (one query): a row added or re-recorded without the ORM changes it."""
    found = session_rows(s, _RECORDS_THROUGH, {"person_id": person_id, "day": day})
    count = sum(int(n or 0) for n, _ in found)
    latest = max((str(t) for _, t in found if t is not None), default="")
    return f"{count}|{latest}"


def load_many(s: DbSession, person_ids: list[int]) -> dict[int, StoredSnapshot]:
    """The snapshots of a batch of people, each with its state (b"" when it cannot be read), and
    `records` set to what `records_through` gives now for its day: it fits only while they match."""
    query = select(CourseSnapshotRow.person_id, *_META, CourseSnapshotRow.state).where(
        CourseSnapshotRow.person_id.in_(person_ids)
    )
    found: dict[int, StoredSnapshot] = {}
    for pid, day, engine, library, rules, person_rules, head, records, created, state in s.execute(
        query
    ):
        found[pid] = StoredSnapshot(
            day, engine, library, rules, person_rules, head, records, _unpacked(state), created
        )
    return found


def records_through_many(s: DbSession, person_ids: list[int]) -> dict[int, tuple[date, str]]:
    """`records_through(person, day)` for each of a batch of people at their stored snapshot's day:
    person → (that day, "count|latest recorded_at"); one query a dated table."""
    counts: dict[int, tuple[date, int, list[str]]] = {}
    for table in DATED_INPUTS:
        query = (
            select(
                table.person_id, CourseSnapshotRow.day, func.count(), func.max(table.recorded_at)
            )
            .join(CourseSnapshotRow, CourseSnapshotRow.person_id == table.person_id)
            .where(table.person_id.in_(person_ids), table.day <= CourseSnapshotRow.day)
            .group_by(table.person_id, CourseSnapshotRow.day)
        )
        for pid, day, n, latest in s.execute(query):
            was = counts.get(pid, (day, 0, []))
            # A snapshot changed between two of these queries: no day matches it.
            seen = day if was[0] == day else date.min
            counts[pid] = (
                seen,
                was[1] + int(n or 0),
                [*was[2], *([str(latest)] if latest else [])],
            )
    return {pid: (day, f"{n}|{max(ts, default='')}") for pid, (day, n, ts) in counts.items()}


def _days_touched(obj: Any) -> list[date]:
    """The record's date, and its former date when an update moved it."""
    days = [obj.day] if isinstance(obj.day, date) else []
    history = inspect(obj).attrs.day.history
    days += [d for d in history.deleted if isinstance(d, date)]
    return days


@event.listens_for(DbSession, "before_flush")
def _forget_on_flush(session: DbSession, _context: Any, _instances: Any) -> None:
    earliest: dict[int, date] = {}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, DATED_INPUTS) or obj.person_id is None:
            continue
        for day in _days_touched(obj):
            earliest[obj.person_id] = min(day, earliest.get(obj.person_id, day))
    for person_id, day in earliest.items():
        forget(session, person_id, from_day=day)
