"""The "more than one person" check: which person-detector boxes are someone else (count_people, no
OpenCV needed), and how many sightings the quality monitor needs before it believes them."""

from __future__ import annotations

from dataclasses import replace

from kneehab.library.load import default_library
from kneehab.motion import synthetic as sy
from kneehab.motion.analyze import run_pipeline
from kneehab.motion.config import parse_detector
from kneehab.motion.landmarks import LandmarkFrame
from kneehab.motion.pose import count_people

W, H = sy.W, sy.H
# The synthetic standing figure: landmarks span x 0.45–0.55, y ~0.2–0.83 of a 640×480 picture.
BODY = sy.figure(sy.squat_front(0)(0.0))


def box(cx: float, cy: float, h: float) -> tuple[float, float, float, float]:
    """A HOG-shaped box (64×128 window: width half the height in pixels), normalised."""
    w = h * H / W / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def test_nobody_tracked_counts_every_box() -> None:
    assert count_people([], None, W, H) == 0
    assert count_people([box(0.3, 0.5, 0.6), box(0.7, 0.5, 0.6)], None, W, H) == 2


def test_a_box_on_the_tracked_body_is_that_person() -> None:
    assert count_people([box(0.5, 0.5, 0.8)], BODY, W, H) == 1


def test_a_loose_box_half_off_the_body_is_still_that_person() -> None:
    # HOG boxes on a lunging body often have their centre just outside the landmarks' box.
    x1 = float(BODY[:, 0].max())
    assert count_people([box(x1 + 0.06, 0.5, 0.8)], BODY, W, H) == 1


def test_someone_of_similar_size_beside_the_tracked_person_counts() -> None:
    assert count_people([box(0.2, 0.5, 0.6)], BODY, W, H) == 2
    assert count_people([box(0.2, 0.5, 0.6), box(0.85, 0.5, 0.7)], BODY, W, H) == 3


def test_a_much_smaller_box_far_behind_does_not_count() -> None:
    # Body length nose→ankles is ~0.63 picture heights; a box under half of it is far away (or a
    # false positive on furniture), not someone the tracker could confuse with the user.
    assert count_people([box(0.2, 0.5, 0.25)], BODY, W, H) == 1


def _frames_with_sightings(times: list[float], duration_s: float = 12.0) -> list[LandmarkFrame]:
    # A squatting person; the person detector looks every 0.5 s and sees a second person at `times`.
    frames = sy.sample(sy.squat_front(), duration_s=duration_s, fps=30)
    out = []
    for f in frames:
        look = round(f.t_s * 30) % 15 == 0
        seen = any(abs(f.t_s - t) < 1e-6 for t in times)
        out.append(replace(f, people=(2 if seen else 1) if look else None))
    return out


def _report(frames: list[LandmarkFrame]) -> dict:
    config = parse_detector(default_library().exercises["squat"].detector or {})
    return run_pipeline(frames, config, exercise="squat", source="s", fps=30).report


def test_one_or_two_quick_sightings_are_not_believed() -> None:
    # A false positive on a curtain for a second, or someone walking past in the background.
    for times in ([1.0], [1.0, 1.5], [4.0, 4.5, 5.0]):
        report = _report(_frames_with_sightings(times))
        assert "multiple_people" not in report["quality"]["problems"], times
        assert report["quality"]["reliable"] and report["reps"] == 4
        assert report["quality"]["people_max"] == 1


def test_a_second_person_seen_again_and_again_makes_the_count_unreliable() -> None:
    report = _report(_frames_with_sightings([1.0, 2.5, 4.0, 6.0]))
    assert "multiple_people" in report["quality"]["problems"]
    assert not report["quality"]["reliable"]
    assert report["quality"]["people_max"] == 2
    assert "more than one person" in report["verdict"]
    warned = [w for w in report["warnings"] if w.get("code") == "multiple_people"]
    assert warned and warned[0]["t_s"] == 4.0  # the third sighting, 3 s after the first
    assert "only you are in the picture" in warned[0]["message"]


def test_sightings_too_far_apart_are_not_one_crowd() -> None:
    # three sightings, but never three within the 10 s window
    report = _report(_frames_with_sightings([0.5, 6.0, 11.5], duration_s=12.5))
    assert "multiple_people" not in report["quality"]["problems"]
