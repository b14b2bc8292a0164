"""A course replayed from a snapshot is the course replayed from the start (issue 11 §2).

For random courses (the generator of test_progression_props, plus re-screens and a clinician's
change of condition now and then): the state kept after a random day D, serialised to bytes as the
store keeps it, then resumed with only the records dated after D, gives exactly the course a full
replay gives — program, every decision, every version, the escalation, holds and the re-screen due.
A second snapshot taken from the first (the next day's request) gives it too.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_progression_props import LIB, histories

from kneehab.domain.course import (
    CourseSnapshot,
    HistoryMismatch,
    StaleSnapshot,
    replay,
    replay_from,
    replay_from_keeping,
    replay_from_state,
    replay_keeping,
)
from kneehab.domain.course_snapshot import RECORD_FIELDS, restore_state
from kneehab.domain.course_state import CourseState
from kneehab.domain.planning import plan
from kneehab.domain.records import ClinicianAction, History, OfferAnswer, Rescreen
from kneehab.domain.screening import screen
from kneehab.domain.types import Frozen

FLAGS = ["RF01", "RF05", "RF08", "RF10"]


def after(history: History, day: dt.date) -> History:
    """The same history holding only the records dated after `day` (what the store loads)."""
    return history.model_copy(
        update={n: tuple(r for r in getattr(history, n) if r.date > day) for n in RECORD_FIELDS}
    )


@st.composite
def courses(draw: st.DrawFn) -> History:
    history = draw(histories(max_days=40))
    days = (history.today - history.start).days
    extra: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:  # §1.1: a re-screen, now and then with a red flag
        on = history.start + dt.timedelta(days=draw(st.integers(1, days)))
        flags = [draw(st.sampled_from(FLAGS))] if draw(st.booleans()) else []
        extra["rescreens"] = (Rescreen(date=on, red_flags=tuple(flags), full_set=True),)
    if draw(st.integers(0, 3)) == 0:  # D-7: a clinician changes what the program is built for
        on = history.start + dt.timedelta(days=draw(st.integers(1, days)))
        change = ClinicianAction.model_validate(
            {
                "date": on,
                "action": "set_condition",
                "value": {
                    "condition": "patellofemoral_pain",
                    "onset": "gradual",
                    "mcl_grade": None,
                },
                "reason": "seen in clinic",
            }
        )
        extra["clinician"] = tuple(sorted((*history.clinician, change), key=lambda c: c.date))
    return history.model_copy(update=extra)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(courses(), st.data())
def test_a_snapshot_and_its_tail_replay_to_the_full_course(history: History, data: Any) -> None:
    try:
        full = replay(history, LIB)
    except HistoryMismatch:
        with pytest.raises(HistoryMismatch):
            replay_keeping(history, LIB, keep=history.start)
        return
    days = (history.today - history.start).days
    day = history.start + dt.timedelta(days=data.draw(st.integers(0, days - 1), label="day"))
    course, snap = replay_keeping(history, LIB, keep=day)
    assert course == full  # keeping a snapshot changes nothing
    assert snap is not None and snap.day == day
    stored = CourseSnapshot(day=snap.day, head=snap.head, state=bytes(snap.state))
    resumed = replay_from(stored, after(history, day), LIB)
    assert resumed.decisions == full.decisions
    assert resumed.versions == full.versions
    assert resumed.escalation == full.escalation
    assert resumed == full
    # A process that kept the live state resumes from it as often as it likes: it never changes.
    assert snap.live is not None
    for _ in range(2):
        assert replay_from_state(snap.live, snap, after(history, day), LIB, keep=None)[0] == full
    # The next request's snapshot, taken from this one, resumes to the same course too.
    if (history.today - day).days >= 2:
        later = day + dt.timedelta(days=data.draw(st.integers(1, (history.today - day).days - 1)))
        again, snap2 = replay_from_keeping(stored, after(history, day), LIB, keep=later)
        assert again == full and snap2 is not None
        assert replay_from(snap2, after(history, later), LIB) == full


@settings(max_examples=3, deadline=None)
@given(histories(max_days=10))
def test_a_snapshot_refuses_a_different_head_or_records_it_already_holds(history: History) -> None:
    _, snap = replay_keeping(history, LIB, keep=history.start + dt.timedelta(days=3))
    assert snap is not None
    other = history.model_copy(update={"morning_tolerance": 1 - history.morning_tolerance})
    with pytest.raises(StaleSnapshot):
        replay_from(snap, after(other, snap.day), LIB)
    with pytest.raises(StaleSnapshot):  # the whole history: records on or before the day
        replay_from(snap, history, LIB)


def test_a_snapshot_naming_anything_but_course_state_is_not_read() -> None:
    import pickle

    evil = pickle.dumps(print)  # builtins.print: not a course state's class
    with pytest.raises(StaleSnapshot):
        restore_state(CourseSnapshot(day=dt.date(2025, 3, 3), head="", state=evil))


INDEXES = (
    "sessions",
    "session_index",
    "checkins",
    "checkin_dates",
    "by_date",
    "done",
    "rescreens_on",
    "clinician_on",
    "answers",
    "swaps_on",
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(courses(), st.data())
def test_a_resumed_state_indexes_its_tail_to_the_indexes_of_the_whole(
    history: History, data: Any
) -> None:
    """A state indexed over its records up to a day, resumed with the records after it, has the
    indexes of the whole history built afresh; the indexes it had (a clone's, shared) are left as
    they were. Offers and records dated before the start are drawn in too."""
    offers = data.draw(
        st.lists(
            st.builds(
                OfferAnswer,
                date=st.integers(-3, (history.today - history.start).days).map(
                    lambda n: history.start + dt.timedelta(days=n)
                ),
                exercise_id=st.sampled_from(["step-up", "wall-sit", "bridge"]),
                answer=st.sampled_from(["accept", "not_now"]),
            ),
            max_size=6,
        ),
        label="offers",
    )
    early = data.draw(st.integers(0, 2), label="early")
    rescreens = tuple(
        Rescreen(date=history.start - dt.timedelta(days=1 + i), full_set=True) for i in range(early)
    )
    whole = history.model_copy(
        update={
            "offers": tuple(offers),
            "rescreens": (*rescreens, *history.rescreens),
        }
    )
    days = (history.today - history.start).days
    day = history.start + dt.timedelta(days=data.draw(st.integers(0, days - 1), label="day"))
    tail = after(whole, day)
    old = whole.model_copy(
        update={n: tuple(r for r in getattr(whole, n) if r.date <= day) for n in RECORD_FIELDS}
    )
    triage = screen(whole.intake)
    program = plan(whole.intake, triage, LIB, start=whole.start)
    if program is None:
        return
    state = CourseState(old, LIB, triage, program)
    before = copy.deepcopy({n: getattr(state, n) for n in INDEXES})
    resumed = state.clone()
    resumed.index_tail(whole, tail)  # what `resume(whole, LIB, tail)` does for an indexed state
    fresh = CourseState(whole, LIB, triage, program)
    for n in INDEXES:
        assert getattr(resumed, n) == getattr(fresh, n), n
    assert {n: getattr(state, n) for n in INDEXES} == before


def _models(obj: Any, seen: set[int] | None = None) -> list[Any]:
    """Every pydantic model reachable from `obj` (through models, lists, tuples and dicts), in order."""
    from pydantic import BaseModel

    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found: list[Any] = []
    if isinstance(obj, BaseModel):
        found.append(obj)
        inner: Any = list(obj.__dict__.values())
    elif isinstance(obj, dict):
        inner = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple):
        inner = obj
    elif isinstance(obj, CourseState):
        inner = list(obj.__getstate__().values())
    else:
        return found
    for x in inner:
        found.extend(_models(x, seen))
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(courses())
def test_a_stored_state_keeps_each_model_with_the_fields_it_was_given(history: History) -> None:
    """The snapshot stores frozen models as their field values (course_snapshot._SnapshotPickler):
    each comes back equal, of its class, with the same fields counted as set (what pydantic's own
    pickling keeps), and the stored form is smaller than pydantic's."""
    import pickle

    try:
        replay(history, LIB)
    except HistoryMismatch:
        return
    _, snap = replay_keeping(history, LIB, keep=history.today - dt.timedelta(days=1))
    assert snap is not None and snap.live is not None
    restored = restore_state(CourseSnapshot(day=snap.day, head=snap.head, state=snap.state))
    before, after_ = _models(snap.live), _models(restored)
    assert len(before) == len(after_) > 0
    for old, new in zip(before, after_, strict=True):
        assert type(new) is type(old)
        assert new == old
        assert new.model_fields_set == old.model_fields_set
    assert len(snap.state) < len(pickle.dumps(snap.live, protocol=pickle.HIGHEST_PROTOCOL))


def test_a_model_made_without_its_defaults_is_stored_as_it_was() -> None:
    import io
    import pickle

    from kneehab.domain.course_snapshot import _SnapshotPickler
    from kneehab.domain.records import CameraSet

    given_ = CameraSet(set=1, reps=8, reliable=True)  # hold_s, knee_inward, problems: defaults
    out = io.BytesIO()
    _SnapshotPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump([given_, given_])
    back = pickle.loads(out.getvalue())
    assert back == [given_, given_] and back[0] is back[1]  # shared objects stay shared
    assert back[0].model_fields_set == {"set", "reps", "reliable"}
    assert back[0].model_dump(exclude_unset=True) == {"set": 1, "reps": 8, "reliable": True}


class _OneField(Frozen):
    value: int


def test_a_model_of_one_field_is_stored_as_it_was() -> None:
    import io
    import pickle

    from kneehab.domain.course_snapshot import _SnapshotPickler

    out = io.BytesIO()
    _SnapshotPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(_OneField(value=3))
    back = pickle.loads(out.getvalue())
    assert back == _OneField(value=3) and back.model_fields_set == {"value"}
