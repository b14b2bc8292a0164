"""A person's own views (Today's plan and its JSON), kept by this process while nothing they are made
of has changed (issue 11 §2: the cost of a repeated read).

A view is a function of the person's records, their local date and the installed library (and of the
app's settings, which a process never changes: each app keeps its own). Every change to a person's
records raises their revision in its own transaction (store/repo.lock_person: taken by every write
that access.py allows, services/acting.authorize, by each clinician action and by a rule-book
upgrade), and the sign-in's one lookup reads the revision with the session (services/accounts
OwnRecord.version), so a view kept for the same record version, date and library is the view those
records give again. A record made again under the same id, or one person's restored export, starts
at a fresh random revision (repo.fresh_revision), so it never meets a view of its earlier life; a
whole-database restore is done with the servers stopped (docs/deploy.md), so nothing kept survives it.

Only an accelerator: another process, a new revision, another day or another library computes the
view afresh. At most LIMIT people a process (about 26 KB each: 4 KB of JSON, 21 KB of view, measured at
90 days with tracemalloc), least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

RecordVersion = tuple[datetime, int, int]  # the record's creation time, revision and rule book
LIMIT = 1024


class KeptViews:
    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._kept: OrderedDict[tuple[int, str], tuple[tuple[object, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()  # pages run on the thread pool, the JSON on the event loop

    def get(self, person_id: int, name: str, key: tuple[object, ...]) -> Any | None:
        """The view `name` kept for the person under `key`, or None."""
        with self._lock:
            found = self._kept.get((person_id, name))
            if found is None or found[0] != key:
                return None
            self._kept.move_to_end((person_id, name))
            return found[1]

    def put(self, person_id: int, name: str, key: tuple[object, ...], value: Any) -> None:
        with self._lock:
            self._kept[(person_id, name)] = (key, value)
            self._kept.move_to_end((person_id, name))
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def view_key(version: RecordVersion | None, today: date, library: str) -> tuple[object, ...] | None:
    """What a kept view must match; None (keep nothing) when the record's version was not read."""
    return None if version is None else (version, today, library)
