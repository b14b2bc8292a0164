"""A replay's state after one day, kept so the next replay starts there (issue 11 §2).

The state is `CourseState` after day D, serialised with pickle. It is only ever read back from the
server's own `course_snapshots` table (never from a backup, an export or a request: those tables
leave it out), and even so it is read with an unpickler that accepts only the classes a course
state is made of. `FORMAT` changes whenever the serialised shape changes; the services also key
each snapshot by the engine's source, the library and the rule book, so any change to those
replays from the start again.

A state's models (records, decisions, versions, performances, baselines: immutable) are written
once. A snapshot's bytes are a header, the earlier snapshot's segments as they were, a segment of
the models that are new since, and the state, which refers to every model a segment holds by its
place in pickle's memo (`StoredModels`). A day's snapshot then pickles the day's new models and the
state's containers, not the whole course again, and reading one is reading one pickle, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import operator
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kneehab.domain.course_state import CourseState
from kneehab.domain.records import History
from kneehab.domain.types import Frozen

FORMAT = 3  # 2: models as their field values; 3: each model once, in segments (`StoredModels`)

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


class _Sink:
    """Where a pickler writes: its chunks, taken once it is done (a pickler keeps its file to the
    end, and a `StoredModels` keeps its pickler: the bytes are not kept twice)."""

    def __init__(self, keep: bool = True):
        self.chunks: list[bytes] = []
        self.keep = keep

    def write(self, data: bytes) -> int:
        if self.keep:
            self.chunks.append(bytes(data))
        return len(data)

    def taken(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


class StoredModels:
    """The segments of a kept state's snapshot and what they define: every object they pickled, at
    the index a reader of them gives it (pickle's memo), so that the next snapshot's pickles refer to
    them instead of pickling them again. Shared by a state and its clones, and never changed but
    for working out `memo` once. What a segment holds must never change once written: the models
    are frozen, and no model holds a container that the state goes on changing (a later pickle
    would refer to the object as it was)."""

    def __init__(self, segments: bytes, rewritten: int, source: pickle.Pickler | pickle.Unpickler):
        self.segments = segments
        self.rewritten = rewritten  # the first segment's length: the last rewrite from scratch
        # The pickler that wrote the last segment, or, for a state read back from bytes, the
        # unpickler that read them: one attribute, replaced in one step (requests share this).
        self._source = source

    def memo(self) -> Any:
        """A pickler's memo of every object the segments define (C pickle copies it into each
        pickler given it). A state read back from bytes has only its reader's: turned around when
        first asked (a scan or a cold read never asks)."""
        source = self._source
        if isinstance(source, pickle.Pickler):
            return source.memo
        memo: dict[int, tuple[int, object]] = {}
        for index, read in source.memo.copy().items():
            # One object in two places: the reader shares its one-character strings, which the
            # writer held as two. The place stays taken (by an object no pickle will meet), or the
            # writer would number every later object one less than the reader does.
            obj = object() if id(read) in memo else read
            memo[id(obj)] = (index, obj)
        writer = pickle.Pickler(_Sink(keep=False), protocol=pickle.HIGHEST_PROTOCOL)
        writer.memo = memo
        self._source = writer
        return writer.memo


NO_MODELS = StoredModels(b"", 0, pickle.Pickler(_Sink(keep=False)))
# Models a state no longer holds (yesterday's escalation, a replaced program) stay in the segments.
# Once the segments are over twice what the last rewrite from scratch wrote (and this much more),
# the next snapshot writes them from scratch: a rewrite costs a whole state's pickling, so doubling
# keeps it rare (a handful in a year's course) while the dead models stay under about half.
REWRITE_SLACK = 64 * 1024
# A snapshot's bytes: this header (the format, where the state starts and where the first segment
# ends), the segments, then the state.
_MAGIC = b"KSG3"
_HEADER = struct.Struct("<4sQQ")


class _NewModels(pickle.Pickler):
    """The models of a state that no segment holds yet (the memo it is given holds the others, and
    pickle looks there first). Only finds them: what it writes is thrown away."""

    def __init__(self, seen: Any):
        super().__init__(_Sink(keep=False), protocol=pickle.HIGHEST_PROTOCOL)
        self.memo = seen
        self.found: list[object] = []

    def reducer_override(self, obj: Any) -> Any:
        lean = _lean(obj)
        if lean is None or lean[0] is History:  # a new one each time, holding every record
            return NotImplemented
        self.found.append(obj)
        return int, ()  # not looked into: the segment pickles it whole, with what it holds


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
        finder = _NewModels(earlier.memo())
        finder.dump(run)
        stored = earlier
        if finder.found:
            sink = _Sink()
            writer = _SnapshotPickler(sink, protocol=pickle.HIGHEST_PROTOCOL)
            writer.memo = earlier.memo()
            writer.dump(finder.found)
            segment = sink.taken()
            rewritten = earlier.rewritten if earlier.segments else len(segment)
            stored = StoredModels(earlier.segments + segment, rewritten, writer)
        # The state, with explicit memo indices (protocol 3): read back by an unpickler of its own
        # that is given the segments' memo (pickle's memo-keeping MEMOIZE needs one reader).
        sink = _Sink()
        state = _SnapshotPickler(sink, protocol=3)
        state.memo = stored.memo()
        state.dump(run)
        live = run.clone()
    finally:
        run.h = h
    live._stored = stored
    live.index_events(kept)  # as `restore_state` gives it: each replay then indexes only its tail
    header = _HEADER.pack(
        _MAGIC, _HEADER.size + len(stored.segments), _HEADER.size + stored.rewritten
    )
    return CourseSnapshot(
        day=day, head=head, state=header + stored.segments + sink.taken(), live=live
    )


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
    container, number or string and not in the pickler's memo: kept short."""
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


def _read(state: bytes) -> CourseState:
    """The segments, one after another with one reader (each refers to the ones before it), then
    the state with a reader given their memo."""
    magic, at, first = _HEADER.unpack_from(state)
    if magic != _MAGIC or not _HEADER.size <= first <= at <= len(state):
        raise StaleSnapshot("the snapshot is not in this format")
    # Buffered: pickle reads ahead through `peek` (the state, of protocol 3, has no frames: read
    # straight from BytesIO it would ask for each opcode's bytes on its own, ~20 % of a read).
    stream = io.BufferedReader(io.BytesIO(state))
    stream.seek(_HEADER.size)
    segments = _CourseUnpickler(stream)
    while stream.tell() < at:
        if not isinstance(segments.load(), list):
            raise StaleSnapshot("a snapshot's segment is not a list of models")
    if stream.tell() != at:
        raise StaleSnapshot("a snapshot's segments do not end where its state starts")
    reader = _CourseUnpickler(stream)
    reader.memo = segments.memo
    run = reader.load()
    if not isinstance(run, CourseState) or stream.tell() != len(state):
        raise StaleSnapshot("the snapshot is not a course state")
    run._stored = StoredModels(state[_HEADER.size : at], first - _HEADER.size, segments)
    return run


def restore_state(snapshot: CourseSnapshot) -> CourseState:
    """The CourseState kept in `snapshot` (without library and indexes: `resume` gives them)."""
    try:
        run = _read(snapshot.state)
        if run.next_day != snapshot.day + dt.timedelta(days=1):
            raise StaleSnapshot("the snapshot is not a course state after its day")
        # Its records by date, once: a replay from it (or a clone of it) indexes only its tail.
        run.index_events(run.h)
    except StaleSnapshot:
        raise
    except Exception as exc:  # any unreadable snapshot is stale: replay from the start
        raise StaleSnapshot(f"the snapshot cannot be read ({type(exc).__name__})") from None
    return run
