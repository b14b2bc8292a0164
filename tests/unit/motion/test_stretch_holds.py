"""The seated-butterfly and inner-thigh stretch detectors (holds only), on synthetic landmarks.

The settings (band, min_s, max_gap_s, tick_s) are read from the exercise files, so these tests follow
the data: a hold starts once held `min_s`, ticks every `tick_s`, counts time only inside the band,
bridges an excursion or a dropout up to `max_gap_s` and ends after a longer one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from kneehab.library.load import default_library
from kneehab.motion import synthetic as sy
from kneehab.motion.config import DetectorConfig, Hold, parse_detector
from kneehab.motion.events import Event, HoldEnded, HoldStarted, HoldTick, QualityWarning
from kneehab.motion.landmarks import LandmarkFrame
from kneehab.motion.pipeline import Pipeline

FPS = 30
STRETCHES: dict[str, Callable[..., sy.Scenario]] = {
    "seated-butterfly-stretch": sy.butterfly_front,
    "inner-thigh-stretch": sy.inner_thigh_stretch_front,
}
pytestmark = pytest.mark.parametrize("ex", sorted(STRETCHES))


def _config(ex: str) -> DetectorConfig:
    return parse_detector(default_library().exercises[ex].detector or {})


def _hold(ex: str) -> Hold:
    hold = _config(ex).hold
    assert hold is not None
    return hold


def _events(ex: str, frames: list[LandmarkFrame]) -> list[Event]:
    pipe = Pipeline(_config(ex))
    events: list[Event] = []
    for f in frames:
        events += pipe.push(f)
    return events + pipe.finish()


def _frames(ex: str, intervals: sy.Intervals, duration_s: float = 25.0) -> list[LandmarkFrame]:
    return sy.sample(STRETCHES[ex](intervals), duration_s=duration_s, fps=FPS)


def _ended(events: list[Event]) -> list[HoldEnded]:
    return [e for e in events if isinstance(e, HoldEnded)]


def test_the_detector_is_a_front_view_hold_without_reps(ex: str) -> None:
    config = _config(ex)
    assert config.reps is None and config.hold is not None
    assert config.views == ("front",)


def test_hold_starts_ticks_and_ends(ex: str) -> None:
    spec = _hold(ex)
    events = _events(ex, _frames(ex, ((2.0, 22.0),)))
    started = [e for e in events if isinstance(e, HoldStarted)]
    ticks = [e for e in events if isinstance(e, HoldTick)]
    (ended,) = _ended(events)
    (start,) = started
    # Reported once held min_s, dated from when the stretch began.
    assert start.start_s == pytest.approx(2.0, abs=0.3)
    assert start.t_s == pytest.approx(start.start_s + spec.min_s, abs=0.1)
    # A tick every tick_s of time held, while holding, in order.
    assert [t.held_s for t in ticks] == [
        spec.tick_s * k for k in range(1, int(20 // spec.tick_s) + 1)
    ]
    assert all(start.t_s <= t.t_s <= ended.t_s for t in ticks)
    assert ended.start_s == start.start_s
    assert ended.end_s == pytest.approx(22.0, abs=0.3)
    assert ended.duration_s == pytest.approx(20.0, abs=0.4)
    assert not [e for e in events if isinstance(e, QualityWarning)]


def test_too_short_a_stretch_is_not_a_hold(ex: str) -> None:
    spec = _hold(ex)
    assert not _ended(_events(ex, _frames(ex, ((2.0, 2.0 + spec.min_s - 1.0),), 8.0)))


def test_time_counts_only_inside_the_band_and_a_short_excursion_is_bridged(ex: str) -> None:
    spec = _hold(ex)
    gap = spec.max_gap_s / 2  # out of the stretch for half the allowed gap
    events = _events(ex, _frames(ex, ((2.0, 10.0), (10.0 + gap, 22.0))))
    (ended,) = _ended(events)  # one hold: the excursion did not end it
    span = ended.end_s - ended.start_s
    assert span == pytest.approx(20.0, abs=0.4)
    # ... but the time out of the band is not counted as held
    assert span - gap - 0.2 < ended.duration_s < span - 0.1


def test_a_longer_excursion_ends_the_hold(ex: str) -> None:
    spec = _hold(ex)
    gap = spec.max_gap_s * 2
    ended = _ended(_events(ex, _frames(ex, ((2.0, 10.0), (10.0 + gap, 22.0)))))
    assert len(ended) == 2
    assert ended[0].end_s == pytest.approx(10.0, abs=0.3)
    assert ended[1].start_s == pytest.approx(10.0 + gap, abs=0.3)
    assert ended[0].duration_s + ended[1].duration_s == pytest.approx(20.0 - gap, abs=0.6)


@pytest.mark.parametrize(("missing_s", "holds"), [(0.8, 1), (3.0, 2)])
def test_dropouts_are_bridged_up_to_the_limit(ex: str, missing_s: float, holds: int) -> None:
    # The pose model loses the person mid-stretch: up to max_gap_s (after the smoother's own short
    # gap filling) the hold goes on; longer, and it ends.
    spec, filled = _hold(ex), _config(ex).smoothing.max_gap_s
    assert (missing_s < spec.max_gap_s) == (holds == 1)
    whole = _frames(ex, ((2.0, 22.0),))
    (full,) = _ended(_events(ex, whole))
    frames = [replace(f, points=None) if 10.0 <= f.t_s < 10.0 + missing_s else f for f in whole]
    ended = _ended(_events(ex, frames))
    assert len(ended) == holds
    # Unseen time is not held time, except the short stretch the smoother fills with the last value.
    held = sum(e.duration_s for e in ended)
    assert full.duration_s - missing_s - 0.1 <= held <= full.duration_s - missing_s + filled + 0.1


def test_side_on_camera_gets_a_wrong_view_warning(ex: str) -> None:
    events = _events(ex, sy.side_on(_frames(ex, ((2.0, 22.0),))))
    views = [e for e in events if isinstance(e, QualityWarning) and e.code == "wrong_view"]
    assert views
    assert "Face the camera (front view)" in views[0].message
    assert views[0].t_s < 3.0  # said early, while there is still time to turn
