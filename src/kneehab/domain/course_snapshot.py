"""A replay's state after one day, kept so the next replay starts there (issue 11 §2).

The state is `CourseState` after day D, serialised with pickle. It is only ever read back from the
server's own `course_snapshots` table (never from a backup, an export or a request: those tables
leave it out), and even so it is read with an unpickler that accepts only the classes a course
state is made of. `FORMAT` changes whenever the serialised shape changes; the services also key
each snapshot by the engine's source, the library and the rule book, so any change to those
replays from the start again.

A state's models (records, decisions, versions, performances, baselines: immutable) are written
once: each snapshot's bytes are the earlier snapshot's segments, a segment of the models that are
new since, and the state itself with every model as its key (`StoredModels`). A day's snapshot then
pickles the day's new models and the state's containers, not the whole course again: at 365 days
that is ~3 ms instead of ~15 (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import operator
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kneehab.domain.course_state import CourseState
from kneehab.domain.records import History
from kneehab.domain.types import Frozen

FORMAT = 3  # 2: pydantic models as their field values; 3: each model once, by key (`StoredModels`)

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


@dataclass(frozen=True)
class StoredModels:
    """The models a snapshot's bytes define, and those bytes up to the state itself. Never changed
    once made: a state and its clones share it, and the next snapshot makes a new one."""

    segments: bytes  # pickled segments, one after another, each a list of models with their keys
    models: Mapping[int, object]  # key → model
    next_key: int
    rewritten: int  # the segments' length when they were last written from scratch

    @cached_property
    def keys(self) -> Mapping[int, int]:
        """id(model) → its key (`models` keeps each alive, so no id is reused). Worked out when a
        snapshot is first taken from a restored state: the scan and a cold read never need it."""
        return {id(model): key for key, model in self.models.items()}


NO_MODELS = StoredModels(b"", {}, 0, 0)
# Models a state no longer holds (yesterday's escalation, a replaced program) stay in the segments.
# Once the segments are twice what a rewrite from scratch gave (and this much more), the next
# snapshot writes them from scratch: a rewrite costs a whole state's pickling, so doubling keeps
# it rare (a handful in a year's course) while the dead models stay at most about half.
REWRITE_SLACK = 64 * 1024


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
    earlier = run._stored if isinstance(run._stored, StoredModels) else NO_MODELS
    if len(earlier.segments) > 2 * earlier.rewritten + REWRITE_SLACK:
        earlier = NO_MODELS
    run.h = kept
    try:
        keys = _NewKeys(earlier)
        out = io.BytesIO()
        _KeyedPickler(out, keys, define=False).dump(run)
        segment = io.BytesIO()
        if keys.added:  # the models new since `earlier`, with any new model they hold
            _KeyedPickler(segment, keys, define=True).dump([m for _, m in keys.added])
        stored = keys.stored(segment.getvalue())
        live = run.clone()
    finally:
        run.h = h
    live._stored = stored
    live.index_events(kept)  # as `restore_state` gives it: each replay then indexes only its tail
    return CourseSnapshot(day=day, head=head, state=stored.segments + out.getvalue(), live=live)


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


_Lean = tuple[type, tuple[Any, ...], tuple[str, ...] | None]


def _lean(obj: Any) -> _Lean | None:
    """A frozen model (no extras, no private attributes) as its class, field values and the fields
    it was made without; None for anything else. Asked for every object that is not a plain
    container, number or string: kept short."""
    cls = type(obj)
    try:
        spec = _SPECS[cls]
    except KeyError:
        spec = _spec_of(cls)
    if spec is None:
        return None
    names, get, every = spec
    values = obj.__dict__
    if len(values) != len(names):  # a model made without a field, or with more: pydantic's way
        return None
    try:
        kept = get(values)
    except KeyError:
        return None
    fields_set = obj.__pydantic_fields_set__
    unset = None if len(fields_set) == len(names) else tuple(sorted(every - fields_set))
    return cls, kept, unset


class _SnapshotPickler(pickle.Pickler):
    """Frozen models as their class and field values: pydantic's own form repeats four dicts and
    every field name for each of the ~20,000 objects of a year's state, so the same state is ~45 %
    smaller (259 → 150 KB at 90 days) and compresses smaller."""

    def reducer_override(self, obj: Any) -> Any:
        lean = _lean(obj)
        return NotImplemented if lean is None else (_frozen, lean)


def _ref(key: int) -> Any:
    """A model an earlier segment defined (only ever called by `_CourseUnpickler`'s own)."""
    raise pickle.UnpicklingError("a model's key is read only within a course snapshot")


def _keyed(key: int, cls: type[Frozen], values: tuple[Any, ...], unset: Any) -> Any:
    """A model defined under its key (only ever called by `_CourseUnpickler`'s own)."""
    raise pickle.UnpicklingError("a model's key is read only within a course snapshot")


class _NewKeys:
    """The keys one snapshot gives the models that `earlier` does not hold."""

    def __init__(self, earlier: StoredModels):
        self.earlier = earlier
        self.new: dict[int, int] = {}
        self.added: list[tuple[int, object]] = []

    def key(self, obj: object) -> tuple[int, bool]:
        """The model's key, and whether it is new in this snapshot."""
        known = self.earlier.keys.get(id(obj))
        if known is not None:
            return known, False
        key = self.new.get(id(obj))
        if key is None:
            key = self.new[id(obj)] = self.earlier.next_key + len(self.added)
            self.added.append((key, obj))
        return key, True

    def stored(self, segment: bytes) -> StoredModels:
        earlier = self.earlier
        if not self.added:
            return earlier
        segments = earlier.segments + segment
        stored = StoredModels(
            segments=segments,
            models={**earlier.models, **dict(self.added)},
            next_key=earlier.next_key + len(self.added),
            rewritten=earlier.rewritten if earlier.segments else len(segments),
        )
        stored.__dict__["keys"] = {**earlier.keys, **self.new}  # known already: cached as is
        return stored


class _KeyedPickler(pickle.Pickler):
    """Each model as its key (`define=False`: the state) or, for a model new in this snapshot, its
    key with its class and field values (`define=True`: the segment of new models)."""

    def __init__(self, out: io.BytesIO, keys: _NewKeys, *, define: bool):
        super().__init__(out, protocol=pickle.HIGHEST_PROTOCOL)
        self.keys, self.define = keys, define
        self.earlier = keys.earlier.keys

    def reducer_override(self, obj: Any) -> Any:
        # Most models of a day's state are the earlier snapshot's: those are looked up first.
        key: int | None = self.earlier.get(id(obj))
        if key is not None:
            return _ref, (key,)
        lean = _lean(obj)
        if lean is None:
            return NotImplemented
        if lean[0] is History:  # a new one each snapshot, holding every record: the state's own
            return _frozen, lean
        key, new = self.keys.key(obj)
        if new and self.define:
            return _keyed, (key, *lean)
        return _ref, (key,)


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
    """One pickle of a snapshot's stream; `models` (key → model) is shared by all of them."""

    def __init__(self, file: io.BytesIO, models: dict[int, object]):
        super().__init__(file)
        self.models = models

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_ref":
            return self.models.__getitem__  # a key no earlier segment defined: unreadable
        if module == __name__ and name == "_keyed":
            return self._keyed
        if module.startswith(_ALLOWED_MODULES) or (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a course snapshot may not name {module}.{name}")

    def _keyed(self, key: int, cls: type[Frozen], values: tuple[Any, ...], unset: Any) -> Any:
        model = self.models[key] = _frozen(cls, values, unset)
        return model


def _read(state: bytes) -> CourseState:
    """The segments one after another (each defines its models), then the state; each pickle is
    read with an unpickler of its own, as each was written with a pickler of its own."""
    stream = io.BytesIO(state)
    models: dict[int, object] = {}
    ends: list[int] = []  # where each pickle ends
    while True:
        found = _CourseUnpickler(stream, models).load()
        ends.append(stream.tell())
        if not isinstance(found, list):
            break
    if not isinstance(found, CourseState) or ends[-1] != len(state):
        raise StaleSnapshot("the snapshot is not a course state")
    segments = ends[-2] if len(ends) > 1 else 0
    # The first segment is what the last rewrite from scratch wrote (`take_snapshot`).
    first = ends[0] if len(ends) > 1 else 0
    found._stored = StoredModels(
        state[:segments], models, max(models, default=-1) + 1, rewritten=first
    )
    return found


def restore_state(snapshot: CourseSnapshot) -> CourseState:
    """The CourseState kept in `snapshot` (without library and indexes: `resume` gives them)."""
    try:
        run = _read(snapshot.state)
    except StaleSnapshot:
        raise
    except Exception as exc:  # any unreadable snapshot is stale: replay from the start
        raise StaleSnapshot(f"the snapshot cannot be read ({type(exc).__name__})") from None
    if run.next_day != snapshot.day + dt.timedelta(days=1):
        raise StaleSnapshot("the snapshot is not a course state after its day")
    # Its records by date, once: a replay from it (or from a clone of it) indexes only its tail.
    run.index_events(run.h)
    return run
