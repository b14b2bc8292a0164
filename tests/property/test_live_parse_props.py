"""The live coach's one-pass frame decode (msgspec) against the reference path (json + checks one by one).

For any message text, `live.parse` must end where the reference path ends: the same refusal (close code
and reason), or a frame with the same time and the same numbers. The fast pass may only ever accept
what the reference path accepts; strings, booleans, null, NaN/Infinity and numbers beyond a float are
refused by both with the reference path's reason (issue 13 §2, docs/camera-coach.md).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kneehab.web import live

# JSON number tokens, good and bad, written out as text (so NaN, Infinity and 1e999 can appear).
NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=0, max_value=1).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 400, "1e-400", "-0", "0.0"]
    ),
)
VALUE = st.one_of(
    NUMBER,
    NUMBER,
    NUMBER,
    st.sampled_from(["true", "false", "null", '"0.5"', "[]", "{}", "[0.5]"]),
)
POINT = st.one_of(
    st.lists(NUMBER, min_size=4, max_size=4),
    st.lists(VALUE, min_size=4, max_size=4),
    st.lists(NUMBER, min_size=3, max_size=5),
).map(lambda vs: "[" + ", ".join(vs) + "]")


@st.composite
def _landmarks(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["empty", "33", "33", "33", "other", "not a list"]))
    if kind == "empty":
        return "[]"
    if kind == "not a list":
        return draw(VALUE)
    n = 33 if kind == "33" else draw(st.integers(1, 40))
    good = draw(st.lists(NUMBER, min_size=4, max_size=4).map(lambda vs: "[" + ", ".join(vs) + "]"))
    points = [good] * n
    for i in draw(st.lists(st.integers(0, n - 1), max_size=3)):
        points[i] = draw(POINT)
    return "[" + ", ".join(points) + "]"


@st.composite
def messages(draw: st.DrawFn) -> str:
    fields = [
        (
            "type",
            draw(
                st.sampled_from(['"frame"', '"frame"', '"frame"', '"start"', '"end"', '"x"', "1"])
            ),
        ),
        ("t", draw(st.one_of(NUMBER, VALUE, st.floats(0, 100).map(repr)))),
        ("landmarks", draw(_landmarks())),
    ]
    fields = [f for f in fields if draw(st.integers(0, 9)) > 0]  # now and then a field is missing
    if draw(st.booleans()):
        fields.append((draw(st.sampled_from(["pad", "t", "type", "landmarks"])), draw(VALUE)))
    order = draw(st.permutations(fields))
    return "{" + ", ".join(f'"{k}": {v}' for k, v in order) + "}"


def _outcome(step: Any) -> tuple[Any, ...]:
    try:
        kind, t, points = step()
    except live.ProtocolError as err:
        return ("refused", err.code, err.reason)
    # The rows as lists of floats (the one-pass decode gives tuples), compared number for number.
    rows = None if points is None else [list(p) for p in points]
    return ("frame", t, rows) if kind else ("message",)


def _reference(text: str) -> Any:
    def step() -> tuple[Any, ...]:
        msg = live.parse_reference(text)
        if msg["type"] != "frame":
            return (None, None, None)
        s = live.LiveSet.__new__(live.LiveSet)  # the frame checks alone, no motion core
        s.last_t = -1.0
        t = live._number(msg.get("t"))
        if t is None or not 0.0 <= t <= live.MAX_T_S:
            s.frame(msg)  # raises with the reference reason
        return ("frame", t, live.landmarks(msg.get("landmarks")))

    return _outcome(step)


def _parsed(text: str) -> Any:
    def step() -> tuple[Any, ...]:
        msg = live.parse(text)
        if isinstance(msg, live.Frame):
            return ("frame", msg.t, msg.points)
        if msg["type"] != "frame":
            return (None, None, None)
        t = live._number(msg.get("t"))
        if t is None or not 0.0 <= t <= live.MAX_T_S:
            s = live.LiveSet.__new__(live.LiveSet)
            s.last_t = -1.0
            s.frame(msg)
        return ("frame", t, live.landmarks(msg.get("landmarks")))

    return _outcome(step)


@settings(max_examples=400, deadline=None)
@given(messages())
def test_the_one_pass_decode_ends_where_the_reference_path_ends(text: str) -> None:
    assert _parsed(text) == _reference(text)


def test_a_browser_frame_takes_the_one_pass_decode() -> None:
    points = np.random.default_rng(1).random((33, 4))
    text = json.dumps({"type": "frame", "t": 1.5, "landmarks": points.tolist()})
    msg = live.parse(text)
    assert isinstance(msg, live.Frame) and msg.t == 1.5
    assert np.array_equal(msg.points, points)
    assert live.parse('{"type": "frame", "t": 2, "landmarks": []}') == live.Frame(2.0, None)
