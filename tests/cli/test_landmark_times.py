"""Issue 11: `analyze --landmarks` with absurd times (near 1e300) hung with growing memory, since a
hold ticked once per `tick_s` of the gap between two frames. Such a file is now refused, naming the
line and what is allowed; and a hold costs O(1) per frame whatever the gap (a real file may skip)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kneehab.cli.main import main
from kneehab.motion import synthetic as sy
from kneehab.motion.config import Hold
from kneehab.motion.events import HoldTick
from kneehab.motion.hold import HoldTimer
from kneehab.motion.landmark_file import MAX_TIME_S, write_jsonl

FPS = 30


def _butterfly(path: Path, shift: float = 0.0, scale: float = 1.0) -> Path:
    """A butterfly stretch held from 2 s to 22 s, its times moved to `shift + t × scale`."""
    frames = sy.sample(sy.butterfly_front(((2.0, 22.0),)), duration_s=25.0, fps=FPS)
    moved = [replace(f, t_s=shift + f.t_s * scale) for f in frames]
    with path.open("w") as fh:
        write_jsonl(fh, moved, fps=FPS, width=640, height=480)
    return path


@pytest.mark.parametrize(
    ("shift", "scale"),
    [(1e300, 1.0), (0.0, 1e298), (1.7e12, 1000.0)],  # near 1e300; huge steps; epoch milliseconds
    ids=["near-1e300", "huge-steps", "epoch-ms"],
)
def test_absurd_times_are_refused_with_the_line_and_what_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shift: float, scale: float
) -> None:
    path = _butterfly(tmp_path / "stretch.jsonl", shift, scale)
    code = main(["analyze", "--landmarks", str(path), "-e", "seated-butterfly-stretch"], {})
    err = capsys.readouterr().err
    assert code == 2
    assert "stretch.jsonl: line" in err and "outside a recording" in err
    assert "0 to 86400" in err and "Traceback" not in err


def test_times_that_go_backwards_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "back.jsonl"
    frames = sy.sample(sy.butterfly_front(((2.0, 22.0),)), duration_s=3.0, fps=FPS)
    frames[40] = replace(frames[40], t_s=0.5)
    with path.open("w") as fh:
        write_jsonl(fh, frames, fps=FPS, width=640, height=480)
    assert main(["analyze", "--landmarks", str(path), "-e", "seated-butterfly-stretch"], {}) == 2
    assert "times must increase line by line" in capsys.readouterr().err


def test_a_long_gap_inside_a_hold_is_one_tick_not_one_per_second() -> None:
    timer = HoldTimer(Hold(band=(0.0, 1.0), min_s=1.0, max_gap_s=0.5, tick_s=1.0))
    events = [e for t in (0.0, 0.5, 1.0, 1.5, 2.0) for e in timer.push(t, 0.5)]
    assert [e.held_s for e in events if isinstance(e, HoldTick)] == [1.0, 2.0]
    # Both frames in the band, a day apart: one tick, for the last whole second held.
    after_gap = timer.push(MAX_TIME_S, 0.5)
    assert [e.held_s for e in after_gap if isinstance(e, HoldTick)] == [MAX_TIME_S]
    assert [e.held_s for e in timer.push(MAX_TIME_S + 1.0, 0.5)] == [MAX_TIME_S + 1.0]


def test_a_file_with_a_day_long_gap_is_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = sy.sample(sy.butterfly_front(((2.0, 22.0),)), duration_s=25.0, fps=FPS)
    # The recording stops mid-hold and picks up a day later, still in the stretch.
    gap = [replace(f, t_s=f.t_s + MAX_TIME_S - 30.0) for f in frames[300:]]
    path = tmp_path / "gap.jsonl"
    with path.open("w") as fh:
        write_jsonl(fh, frames[:300] + gap, fps=FPS, width=640, height=480)
    args = ["analyze", "--landmarks", str(path), "-e", "seated-butterfly-stretch", "--json"]
    assert main(args, {}) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["holds"]) >= 1
