"""A clinician's notes to a person (RULES D-7) and the person dismissing them: the only SQL for it.

A note is a `clinician` course event with action `note`; a dismissal is a `note_dismissed` event
naming the note's id, so nothing is ever rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from kneehab.errors import NotFound
from kneehab.store.tables import CourseEventRow

DISMISSED = "note_dismissed"


@dataclass(frozen=True)
class NoteRecord:
    id: int
    day: date
    by: str
    text: str
    recorded_at: datetime
    dismissed: bool


def notes(s: DbSession, person_id: int) -> list[NoteRecord]:
    """The person's notes, oldest first, each with whether it was dismissed."""
    rows = list(
        s.scalars(
            select(CourseEventRow)
            .where(CourseEventRow.person_id == person_id)
            .where(CourseEventRow.kind.in_(("clinician", DISMISSED)))
            .order_by(CourseEventRow.id)
        )
    )
    gone = {r.data.get("note") for r in rows if r.kind == DISMISSED}
    return [
        NoteRecord(
            r.id,
            r.day,
            str(r.data.get("by") or ""),
            str(r.data.get("value") or ""),
            r.recorded_at,
            r.id in gone,
        )
        for r in rows
        if r.kind == "clinician" and r.data.get("action") == "note"
    ]


def dismiss(s: DbSession, person_id: int, note_id: int, *, day: date, now: datetime) -> None:
    if not any(n.id == note_id and not n.dismissed for n in notes(s, person_id)):
        raise NotFound("note: not found")
    s.add(
        CourseEventRow(
            person_id=person_id,
            day=day,
            kind=DISMISSED,
            data={"note": note_id},
            recorded_by="person",
            recorded_at=now,
        )
    )
