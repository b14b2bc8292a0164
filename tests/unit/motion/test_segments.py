"""Offline analysis splits a video into overlapping segments: every frame must be kept exactly once, so a
rep that crosses a segment boundary is neither lost nor counted twice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneehab.library.load import default_library
from kneehab.motion import synthetic as sy
from kneehab.motion.analyze import WARMUP_S, kept, plan_segments, run_pipeline
from kneehab.motion.config import parse_detector


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 20_000),
    fps=st.sampled_from([15.0, 24.0, 29.97, 30.0, 60.0]),
    workers=st.integers(1, 8),
    extra=st.integers(0, 50),
)
def test_kept_ranges_tile_the_video(n: int, fps: float, workers: int, extra: int) -> None:
    plan = plan_segments(n, fps, workers)
    actual = n + extra  # a container's frame count can be short: the tail must not be lost
    covered = [
        i for start, keep, stop in plan for i in range(keep, actual if stop is None else stop)
    ]
    assert covered == list(range(actual))
    for start, keep, _ in plan:
        assert 0 <= start <= keep
        assert keep == 0 or keep - start == round(WARMUP_S * fps)


def test_rep_across_a_segment_boundary_is_counted_once() -> None:
    fps = 30
    frames = sy.sample(sy.squat_front(), duration_s=9.0, fps=fps)  # cut at 4.5 s, mid-rep
    plan = plan_segments(len(frames), fps, workers=2)
    assert len(plan) >= 2
    # Each worker decodes its segment including the warm-up frames the previous segment also has.
    parts = [kept(frames[a : len(frames) if b is None else b], (a, k, b), fps) for a, k, b in plan]
    assert sum(len(p) for p in parts) == len(frames)
    joined = [f for p in parts for f in p]
    assert [f.t_s for f in joined] == [f.t_s for f in frames]

    config = parse_detector(default_library().exercises["squat"].detector or {})
    whole = run_pipeline(frames, config, exercise="squat", source="s", fps=fps).report
    split = run_pipeline(joined, config, exercise="squat", source="s", fps=fps).report
    assert whole["reps"] == split["reps"] == 3
    assert whole["per_rep"] == split["per_rep"]
    # the test means something only if a rep really spans a boundary
    cuts = [k / fps for _, k, _ in plan[1:]]
    assert any(r["start_s"] < c < r["end_s"] for r in split["per_rep"] for c in cuts)

    # Without dropping the warm-up, the overlap would be analysed twice (the failure this guards).
    naive = [f for a, _, b in plan for f in frames[a:b]]
    assert len(naive) > len(frames)


@pytest.mark.parametrize("workers", [0, 1])
def test_one_worker_or_a_short_video_is_one_segment(workers: int) -> None:
    assert plan_segments(10_000, 30, workers) == [(0, 0, None)]
    assert plan_segments(200, 30, 2) == [(0, 0, None)]
