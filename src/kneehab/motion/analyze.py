"""Offline analysis: a saved landmark file or a video, through the same streaming pipeline.

A video is split into overlapping segments analysed by worker processes (each with its own pose model;
the first second of every later segment only warms its tracker up and is dropped), then the landmark
frames run through one pipeline in order, so the events are the same as a live session would give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from kneehab.motion.config import DetectorConfig
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
    keep: bool = False,
) -> Analysis:
    """Feed frames one by one (exactly as a live session would) and build the report."""
    pipe = Pipeline(config, side=side)
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
    side: Side | None = None,
) -> Analysis:  # fmt: skip
    return run_pipeline(
        seq.frames, config, exercise=exercise, source=source, fps=seq.fps, side=side
    )


def plan_segments(n_frames: int, fps: float, workers: int) -> list[tuple[int, int, int]]:
    """(decode from, keep from, stop) per segment; segments overlap by the warm-up only."""
    if workers <= 1 or n_frames < 2 * MIN_SEGMENT_S * fps:
        return [(0, 0, n_frames)]
    n_seg = min(workers * 2, max(2, int(n_frames / (MIN_SEGMENT_S * fps))))
    bounds = [round(i * n_frames / n_seg) for i in range(n_seg + 1)]
    warm = round(WARMUP_S * fps)
    return [(max(0, a - warm) if a else 0, a, b) for a, b in pairwise(bounds)]


def _segment(path: str, start: int, keep: int, stop: int) -> list[LandmarkFrame]:
    from kneehab.motion import pose

    info = pose.probe(path)
    return [f for f in pose.landmark_frames(info, start, stop) if round(f.t_s * info.fps) >= keep]


def video_frames(
    path: Path, *, workers: int = 2, progress: Progress | None = None
) -> tuple[Any, list[LandmarkFrame]]:
    """(video info, landmark frames in order) for a whole video."""
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
    parts: dict[int, list[LandmarkFrame]] = {}
    ctx = get_context(
        "spawn"
    )  # a clean interpreter per worker: mediapipe does not survive fork well
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_segment, str(path), a, k, b): i for i, (a, k, b) in enumerate(plan)}
        for fut, i in futures.items():
            parts[i] = fut.result()
            if progress is not None:
                progress(plan[i][2] - plan[i][1])
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
