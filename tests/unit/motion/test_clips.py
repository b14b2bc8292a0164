"""The backbone: every shared clip's MediaPipe landmarks through the real detectors from the library."""

from __future__ import annotations

import pytest

from kneehab.library.load import default_library
from kneehab.motion.analyze import analyze_sequence
from kneehab.motion.config import parse_detector
from kneehab.motion.landmark_file import read_landmarks

from .clips import EXERCISE, LANDMARKS, acceptable, labels

pytestmark = pytest.mark.skipif(not LANDMARKS.is_dir(), reason="shared clips not present")


def _report(clip: str) -> dict:
    ex = EXERCISE[clip]
    config = parse_detector(default_library().exercises[ex].detector or {})
    seq = read_landmarks(LANDMARKS / f"{clip}.landmarks.csv")
    return analyze_sequence(seq, config, exercise=ex, source=clip).report


COUNTED = [c for c in EXERCISE if c != "rnhrn_banded_stepup"]


@pytest.mark.parametrize("clip", COUNTED)
def test_rep_count_is_inside_the_labelled_range(clip: str) -> None:
    row = labels()[clip]
    report = _report(clip)
    assert report["reps"] in acceptable(row), report["verdict"]
    assert report["quality"]["reliable"], report["quality"]


@pytest.mark.parametrize("clip", COUNTED)
def test_reps_happen_near_the_labelled_times(clip: str) -> None:
    times = [float(x) for x in labels()[clip]["rep_times_s"].split()]
    for rep in _report(clip)["per_rep"]:
        # each counted rep spans one labelled bottom/top moment
        assert any(rep["start_s"] - 0.2 <= t <= rep["end_s"] + 0.2 for t in times), rep


def test_bridge_hold_matches_the_label() -> None:
    report = _report("physioplus_bridge_hold_side")
    assert len(report["holds"]) == 1
    assert report["holds"][0]["duration_s"] == pytest.approx(1.6, abs=0.45)
    assert report["holds"][0]["start_s"] == pytest.approx(0.6, abs=0.3)


def test_side_lunge_reps_are_all_for_the_stretched_left_leg() -> None:
    # every rep bends the right knee, so the stretched (straight) leg is the left one
    assert _report("nowva_side_lunge_front")["reps_by_side"] == {"left": 10}


def test_two_person_step_up_is_not_a_confident_count() -> None:
    report = _report("rnhrn_banded_stepup")
    assert report["reps"] == 0
    assert report["quality"]["reliable"] is False
    assert "no_movement" in report["quality"]["problems"]
    assert "Count not reliable" in report["verdict"]
    assert any("only you are in view" in w["message"] for w in report["warnings"])


def test_squat_fppa_is_reported_only_in_front_view() -> None:
    front = _report("nowva_goblet_squat_front")
    # goblet squat: knees pushed out, so the FPPA is varus (negative), never a valgus cue
    assert all(r["fppa_left"] < 0 or r["fppa_right"] < 0 for r in front["per_rep"])
    assert not [w for w in front["warnings"] if w.get("code") == "knee_valgus"]
