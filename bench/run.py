"""`make bench`: pose-pipeline throughput on one shared clip, in one run. Results go in docs/benchmarks.md.

Every measure is the best of 3 (the machine is shared; the best run is the least disturbed one) and the
load average is printed with it. Nothing here is a test and nothing asserts on time.

1. bare inference: the mediapipe loop alone over frames decoded into memory beforehand;
2. analyze, one process: decode + pose + person counter + motion pipeline (the overhead ratio vs 1);
3. analyze, two worker processes over overlapping segments (the real-time factor);
4. the motion core alone: microseconds per frame over saved landmarks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / ".." / "shared" / "data" / "exercise_clips"
CLIP = "physioplus_bridge_hold_side"  # 30 fps, 640×480


def main() -> int:
    from kneehab.library.load import default_library
    from kneehab.motion import pose
    from kneehab.motion.analyze import run_pipeline, video_frames
    from kneehab.motion.config import parse_detector
    from kneehab.motion.landmark_file import read_landmarks

    video = CLIPS / f"{CLIP}.mp4"
    if not video.is_file():
        print(f"shared clip not found: {video}", file=sys.stderr)
        return 1
    config = parse_detector(default_library().exercises["bridge"].detector or {})
    info = pose.probe(video)
    images = [img for _, img in pose.decode(info)] * 4  # ~12 s of video: long enough to time
    n = len(images)

    print(f"load average at start: {_load()}")
    bare = 0.0
    for _ in range(3):
        with pose.PoseModel() as model:
            t0 = time.perf_counter()
            for img in images:
                model(img)
            bare = max(bare, n / (time.perf_counter() - t0))

    long_video = _long_copy(info, images)
    linfo = pose.probe(long_video)
    results: dict[int, float] = {}
    cold = 0.0
    for workers in (1, 2):
        for attempt in range(3):
            t0 = time.perf_counter()
            _, frames = video_frames(long_video, workers=workers)
            run_pipeline(frames, config, exercise="bridge", source="bench", fps=linfo.fps)
            fps = len(frames) / (time.perf_counter() - t0)
            if workers == 2 and attempt == 0:
                cold = fps  # includes starting the worker process (import mediapipe, load model)
            results[workers] = max(results.get(workers, 0.0), fps)

    seq = read_landmarks(CLIPS / "landmarks" / "nowva_lunge_side.landmarks.csv")
    lunge = parse_detector(default_library().exercises["lunge"].detector or {})
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(10):
            run_pipeline(seq.frames, lunge, exercise="lunge", source="bench", fps=seq.fps)
        best = min(best, time.perf_counter() - t0)
    core_us = best / (10 * len(seq.frames)) * 1e6

    print(f"clip: {CLIP} ×4 ({n} frames, {info.width}×{info.height} @ {info.fps:.0f} fps)")
    print(f"bare mediapipe inference:       {bare:6.1f} frames/s")
    print(
        f"analyze, 1 process (end to end): {results[1]:6.1f} frames/s  ratio {results[1] / bare:.2f}"
    )
    print(f"analyze, 2 workers (end to end): {results[2]:6.1f} frames/s  "
          f"= {results[2] / linfo.fps:.2f}× real time (first run, starting the worker: "
          f"{cold:.1f} = {cold / linfo.fps:.2f}×)")  # fmt: skip
    print(f"motion core alone (lunge CSV):   {core_us:6.1f} µs/frame")
    print(f"load average at end: {_load()}")
    long_video.unlink()
    return 0


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def _long_copy(info, images) -> Path:  # type: ignore[no-untyped-def]
    """The clip repeated (as one file) so that worker start-up is amortised as in real use."""
    import tempfile

    from kneehab.motion import pose

    cv2, _ = pose.modules()
    out = Path(tempfile.mkstemp(suffix=".mp4")[1])
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height)
    )
    for img in images * 3:
        writer.write(img)
    writer.release()
    return out


if __name__ == "__main__":
    sys.exit(main())
