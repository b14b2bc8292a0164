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
import operator
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kneehab.domain.course_state import CourseState
from kneehab.domain.records import History
from kneehab.domain.types import Frozen

FORMAT = 2  # 2: pydantic models as their field values (`_SnapshotPickler`)

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
        out = io.BytesIO()
        _SnapshotPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(run)
        state = out.getvalue()
        live = run.clone()
    finally:
        run.h = h
    live.index_events(kept)  # as `restore_state` gives it: each replay then indexes only its tail
    return CourseSnapshot(day=day, head=head, state=state, live=live)


# Per class: its field names, a getter of their values from a model's __dict__ (one tuple, in C) and
# the names as a set; None for a class stored pydantic's way (not frozen, or with private attributes).
_Spec = tuple[tuple[str, ...], Callable[[dict[str, Any]], tuple[Any, ...]], frozenset[str]]
_SPECS: dict[type, _Spec | None] = {}
_NAMES: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}
_set = object.__setattr__
_new = object.__new__


def _spec_of(cls: type) -> _Spec | None:
    spec: _Spec | None = None
    if issubclass(cls, Frozen) and not cls.__private_attributes__:
        names = tuple(cls.model_fields)
        get: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*names)
        if len(names) == 1:  # itemgetter of one name gives the value, not a tuple
            only = names[0]

            def get(values: dict[str, Any]) -> tuple[Any, ...]:
                return (values[only],)

        spec = (names, get, frozenset(names))
    _SPECS[cls] = spec
    return spec


def _frozen(cls: type[Frozen], values: tuple[Any, ...], unset: tuple[str, ...] | None) -> Frozen:
    """A frozen model from its field values, as pydantic's own unpickling makes it (no validation:
    the values were a valid model's), with the same fields counted as set. Called for each of a
    restored state's thousands of models, so kept to the bare steps: a snapshot is only ever read
    by the engine that wrote it (its fingerprint), so the values always match the fields."""
    known = _NAMES.get(cls)
    if known is None:
        known = _NAMES[cls] = (tuple(cls.model_fields), frozenset(cls.model_fields))
    names, every = known
    model = _new(cls)
    _set(model, "__dict__", dict(zip(names, values)))  # noqa: B905 - same fields (see above)
    _set(model, "__pydantic_fields_set__", set(every.difference(unset)) if unset else set(every))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


class _SnapshotPickler(pickle.Pickler):
    """Frozen models (no extras, no private attributes) as their class and field values: pydantic's
    own form repeats four dicts and every field name for each of the ~20,000 objects of a year's
    state, so the same state is ~45 % smaller (259 → 150 KB at 90 days) and compresses smaller. Asked
    for every object that is not a plain container, number or string: kept short."""

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        try:
            spec = _SPECS[cls]
        except KeyError:
            spec = _spec_of(cls)
        if spec is None:
            return NotImplemented
        names, get, every = spec
        values = obj.__dict__
        if len(values) != len(names):  # a model made without a field, or with more: pydantic's way
            return NotImplemented
        try:
            kept = get(values)
        except KeyError:
            return NotImplemented
        fields_set = obj.__pydantic_fields_set__
        unset = None if len(fields_set) == len(names) else tuple(sorted(every - fields_set))
        return _frozen, (cls, kept, unset)


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
