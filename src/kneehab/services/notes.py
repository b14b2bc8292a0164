"""A physical therapist's note to a person (RULES D-7): shown on their Today page until they dismiss
it. The note itself is a clinician action (services.patient_review.act)."""

from __future__ import annotations

from datetime import date, datetime

from kneehab.access import Action
from kneehab.services.acting import Acting, authorize
from kneehab.store import note_repo
from kneehab.store.db import Database


def open_notes(db: Database, who: Acting) -> list[note_repo.NoteRecord]:
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return [n for n in note_repo.notes(s, who.person_id) if not n.dismissed]


def dismiss_note(db: Database, who: Acting, note_id: int, *, today: date, now: datetime) -> None:
    """The person has read the note; it stays in the clinician's timeline (404 words when unknown)."""
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        note_repo.dismiss(s, who.person_id, note_id, day=today, now=now)
