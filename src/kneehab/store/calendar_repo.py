"""The calendar subscriptions table (the only SQL about it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from kneehab.store.tables import CalendarFeedRow


def feed_of(s: DbSession, person_id: int) -> CalendarFeedRow | None:
    return s.get(CalendarFeedRow, person_id)


def feed_by_hash(s: DbSession, secret_hash: str) -> CalendarFeedRow | None:
    return s.scalars(
        select(CalendarFeedRow).where(CalendarFeedRow.secret_hash == secret_hash)
    ).first()


def put_feed(s: DbSession, person_id: int, secret_hash: str, remind_at: str, now: datetime) -> None:
    """A new secret replaces the old one (whose URL then stops working)."""
    s.execute(delete(CalendarFeedRow).where(CalendarFeedRow.person_id == person_id))
    s.add(
        CalendarFeedRow(
            person_id=person_id, secret_hash=secret_hash, remind_at=remind_at, created_at=now
        )
    )


def drop_feed(s: DbSession, person_id: int) -> bool:
    found = s.execute(delete(CalendarFeedRow).where(CalendarFeedRow.person_id == person_id))
    return bool(found.rowcount)  # type: ignore[attr-defined]
