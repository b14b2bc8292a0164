"""Bulk writes for `kneehab populate`: one person, their account and whole course in a few
multi-row INSERTs (the row shapes are those of repo.py's one-at-a-time writers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session as DbSession

from kneehab.domain.program import Program, Triage
from kneehab.domain.records import History
from kneehab.domain.screening import screen_rescreen
from kneehab.domain.types import Dose
from kneehab.store import program_delta, repo, snapshot_repo
from kneehab.store.snapshot_repo import StoredSnapshot
from kneehab.store.tables import (
    AccountRow,
    CheckInRow,
    EntryRow,
    ProgramVersionRow,
    RescreenRow,
)


@dataclass(frozen=True)
class VersionRow:
    """A program version as `repo.add_program_version` takes it."""

    effective: date
    kind: str
    actor: str
    rules: tuple[str, ...]
    reason: str
    program: Program
    exercise_id: str | None = None
    from_dose: Dose | None = None
    to_dose: Dose | None = None


def existing_emails(s: DbSession, emails: Sequence[str]) -> list[str]:
    found: list[str] = []
    for i in range(0, len(emails), 500):  # bound the IN list
        chunk = list(emails[i : i + 500])
        found += s.scalars(select(AccountRow.email).where(AccountRow.email.in_(chunk))).all()
    return sorted(found, key=lambda e: (len(e), e))


def add_course(
    s: DbSession,
    *,
    email: str,
    password_hash: str,
    history: History,
    triage: Triage,
    versions: Sequence[VersionRow],
    snapshot: StoredSnapshot | None,
    rules_version: int,
    now: datetime,
) -> int:
    """The person, their intake and account, every entry, check-in and program version, and the
    course snapshot; returns the person's id."""
    pid = repo.add_person(s, start=history.start, now=now, rules_version=rules_version)
    repo.add_intake(s, pid, history.intake, triage, now=now)
    s.add(
        AccountRow(
            email=email,
            role="person",
            name="",
            person_id=pid,
            password_hash=password_hash,
            created_at=now,
        )
    )
    entries = [
        {
            "person_id": pid,
            "day": x.date,
            "exercise_id": e.exercise_id,
            "side_key": e.side or "",
            "paused_when_logged": False,
            "recorded_at": now,
            **e.model_dump(mode="json", exclude={"exercise_id"}),
        }
        for x in history.sessions
        for e in x.entries
    ]
    checkins = [
        {
            "person_id": pid,
            "day": c.date,
            "recorded_at": now,
            **c.model_dump(mode="json", exclude={"date"}),
        }
        for c in history.checkins
    ]
    rescreens = [
        {
            "person_id": pid,
            "day": r.date,
            "recorded_at": now,
            "triage_level": (t := screen_rescreen(r)).level.value,
            "triage": t.model_dump(mode="json"),
            **r.model_dump(mode="json", exclude={"date"}),
        }
        for r in history.rescreens
    ]
    rows: list[dict[str, Any]] = [
        {
            "person_id": pid,
            "version": n,
            "effective": v.effective,
            "created_at": now,
            "kind": v.kind,
            "actor": v.actor,
            "rules": list(v.rules),
            "reason": v.reason,
            "exercise_id": v.exercise_id,
            "from_dose": repo.stored_dose(v.from_dose),
            "to_dose": repo.stored_dose(v.to_dose),
            "program": program,
        }
        for n, (v, program) in enumerate(
            zip(
                versions,
                program_delta.encode_all(v.program.model_dump(mode="json") for v in versions),
                strict=True,
            ),
            start=1,
        )
    ]
    for table, values in (
        (EntryRow, entries),
        (CheckInRow, checkins),
        (RescreenRow, rescreens),
        (ProgramVersionRow, rows),
    ):
        if values and s.get_bind().dialect.name == "postgresql":
            _copy(s, table, values)
        elif values:
            s.execute(insert(table), values)
    if snapshot is not None:
        marked = replace(snapshot, records=snapshot_repo.records_through(s, pid, snapshot.day))
        snapshot_repo.save(s, pid, marked, now=now)
    s.flush()
    return pid


def _copy(s: DbSession, table: Any, values: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, in the session's transaction: each value bound as an INSERT binds it (the
    column types' own processing: UTC datetimes, compact JSON), without a statement a row (an
    executemany through psycopg took ~40 % of populate at 90 days)."""
    columns = list(values[0])
    dialect = s.get_bind().dialect
    binds = [table.__table__.c[c].type._cached_bind_processor(dialect) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor: Any = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f'COPY "{table.__tablename__}" ({names}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(
                [bind(row[c]) if bind else row[c] for c, bind in zip(columns, binds, strict=True)]
            )
