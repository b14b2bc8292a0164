"""Synthetic landmark sequences: stick figures moving through an exercise, for tests and benchmarks.

Each scenario is a function of time, so any frame rate samples the same movement. Transforms add what
real footage does to the pose model: jitter, dropouts, left/right swaps, mirrored video, a second person.
No real person is represented; nothing here is derived from the shared clips.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from kneehab.motion.landmarks import N_LANDMARKS, FloatArray, LandmarkFrame
from kneehab.motion.landmarks import Landmark as Lm

Joints = dict[str, tuple[float, float]]  # shoulder_l/r, hip_l/r, knee_l/r, ankle_l/r in pixels
Scenario = Callable[[float], Joints]
W, H = 640, 480
THIGH, SHANK = 90.0, 90.0


def _leg(
    hip: tuple[float, float], thigh_deg: float, shank_deg: float
) -> tuple[tuple[float, float], ...]:
    """Knee and ankle from segment directions (degrees from straight down, positive toward +x)."""
    a, b = math.radians(thigh_deg), math.radians(shank_deg)
    knee = (hip[0] + THIGH * math.sin(a), hip[1] + THIGH * math.cos(a))
    ankle = (knee[0] + SHANK * math.sin(b), knee[1] + SHANK * math.cos(b))
    return knee, ankle


def _wave(t: float, period: float, start: float = 0.5) -> float:
    """0 → 1 → 0 once per period (smooth), after `start` seconds of rest."""
    if t < start:
        return 0.0
    return 0.5 - 0.5 * math.cos(2 * math.pi * ((t - start) % period) / period)


def squat_front(depth_deg: float = 80, period: float = 2.5, valgus: bool = False) -> Scenario:
    """Front view; in 2D the bending knees move out (or in, with `valgus`) from the hip–ankle line."""

    def at(t: float) -> Joints:
        f = depth_deg * _wave(t, period)
        drop = 2 * THIGH * (1 - math.cos(math.radians(f / 2)))
        y = 220 + drop
        j: Joints = {"shoulder_l": (350, y - 110), "shoulder_r": (290, y - 110),
                     "hip_l": (340, y), "hip_r": (300, y)}  # fmt: skip
        for s, out in (("l", 1.0), ("r", -1.0)):
            d = -out if valgus else out
            j[f"knee_{s}"], j[f"ankle_{s}"] = _leg(j[f"hip_{s}"], d * f / 2, -d * f / 2)
        return j

    return at


def step_up_front(
    step: float = 0.2, period: float = 3.0, lead: str = "alternate", valgus_deg: float | None = None
) -> Scenario:
    """Front view: the lead knee bends with the foot on the step, then the body rises by `step` legs.

    The bending knee moves out from the hip–ankle line by up to 50°, or with `valgus_deg` in by that
    much (its FPPA at peak flexion)."""
    peak = 50.0 if valgus_deg is None else valgus_deg
    way = 1.0 if valgus_deg is None else -1.0

    def at(t: float) -> Joints:
        ph = ((t - 0.5) % period) / period if t >= 0.5 else 0.0
        rep = int((t - 0.5) // period) if t >= 0.5 else 0
        side = ("l" if rep % 2 == 0 else "r") if lead == "alternate" else lead
        rise = step * (THIGH + SHANK) * _wave(ph, 1.0, 0.0) ** 0.5
        bend = peak * max(0.0, math.sin(math.pi * min(ph / 0.5, 1.0)))
        y = 220 - rise
        j: Joints = {"shoulder_l": (350, y - 110), "shoulder_r": (290, y - 110),
                     "hip_l": (340, y), "hip_r": (300, y)}  # fmt: skip
        for s, out in (("l", 1.0), ("r", -1.0)):
            f = bend if s == side else 0.0
            d = way * out
            j[f"knee_{s}"], j[f"ankle_{s}"] = _leg(j[f"hip_{s}"], d * f / 2, -d * f / 2)
        return j

    return at


def bridge_side(period: float = 5.0, top_deg: float = 2.0, hold_frac: float = 0.4) -> Scenario:
    """Side view, lying: the hips lift from ~60° hip flexion to nearly straight and hold there."""

    def at(t: float) -> Joints:
        ph = ((t - 1.0) % period) / period if t >= 1.0 else 0.0
        up = min(1.0, max(0.0, (0.5 - abs(ph - 0.5)) / ((1 - hold_frac) / 4))) if ph > 0 else 0.0
        hipflex = 60.0 + (top_deg - 60.0) * up
        sh = (150.0, 360.0)
        knee = (330.0, 280.0)
        # Place the hip so that shoulder–hip–knee makes the wanted angle (hip on the circle below).
        ang = math.radians(180 - hipflex)
        base = math.atan2(knee[1] - sh[1], knee[0] - sh[0])
        d = math.dist(sh, knee)
        r1 = d * math.sin(math.radians(hipflex / 2) + 0.01) * 0.5 + 110
        hip = (sh[0] + r1 * math.cos(base + (math.pi - ang) / 2),
               sh[1] + r1 * math.sin(base + (math.pi - ang) / 2))  # fmt: skip
        ankle = (400.0, 370.0)
        return {"shoulder_l": sh, "shoulder_r": (sh[0] + 2, sh[1]), "hip_l": hip,
                "hip_r": (hip[0] + 2, hip[1]), "knee_l": knee, "knee_r": (knee[0] + 2, knee[1]),
                "ankle_l": ankle, "ankle_r": (ankle[0] + 2, ankle[1])}  # fmt: skip

    return at


def seated_leg_raise_side(
    period: float = 4.0, top_flex: float = 3.0, alternate: bool = True
) -> Scenario:
    """Side view, sitting: one knee straightens from 90° to `top_flex`, holds ~1 s, lowers."""

    def at(t: float) -> Joints:
        ph = ((t - 0.5) % period) / period if t >= 0.5 else 0.0
        rep = int((t - 0.5) // period) if t >= 0.5 else 0
        side = "l" if (rep % 2 == 0 or not alternate) else "r"
        up = min(1.0, max(0.0, (0.5 - abs(ph - 0.5)) / 0.2)) if ph > 0 else 0.0
        hip = (250.0, 250.0)
        j: Joints = {"shoulder_l": (245.0, 130.0), "shoulder_r": (247.0, 130.0),
                     "hip_l": hip, "hip_r": (hip[0] + 2, hip[1])}  # fmt: skip
        for s in ("l", "r"):
            f = 90.0 - (90.0 - top_flex) * (up if s == side else 0.0)
            j[f"knee_{s}"], j[f"ankle_{s}"] = _leg(j[f"hip_{s}"], 90.0, 90.0 - f)
        return j

    return at


def side_lying_raise_front(lift_deg: float = 35, period: float = 3.0, side: str = "l") -> Scenario:
    """Lying on one side facing the camera: the top leg lifts toward the ceiling (abduction)."""

    def at(t: float) -> Joints:
        a = lift_deg * _wave(t, period)
        bottom = "r" if side == "l" else "l"
        j: Joints = {f"shoulder_{side}": (150.0, 300.0), f"shoulder_{bottom}": (150.0, 400.0),
                     f"hip_{side}": (330.0, 320.0), f"hip_{bottom}": (330.0, 380.0)}  # fmt: skip
        j[f"knee_{side}"], j[f"ankle_{side}"] = _leg(j[f"hip_{side}"], 90 + a, 90 + a)
        j[f"knee_{bottom}"], j[f"ankle_{bottom}"] = _leg(j[f"hip_{bottom}"], 60, 120)
        return j

    return at


def hamstring_stretch_side(hold_s: float = 20, start: float = 2.0) -> Scenario:
    """Side view, lying: one straight leg raised to ~75° hip flexion from `start` for `hold_s`."""

    def at(t: float) -> Joints:
        raised = start <= t < start + hold_s
        j: Joints = {"shoulder_l": (150.0, 360.0), "shoulder_r": (152.0, 360.0),
                     "hip_l": (330.0, 360.0), "hip_r": (332.0, 360.0)}  # fmt: skip
        up = 180.0 + 75.0 if raised else 135.0  # thigh direction from straight down
        j["knee_l"], j["ankle_l"] = _leg(j["hip_l"], up, up)
        j["knee_r"], j["ankle_r"] = _leg(j["hip_r"], 135.0, 45.0)
        return j

    return at


Intervals = tuple[tuple[float, float], ...]


def _in_stretch(t: float, intervals: Intervals, ramp_s: float) -> float:
    """0 (out) → 1 (in the stretch): halfway at each interval's ends, a linear ramp of `ramp_s`."""
    best = 0.0
    for a, b in intervals:
        best = max(best, min(1.0, max(0.0, min(t - a, b - t) / ramp_s + 0.5)))
    return best


def butterfly_front(
    intervals: Intervals = ((2.0, 22.0),), drop_deg: float = 80.0, ramp_s: float = 0.4
) -> Scenario:
    """Front view, sitting: the knees start up (thighs ~165° from straight down, out of any hold band)
    and drop out to the sides by `drop_deg` during each (start, end) interval."""

    def at(t: float) -> Joints:
        a = 165.0 - drop_deg * _in_stretch(t, intervals, ramp_s)
        j: Joints = {"shoulder_l": (350.0, 190.0), "shoulder_r": (290.0, 190.0),
                     "hip_l": (340.0, 300.0), "hip_r": (300.0, 300.0)}  # fmt: skip
        for s, out in (("l", 1.0), ("r", -1.0)):
            j[f"knee_{s}"] = _leg(j[f"hip_{s}"], out * a, 0.0)[0]
            j[f"ankle_{s}"] = (320.0 + out * 12.0, 330.0)  # soles together in front of the pelvis
        return j

    return at


def inner_thigh_stretch_front(
    intervals: Intervals = ((2.0, 22.0),), fall_deg: float = 50.0, side: str = "r",
    ramp_s: float = 0.4,
) -> Scenario:  # fmt: skip
    """Lying on the back, seen from the feet: the straight `side` leg falls out to the side, from
    in line with the body (5°) to `fall_deg`, during each (start, end) interval; the other leg stays."""

    def at(t: float) -> Joints:
        j: Joints = {"shoulder_l": (350.0, 110.0), "shoulder_r": (290.0, 110.0),
                     "hip_l": (340.0, 220.0), "hip_r": (300.0, 220.0)}  # fmt: skip
        for s, out in (("l", 1.0), ("r", -1.0)):
            a = 5.0 + (fall_deg - 5.0) * _in_stretch(t, intervals, ramp_s) if s == side else 5.0
            j[f"knee_{s}"], j[f"ankle_{s}"] = _leg(j[f"hip_{s}"], out * a, out * a)
        return j

    return at


def figure(j: Joints, *, width: int = W, height: int = H, far_vis: float = 0.99) -> FloatArray:
    """33 BlazePose landmarks (normalised) from the eight body joints; the rest follow them."""
    p = np.zeros((N_LANDMARKS, 4))
    p[:, 3] = 0.99
    put = {Lm.LEFT_SHOULDER: "shoulder_l", Lm.RIGHT_SHOULDER: "shoulder_r", Lm.LEFT_HIP: "hip_l",
           Lm.RIGHT_HIP: "hip_r", Lm.LEFT_KNEE: "knee_l", Lm.RIGHT_KNEE: "knee_r",
           Lm.LEFT_ANKLE: "ankle_l", Lm.RIGHT_ANKLE: "ankle_r"}  # fmt: skip
    for idx, name in put.items():
        p[idx, :2] = j[name]
    sh = (p[Lm.LEFT_SHOULDER, :2] + p[Lm.RIGHT_SHOULDER, :2]) / 2
    hp = (p[Lm.LEFT_HIP, :2] + p[Lm.RIGHT_HIP, :2]) / 2
    head = sh + (sh - hp) * 0.35
    p[0:11, :2] = head
    for s_i, h_i, e_i, w_i in ((11, 23, 13, 15), (12, 24, 14, 16)):
        p[e_i, :2] = p[s_i, :2] + (p[h_i, :2] - p[s_i, :2]) * 0.5
        p[[w_i, w_i + 2, w_i + 4, w_i + 6], :2] = p[s_i, :2] + (p[h_i, :2] - p[s_i, :2]) * 0.9
    for a_i, k_i in ((27, 25), (28, 26)):
        shank = p[a_i, :2] - p[k_i, :2]
        p[a_i + 2, :2] = p[a_i, :2] + shank * 0.08
        p[a_i + 4, :2] = p[a_i, :2] + np.array([-shank[1], shank[0]]) * 0.2
    p[:, 0] /= width
    p[:, 1] /= height
    return p


def sample(scenario: Scenario, *, duration_s: float, fps: float) -> list[LandmarkFrame]:
    n = round(duration_s * fps)
    return [LandmarkFrame(i / fps, W, H, figure(scenario(i / fps))) for i in range(n)]


# -- what real footage does to the landmarks ---------------------------------------------------
def jitter(frames: list[LandmarkFrame], sigma_px: float, seed: int = 0) -> list[LandmarkFrame]:
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        if f.points is None:
            out.append(f)
            continue
        p = f.points.copy()
        p[:, 0] += rng.normal(0, sigma_px / f.width, N_LANDMARKS)
        p[:, 1] += rng.normal(0, sigma_px / f.height, N_LANDMARKS)
        out.append(replace(f, points=p))
    return out


def dropouts(frames: list[LandmarkFrame], every_s: float, gap_s: float) -> list[LandmarkFrame]:
    """No pose for `gap_s` seconds every `every_s` seconds."""
    return [replace(f, points=None) if (f.t_s % every_s) < gap_s else f for f in frames]


_PAIRS = [(i, i + 1) for i in range(11, 33, 2)] + [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)]


def swap_sides(frames: list[LandmarkFrame], every_s: float, for_s: float) -> list[LandmarkFrame]:
    """The model labels left as right (and back) for `for_s` every `every_s`, as in side views."""
    out = []
    for f in frames:
        if f.points is not None and (f.t_s % every_s) < for_s:
            p = f.points.copy()
            for a, b in _PAIRS:
                p[[a, b]] = p[[b, a]]
            out.append(replace(f, points=p))
        else:
            out.append(f)
    return out


def mirror(frames: list[LandmarkFrame]) -> list[LandmarkFrame]:
    """A mirrored (selfie) video: x flips, labels stay."""
    out = []
    for f in frames:
        if f.points is None:
            out.append(f)
            continue
        p = f.points.copy()
        p[:, 0] = 1.0 - p[:, 0]
        out.append(replace(f, points=p))
    return out


def second_person(frames: list[LandmarkFrame], every_s: float = 0.7) -> list[LandmarkFrame]:
    """The tracker jumps to a bigger, standing person elsewhere in the picture and back."""
    other = figure(squat_front(0)(0.0))
    other[:, 0] = other[:, 0] * 1.4 - 0.5
    other[:, 1] = other[:, 1] * 1.4 - 0.2
    return [
        replace(f, points=other.copy()) if (f.t_s % every_s) < every_s / 3 else f for f in frames
    ]


def side_on(frames: list[LandmarkFrame], squash: float = 0.15) -> list[LandmarkFrame]:
    """The person turned side-on to the camera: everything squashed sideways toward the mid-hip."""
    out = []
    for f in frames:
        if f.points is None:
            out.append(f)
            continue
        p = f.points.copy()
        cx = (p[Lm.LEFT_HIP, 0] + p[Lm.RIGHT_HIP, 0]) / 2
        p[:, 0] = cx + (p[:, 0] - cx) * squash
        out.append(replace(f, points=p))
    return out
