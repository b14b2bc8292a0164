"""Named per-frame signals (joint angles and a few body measures) computed from one landmark frame.

A detector asks for signals by name; only those are computed. A signal is None when a landmark it needs
is not visible enough or lies outside the picture, so that gaps are filled later instead of guessed here.
Per-side signals are named `NAME_left` / `NAME_right` (the person's own side, as the pose model labels it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from kneehab.motion import angles
from kneehab.motion.angles import Point
from kneehab.motion.landmarks import N_LANDMARKS, Rows
from kneehab.motion.landmarks import Landmark as Lm

SIDES = ("left", "right")
_SIDE_IDX = {
    "left": (Lm.LEFT_SHOULDER, Lm.LEFT_HIP, Lm.LEFT_KNEE, Lm.LEFT_ANKLE),
    "right": (Lm.RIGHT_SHOULDER, Lm.RIGHT_HIP, Lm.RIGHT_KNEE, Lm.RIGHT_ANKLE),
}
_TRUNK = (Lm.LEFT_SHOULDER, Lm.RIGHT_SHOULDER, Lm.LEFT_HIP, Lm.RIGHT_HIP)
_LS, _RS, _LH, _RH = (int(i) for i in _TRUNK)


# How the signal reader computes a signal inline (no call per signal on the hot path):
# "flex": 180 − the included angle at args[1] (knee and hip flexion); "fppa": signed FPPA of
# (hip, knee, ankle, other hip); "abd": angle between the trunk line and args[0]→args[1];
# "fn": call `fn` (the rarer signals).
Kind = Literal["flex", "fppa", "abd", "fn"]


@dataclass(frozen=True)
class SignalDef:
    needs: tuple[int, ...]
    fn: Callable[[Sequence[Point], Sequence[float]], float]
    unit: str = "deg"
    kind: Kind = "fn"
    args: tuple[int, ...] = ()


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _side_defs(side: str) -> dict[str, SignalDef]:
    sh, hip, knee, ank = _SIDE_IDX[side]
    o_hip = _SIDE_IDX[_other(side)][1]
    o_sh = _SIDE_IDX[_other(side)][0]

    def plane(p: Sequence[Point], z: Sequence[float]) -> float:
        # Out-of-picture-plane thigh angle from the model's relative depth (z is on the scale of x).
        thigh = angles.distance(p[hip], p[knee]) or math.nan
        return math.degrees(math.atan2(z[hip] - z[knee], thigh))

    def hike(p: Sequence[Point], z: Sequence[float]) -> float:
        # Hip hitched toward the shoulder: this side's trunk shorter than the other side's, in %.
        mine, theirs = angles.distance(p[sh], p[hip]), angles.distance(p[o_sh], p[o_hip])
        return 100.0 * (theirs - mine) / theirs if theirs else math.nan

    return {
        f"knee_flexion_{side}": SignalDef(
            (hip, knee, ank),
            lambda p, z: angles.knee_flexion(p[hip], p[knee], p[ank]),
            kind="flex",
            args=(hip, knee, ank),
        ),
        f"hip_flexion_{side}": SignalDef(
            (sh, hip, knee),
            lambda p, z: angles.hip_flexion(p[sh], p[hip], p[knee]),
            kind="flex",
            args=(sh, hip, knee),
        ),
        f"hip_abduction_{side}": SignalDef(
            (*_TRUNK, ank),
            lambda p, z: angles.hip_abduction(
                angles.midpoint(p[Lm.LEFT_SHOULDER], p[Lm.RIGHT_SHOULDER]),
                angles.midpoint(p[Lm.LEFT_HIP], p[Lm.RIGHT_HIP]),
                p[hip],
                p[ank],
            ),
            kind="abd",
            args=(hip, ank),
        ),
        f"thigh_abduction_{side}": SignalDef(
            (*_TRUNK, knee),
            lambda p, z: angles.hip_abduction(
                angles.midpoint(p[Lm.LEFT_SHOULDER], p[Lm.RIGHT_SHOULDER]),
                angles.midpoint(p[Lm.LEFT_HIP], p[Lm.RIGHT_HIP]),
                p[hip],
                p[knee],
            ),
            kind="abd",
            args=(hip, knee),
        ),
        f"fppa_{side}": SignalDef(
            (hip, knee, ank, o_hip),
            lambda p, z: angles.fppa(p[hip], p[knee], p[ank], p[o_hip]),
            kind="fppa",
            args=(hip, knee, ank, o_hip),
        ),
        f"leg_plane_{side}": SignalDef((hip, knee), plane),
        f"hip_hike_{side}": SignalDef(_TRUNK, hike, unit="%"),
    }


def _leg_px(p: Sequence[Point]) -> float:
    leg = 0.0
    for _, hip, knee, ank in _SIDE_IDX.values():
        leg += angles.distance(p[hip], p[knee]) + angles.distance(p[knee], p[ank])
    return leg / 2.0


def _pelvis_height(p: Sequence[Point], z: Sequence[float]) -> float:
    """Height of the mid-hip in pixels from the top (negated y). Rep thresholds on it are
    scaled by `leg_length` (see config `Reps.scale`), so a step of 10 cm means the same near or far."""
    return -angles.midpoint(p[Lm.LEFT_HIP], p[Lm.RIGHT_HIP])[1]


def _leg_length(p: Sequence[Point], z: Sequence[float]) -> float:
    """Thigh plus shank, mean of both legs, in pixels like pelvis_height."""
    return _leg_px(p)


def _trunk_lean(p: Sequence[Point], z: Sequence[float]) -> float:
    return angles.trunk_lean(
        angles.midpoint(p[Lm.LEFT_SHOULDER], p[Lm.RIGHT_SHOULDER]),
        angles.midpoint(p[Lm.LEFT_HIP], p[Lm.RIGHT_HIP]),
    )


SIGNALS: dict[str, SignalDef] = {
    **_side_defs("left"),
    **_side_defs("right"),
    "trunk_lean": SignalDef(_TRUNK, _trunk_lean),
    "pelvis_height": SignalDef(_TRUNK[2:], _pelvis_height, unit="px"),
    "leg_length": SignalDef(
        (*_TRUNK[2:], Lm.LEFT_KNEE, Lm.RIGHT_KNEE, Lm.LEFT_ANKLE, Lm.RIGHT_ANKLE),
        _leg_length,
        unit="px",
    ),
}
BASE_NAMES: tuple[str, ...] = tuple(
    sorted({n.rsplit("_", 1)[0] if n.endswith(SIDES) else n for n in SIGNALS})
)


def expand(name: str) -> tuple[str, ...]:
    """A base name with sides → its per-side names; a one-sided or global name → itself."""
    if name in SIGNALS:
        return (name,)
    return tuple(f"{name}_{s}" for s in SIDES if f"{name}_{s}" in SIGNALS)


def needed_landmarks(names: Sequence[str]) -> tuple[int, ...]:
    return tuple(sorted({i for n in names for i in SIGNALS[n].needs}))


class SignalReader:
    """Computes a fixed set of signals per frame. Built once per pipeline; `read` is the hot path.

    `read` takes a frame's landmarks as rows (`LandmarkFrame.points.tolist()`, or a live frame's rows as
    they arrived) and returns the values as a list in the order of `names` (None: not measurable this
    frame), with the landmarks in pixels for the quality checks. It keeps nothing of the frame.
    The common angles are computed inline with the same float operations as `kneehab.motion.angles`
    (so the results are bit-identical); for the dozen numbers a frame needs, plain float maths is
    several times faster than numpy, whose per-call overhead dominates at this size.
    """

    def __init__(self, names: Sequence[str], *, min_visibility: float, margin: float) -> None:
        self.names = tuple(names)
        defs = [SIGNALS[n] for n in self.names]
        self._plan = [(d.kind, d.args, sum(1 << i for i in d.needs), d.fn) for d in defs]
        self._min_vis = min_visibility
        self._lo, self._hi = -margin, 1.0 + margin
        # Only the landmarks some signal (or the view estimate) needs are converted each frame.
        self._idx = tuple(sorted({*needed_landmarks(self.names), *_TRUNK}))
        self._nothing: list[float | None] = [None] * len(self.names)

    def read(self, rows: Rows | None, w: int, h: int) -> tuple[list[float | None], list[Point]]:
        """`rows`: 33 rows of finite x, y, z, visibility, or None (nobody detected); `w`, `h`: the
        image's size in pixels. The signals, and the landmarks in pixels (only those in use are
        filled; empty when nobody was detected)."""
        if rows is None:
            return self._nothing.copy(), []
        lo, hi, mv = self._lo, self._hi, self._min_vis
        pix: list[Point] = [(0.0, 0.0)] * N_LANDMARKS
        z: list[float] = [0.0] * N_LANDMARKS
        bad = 0  # bit i set: landmark i not usable (unsure or outside the picture)
        for i in self._idx:
            x, y, zz, vis = rows[i]
            if not (vis >= mv and lo <= x <= hi and lo <= y <= hi):
                bad |= 1 << i
            pix[i] = (x * w, y * h)
            z[i] = zz * w
        out: list[float | None] = []
        acos, hypot, deg, nan, finite = math.acos, math.hypot, math.degrees, math.nan, math.isfinite
        for kind, a, mask, fn in self._plan:
            if bad & mask:
                out.append(None)
                continue
            if kind in ("flex", "fppa"):
                (ax, ay), (bx, by), (cx, cy) = pix[a[0]], pix[a[1]], pix[a[2]]
                ux, uy, vx, vy = ax - bx, ay - by, cx - bx, cy - by
                den = hypot(ux, uy) * hypot(vx, vy)
                if den == 0.0:
                    v = nan
                else:
                    v = 180.0 - deg(acos(max(-1.0, min(1.0, (ux * vx + uy * vy) / den))))
                    if kind == "fppa":
                        ox, oy = pix[a[3]]
                        lx, ly = cx - ax, cy - ay
                        knee_side = lx * (by - ay) - ly * (bx - ax)
                        mid_side = lx * (oy - ay) - ly * (ox - ax)
                        v = v if knee_side * mid_side > 0 else -v
            elif kind == "abd":
                (s1x, s1y), (s2x, s2y) = pix[_LS], pix[_RS]
                (h1x, h1y), (h2x, h2y) = pix[_LH], pix[_RH]
                (hx, hy), (ex, ey) = pix[a[0]], pix[a[1]]
                tx = (h1x + h2x) / 2.0 - (s1x + s2x) / 2.0
                ty = (h1y + h2y) / 2.0 - (s1y + s2y) / 2.0
                ux, uy = ex - hx, ey - hy
                # angles.between(trunk, leg), i.e. included(trunk, (0, 0), leg)
                den = hypot(tx, ty) * hypot(ux, uy)
                v = nan if den == 0.0 else deg(acos(max(-1.0, min(1.0, (tx * ux + ty * uy) / den))))
            else:
                v = fn(pix, z)
            out.append(v if finite(v) else None)
        return out, pix
