"""Where a dropped camera-coach set waits to be resumed (issue 13 §2): in the database, so the page's
next connection resumes it on whichever server or worker it reaches (issue 11 §1: nothing in one
process's memory that another needs). What is kept is the set's running state (`live.LiveSet`: the
motion pipeline's counters and smoothed angles, the events so far), compressed, for `RESUME_S`; never a
frame or a landmark of the stream. A state that no longer reads (another kneehab version wrote it) is a
set that is not waiting any more."""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta

from kneehab.services import live_sets
from kneehab.services.acting import Acting
from kneehab.store.db import Database
from kneehab.web.live import RESUME_S, LiveSet


class Parking:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    def park(self, who: Acting, s: LiveSet) -> None:
        state = zlib.compress(pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL), 1)
        live_sets.park_set(
            self._db, who, s.token, exercise=s.exercise, state=state,
            keep_for=timedelta(seconds=RESUME_S), now=self._clock(),
        )  # fmt: skip

    def take(self, who: Acting, token: str, exercise: str) -> LiveSet | None:
        state = live_sets.take_set(self._db, who, token, exercise=exercise, now=self._clock())
        if state is None:
            return None
        try:
            found = pickle.loads(zlib.decompress(state))  # written by this server only (park above)
        except Exception:  # any unreadable state: start a new set
            return None
        if not isinstance(found, LiveSet) or found.person != who.person_id:
            return None
        return found
