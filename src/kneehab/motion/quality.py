"""Can the camera see the exercise well enough to trust the count? Warnings say what to change.

Checks, each on a time basis: nobody in view, the joints needed are outside the picture, the model is
unsure of them (low visibility), the camera sees the body from the wrong side for this exercise, more
than one person is likely (the tracked body jumps between people, or a person detector saw several),
and no exercise movement at all for a long time (often: the model is following someone else).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kneehab.motion.angles import Point, midpoint
from kneehab.motion.config import DetectorConfig
from kneehab.motion.events import QualityCode, QualityWarning
from kneehab.motion.landmarks import Landmark as Lm
from kneehab.motion.landmarks import Rows

MESSAGES: dict[QualityCode, str] = {
    "no_person": "I can't see anyone. Step into the picture so your whole body is visible.",
    "out_of_frame": "Part of you is outside the picture. Move back or tilt the camera so your hips, "
    "knees and ankles are all in view.",
    "low_confidence": "I can't see your joints clearly. Add light, clear the background, or wear "
    "clothes that stand out from it.",
    "wrong_view": "The camera sees you from the wrong side for this exercise. {fix}",
    "multiple_people": "More than one person may be in view, so I cannot see you clearly. Make sure "
    "only you are in the picture.",
    "no_movement": "I haven't seen this exercise yet. If someone else is in the picture I may be "
    "watching them: make sure only you are in view.",
}
_VIEW_FIX = {
    "front": "Face the camera (front view).",
    "side": "Turn side-on to the camera (side view).",
}
_BAD_FOR_S = 1.0  # a problem must last this long before it is worth a cue
_REPEAT_S = 15.0  # a persisting problem is repeated at most this often
# A person detector's "someone else is here" (LandmarkFrame.people > 1) is believed only when it was
# seen this many times within the window, first and last sighting this far apart: one-off false
# positives (a curtain, a coat) and someone walking through the background are not a second person.
_CROWD_WINDOW_S = 10.0
_CROWD_SIGHTINGS = 3
_CROWD_SPAN_S = 2.0


def estimate_view(pix: Sequence[Point]) -> str | None:
    """'front', 'side' or 'oblique' from how wide the shoulders and hips look against the trunk."""
    ls, rs, lh, rh = (
        pix[Lm.LEFT_SHOULDER],
        pix[Lm.RIGHT_SHOULDER],
        pix[Lm.LEFT_HIP],
        pix[Lm.RIGHT_HIP],
    )
    return _view(ls, rs, lh, rh, math.dist(midpoint(ls, rs), midpoint(lh, rh)))


def _view(ls: Point, rs: Point, lh: Point, rh: Point, trunk: float) -> str | None:
    if trunk < 1.0:
        return None
    ratio = max(math.dist(ls, rs), 1.4 * math.dist(lh, rh)) / trunk
    return "front" if ratio > 0.5 else "side" if ratio < 0.3 else "oblique"


_LS, _RS, _LH, _RH = Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER, Lm.LEFT_HIP, Lm.RIGHT_HIP


@dataclass
class QualityState:
    frames: int = 0
    detected: int = 0
    usable: int = 0  # frames where the rep/hold signal could be measured
    vis_sum: float = 0.0
    views: Counter[str] = field(default_factory=Counter)
    issues: Counter[str] = field(default_factory=Counter)
    people_max: int = 1  # most people counted while "more than one person" was believed


class QualityMonitor:
    def __init__(self, config: DetectorConfig, needed: Sequence[int]) -> None:
        self._cfg = config
        self._needed = list(needed)
        self._margin = config.quality.margin
        self.state = QualityState()
        self._bad_since: dict[str, float] = {}
        self._last_said: dict[str, float] = {}
        self._views: deque[tuple[float, str]] = deque()
        self._view_counts: Counter[str] = Counter()
        self._jumps: deque[float] = deque()
        self._prev: tuple[float, float, float, float] | None = None  # t, x, y, trunk
        self._crowded: deque[float] = deque()
        self._last_move: float | None = None
        self._current: str | None = None  # current_view, updated when the window changes
        self._idle_after_s = config.quality.idle_after_s

    def push(
        self,
        t: float,
        people: int | None,
        rows: Rows,
        pix: list[Point],
        usable: bool,
        moving: bool,
    ) -> list[QualityWarning]:
        """One frame at `t`: `people` as `LandmarkFrame.people`; `rows` the frame's landmarks and `pix`
        them in pixels from the signal reader (both empty: nobody detected)."""
        st = self.state
        st.frames += 1
        if self._last_move is None or moving:
            self._last_move = t
        bad: set[QualityCode] = set()
        crowded = self._crowded
        if people is not None and people > 1:
            crowded.append(t)
        while crowded and crowded[0] < t - _CROWD_WINDOW_S:
            crowded.popleft()
        if len(crowded) >= _CROWD_SIGHTINGS and crowded[-1] - crowded[0] >= _CROWD_SPAN_S:
            bad.add("multiple_people")
            if people is not None:  # only believed sightings count here
                st.people_max = max(st.people_max, people)
        if not rows:
            self._prev = None
            bad.add("no_person")
        else:
            st.detected += 1
            st.usable += usable
            needed = [rows[i] for i in self._needed]
            st.vis_sum += sum([r[3] for r in needed]) / len(needed)
            if not usable:
                lo, hi = -self._margin, 1.0 + self._margin
                outside = any(not (lo <= r[0] <= hi and lo <= r[1] <= hi) for r in needed)
                bad.add("out_of_frame" if outside else "low_confidence")
            self._view_and_jumps(t, pix, bad)
        if rows and t - self._last_move >= self._idle_after_s:
            bad.add("no_movement")
        return self._cues(t, bad) if bad or self._bad_since else []

    def _view_and_jumps(self, t: float, p: list[Point], out: set[QualityCode]) -> None:
        ls, rs, lh, rh = p[_LS], p[_RS], p[_LH], p[_RH]
        mid_h = midpoint(lh, rh)
        trunk = math.dist(midpoint(ls, rs), mid_h)
        view = _view(ls, rs, lh, rh, trunk)
        seen, views = self._view_counts, self._views
        changed = False
        if view is not None:
            self.state.views[view] += 1
            views.append((t, view))
            seen[view] += 1
            changed = True
        lim = t - 3.0
        while views and views[0][0] < lim:
            seen[views.popleft()[1]] -= 1
            changed = True
        if changed:
            self._current = max(seen.items(), key=_count)[0] if views else None
        top = self._current
        if (
            top is not None
            and top in ("front", "side")
            and top not in self._cfg.views
            and len(views) >= 5
            and seen[top] > len(views) / 2
        ):
            out.add("wrong_view")
        if self._prev is not None and trunk > 1.0:
            pt, px, py, ptr = self._prev
            big = max(trunk, ptr)
            jump = math.hypot(mid_h[0] - px, mid_h[1] - py) / big
            scale = abs(trunk - ptr) / big
            if t - pt <= 0.2 and (jump > 0.6 or scale > 0.35):
                self._jumps.append(t)
        self._prev = (t, float(mid_h[0]), float(mid_h[1]), trunk)
        jumps = self._jumps
        while jumps and jumps[0] < t - 5.0:
            jumps.popleft()
        if len(jumps) >= 2:
            out.add("multiple_people")

    @property
    def current_view(self) -> str | None:
        """The view seen most in the last few seconds."""
        return self._current

    @property
    def current_problems(self) -> frozenset[str]:
        """The problems seen at the last frame, including those not yet lasting long enough for a cue."""
        return frozenset(self._bad_since)

    def _cues(self, t: float, bad: set[QualityCode]) -> list[QualityWarning]:
        out: list[QualityWarning] = []
        for code in list(self._bad_since):
            if code not in bad:
                del self._bad_since[code]
        for code in sorted(bad):
            since = self._bad_since.setdefault(code, t)
            if t - since < _BAD_FOR_S and code not in ("multiple_people", "no_movement"):
                continue
            self.state.issues[code] += 1
            last = self._last_said.get(code)
            if last is None or t - last >= _REPEAT_S:
                self._last_said[code] = t
                out.append(QualityWarning(t_s=t, code=code, message=self.message(code)))
        return out

    def message(self, code: QualityCode) -> str:
        fix = _VIEW_FIX[self._cfg.views[0]]
        return MESSAGES[code].format(fix=fix)

    def summary(self, reps_seen: int) -> dict[str, Any]:
        st = self.state
        frames = max(st.frames, 1)
        view = st.views.most_common(1)[0][0] if st.views else None
        problems = sorted(c for c in st.issues if c != "no_movement" or reps_seen == 0)
        reliable = (
            st.detected / frames >= 0.8
            and st.usable / max(st.detected, 1) >= 0.7
            and "multiple_people" not in st.issues
            and "wrong_view" not in st.issues
            and not ("no_movement" in st.issues and reps_seen == 0)
        )
        return {
            "frames": st.frames,
            "detected_fraction": round(st.detected / frames, 3),
            "usable_fraction": round(st.usable / frames, 3),
            "mean_visibility": round(st.vis_sum / max(st.detected, 1), 3),
            "view": view,
            "expected_views": list(self._cfg.views),
            "people_max": st.people_max,
            "problems": problems,
            "reliable": reliable,
        }


def _count(kv: tuple[str, int]) -> int:
    return kv[1]
