"""Camera-coach sets waiting to be resumed (issue 13 §2; table `live_parked`, migration 0012).

The token the page holds is never stored, only its sha-256, so a database reader cannot resume
someone's set. A set is taken at most once (deleted as it is read), and expired rows go whenever a
set is parked or taken, so the table stays small without a timer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from kneehab.store.tables import LiveParkedRow

MAX_PER_PERSON = 4  # sets one person may have waiting (several tabs); the oldest go first


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def park(
    s: DbSession,
    token: str,
    *,
    person_id: int,
    exercise: str,
    state: bytes,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Keep (or replace) the set behind `token` until `expires_at`."""
    s.execute(delete(LiveParkedRow).where(LiveParkedRow.expires_at < now))
    key = token_hash(token)
    s.execute(delete(LiveParkedRow).where(LiveParkedRow.token_hash == key))
    waiting = s.scalars(
        select(LiveParkedRow.token_hash)
        .where(LiveParkedRow.person_id == person_id)
        .order_by(LiveParkedRow.expires_at.desc())
    ).all()
    for old in waiting[MAX_PER_PERSON - 1 :]:
        s.execute(delete(LiveParkedRow).where(LiveParkedRow.token_hash == old))
    s.add(
        LiveParkedRow(
            token_hash=key,
            person_id=person_id,
            exercise=exercise,
            state=state,
            expires_at=expires_at,
        )
    )


def take(s: DbSession, token: str, *, person_id: int, exercise: str, now: datetime) -> bytes | None:
    """The parked state of this person's set of this exercise, removed as it is read; None when there
    is none (never parked, expired, taken already, someone else's, or another exercise)."""
    s.execute(delete(LiveParkedRow).where(LiveParkedRow.expires_at < now))
    key = token_hash(token)
    row = s.get(LiveParkedRow, key)
    if row is None or row.person_id != person_id or row.exercise != exercise:
        return None
    state = row.state
    s.delete(row)
    return state
