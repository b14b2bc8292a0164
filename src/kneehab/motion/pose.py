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
from typing import Any

import numpy as np

from kneehab.errors import InvalidInput, MissingExtra, NotFound
from kneehab.motion.landmarks import BONES, N_LANDMARKS, FloatArray, LandmarkFrame

INSTALL = "pip install 'kneehab[vision]'"
PEOPLE_EVERY_S = 4.0  # how often the separate person detector looks for a second person
PEOPLE_SIZE = 480  # ... on a copy scaled to this longest side (HOG costs ~150 ms a look at 640)
PREFETCH = 4  # frames decoded ahead on a background thread


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


def prefetched(
    frames: Iterator[tuple[int, Any]], depth: int = PREFETCH
) -> Iterator[tuple[int, Any]]:
    """Decode on a background thread while the caller runs the model (OpenCV and mediapipe release
    the GIL, so decoding uses a spare core when there is one). Stops the thread when abandoned."""
    q: queue.Queue[tuple[int, Any] | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[int, Any] | BaseException | None) -> bool:
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
    not tracking, so a second person in view can be reported instead of trusted."""

    def __init__(self) -> None:
        self._cv2, _ = modules()
        self._hog = self._cv2.HOGDescriptor()
        self._hog.setSVMDetector(self._cv2.HOGDescriptor_getDefaultPeopleDetector())

    def __call__(self, bgr: Any, points: FloatArray | None) -> int:
        h, w = bgr.shape[:2]
        scale = PEOPLE_SIZE / max(w, h)
        size = (round(w * scale), round(h * scale))
        small = self._cv2.resize(bgr, size, interpolation=self._cv2.INTER_AREA)
        boxes, weights = self._hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        tracked = 0 if points is None else 1
        others = 0
        for (x, y, bw, bh), wt in zip(boxes, np.ravel(weights), strict=False):
            if float(wt) < 0.15:
                continue
            cx, cy = (x + bw / 2) / small.shape[1], (y + bh / 2) / small.shape[0]
            if points is not None and _inside_body(points, cx, cy):
                continue
            others += 1
        return tracked + others


def _inside_body(points: FloatArray, cx: float, cy: float) -> bool:
    seen = points[points[:, 3] > 0.3]
    if len(seen) == 0:
        return False
    x0, y0 = seen[:, 0].min(), seen[:, 1].min()
    x1, y1 = seen[:, 0].max(), seen[:, 1].max()
    return bool(x0 <= cx <= x1 and y0 <= cy <= y1)


def landmark_frames(
    info: VideoInfo, start: int = 0, stop: int | None = None, *, people: bool = True
) -> Iterator[LandmarkFrame]:
    """Run the pose model (and, every few seconds, the person counter) over frames [start, stop)."""
    counter = PeopleCounter() if people else None
    every = max(1, round(PEOPLE_EVERY_S * info.fps))
    with PoseModel() as model:
        for idx, img in prefetched(decode(info, start, stop)):
            pts = model(img)
            n = counter(img, pts) if counter is not None and idx % every == 0 else None
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
