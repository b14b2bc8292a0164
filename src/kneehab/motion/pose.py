"""The pose adapter: video in, landmark frames out. The only module that imports mediapipe or OpenCV.

Needs the optional extra: `pip install 'kneehab[vision]'`. Imports are lazy so the rest of kneehab (and
`analyze --landmarks`) works without it. Uses `mediapipe.solutions.pose` with `model_complexity=1`, the
model bundled in the wheel (complexity 0 and 2 would download one at run time), in video (tracking)
mode, one new `Pose` per video or segment.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from kneehab.errors import InvalidInput, MissingExtra, NotFound
from kneehab.motion.landmarks import BONES, N_LANDMARKS, FloatArray, LandmarkFrame
from kneehab.motion.landmarks import Landmark as Lm

INSTALL = "pip install 'kneehab[vision]'"
PEOPLE_EVERY_S = 0.5  # how often the separate person detector looks for a second person
PEOPLE_SIZE = 480  # ... on a copy scaled to this longest side (~40-70 ms a look here)
PREFETCH = 4  # frames decoded ahead on a background thread


T = TypeVar("T")
Box = tuple[float, float, float, float]  # x0, y0, x1, y1, normalised to the image


def _quiet_env() -> None:
    # mediapipe (glog/absl) and TFLite print to stderr on import and on the first frame.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def modules() -> tuple[ModuleType, ModuleType]:
    """(cv2, mediapipe), imported on first use; a clear MissingExtra when the extra is absent."""
    _quiet_env()
    try:
        import cv2
        import mediapipe as mp
    except ImportError as err:
        raise MissingExtra(
            f"video analysis needs the vision extra ({err.name} is not installed). "
            f"Install it with: {INSTALL}"
        ) from None
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl comes with mediapipe; without it there is simply less silence
        pass
    return cv2, mp


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """mediapipe's C++ side logs straight to file descriptor 2 while it builds its graph and runs
    the first frame; environment switches do not reach it, so point fd 2 at /dev/null meanwhile."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (e.g. captured): nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    width: int
    height: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


def probe(path: Path | str) -> VideoInfo:
    """Open a video and read its first frame; unreadable files raise InvalidInput."""
    cv2, _ = modules()
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"video not found: {p}")
    cap = cv2.VideoCapture(str(p))
    try:
        ok, img = cap.read() if cap.isOpened() else (False, None)
        if not ok or img is None:
            raise InvalidInput(
                f"{p.name}: cannot read this video (corrupt file or unsupported codec). "
                "Try an MP4 (H.264) file."
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        h, w = img.shape[:2]
    finally:
        cap.release()
    if not 1.0 <= fps <= 1000.0:
        fps = 30.0  # some containers carry no rate; 30 is the common default for phone video
    return VideoInfo(p, fps, int(w), int(h), max(frames, 1))


def decode(info: VideoInfo, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, Any]]:
    """Yield (frame index, BGR image) from `start` up to (not including) `stop`."""
    cv2, _ = modules()
    cap = cv2.VideoCapture(str(info.path))
    try:
        idx = 0
        if start > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            idx = int(cap.get(cv2.CAP_PROP_POS_FRAMES))
        while stop is None or idx < stop:
            ok, img = cap.read()
            if not ok:
                return
            if idx >= start:
                yield idx, img
            idx += 1
    finally:
        cap.release()


def prefetched(frames: Iterator[T], depth: int = PREFETCH) -> Iterator[T]:
    """Decode on a background thread while the caller runs the model (OpenCV and mediapipe release
    the GIL, so decoding uses a spare core when there is one). Stops the thread when abandoned."""
    q: queue.Queue[T | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in frames:
                if not put(item):
                    return
            put(None)
        except BaseException as err:  # handed to the consumer, raised there
            put(err)

    worker = threading.Thread(target=run, name="kneehab-decode", daemon=True)
    worker.start()
    try:
        while True:
            got = q.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        worker.join(timeout=5)


class PoseModel:
    """One tracking BlazePose (a new one per video or segment: it carries state between frames)."""

    def __init__(self) -> None:
        self._cv2, mp = modules()
        with _native_stderr_silenced():
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=False, model_complexity=1, smooth_landmarks=True
            )
            # The graph starts its models lazily on a worker thread; one blank frame makes it do so
            # (and log) now, while stderr is silenced. A blank frame leaves no tracking state behind.
            self._pose.process(np.zeros((64, 64, 3), dtype=np.uint8))
        self._quiet_calls = 2
        self._rgb: Any = None  # reused colour-conversion buffer (mediapipe copies what it needs)

    def __call__(self, bgr: Any) -> FloatArray | None:
        buf = self._rgb
        if buf is None or buf.shape != bgr.shape:
            buf = self._rgb = np.empty_like(bgr)
        buf.flags.writeable = True
        rgb = self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB, dst=buf)
        rgb.flags.writeable = False
        if self._quiet_calls <= 0:
            res = self._pose.process(rgb)
        else:
            with _native_stderr_silenced():
                res = self._pose.process(rgb)
            self._quiet_calls -= 1
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        return np.array([(p.x, p.y, p.z, p.visibility) for p in lm], dtype=np.float64).reshape(
            N_LANDMARKS, 4
        )

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> PoseModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PeopleCounter:
    """OpenCV's built-in HOG person detector (no model download): counts people the pose model is
    not tracking, so a second person in view can be reported instead of trusted.

    A HOG box is the tracked person when its centre lies in the tracked landmarks' box (grown by
    `_BODY_MARGIN`) or `_SAME_OVERLAP` of it lies there; HOG boxes are loose, and on a lunging or
    squatting body they often sit half outside the landmarks. Another box counts only when it is
    at least `_MIN_RELATIVE_HEIGHT` of the tracked person's body length (nose to ankles along the
    body, so it does not shrink in a squat): someone that much smaller is far behind, and HOG's
    false positives on furniture and curtains are mostly small. One look is never enough: the
    quality monitor wants several sightings over a few seconds (kneehab.motion.quality).
    """

    def __init__(self) -> None:
        self._cv2, _ = modules()
        self._hog = self._cv2.HOGDescriptor()
        self._hog.setSVMDetector(self._cv2.HOGDescriptor_getDefaultPeopleDetector())

    def boxes(self, bgr: Any) -> list[Box]:
        """The HOG person boxes (the costly part: it runs on the decoding thread)."""
        h, w = bgr.shape[:2]
        scale = PEOPLE_SIZE / max(w, h)
        size = (round(w * scale), round(h * scale))
        small = self._cv2.resize(bgr, size, interpolation=self._cv2.INTER_AREA)
        found, weights = self._hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        sw, sh = small.shape[1], small.shape[0]
        return [
            (x / sw, y / sh, (x + bw) / sw, (y + bh) / sh)
            for (x, y, bw, bh), wt in zip(found, np.ravel(weights), strict=False)
            if float(wt) >= _MIN_WEIGHT
        ]

    def __call__(self, bgr: Any, points: FloatArray | None) -> int:
        h, w = bgr.shape[:2]
        return count_people(self.boxes(bgr), points, w, h)


_MIN_WEIGHT = 0.15  # HOG SVM score below which a box is ignored
_BODY_MARGIN = 0.1  # the tracked landmarks' box grows by this fraction of its size on each side
_SAME_OVERLAP = 0.3  # ... and a HOG box with this much of its area inside it is the tracked person
_MIN_RELATIVE_HEIGHT = 0.5  # another person's box must be this tall, in tracked body lengths


def count_people(
    boxes: list[tuple[float, float, float, float]],
    points: FloatArray | None,
    width: int,
    height: int,
) -> int:
    """People in view: the tracked one (if any) plus the HOG boxes (x0, y0, x1, y1, normalised to
    the image) that are someone else, by the rules in `PeopleCounter`."""
    if points is None:
        return len(boxes)
    seen = points[points[:, 3] > 0.3]
    if len(seen) == 0:
        return 1 + len(boxes)
    bx0, by0 = float(seen[:, 0].min()), float(seen[:, 1].min())
    bx1, by1 = float(seen[:, 0].max()), float(seen[:, 1].max())
    mx, my = (bx1 - bx0) * _BODY_MARGIN, (by1 - by0) * _BODY_MARGIN
    bx0, by0, bx1, by1 = bx0 - mx, by0 - my, bx1 + mx, by1 + my
    body = _body_length(points, width, height)
    others = 0
    for x0, y0, x1, y1 in boxes:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if bx0 <= cx <= bx1 and by0 <= cy <= by1:
            continue
        ix = max(0.0, min(x1, bx1) - max(x0, bx0))
        iy = max(0.0, min(y1, by1) - max(y0, by0))
        if ix * iy >= _SAME_OVERLAP * (x1 - x0) * (y1 - y0):
            continue
        if y1 - y0 < _MIN_RELATIVE_HEIGHT * body:
            continue
        others += 1
    return 1 + others


def _body_length(points: FloatArray, width: int, height: int) -> float:
    """Nose → mid-shoulder → mid-hip → knee → ankle (legs averaged), in image heights."""
    p = points[:, :2] * np.array([width, height], dtype=np.float64)
    sh = (p[Lm.LEFT_SHOULDER] + p[Lm.RIGHT_SHOULDER]) / 2
    hip = (p[Lm.LEFT_HIP] + p[Lm.RIGHT_HIP]) / 2
    legs = sum(
        float(np.hypot(*(p[a] - p[b])))
        for a, b in (
            (Lm.LEFT_HIP, Lm.LEFT_KNEE),
            (Lm.LEFT_KNEE, Lm.LEFT_ANKLE),
            (Lm.RIGHT_HIP, Lm.RIGHT_KNEE),
            (Lm.RIGHT_KNEE, Lm.RIGHT_ANKLE),
        )
    )
    length = float(np.hypot(*(p[Lm.NOSE] - sh))) + float(np.hypot(*(sh - hip))) + legs / 2
    return length / height


def landmark_frames(
    info: VideoInfo, start: int = 0, stop: int | None = None, *, people: bool = True
) -> Iterator[LandmarkFrame]:
    """Run the pose model (and, every `PEOPLE_EVERY_S`, the person counter) over frames [start, stop).

    The person detector's boxes are found on the decoding thread, overlapping the pose model; only
    the cheap comparison with the tracked landmarks happens here."""
    counter = PeopleCounter() if people else None
    every = max(1, round(PEOPLE_EVERY_S * info.fps))

    def with_boxes() -> Iterator[tuple[int, Any, list[Box] | None]]:
        for idx, img in decode(info, start, stop):
            look = counter is not None and idx % every == 0
            yield idx, img, counter.boxes(img) if counter is not None and look else None

    with PoseModel() as model:
        for idx, img, boxes in prefetched(with_boxes()):
            pts = model(img)
            n = None if boxes is None else count_people(boxes, pts, info.width, info.height)
            yield LandmarkFrame(idx / info.fps, info.width, info.height, pts, people=n)


class Annotator:
    """Writes a copy of the video with the skeleton, the measured angle, the rep count and the cue."""

    def __init__(self, out: Path, info: VideoInfo) -> None:
        self._cv2, _ = modules()
        fourcc = self._cv2.VideoWriter_fourcc(*"mp4v")
        self._writer = self._cv2.VideoWriter(str(out), fourcc, info.fps, (info.width, info.height))
        if not self._writer.isOpened():
            raise InvalidInput(f"cannot write the annotated video to {out}")

    def draw(self, img: Any, frame: LandmarkFrame, lines: list[str], cue: str | None) -> None:
        cv2 = self._cv2
        if frame.points is not None:
            px = frame.pixels().round().astype(int)
            vis = frame.points[:, 3]
            for a, b in BONES:
                if vis[a] > 0.3 and vis[b] > 0.3:
                    cv2.line(img, tuple(px[a]), tuple(px[b]), (80, 220, 80), 2, cv2.LINE_AA)
            for i in range(11, N_LANDMARKS):
                if vis[i] > 0.3:
                    cv2.circle(img, tuple(px[i]), 3, (255, 255, 255), -1, cv2.LINE_AA)
        y = 30
        for text in lines:
            _text(cv2, img, text, y, (255, 255, 255))
            y += 30
        if cue:
            _text(cv2, img, cue, img.shape[0] - 20, (60, 200, 255))
        self._writer.write(img)

    def close(self) -> None:
        self._writer.release()


def _text(cv2: Any, img: Any, text: str, y: int, color: tuple[int, int, int]) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, text, (12, y), font, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(img, text, (12, y), font, 0.7, color, 2, cv2.LINE_AA)
