"""Camera-coach sets waiting to be resumed (issue 13 §2): the running state of a set whose connection
dropped, kept in the database for a short while so the page's next connection resumes it on any server
or worker (issue 11 §1). The state is the motion pipeline's (counters, smoothed angles, events so far);
no frame and no landmark of the stream is ever kept. Only the person themself parks and takes a set."""

from __future__ import annotations

from datetime import datetime, timedelta

from kneehab.access import Action
from kneehab.services.acting import Acting, authorize
from kneehab.store import live_repo
from kneehab.store.db import Database


def park_set(
    db: Database,
    who: Acting,
    token: str,
    *,
    exercise: str,
    state: bytes,
    keep_for: timedelta,
    now: datetime,
) -> None:
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        live_repo.park(
            s, token, person_id=who.person_id, exercise=exercise, state=state,
            expires_at=now + keep_for, now=now,
        )  # fmt: skip


def take_set(
    db: Database, who: Acting, token: str, *, exercise: str, now: datetime
) -> bytes | None:
    """The parked state (removed as it is taken), or None when this person has no such set waiting."""
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        return live_repo.take(s, token, person_id=who.person_id, exercise=exercise, now=now)
