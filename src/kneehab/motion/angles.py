"""Joint angles in degrees, from pixel coordinates (never from normalised ones).

Plain float math on (x, y) tuples: a frame needs a dozen angles and numpy's per-call overhead would cost
more than the arithmetic. Image y grows downward; "up" below means toward the top of the image.
"""

from __future__ import annotations

import math

Point = tuple[float, float]


def included(a: Point, b: Point, c: Point) -> float:
    """The angle at b between b→a and b→c, 0–180°."""
    ux, uy = a[0] - b[0], a[1] - b[1]
    vx, vy = c[0] - b[0], c[1] - b[1]
    den = math.hypot(ux, uy) * math.hypot(vx, vy)
    if den == 0.0:
        return math.nan
    cos = max(-1.0, min(1.0, (ux * vx + uy * vy) / den))
    return math.degrees(math.acos(cos))


def between(u: Point, v: Point) -> float:
    """The angle between two direction vectors, 0–180°."""
    return included((u[0], u[1]), (0.0, 0.0), (v[0], v[1]))


def knee_flexion(hip: Point, knee: Point, ankle: Point) -> float:
    """0° with the leg straight, growing as the knee bends."""
    return 180.0 - included(hip, knee, ankle)


def hip_flexion(shoulder: Point, hip: Point, knee: Point) -> float:
    """0° with shoulder, hip and knee in one line (bridge top); grows as the thigh comes toward the chest."""
    return 180.0 - included(shoulder, hip, knee)


def hip_abduction(mid_shoulder: Point, mid_hip: Point, hip: Point, ankle: Point) -> float:
    """Angle between the trunk line (continued past the hips) and the hip→ankle line, 0° = leg in line."""
    trunk = (mid_hip[0] - mid_shoulder[0], mid_hip[1] - mid_shoulder[1])
    leg = (ankle[0] - hip[0], ankle[1] - hip[1])
    return between(trunk, leg)


def trunk_lean(mid_shoulder: Point, mid_hip: Point) -> float:
    """Angle of the hip→shoulder line from straight up, 0° = upright."""
    return between((mid_shoulder[0] - mid_hip[0], mid_shoulder[1] - mid_hip[1]), (0.0, -1.0))


def fppa(hip: Point, knee: Point, ankle: Point, other_hip: Point) -> float:
    """Frontal plane projection angle (RULES §7.1): 180° − the thigh/shank angle, signed.

    Positive when the knee lies on the midline side of the hip–ankle line (valgus, "knee drifting in"),
    negative for varus. The midline side is the other hip's side, so the sign holds for either leg and for
    mirrored video alike.
    """
    dev = 180.0 - included(hip, knee, ankle)
    lx, ly = ankle[0] - hip[0], ankle[1] - hip[1]
    knee_side = lx * (knee[1] - hip[1]) - ly * (knee[0] - hip[0])
    mid_side = lx * (other_hip[1] - hip[1]) - ly * (other_hip[0] - hip[0])
    return dev if knee_side * mid_side > 0 else -dev


def midpoint(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)


def distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])
