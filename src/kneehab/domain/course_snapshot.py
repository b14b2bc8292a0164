"""A replay's state after one day, kept so the next replay starts there (issue 11 §2).

The state is `CourseState` after day D, serialised with pickle. It is only ever read back from the
server's own `course_snapshots` table (never from a backup, an export or a request: those tables
leave it out), and even so it is read with an unpickler that accepts only the classes a course
state is made of. `FORMAT` changes whenever the serialised shape changes; the services also key
each snapshot by the engine's source, the library and the rule book, so any change to those
replays from the start again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import pickle
from dataclasses import dataclass, field
from typing import Any

from kneehab.domain.course_state import CourseState
from kneehab.domain.records import History

FORMAT = 1

# What a history's records are, besides its head (intake, start, person settings and `today`).
RECORD_FIELDS = ("sessions", "checkins", "outcomes", "rescreens", "swaps", "offers", "clinician")


class StaleSnapshot(ValueError):
    """A snapshot that does not fit the history it is given (a bug in the caller: replay all)."""


@dataclass(frozen=True)
class CourseSnapshot:
    day: dt.date  # the state after this day
    head: str  # `history_head` of the history it was taken from
    state: bytes  # the serialised CourseState, FORMAT
    # The same state, live (a copy nothing else holds): a process may keep it to skip `state`'s
    # deserialisation next time (`replay_from_state` never changes the state it is given).
    live: CourseState | None = field(default=None, compare=False, repr=False)


def history_head(history: History) -> str:
    """What a snapshot depends on besides dated records: the intake the course was planned from,
    the start and the person's settings. A different head means the snapshot no longer applies."""
    head = history.model_dump(mode="json", include={"intake", "start", "pain_ceiling"})
    head["morning_tolerance"] = history.morning_tolerance
    head["reviewed"] = history.reviewed
    text = json.dumps(head, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def records_of(history: History) -> list[Any]:
    return [r for name in RECORD_FIELDS for r in getattr(history, name)]


def take_snapshot(run: CourseState, day: dt.date, *, head: str) -> CourseSnapshot:
    """The state as it is now, after `day` (the caller has replayed up to it and no further)."""
    assert run.next_day == day + dt.timedelta(days=1)
    # The engine's history copy keeps only what the state may look back at: records up to `day`.
    h = run.h
    kept = h.model_copy(
        update={
            "today": day,
            **{name: tuple(r for r in getattr(h, name) if r.date <= day) for name in RECORD_FIELDS},
        }
    )
    run.h = kept
    try:
        state = pickle.dumps(run, protocol=pickle.HIGHEST_PROTOCOL)
        live = run.clone()
    finally:
        run.h = h
    live.index_events(kept)  # as `restore_state` gives it: each replay then indexes only its tail
    return CourseSnapshot(day=day, head=head, state=state, live=live)


# Modules a course state is made of; nothing else may be named by a stored snapshot.
_ALLOWED_MODULES = ("kneehab.domain.",)
_ALLOWED = {
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "tuple"),
    ("builtins", "list"),
    ("builtins", "dict"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
    ("pydantic.main", "_model_construction"),
}


class _CourseUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(_ALLOWED_MODULES) or (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a course snapshot may not name {module}.{name}")


def restore_state(snapshot: CourseSnapshot) -> CourseState:
    """The CourseState kept in `snapshot` (without library and indexes: `resume` gives them)."""
    try:
        run = _CourseUnpickler(io.BytesIO(snapshot.state)).load()
    except Exception as exc:  # any unreadable snapshot is stale: replay from the start
        raise StaleSnapshot(f"the snapshot cannot be read ({type(exc).__name__})") from None
    if not isinstance(run, CourseState) or run.next_day != snapshot.day + dt.timedelta(days=1):
        raise StaleSnapshot("the snapshot is not a course state after its day")
    # Its records by date, once: a replay from it (or from a clone of it) indexes only its tail.
    run.index_events(run.h)
    return run
