"""The live camera coach's protocol (issue 13 §2): landmark frames in, motion events out.

The browser runs the pose model and sends landmarks only; this module checks each message and feeds the
same `motion.Pipeline` as `kneehab analyze --landmarks`, so both front doors give the same events and the
same summary (the summary is built by `motion.report.build_report`, as the CLI's report is).

Client → server, JSON text frames:
    {"type": "start", "exercise": ID, "width": W, "height": H, "resume": TOKEN (optional)}
    {"type": "frame", "t": SECONDS, "landmarks": [[x, y, z, visibility] × 33] or []}
    {"type": "end"}
Server → client: {"type": "ready", ...}, then events as they happen (`rep`, `hold`, `cue`, `quality`, and
`status` about twice a second for the set-up checks and the live count), and after `end` one
{"type": "summary", "reps", "hold_s", "reliable", "warnings", ...}.

Errors raise `ProtocolError` with a 4xxx close code and a reason that names the problem and what is
allowed. Nothing of the landmark stream is kept: each frame is read, pushed through the pipeline and
dropped; only the pipeline's small running state lives on (for a resume) until the set ends.

Frames are the hot path (every client, 30 a second; docs/benchmarks.md): a frame is decoded and checked in
one pass by msgspec against its exact shape (`_WireFrame`: numbers only, so strings, booleans, null,
NaN/Infinity and out-of-range numbers fail there), giving a `Frame`. Anything that pass refuses, and every
other message, takes the reference path (the standard library's parser, then the checks one by one),
which alone decides what is refused and why: the fast pass only ever accepts what the reference path
accepts, with the same numbers, so the close codes and reasons are the reference path's.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np

from kneehab.motion.config import DetectorConfig, Sex
from kneehab.motion.events import Event, QualityWarning, RepCompleted
from kneehab.motion.landmarks import N_LANDMARKS, Rows
from kneehab.motion.pipeline import Pipeline
from kneehab.motion.report import build_report

MAX_MESSAGE_BYTES = 16_384  # a frame of 33 landmarks is ~3 KB of JSON
MAX_SIDE_PX = 8192
MAX_T_S = 24 * 3600.0
STATUS_EVERY_S = 0.5  # stream time between two `status` messages
RESUME_S = 120.0  # how long a dropped connection's set waits to be resumed (web/live_parking.py)
START_WAIT_S = 30.0  # a connection must say `start` within this long

# Close codes (4000–4999 are the application's own): 4400 a bad message, 4401 not signed in,
# 4403 not allowed (another site, a clinician, a read-only token), 4404 unknown exercise or resume,
# 4408 no start in time, 4413 a message too large, 4429 frames too fast.
BAD, UNAUTHENTICATED, FORBIDDEN, UNKNOWN, TIMEOUT, TOO_LARGE, TOO_FAST = (
    4400, 4401, 4403, 4404, 4408, 4413, 4429,
)  # fmt: skip

# Quality problems that mean the count cannot be trusted now: the page switches to the tap counter.
# `no_movement` counts only before the first rep (the motion core's own reliability rule).
FALLBACK_CODES = frozenset({"no_person", "out_of_frame", "low_confidence", "multiple_people"})
FALLBACK_SAY = "I can't see you clearly — count with taps."
_TYPES = {
    "rep": "rep",
    "hold_started": "hold",
    "hold_tick": "hold",
    "hold_ended": "hold",
    "form": "cue",
    "quality": "quality",
}


class ProtocolError(Exception):
    """Close the connection with `code` and `reason` (a WebSocket close reason is at most 123 bytes)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:123].decode(errors="ignore")


def _no_constants(name: str) -> float:
    raise ProtocolError(BAD, f"{name} is not a number: send finite numbers only")


class Frame(msgspec.Struct, frozen=True, gc=False):
    """A frame message whose every field passed its check: `t` in range and the landmarks as 33 rows of
    4 finite numbers, or None when nobody was detected. Its order after the previous frame is checked by
    `LiveSet.push`. (A msgspec struct: made every frame, it costs a fifth of a frozen dataclass; no
    reference cycle can pass through it, so the collector need not track it.)"""

    t: float
    points: Rows | None


class _WireFrame(msgspec.Struct, tag_field="type", tag="frame", gc=False):
    """A frame's exact shape, for msgspec's one-pass decode (other keys are ignored, as json.loads'
    dict ignores them; a duplicated key keeps its last value in both)."""

    t: float
    landmarks: list[tuple[float, float, float, float]]


class _NotAFrame(msgspec.Struct, tag_field="type", tag="\x00"):
    """Never sent: with a union of two tagged shapes, msgspec requires the `type` key (alone, a tagged
    shape would take a message without one)."""


_decode_frame = msgspec.json.Decoder(_WireFrame | _NotAFrame).decode


def parse(text: str | bytes | None) -> dict[str, Any] | Frame:
    """One client message: a checked `Frame`, or a dict with a known `type` (`start`, `end`, or a frame
    that `LiveSet.frame` checks field by field, naming what is wrong), or ProtocolError."""
    if isinstance(text, str) and len(text) <= MAX_MESSAGE_BYTES:
        try:
            wire = _decode_frame(text)
        except msgspec.MsgspecError:
            pass  # not a well-formed frame: the reference path says what it is, or what is wrong
        else:
            if type(wire) is _WireFrame and 0.0 <= wire.t <= MAX_T_S:
                points = wire.landmarks
                if not points:
                    return Frame(wire.t, None)
                if len(points) == N_LANDMARKS:
                    # Finite by the decode: msgspec refuses NaN, Infinity and numbers beyond a
                    # float's range (tests/property/test_live_parse_props.py holds it to that). The
                    # rows go to the motion core as they are (`Pipeline.push_rows`).
                    return Frame(wire.t, points)
    return parse_reference(text)


def parse_reference(text: str | bytes | None) -> dict[str, Any]:
    """The reference path for any message: a dict with a known `type`, or ProtocolError naming why not."""
    if text is None or isinstance(text, bytes):
        raise ProtocolError(BAD, "send JSON text frames, not binary")
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            TOO_LARGE, f"message too large ({len(text)} bytes); at most {MAX_MESSAGE_BYTES}"
        )
    try:
        msg = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ProtocolError(BAD, "not valid JSON: send one JSON object per message") from None
    if not isinstance(msg, dict) or msg.get("type") not in ("start", "frame", "end"):
        raise ProtocolError(BAD, "each message is an object with type 'start', 'frame' or 'end'")
    return msg


def message_type(msg: dict[str, Any] | Frame) -> str:
    return "frame" if isinstance(msg, Frame) else str(msg["type"])


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        f = float(value)
    except OverflowError:  # an integer beyond a float's range
        return None
    return f if math.isfinite(f) else None


def _size(msg: dict[str, Any], key: str) -> int:
    v = msg.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIDE_PX:
        raise ProtocolError(
            BAD, f"start: '{key}' must be a whole number of pixels, 1 to {MAX_SIDE_PX}"
        )
    return v


def landmarks(value: object) -> Rows | None:
    """33 × [x, y, z, visibility] as rows of floats; an empty list is a frame with nobody detected."""
    if not isinstance(value, list):
        raise ProtocolError(
            BAD, "frame: 'landmarks' must be a list (33 × [x, y, z, visibility], or [])"
        )
    if not value:
        return None
    if len(value) != N_LANDMARKS:
        raise ProtocolError(
            BAD, f"frame: 'landmarks' has {len(value)} points; it must have 33 (or none)"
        )
    # One numpy conversion, with the JSON types checked once (numpy alone would take "0.5" or true as
    # numbers); the rows then hold the same floats as the one-pass decode's.
    if (
        all(type(p) is list and len(p) == 4 for p in value)
        and {type(v) for p in value for v in p} <= _NUMBERS
    ):
        try:
            arr = np.array(value, dtype=np.float64)
        except OverflowError:  # an integer beyond a float's range
            arr = None
        if arr is None or not np.isfinite(arr).all():
            raise ProtocolError(BAD, "frame: landmark values must be finite numbers")
        rows: list[list[float]] = arr.tolist()
        return rows
    for point in value:
        if not isinstance(point, list) or len(point) != 4:
            raise ProtocolError(BAD, "frame: each landmark must be [x, y, z, visibility]")
    raise ProtocolError(BAD, "frame: landmark values must be finite numbers")


_NUMBERS = frozenset({int, float})


def event_message(event: Event) -> dict[str, Any]:
    """An event as the protocol sends it: its `type` plus every field of the motion core's event."""
    d = event.to_dict()
    if "rules" in d:
        d["rules"] = list(d["rules"])
    return {"type": _TYPES[d["kind"]], **d}


def summary_message(
    report: dict[str, Any], *, has_hold: bool, corrected: bool = False
) -> dict[str, Any]:
    """The end of a set, from the same report `kneehab analyze` prints (so the numbers are the same)."""
    holds = report["holds"]
    hold_s = round(sum(h["duration_s"] for h in holds), 2) if has_hold else None
    return {
        "type": "summary",
        "reps": report["reps"],
        "hold_s": hold_s,
        "reliable": bool(report["quality"]["reliable"]),
        "warnings": report["warnings"],
        "verdict": report["verdict"],
        "reps_by_side": report["reps_by_side"],
        "holds": holds,
        "per_rep": report["per_rep"],
        "quality": report["quality"],
    }


@dataclass
class LiveSet:
    """One set being coached: the pipeline's running state and the events so far (not the frames)."""

    person: int
    exercise: str
    config: DetectorConfig
    width: int
    height: int
    sex: Sex = "unspecified"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    pipe: Pipeline = field(init=False)
    events: list[Event] = field(default_factory=list)
    last_t: float = -1.0
    first_t: float | None = None
    next_status: float = 0.0
    fallback: bool = False

    def __post_init__(self) -> None:
        self.pipe = Pipeline(self.config, sex=self.sex)

    def frame(self, msg: dict[str, Any]) -> list[dict[str, Any]]:
        """A frame from the reference path: each field checked in turn, the first problem named."""
        t = _number(msg.get("t"))
        if t is None or not 0.0 <= t <= MAX_T_S:
            raise ProtocolError(
                BAD, f"frame: 't' must be seconds, a finite number from 0 to {MAX_T_S:.0f}"
            )
        self._in_order(t)
        return self.push(t, landmarks(msg.get("landmarks")))

    def _in_order(self, t: float) -> None:
        if t <= self.last_t:
            raise ProtocolError(
                BAD, f"frame: 't' must increase (got {t} after {self.last_t}); frames out of order"
            )

    def push(self, t: float, points: Rows | None) -> list[dict[str, Any]]:
        """A checked frame (a `Frame`'s fields) through the motion core: the messages it causes."""
        self._in_order(t)
        self.last_t = t
        if self.first_t is None:
            self.first_t = t
        out = self.pipe.push_rows(t, self.width, self.height, points)
        messages = []
        if out:
            self.events += out
            messages = [self._message(e) for e in out]
        if t >= self.next_status:
            self.next_status = t + STATUS_EVERY_S
            messages.append(self.status())
        return messages

    def _message(self, e: Event) -> dict[str, Any]:
        m = event_message(e)
        if isinstance(e, QualityWarning):
            lost = e.code in FALLBACK_CODES or (e.code == "no_movement" and not self.pipe.reps)
            m["fallback"] = lost
            if lost:
                self.fallback = True
                m["say"] = FALLBACK_SAY
        elif isinstance(e, RepCompleted):
            m["count"] = e.index
        return m

    def status(self) -> dict[str, Any]:
        """The live count and the set-up checks (in view, right view, enough light, one person)."""
        st = self.pipe.status
        problems = st.problems
        views = self.config.views
        return {
            "type": "status",
            "t": st.t_s,
            "reps": st.reps,
            "holding": st.holding,
            "held_s": round(st.held_s, 2),
            "view": st.view,
            "checks": {
                "in_view": not ({"no_person", "out_of_frame"} & problems),
                "view": st.view in views,
                "light": "low_confidence" not in problems,
                "one_person": "multiple_people" not in problems,
            },
            "want_view": views[0],
        }

    def end(self) -> dict[str, Any]:
        self.events += self.pipe.finish()
        start = self.first_t or 0.0
        report = build_report(
            exercise=self.exercise,
            source="live",
            duration_s=max(self.last_t - start, 0.0),
            fps=0.0,
            events=self.events,
            quality=self.pipe.quality_summary(),
        )
        return summary_message(report, has_hold=self.config.hold is not None)


class RateLimit:
    """Frames may come at most `fps` a second of their own time (`t`), and their times may not run more
    than `lead_s` ahead of real time. "Real time" is anchored on the latest-arriving frame so far (the
    largest wall − t): a server that falls behind reads its backlog in a burst, which only moves the anchor
    later, so honest clients are refused only when the server's delay swings by more than `lead_s`; a
    client sending faster than real time gains lead with every frame and is refused."""

    def __init__(
        self, fps: float, lead_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fps = fps
        self.lead_s = lead_s
        self._min_dt = 1.0 / (1.5 * fps)  # timestamps jitter: a frame may come early by a third
        self._clock = clock
        self._anchor: float | None = None  # the largest (wall time − frame time) seen
        self._last_t: float | None = None

    def check(self, t: float) -> None:
        now = self._clock()
        last = self._last_t
        if last is not None and t <= last:
            return  # out of order: the frame check refuses it with its own reason
        if last is not None and t - last < self._min_dt:
            raise ProtocolError(
                TOO_FAST,
                f"frames too fast: at most {self.fps:g} a second (frame times {t - last:.4f} s apart)",
            )
        late = now - t
        if self._anchor is None or late > self._anchor:
            self._anchor = late
        elif self._anchor - late > self.lead_s:
            raise ProtocolError(
                TOO_FAST,
                f"frames too fast: their times run more than {self.lead_s:g} s ahead of real time",
            )
        self._last_t = t
