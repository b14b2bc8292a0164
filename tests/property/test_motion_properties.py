"""Invariants of the motion core (Hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kneehab.library.load import default_library
from kneehab.motion import synthetic as sy
from kneehab.motion.analyze import run_pipeline
from kneehab.motion.config import parse_detector


def _run(ex: str, frames: list, fps: float) -> dict:
    config = parse_detector(default_library().exercises[ex].detector or {})
    return run_pipeline(frames, config, exercise=ex, source="p", fps=fps).report


@settings(max_examples=15, deadline=None)
@given(fps=st.floats(12, 90), depth=st.floats(55, 110), period=st.floats(1.8, 4.0))
def test_resampling_does_not_change_counts(fps: float, depth: float, period: float) -> None:
    scenario = sy.squat_front(depth_deg=depth, period=period)
    duration = 0.5 + 3 * period + 0.3
    assert _run("squat", sy.sample(scenario, duration_s=duration, fps=fps), fps)["reps"] == 3


@settings(max_examples=15, deadline=None)
@given(sigma=st.floats(0, 3), seed=st.integers(0, 10_000), fps=st.sampled_from([15, 30, 60]))
def test_noise_below_the_hysteresis_never_adds_reps(sigma: float, seed: int, fps: int) -> None:
    # Hovering right at the enter threshold (rest + 40°) with pixel jitter: one dip, one rep, never more.
    scenario = sy.squat_front(depth_deg=47, period=6.0)
    frames = sy.jitter(sy.sample(scenario, duration_s=6.6, fps=fps), sigma, seed)
    assert _run("squat", frames, fps)["reps"] <= 1


@settings(max_examples=15, deadline=None)
@given(
    hold=st.floats(0, 30),
    start=st.floats(0, 5),
    tail=st.floats(0, 5),
    fps=st.sampled_from([15, 30]),
)
def test_a_hold_is_never_longer_than_the_video(
    hold: float, start: float, tail: float, fps: int
) -> None:
    duration = start + hold + tail + 0.1
    frames = sy.sample(
        sy.hamstring_stretch_side(hold_s=hold, start=start), duration_s=duration, fps=fps
    )
    report = _run("supine-hamstring-stretch", frames, fps)
    assert sum(h["duration_s"] for h in report["holds"]) <= report["duration_s"]
    # each reported value is rounded to 0.01 s
    assert all(h["duration_s"] <= h["end_s"] - h["start_s"] + 0.011 for h in report["holds"])
