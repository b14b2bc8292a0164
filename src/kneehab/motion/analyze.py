"""Offline analysis: a saved landmark file or a video, through the same streaming pipeline.

A video is split into overlapping segments analysed by worker processes (each with its own pose model;
the first second of every later segment only warms its tracker up and is dropped), then the landmark
frames run through one pipeline in order, so the events are the same as a live session would give.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from kneehab.motion.config import DetectorConfig, Sex
from kneehab.motion.events import Event, Side
from kneehab.motion.landmark_file import LandmarkSequence
from kneehab.motion.landmarks import LandmarkFrame
from kneehab.motion.pipeline import Pipeline, Status
from kneehab.motion.report import build_report

WARMUP_S = 1.0  # tracker warm-up before each later segment's first kept frame
MIN_SEGMENT_S = 4.0  # shorter videos are not worth a second process

Progress = Callable[[int], None]  # called with the number of frames just finished


@dataclass
class Analysis:
    report: dict[str, Any]
    events: list[Event]
    frames: list[LandmarkFrame]
    statuses: list[tuple[Status, list[Event]]]


def run_pipeline(
    frames: Iterable[LandmarkFrame],
    config: DetectorConfig,
    *,
    exercise: str,
    source: str,
    fps: float,
    side: Side | None = None,
    sex: Sex = "unspecified",
    keep: bool = False,
) -> Analysis:
    """Feed frames one by one (exactly as a live session would) and build the report."""
    pipe = Pipeline(config, side=side, sex=sex)
    events: list[Event] = []
    kept: list[LandmarkFrame] = []
    statuses: list[tuple[Status, list[Event]]] = []
    last_t = 0.0
    for f in frames:
        out = pipe.push(f)
        events += out
        last_t = f.t_s
        if keep:
            kept.append(f)
            statuses.append((pipe.status, out))
    events += pipe.finish()
    duration = last_t + 1.0 / fps if fps > 0 else last_t
    report = build_report(
        exercise=exercise,
        source=source,
        duration_s=duration,
        fps=fps,
        events=events,
        quality=pipe.quality_summary(),
    )
    return Analysis(report, events, kept, statuses)


def analyze_sequence(
    seq: LandmarkSequence, config: DetectorConfig, *, exercise: str, source: str,
    side: Side | None = None, sex: Sex = "unspecified",
) -> Analysis:  # fmt: skip
    return run_pipeline(
        seq.frames, config, exercise=exercise, source=source, fps=seq.fps, side=side, sex=sex
    )


Segment = tuple[int, int, int | None]  # (decode from, keep from, stop before; None = to the end)


def plan_segments(n_frames: int, fps: float, workers: int) -> list[Segment]:
    """Segments over the video; each later one starts `WARMUP_S` early so its tracker has settled by
    the first frame it keeps. Kept ranges tile the video exactly: every frame is kept once."""
    if workers <= 1 or n_frames < 2 * MIN_SEGMENT_S * fps:
        return [(0, 0, None)]
    n_seg = min(workers * 2, max(2, int(n_frames / (MIN_SEGMENT_S * fps))))
    bounds = [round(i * n_frames / n_seg) for i in range(n_seg + 1)]
    warm = round(WARMUP_S * fps)
    # The last segment reads to the end: a container's frame count can be short.
    stops: list[int | None] = [*bounds[1:-1], None]
    return [(max(0, a - warm), a, b) for a, b in zip(bounds[:-1], stops, strict=True)]


def kept(frames: Iterable[LandmarkFrame], segment: Segment, fps: float) -> list[LandmarkFrame]:
    """The frames a segment contributes: its warm-up dropped, nothing past its stop."""
    _, keep, stop = segment
    out = []
    for f in frames:
        idx = round(f.t_s * fps)
        if idx >= keep and (stop is None or idx < stop):
            out.append(f)
    return out


def _segment(path: str, segment: Segment) -> list[LandmarkFrame]:
    """One segment's landmark frames (runs in a worker process, or in this one)."""
    from kneehab.motion import pose

    info = pose.probe(path)
    start, _, stop = segment
    return kept(pose.landmark_frames(info, start, stop), segment, info.fps)


_pools: dict[int, ProcessPoolExecutor] = {}  # by size; started once per process, then reused


def _worker_ready() -> None:
    """Runs once in each worker process: import mediapipe and load the model before any work."""
    from kneehab.motion import pose

    with pose.PoseModel():
        pass


def worker_pool(size: int) -> ProcessPoolExecutor:
    """The pose worker processes, started once and reused for every later video in this process."""
    pool = _pools.get(size)
    if pool is None:
        for old in _pools.values():
            old.shutdown()
        _pools.clear()
        # "spawn": a clean interpreter per worker (mediapipe does not survive fork well).
        pool = _pools[size] = ProcessPoolExecutor(
            max_workers=size, mp_context=get_context("spawn"), initializer=_worker_ready
        )
    return pool


def video_frames(
    path: Path, *, workers: int = 2, progress: Progress | None = None
) -> tuple[Any, list[LandmarkFrame]]:
    """(video info, landmark frames in order) for a whole video.

    With several workers this process analyses segments itself (from the start) while `workers − 1`
    worker processes take segments from the end, each as soon as it is free, so a worker that starts
    late or runs slow simply takes fewer. The kept frames are then joined in order and go through one
    pipeline, so a rep across a segment boundary is seen once, whole.
    """
    from kneehab.motion import pose

    info = pose.probe(path)
    plan = plan_segments(info.frames, info.fps, workers)
    if len(plan) == 1:
        frames: list[LandmarkFrame] = []
        for f in pose.landmark_frames(info):
            frames.append(f)
            if progress is not None:
                progress(1)
        return info, _checked(frames, path)
    pool = worker_pool(workers - 1)
    pending = deque(range(len(plan)))
    lock = threading.Lock()
    parts: dict[int, list[LandmarkFrame]] = {}
    failures: list[BaseException] = []

    def take(last: bool) -> int | None:
        with lock:
            if failures or not pending:
                return None
            return pending.pop() if last else pending.popleft()

    def remote() -> None:  # one per worker process: keeps it busy with one segment at a time
        while (i := take(last=True)) is not None:
            try:
                parts[i] = pool.submit(_segment, str(path), plan[i]).result()
            except BaseException as err:
                failures.append(err)
                return
            if progress is not None:
                progress(len(parts[i]))

    feeders = [threading.Thread(target=remote, daemon=True) for _ in range(workers - 1)]
    for t in feeders:
        t.start()
    try:
        while (i := take(last=False)) is not None:
            start, _, stop = plan[i]
            local: list[LandmarkFrame] = []
            for f in kept(pose.landmark_frames(info, start, stop), plan[i], info.fps):
                local.append(f)
                if progress is not None:
                    progress(1)
            parts[i] = local
    except BaseException:
        with lock:
            pending.clear()  # the workers finish their current segment and stop
        raise
    finally:
        for t in feeders:
            t.join()
    if failures:
        raise failures[0]
    frames = [f for i in sorted(parts) for f in parts[i]]
    return info, _checked(frames, path)


def _checked(frames: Sequence[LandmarkFrame], path: Path) -> list[LandmarkFrame]:
    from kneehab.errors import InvalidInput

    if not frames:
        raise InvalidInput(f"{path.name}: no frames could be decoded")
    if not any(f.points is not None for f in frames):
        raise InvalidInput(
            f"{path.name}: no person was visible in any frame. Film the whole body, well lit."
        )
    return list(frames)
