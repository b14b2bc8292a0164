"""One frame of body landmarks: the 33 BlazePose points, when it was seen and how big the image was.

Coordinates are stored as the pose model gives them (x, y normalised to the image, z on the scale of x,
visibility 0–1). Angles must be computed in pixels, so `pixels()` scales x by width and y by height: a
normalised point is not square unless the image is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
# One frame's landmarks as plain rows of floats: 33 × (x, y, z, visibility), as the live coach's frames
# arrive (web/live.py) and as the motion core reads them (for a few dozen numbers a frame, plain floats
# are faster than numpy, whose per-call cost dominates at this size).
Rows = Sequence[Sequence[float]]


class Landmark(IntEnum):
    """BlazePose landmark indices, in the model's order (names as in mediapipe's PoseLandmark)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


N_LANDMARKS = len(Landmark)
NAMES: tuple[str, ...] = tuple(lm.name.lower() for lm in Landmark)

# The skeleton drawn on annotated video (pairs of landmark indices).
BONES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),
    (11, 13), (13, 15), (12, 14), (14, 16),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LandmarkFrame:
    """One video frame's pose. `points` is (33, 4): x, y, z, visibility; None when nobody was detected."""

    t_s: float
    width: int
    height: int
    points: FloatArray | None
    people: int | None = (
        None  # people seen by a separate person detector, when one ran on this frame
    )

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"image size must be positive, got {self.width}x{self.height}")
        if self.points is not None and self.points.shape != (N_LANDMARKS, 4):
            raise ValueError(f"points must have shape (33, 4), got {self.points.shape}")

    @property
    def detected(self) -> bool:
        return self.points is not None

    def pixels(self) -> FloatArray:
        """(33, 2) x and y in pixels (the only space where angles mean anything)."""
        if self.points is None:
            raise ValueError("no pose in this frame")
        return self.points[:, :2] * np.array([self.width, self.height], dtype=np.float64)
