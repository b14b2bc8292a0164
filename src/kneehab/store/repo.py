"""Every query kneehab runs. Functions take an open Session (the caller owns the transaction) and
speak in domain models; rows never leave this module except as plain records for display."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session as DbSession

from kneehab.domain.escalation import Escalation
from kneehab.domain.intake import Intake
from kneehab.domain.program import Program, Triage
from kneehab.domain.records import (
    CheckIn,
    ClinicianAction,
    OfferAnswer,
    OutcomeRecord,
    Rescreen,
    Session,
    SessionEntry,
    SwapChoice,
)
from kneehab.domain.types import Dose
from kneehab.errors import NotFound
from kneehab.store import (
    program_delta,
    snapshot_repo,  # also registers the hook that forgets snapshots
)
from kneehab.store.point_read import session_rows
from kneehab.store.tables import (
    Base,
    CalendarFeedRow,
    CheckInRow,
    CourseEventRow,
    CourseSnapshotRow,
    EntryRow,
    EscalationRow,
    IntakeRow,
    LiveParkedRow,
    OutcomeRow,
    PersonRow,
    PlayerStateRow,
    ProgramVersionRow,
    RescreenRow,
    is_derived,
)


@dataclass(frozen=True)
class PersonRecord:
    id: int
    created_at: datetime
    start: date
    pain_ceiling: int | None
    morning_tolerance: int
    reviewed: bool
    reviewed_at: datetime | None
    reviewed_by: str | None
    rules_version: int = 1  # the rule book the course runs under (ADR 0004)
    revision: int = 0  # raised by every change to their records (lock_person)
    clinic_id: int | None = None  # whose clinic they are in (access.py)


@dataclass(frozen=True)
class IntakeRecord:
    id: int
    recorded_at: datetime
    intake: Intake
    triage: Triage


@dataclass(frozen=True)
class ProgramVersion:
    version: int
    effective: date
    created_at: datetime
    kind: str
    actor: str
    rules: tuple[str, ...]
    reason: str
    exercise_id: str | None
    from_dose: Dose | None
    to_dose: Dose | None
    program_json: dict[str, Any] = field(repr=False)  # the whole program, as stored JSON

    @cached_property
    def program(self) -> Program:
        """Validated on first use: a page that reads a few versions does not pay for all."""
        return Program.model_validate(self.program_json)


@dataclass(frozen=True)
class ProgramChange:
    """A stored program version without its program: what changed, when, why and by which rules."""

    version: int
    effective: date
    kind: str
    rules: tuple[str, ...]
    reason: str
    exercise_id: str | None
    from_dose: Dose | None
    to_dose: Dose | None


@dataclass(frozen=True)
class EntryRecord:
    day: date
    entry: SessionEntry
    paused_when_logged: bool
    recorded_at: datetime


@dataclass(frozen=True)
class RescreenRecord:
    rescreen: Rescreen
    triage: Triage  # what the person was told when they answered
    recorded_at: datetime


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    day: date
    level: str
    rules: tuple[str, ...]
    message: str
    created_at: datetime
    seen_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


# --- persons -------------------------------------------------------------------------------


def person_timezone(s: DbSession, person_id: int) -> str | None:
    return s.scalar(select(PersonRow.timezone).where(PersonRow.id == person_id))


def set_person_timezone(s: DbSession, person_id: int, zone: str | None) -> None:
    s.execute(update(PersonRow).where(PersonRow.id == person_id).values(timezone=zone))
    _forget_person(s, person_id)


# A record's revision starts at a random value below this (a 32-bit column on PostgreSQL, with room
# to count up), and a restored one is drawn afresh too: a record made again under the same id (SQLite
# reuses the highest), or put back from a copy whose revisions are behind, never repeats a revision
# its earlier life had, so whatever a running process kept of a revision (web/kept_views.py) can never
# be taken for it.
FIRST_REVISIONS = 2**30


def fresh_revision() -> int:
    return secrets.randbelow(FIRST_REVISIONS)


def renew_revisions(conn: Connection) -> None:
    """Every person's revision drawn afresh (after a restore put rows back)."""
    ids = list(conn.scalars(select(PersonRow.id)))
    if ids:
        conn.execute(
            update(PersonRow)
            .where(PersonRow.id == bindparam("pid"))
            .values(revision=bindparam("rev")),
            [{"pid": i, "rev": fresh_revision()} for i in ids],
        )


_LOCKED_AT = "kneehab_locked_at"  # Session.info: person id → their revision before this transaction
_LOCKED_NOW = "kneehab_locked_now"  # Session.info: person id → the revision its last lock set


_LOCK = (
    update(PersonRow)
    .where(PersonRow.id == bindparam("person_id"))
    .values(revision=PersonRow.revision + 1)
    .returning(*PersonRow.__table__.c)  # the row as locked: what the transaction reads of it
)


def lock_person(s: DbSession, person_id: int) -> None:
    """Serialise the writes of one person (issue 11 §1): PostgreSQL holds the person's row until the
    transaction ends; SQLite's writers already queue on BEGIN IMMEDIATE. The person's revision goes up
    with it (caseload_rows); the one it had is kept for `revision_when_locked`."""
    # An UPDATE holds the row on PostgreSQL, and marks every derived row of the person stale.
    found = session_rows(s, _LOCK, {"person_id": person_id})
    _forget_person(s, person_id)  # what was read before the lock may be stale
    if found:
        s.info.setdefault(_PERSON, {})[person_id] = _person_record(found[0])
        s.info.setdefault(_LOCKED_AT, {}).setdefault(person_id, found[0].revision - 1)
        s.info.setdefault(_LOCKED_NOW, {})[person_id] = found[0].revision


def revision_now(s: DbSession, person_id: int) -> int | None:
    """The revision this transaction's last lock of the person raised theirs to (None: it has not
    locked them): what their revision is once it commits."""
    found: int | None = s.info.get(_LOCKED_NOW, {}).get(person_id)
    return found


def revision_when_locked(s: DbSession, person_id: int) -> int | None:
    """The person's revision when this transaction first took their lock (None: it has not): the
    last committed change of their records, which nobody else can change until this one ends. It
    stands for what the transaction reads only until the transaction changes a record itself."""
    found: int | None = s.info.get(_LOCKED_AT, {}).get(person_id)
    return found


def add_person(
    s: DbSession,
    *,
    start: date,
    now: datetime,
    pain_ceiling: int | None = None,
    morning_tolerance: int = 1,
    rules_version: int = 1,
    timezone: str | None = None,
) -> int:
    row = PersonRow(
        timezone=timezone,
        created_at=now,
        revision=fresh_revision(),
        start=start,
        pain_ceiling=pain_ceiling,
        morning_tolerance=morning_tolerance,
        rules_version=rules_version,
    )
    s.add(row)
    s.flush()
    return row.id


def first_person_id(s: DbSession) -> int | None:
    return s.scalar(select(func.min(PersonRow.id)))


_PINNED = "kneehab_person_rows"  # Session.info: person id → their ORM row, to be changed
# Session.info: person id → their record as this transaction last read it (a write asks for the
# person three times); forgotten by every change of the row made here (`_forget_person`).
_PERSON = "kneehab_person_records"


def forget_person(s: DbSession, person_id: int) -> None:
    """The person's row was changed in this transaction (not through this module): read it again."""
    _forget_person(s, person_id)


def _forget_person(s: DbSession, person_id: int) -> None:
    s.info.get(_PERSON, {}).pop(person_id, None)
    row = s.info.get(_PINNED, {}).get(person_id)
    if row is not None:  # an ORM row of theirs held by this transaction reads them again
        s.expire(row)


def _person_row(s: DbSession, person_id: int) -> PersonRow:
    """The person's ORM row, for a change to it (the record read so far is then forgotten)."""
    s.info.get(_PERSON, {}).pop(person_id, None)
    row = s.get(PersonRow, person_id)
    if row is None:
        raise NotFound(f"person: no person with id {person_id}")
    # The session's identity map holds rows weakly: held here, the next `get` in this transaction
    # is answered from it instead of the database.
    s.info.setdefault(_PINNED, {})[person_id] = row
    return row


def _person_record(r: Any) -> PersonRecord:
    """A person's row (ORM object or plain row) as the record the services read."""
    return PersonRecord(
        r.id,
        r.created_at,
        r.start,
        r.pain_ceiling,
        r.morning_tolerance,
        r.reviewed,
        r.reviewed_at,
        r.reviewed_by,
        r.rules_version,
        r.revision,
        r.clinic_id,
    )


_PERSON_ROW = select(*PersonRow.__table__.c).where(PersonRow.id == bindparam("person_id"))


def get_person(s: DbSession, person_id: int) -> PersonRecord:
    found = find_person(s, person_id)
    if found is None:
        raise NotFound(f"person: no person with id {person_id}")
    return found


def find_person(s: DbSession, person_id: int) -> PersonRecord | None:
    """The person's record (None when there is no such person), read once a transaction: the
    access decision, the course and the write each ask (`_forget_person` when it changes)."""
    if s.info.get(_PINNED, {}).get(person_id) is not None:  # changed here: as its ORM row says
        return _person_record(_person_row(s, person_id))
    found: PersonRecord | None = s.info.get(_PERSON, {}).get(person_id)
    if found is None:
        rows = session_rows(s, _PERSON_ROW, {"person_id": person_id})
        if not rows:
            return None
        found = _person_record(rows[0])
        s.info.setdefault(_PERSON, {})[person_id] = found
    return found


def person_ids(s: DbSession) -> list[int]:
    return list(s.scalars(select(PersonRow.id).order_by(PersonRow.id)))


def set_morning_tolerance(s: DbSession, person_id: int, tolerance: int) -> None:
    _person_row(s, person_id).morning_tolerance = tolerance


def set_rules_version(s: DbSession, person_id: int, version: int) -> None:
    _person_row(s, person_id).rules_version = version


def set_reviewed(s: DbSession, person_id: int, *, now: datetime, by: str) -> None:
    row = _person_row(s, person_id)
    row.reviewed, row.reviewed_at, row.reviewed_by = True, now, by


def delete_person(s: DbSession, person_id: int) -> None:
    _person_row(s, person_id)
    # Children first, explicitly: SQLite only cascades when foreign keys are on for the connection.
    for table in (
        CourseSnapshotRow,
        LiveParkedRow,
        CalendarFeedRow,
        EscalationRow,
        CourseEventRow,
        OutcomeRow,
        RescreenRow,
        CheckInRow,
        PlayerStateRow,
        EntryRow,
        ProgramVersionRow,
        IntakeRow,
    ):
        s.execute(delete(table).where(table.person_id == person_id))
    s.execute(delete(PersonRow).where(PersonRow.id == person_id))
    s.info.get(_PINNED, {}).pop(person_id, None)
    s.info.get(_PERSON, {}).pop(person_id, None)
    for key in [k for k in s.info.get(_DAY_ROWS, {}) if k[0] == person_id]:
        del s.info[_DAY_ROWS][key]


# --- intakes and programs ------------------------------------------------------------------


def add_intake(
    s: DbSession, person_id: int, intake: Intake, triage: Triage, *, now: datetime
) -> int:
    row = IntakeRow(
        person_id=person_id,
        recorded_at=now,
        data=intake.model_dump(mode="json"),
        triage_level=triage.level.value,
        triage=triage.model_dump(mode="json"),
    )
    s.add(row)
    s.flush()
    return row.id


def intakes(s: DbSession, person_id: int) -> list[IntakeRecord]:
    rows = s.scalars(
        select(IntakeRow).where(IntakeRow.person_id == person_id).order_by(IntakeRow.id)
    )
    return [_intake_record(r) for r in rows]


def _intake_record(r: Any) -> IntakeRecord:
    return IntakeRecord(
        r.id, r.recorded_at, Intake.model_validate(r.data), Triage.model_validate(r.triage)
    )


_LATEST_INTAKE = (
    select(IntakeRow.id, IntakeRow.recorded_at, IntakeRow.data, IntakeRow.triage)
    .where(IntakeRow.person_id == bindparam("person_id"))
    .order_by(IntakeRow.id.desc())
    .limit(1)
)


def latest_intake(s: DbSession, person_id: int) -> IntakeRecord:
    found = session_rows(s, _LATEST_INTAKE, {"person_id": person_id})
    if not found:
        raise NotFound(f"person: no intake recorded for person {person_id}")
    return _intake_record(found[0])


def add_program_version(
    s: DbSession,
    person_id: int,
    *,
    program: Program,
    effective: date,
    now: datetime,
    kind: str,
    actor: str,
    rules: tuple[str, ...] | list[str],
    reason: str,
    exercise_id: str | None = None,
    from_dose: Dose | None = None,
    to_dose: Dose | None = None,
) -> int:
    """Append a version; the number is one more than the person's latest. Its program is stored as
    what changed from the version before (program_delta.py)."""
    latest = s.scalar(
        select(func.max(ProgramVersionRow.version)).where(ProgramVersionRow.person_id == person_id)
    )
    version = (latest or 0) + 1
    whole = program.model_dump(mode="json")
    before = _whole_programs(s, person_id)
    s.add(
        ProgramVersionRow(
            person_id=person_id,
            version=version,
            effective=effective,
            created_at=now,
            kind=kind,
            actor=actor,
            rules=list(rules),
            reason=reason,
            exercise_id=exercise_id,
            from_dose=stored_dose(from_dose),
            to_dose=stored_dose(to_dose),
            program=program_delta.encode(before[-1] if before else None, whole),
        )
    )
    s.flush()
    return version


def _whole_programs(s: DbSession, person_id: int) -> list[Any]:
    """Every version's whole program as JSON, oldest first (decoded, not validated)."""
    stored = s.scalars(
        select(ProgramVersionRow.program)
        .where(ProgramVersionRow.person_id == person_id)
        .order_by(ProgramVersionRow.version)
    )
    return program_delta.decode_all(stored)


def stored_dose(dose: Dose | None) -> dict[str, Any] | None:
    """A version's dose as stored: only the keys it uses (a dose leaves most of them unset, and
    writing each as null took ~9 KB of a 90-day person's ~100). Read back, the others are None."""
    return dose.model_dump(exclude_none=True) if dose else None


def program_versions(s: DbSession, person_id: int) -> list[ProgramVersion]:
    rows = s.scalars(
        select(ProgramVersionRow)
        .where(ProgramVersionRow.person_id == person_id)
        .order_by(ProgramVersionRow.version)
    )
    found = list(rows)
    wholes = program_delta.decode_all(r.program for r in found)
    return [
        ProgramVersion(
            r.version,
            r.effective,
            r.created_at,
            r.kind,
            r.actor,
            tuple(r.rules),
            r.reason,
            r.exercise_id,
            Dose.model_validate(r.from_dose) if r.from_dose is not None else None,
            Dose.model_validate(r.to_dose) if r.to_dose is not None else None,
            whole,
        )
        for r, whole in zip(found, wholes, strict=True)
    ]


def program_changes(
    s: DbSession, person_id: int, *, kind: str | None = None, effective: date | None = None
) -> list[ProgramChange]:
    """The stored versions' changes (only those of `kind`, or effective on `effective`, when given),
    oldest first, without decoding any program (each version's program is stored as what changed
    from the one before, so reading one means reading all)."""
    query = select(
        ProgramVersionRow.version,
        ProgramVersionRow.effective,
        ProgramVersionRow.kind,
        ProgramVersionRow.rules,
        ProgramVersionRow.reason,
        ProgramVersionRow.exercise_id,
        ProgramVersionRow.from_dose,
        ProgramVersionRow.to_dose,
    ).where(ProgramVersionRow.person_id == person_id)
    if kind is not None:
        query = query.where(ProgramVersionRow.kind == kind)
    if effective is not None:
        query = query.where(ProgramVersionRow.effective == effective)
    rows = s.execute(query.order_by(ProgramVersionRow.version))
    return [
        ProgramChange(
            version,
            effective,
            kind,
            tuple(rules),
            reason,
            exercise_id,
            Dose.model_validate(from_dose) if from_dose is not None else None,
            Dose.model_validate(to_dose) if to_dose is not None else None,
        )
        for version, effective, kind, rules, reason, exercise_id, from_dose, to_dose in rows
    ]


def version_keys(s: DbSession, person_id: int) -> list[tuple[date, str | None, str]]:
    """(effective, exercise id, kind) of each stored version, oldest first (no programs read)."""
    rows = s.execute(
        select(ProgramVersionRow.effective, ProgramVersionRow.exercise_id, ProgramVersionRow.kind)
        .where(ProgramVersionRow.person_id == person_id)
        .order_by(ProgramVersionRow.version)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def count_program_versions(s: DbSession, person_id: int) -> int:
    found = s.scalar(select(func.count()).where(ProgramVersionRow.person_id == person_id))
    return int(found or 0)


def latest_program(s: DbSession, person_id: int) -> Program | None:
    wholes = _whole_programs(s, person_id)
    return Program.model_validate(wholes[-1]) if wholes else None


# --- sessions --------------------------------------------------------------------------------


def _dated(table: Any, *order: Any) -> tuple[Any, Any]:
    """A person's rows of a dated table, in `order`: every one, and those dated after `:after`
    (a course snapshot's tail). Built once: building them cost more than running them."""
    every = select(*table.__table__.c).where(table.person_id == bindparam("person_id"))
    after = every.where(table.day > bindparam("after"))
    return every.order_by(*order), after.order_by(*order)


def _rows_after(s: DbSession, queries: tuple[Any, Any], person_id: int, after: date | None) -> Any:
    if after is None:
        return session_rows(s, queries[0], {"person_id": person_id})
    return session_rows(s, queries[1], {"person_id": person_id, "after": after})


_ENTRY_FIELDS = tuple(f for f in SessionEntry.model_fields if f != "exercise_id")
# Today's entry is written with statements built once (not an ORM flush: ~1 ms of a set's work).
_ENTRY_KEY = select(EntryRow.id).where(
    EntryRow.person_id == bindparam("person_id"),
    EntryRow.day == bindparam("day"),
    EntryRow.exercise_id == bindparam("exercise_id"),
    EntryRow.side_key == bindparam("side_key"),
)
_ENTRY_VALUES = ("side_key", "paused_when_logged", "recorded_at")  # and SessionEntry's fields
_ENTRY_UPDATE = (
    update(EntryRow)
    .where(EntryRow.id == bindparam("entry_id"))
    .values({c: bindparam(c) for c in (*_ENTRY_VALUES, *_ENTRY_FIELDS)})
)
_ENTRY_INSERT = (
    insert(EntryRow)
    .values(
        {
            c: bindparam(c)
            for c in ("person_id", "day", "exercise_id", *_ENTRY_VALUES, *_ENTRY_FIELDS)
        }
    )
    .returning(EntryRow.id)
)


def upsert_entry(
    s: DbSession, person_id: int, day: date, entry: SessionEntry, *, now: datetime, paused: bool
) -> None:
    """Insert or replace the entry for (day, exercise, side): re-logging corrects it."""
    side_key = entry.side or ""
    key = {"person_id": person_id, "day": day, "exercise_id": entry.exercise_id}
    day_rows = s.info.get(_DAY_ROWS, {}).get((person_id, day))
    if day_rows is not None:  # the day's rows, read in this transaction by `entries_on`
        found = [
            r.id for r in day_rows if r.exercise_id == entry.exercise_id and r.side_key == side_key
        ]
    else:
        found = [r.id for r in session_rows(s, _ENTRY_KEY, {**key, "side_key": side_key})]
    values = {
        **entry.model_dump(mode="json", exclude={"exercise_id"}),
        "side_key": side_key,
        "paused_when_logged": paused,
        "recorded_at": now,
    }
    # What the ORM's flush does for a dated record (snapshot_repo._forget_on_flush): a snapshot
    # taken on or after its day is no longer what the records give.
    snapshot_repo.forget(s, person_id, from_day=day)
    if found:
        session_rows(s, _ENTRY_UPDATE, {**values, "entry_id": found[0]})
        return
    (made,) = session_rows(s, _ENTRY_INSERT, {**values, **key})
    if day_rows is not None:
        day_rows.append(_DayRow(made.id, entry.exercise_id, side_key))


def stored_entry(entry: SessionEntry) -> SessionEntry:
    """`entry` as `entries` reads it back once `upsert_entry` has written it (its values as stored)."""
    stored = entry.model_dump(mode="json", exclude={"exercise_id"})
    return SessionEntry.model_validate({"exercise_id": entry.exercise_id, **stored})


def _entry(row: Any) -> SessionEntry:
    data = {f: getattr(row, f) for f in _ENTRY_FIELDS}
    return SessionEntry.model_validate({"exercise_id": row.exercise_id, **data})


_ENTRIES = _dated(EntryRow, EntryRow.day, EntryRow.id)


def entries(s: DbSession, person_id: int, *, after: date | None = None) -> list[EntryRecord]:
    """Every entry, or only those dated after `after` (a course snapshot's tail)."""
    rows = _rows_after(s, _ENTRIES, person_id, after)
    return [EntryRecord(r.day, _entry(r), r.paused_when_logged, r.recorded_at) for r in rows]


# Session.info: (person id, day) → that day's entry rows as `entries_on` read them; `upsert_entry`
# (the only one that adds a person's entry in a transaction that read them) finds its row there.
_DAY_ROWS = "kneehab_day_entries"


_ENTRIES_ON = (
    select(*EntryRow.__table__.c)
    .where(EntryRow.person_id == bindparam("person_id"), EntryRow.day == bindparam("day"))
    .order_by(EntryRow.id)
)


@dataclass(frozen=True)
class _DayRow:
    id: int
    exercise_id: str
    side_key: str


def entries_on(s: DbSession, person_id: int, day: date) -> list[SessionEntry]:
    rows = session_rows(s, _ENTRIES_ON, {"person_id": person_id, "day": day})
    s.info.setdefault(_DAY_ROWS, {})[(person_id, day)] = [
        _DayRow(r.id, r.exercise_id, r.side_key) for r in rows
    ]
    return [_entry(r) for r in rows]


def sessions(s: DbSession, person_id: int, *, after: date | None = None) -> tuple[Session, ...]:
    by_day: dict[date, list[SessionEntry]] = {}
    for rec in entries(s, person_id, after=after):
        by_day.setdefault(rec.day, []).append(rec.entry)
    return tuple(Session(date=d, entries=tuple(es)) for d, es in sorted(by_day.items()))


def set_player_state(
    s: DbSession, person_id: int, day: date, state: dict[str, Any], *, now: datetime
) -> None:
    row = s.get(PlayerStateRow, (person_id, day))
    if row is None:
        s.add(PlayerStateRow(person_id=person_id, day=day, state=state, updated_at=now))
    else:
        row.state, row.updated_at = state, now
    s.flush()


_PLAYER_STATE = select(PlayerStateRow.state).where(
    PlayerStateRow.person_id == bindparam("person_id"), PlayerStateRow.day == bindparam("day")
)


def get_player_state(s: DbSession, person_id: int, day: date) -> dict[str, Any] | None:
    found = session_rows(s, _PLAYER_STATE, {"person_id": person_id, "day": day})
    return dict(found[0].state) if found else None


# --- check-ins, outcomes, escalations ----------------------------------------------------------


def has_checkin(s: DbSession, person_id: int, day: date) -> bool:
    found = s.scalar(
        select(CheckInRow.id).where(CheckInRow.person_id == person_id, CheckInRow.day == day)
    )
    return found is not None


def add_checkin(s: DbSession, person_id: int, checkin: CheckIn, *, now: datetime) -> None:
    data = checkin.model_dump(mode="json", exclude={"date"})
    s.add(CheckInRow(person_id=person_id, day=checkin.date, recorded_at=now, **data))
    s.flush()


def last_days(s: DbSession, person_id: int, today: date) -> tuple[date | None, date | None]:
    """(the latest check-in date, the latest day with an entry), each up to `today`: one query."""
    checkin = (
        select(func.max(CheckInRow.day))
        .where(CheckInRow.person_id == person_id, CheckInRow.day <= today)
        .scalar_subquery()
    )
    entry = (
        select(func.max(EntryRow.day))
        .where(EntryRow.person_id == person_id, EntryRow.day <= today)
        .scalar_subquery()
    )
    found = s.execute(select(checkin, entry)).one()
    return _as_date(found[0]), _as_date(found[1])


def _as_date(value: object) -> date | None:
    """A MAX over a date column as a date (SQLite's driver gives a subquery's result as text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


_CHECKINS = _dated(CheckInRow, CheckInRow.day)


def checkins(s: DbSession, person_id: int, *, after: date | None = None) -> tuple[CheckIn, ...]:
    return tuple(_checkin(r) for r in _rows_after(s, _CHECKINS, person_id, after))


def _checkin(r: Any) -> CheckIn:
    return CheckIn(
        date=r.day,
        morning_pain=r.morning_pain,
        morning_stiffness=r.morning_stiffness,
        avg_pain=r.avg_pain,
        new_symptoms=tuple(r.new_symptoms),
        chest_symptoms=r.chest_symptoms,
    )


def add_rescreen(
    s: DbSession, person_id: int, rescreen: Rescreen, triage: Triage, *, now: datetime
) -> int:
    data = rescreen.model_dump(mode="json", exclude={"date"})
    row = RescreenRow(
        person_id=person_id,
        day=rescreen.date,
        recorded_at=now,
        triage_level=triage.level.value,
        triage=triage.model_dump(mode="json"),
        **data,
    )
    s.add(row)
    s.flush()
    return row.id


def rescreen_records(
    s: DbSession, person_id: int, *, after: date | None = None
) -> list[RescreenRecord]:
    query = select(RescreenRow).where(RescreenRow.person_id == person_id)
    if after is not None:
        query = query.where(RescreenRow.day > after)
    rows = s.scalars(query.order_by(RescreenRow.day, RescreenRow.id))
    return [
        RescreenRecord(_rescreen(r), Triage.model_validate(r.triage), r.recorded_at) for r in rows
    ]


def _rescreen(r: Any) -> Rescreen:
    return Rescreen(
        date=r.day,
        red_flags=tuple(r.red_flags),
        cold_foot=r.cold_foot,
        chest_symptoms=r.chest_symptoms,
        new_injury=r.new_injury,
        full_set=r.full_set,
    )


_RESCREENS = _dated(RescreenRow, RescreenRow.day, RescreenRow.id)


def rescreens(s: DbSession, person_id: int, *, after: date | None = None) -> tuple[Rescreen, ...]:
    """The person's re-screens, oldest first (RULES §1.1)."""
    return tuple(_rescreen(r) for r in _rows_after(s, _RESCREENS, person_id, after))


def add_outcome(s: DbSession, person_id: int, outcome: OutcomeRecord, *, now: datetime) -> int:
    """Keep one outcome; the same one sent again (a retried submission) is the row already kept."""
    data = outcome.model_dump(mode="json", exclude={"date"})
    same = s.scalars(
        select(OutcomeRow).where(
            OutcomeRow.person_id == person_id,
            OutcomeRow.day == outcome.date,
            OutcomeRow.measure == outcome.measure,
        )
    )
    for kept in same:
        if all(getattr(kept, key) == value for key, value in data.items()):
            return kept.id
    row = OutcomeRow(person_id=person_id, day=outcome.date, recorded_at=now, **data)
    s.add(row)
    s.flush()
    return row.id


_OUTCOMES = _dated(OutcomeRow, OutcomeRow.day, OutcomeRow.id)


def outcomes(
    s: DbSession, person_id: int, *, after: date | None = None
) -> tuple[OutcomeRecord, ...]:
    return tuple(_outcome(r) for r in _rows_after(s, _OUTCOMES, person_id, after))


def _outcome(r: Any) -> OutcomeRecord:
    return OutcomeRecord(
        date=r.day,
        measure=r.measure,
        value=r.value,
        activities=tuple(r.activities),
        responses=dict(r.responses),
    )


def add_escalation(
    s: DbSession,
    person_id: int,
    *,
    day: date,
    level: str,
    rules: tuple[str, ...] | list[str],
    message: str,
    now: datetime,
) -> int | None:
    """Record the day's escalation once; returns None when that day already has one."""
    exists = s.scalar(
        select(EscalationRow.id).where(
            EscalationRow.person_id == person_id, EscalationRow.day == day
        )
    )
    if exists is not None:
        return None
    row = EscalationRow(
        person_id=person_id,
        day=day,
        level=level,
        rules=list(rules),
        message=message,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row.id


def add_escalations(s: DbSession, found: list[tuple[int, Escalation]], *, now: datetime) -> int:
    """`add_escalation` for many people (the nightly scan): each (person, escalation) recorded
    unless that person's day has one already, in one query and one flush; how many were added."""
    ids = [pid for pid, _ in found]
    query = select(EscalationRow.person_id, EscalationRow.day).where(
        EscalationRow.person_id.in_(ids)
    )
    taken = set(s.execute(query.where(EscalationRow.day.in_({e.date for _, e in found}))).all())
    rows = [
        EscalationRow(
            person_id=pid,
            day=e.date,
            level=e.level.value,
            rules=list(e.rules),
            message=e.message,
            created_at=now,
        )
        for pid, e in found
        if (pid, e.date) not in taken
    ]
    s.add_all(rows)
    s.flush()
    return len(rows)


def escalations(s: DbSession, person_id: int) -> list[EscalationRecord]:
    rows = s.scalars(
        select(EscalationRow)
        .where(EscalationRow.person_id == person_id)
        .order_by(EscalationRow.day, EscalationRow.id)
    )
    return [
        EscalationRecord(
            r.id,
            r.day,
            r.level,
            tuple(r.rules),
            r.message,
            r.created_at,
            r.seen_at,
            r.acknowledged_at,
            r.acknowledged_by,
        )
        for r in rows
    ]


def _escalation_row(s: DbSession, person_id: int, escalation_id: int) -> EscalationRow:
    row = s.get(EscalationRow, escalation_id)
    if row is None or row.person_id != person_id:
        raise NotFound(f"escalation: no escalation with id {escalation_id}")
    return row


def mark_escalation_seen(
    s: DbSession, person_id: int, escalation_id: int, *, now: datetime
) -> None:
    row = _escalation_row(s, person_id, escalation_id)
    if row.seen_at is None:
        row.seen_at = now


def acknowledge_escalation(
    s: DbSession, person_id: int, escalation_id: int, *, now: datetime, by: str
) -> None:
    row = _escalation_row(s, person_id, escalation_id)
    if row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, by
        row.seen_at = row.seen_at or now


# --- v2 dated events: swaps (D-10), offer answers (D-12), clinician actions (D-7) -------------------

CourseEvent = SwapChoice | OfferAnswer | ClinicianAction
_EVENT_KIND: dict[type, str] = {
    SwapChoice: "swap",
    OfferAnswer: "offer",
    ClinicianAction: "clinician",
}


def add_event(
    s: DbSession, person_id: int, event: CourseEvent, *, now: datetime, by: str | None = None
) -> int:
    row = CourseEventRow(
        person_id=person_id,
        day=event.date,
        kind=_EVENT_KIND[type(event)],
        data=event.model_dump(mode="json", by_alias=True, exclude={"date"}),
        recorded_by=by,
        recorded_at=now,
    )
    s.add(row)
    s.flush()
    return row.id


def events(
    s: DbSession, person_id: int, *, after: date | None = None
) -> tuple[tuple[SwapChoice, ...], tuple[OfferAnswer, ...], tuple[ClinicianAction, ...]]:
    """The person's swaps, offer answers and clinician actions, each oldest first."""
    return _events(_rows_after(s, _EVENTS, person_id, after))


_EVENTS = _dated(CourseEventRow, CourseEventRow.day, CourseEventRow.id)


_Events = tuple[tuple[SwapChoice, ...], tuple[OfferAnswer, ...], tuple[ClinicianAction, ...]]


def _events(rows: Iterable[Any]) -> _Events:
    swaps: list[SwapChoice] = []
    offers: list[OfferAnswer] = []
    clinician: list[ClinicianAction] = []
    for r in rows:
        data = {"date": r.day, **r.data}
        if r.kind == "swap":
            swaps.append(SwapChoice.model_validate(data))
        elif r.kind == "offer":
            offers.append(OfferAnswer.model_validate(data))
        elif r.kind == "clinician":  # other kinds (a dismissed note) do not change the course
            clinician.append(ClinicianAction.model_validate(data))
    return tuple(swaps), tuple(offers), tuple(clinician)


# --- many people at once (the nightly scan: one query a table for a batch of people) ----------


@dataclass(frozen=True)
class PeopleRecords:
    """What `caseload.row_in` reads of each person, for a batch of people: each value is what the
    one-person reader above gives for that person (absent: nothing of theirs)."""

    persons: dict[int, PersonRecord]
    intakes: dict[int, Intake]  # the latest
    events: dict[int, _Events]  # every event
    sessions: dict[int, tuple[Session, ...]]  # dated after `after`, as the others below
    checkins: dict[int, tuple[CheckIn, ...]]
    outcomes: dict[int, tuple[OutcomeRecord, ...]]
    rescreens: dict[int, tuple[Rescreen, ...]]
    last_days: dict[int, tuple[date | None, date | None]]  # as `last_days(…, today)`


def _grouped(rows: Iterable[Any]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for r in rows:
        found.setdefault(r.person_id, []).append(r)
    return found


def people_records(s: DbSession, ids: list[int], *, after: date, today: date) -> PeopleRecords:
    """The records of `ids` (a bounded batch) in one query a table; columns, not ORM objects."""
    persons = {
        r.id: _person_record(r)
        for r in s.execute(select(*PersonRow.__table__.c).where(PersonRow.id.in_(ids)))
    }
    intakes: dict[int, Intake] = {}
    query = select(IntakeRow.person_id, IntakeRow.data).where(IntakeRow.person_id.in_(ids))
    for r in s.execute(query.order_by(IntakeRow.person_id, IntakeRow.id)):
        intakes[r.person_id] = r.data  # the latest wins

    def dated(table: Any, *order: Any) -> dict[int, list[Any]]:
        query = select(*table.__table__.c).where(table.person_id.in_(ids), table.day > after)
        return _grouped(s.execute(query.order_by(table.person_id, *order)))

    sessions: dict[int, tuple[Session, ...]] = {}
    for pid, rows in dated(EntryRow, EntryRow.day, EntryRow.id).items():
        by_day: dict[date, list[SessionEntry]] = {}
        for r in rows:
            by_day.setdefault(r.day, []).append(_entry(r))
        sessions[pid] = tuple(
            Session(date=d, entries=tuple(es)) for d, es in sorted(by_day.items())
        )
    events_query = select(*CourseEventRow.__table__.c).where(CourseEventRow.person_id.in_(ids))
    events = s.execute(
        events_query.order_by(CourseEventRow.person_id, CourseEventRow.day, CourseEventRow.id)
    )
    last: dict[int, tuple[date | None, date | None]] = {}
    newest: tuple[Any, ...] = (CheckInRow, EntryRow)
    for n, table in enumerate(newest):
        query = select(table.person_id, func.max(table.day)).where(
            table.person_id.in_(ids), table.day <= today
        )
        for pid, day in s.execute(query.group_by(table.person_id)):
            was = last.get(pid, (None, None))
            last[pid] = (_as_date(day), was[1]) if n == 0 else (was[0], _as_date(day))
    return PeopleRecords(
        persons=persons,
        intakes={pid: Intake.model_validate(data) for pid, data in intakes.items()},
        events={pid: _events(rows) for pid, rows in _grouped(events).items()},
        sessions=sessions,
        checkins={
            pid: tuple(_checkin(r) for r in rows)
            for pid, rows in dated(CheckInRow, CheckInRow.day).items()
        },
        outcomes={
            pid: tuple(_outcome(r) for r in rows)
            for pid, rows in dated(OutcomeRow, OutcomeRow.day, OutcomeRow.id).items()
        },
        rescreens={
            pid: tuple(_rescreen(r) for r in rows)
            for pid, rows in dated(RescreenRow, RescreenRow.day, RescreenRow.id).items()
        },
        last_days=last,
    )


# --- whole-database copy (backup and restore) --------------------------------------------------


def dump_all(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, parents first, in primary-key order (derived tables, such as
    course snapshots, are rebuilt rather than copied)."""
    return {
        table.name: [
            dict(r) for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()
        ]
        for table in Base.metadata.sorted_tables
        if not is_derived(table)
    }


def replace_all(conn: Connection, data: dict[str, list[dict[str, Any]]]) -> None:
    """Swap the whole content for `data` inside the caller's transaction."""
    tables = Base.metadata.sorted_tables
    for table in reversed(tables):
        conn.execute(delete(table))
    for table in tables:
        # A derived table is never filled from outside (a course snapshot is server-made only).
        rows = [] if is_derived(table) else data.get(table.name) or []
        if rows:
            conn.execute(insert(table), rows)
    renew_revisions(conn)
    if conn.dialect.name == "postgresql":
        # Inserted ids bypass the sequences; move each one past the highest id now present.
        for table in tables:
            if "id" in table.c and table.c.id.primary_key:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
                    )
                )
