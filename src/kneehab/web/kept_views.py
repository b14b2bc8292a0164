"""A person's own views (Today's plan and its JSON), kept by this process while nothing they are made
of has changed (issue 11 §2: the cost of a repeated read).

A view is a function of the person's records, their local date and the installed library (and of the
app's settings, which a process never changes: each app keeps its own). Every change to a person's
records raises their revision in its own transaction (store/repo.lock_person: taken by every write
that access.py allows, services/acting.authorize, by each clinician action and by a rule-book
upgrade), and the sign-in's one lookup reads the revision with the session (services/accounts
OwnRecord.version), so a view kept for the same record version, date and library is the view those
records give again. A record made again under the same id, or put back by a restore, starts at a
fresh random revision (repo.fresh_revision, renew_revisions), so it never meets a view of its earlier
life, even when a restore runs while servers serve.

Only an accelerator: another process, a new revision, another day or another library computes the
view afresh. At most LIMIT_BYTES a process (estimated: Today is about 26 KB a person, its JSON 4 KB and
its model 21; Progress keeps only its JSON, about 210 KB at 90 days), least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

RecordVersion = tuple[datetime, int, int]  # the record's creation time, revision and rule book
LIMIT_BYTES = 64 * 1024 * 1024  # a process keeps at most this much (estimated), least recent first
TODAY_BYTES = (
    21 * 1024
)  # Today's view model in memory (tracemalloc, at 90 days; its JSON is 4.4 KB)


class KeptViews:
    def __init__(self, limit_bytes: int = LIMIT_BYTES) -> None:
        self._limit = limit_bytes
        self._size = 0
        self._kept: OrderedDict[tuple[int, str], tuple[tuple[object, ...], Any, int]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()  # pages run on the thread pool, the JSON on the event loop

    def get(self, person_id: int, name: str, key: tuple[object, ...]) -> Any | None:
        """The view `name` kept for the person under `key`, or None."""
        with self._lock:
            found = self._kept.get((person_id, name))
            if found is None or found[0] != key:
                return None
            self._kept.move_to_end((person_id, name))
            return found[1]

    def put(
        self, person_id: int, name: str, key: tuple[object, ...], value: Any, size: int
    ) -> None:
        """Keep `value` (about `size` bytes in memory); the newest is always kept."""
        with self._lock:
            old = self._kept.pop((person_id, name), None)
            self._size += size - (old[2] if old is not None else 0)
            self._kept[(person_id, name)] = (key, value, size)
            while len(self._kept) > 1 and self._size > self._limit:
                self._size -= self._kept.popitem(last=False)[1][2]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """The estimated bytes kept."""
        return self._size


def view_key(version: RecordVersion | None, today: date, library: str) -> tuple[object, ...] | None:
    """What a kept view must match; None (keep nothing) when the record's version was not read."""
    return None if version is None else (version, today, library)
