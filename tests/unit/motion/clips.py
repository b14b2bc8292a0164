"""Where the shared third-party clips live (never copied into the repo) and what each one shows."""

from __future__ import annotations

import csv
from pathlib import Path

CLIPS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "exercise_clips"
LANDMARKS = CLIPS / "landmarks"

# clip → the exercise whose detector should analyse it (see docs/camera-coach.md)
EXERCISE = {
    "nowva_goblet_squat_front": "squat",
    "rohanx01_barbell_squat_side": "squat",
    "bryce_squat_gym": "squat",
    "vengaza_squats_oblique": "squat",
    "nowva_lunge_side": "lunge",
    "nowva_side_lunge_front": "side-lunge-stretch",
    "physioplus_bridge_hold_side": "bridge",
    "rnhrn_banded_stepup": "step-up",
}


def labels() -> dict[str, dict[str, str]]:
    with (CLIPS / "labels.csv").open(encoding="utf-8") as fh:
        return {row["clip"].removesuffix(".mp4"): row for row in csv.DictReader(fh)}


def acceptable(row: dict[str, str]) -> range:
    lo, _, hi = row["acceptable_reps"].partition("-")
    return range(int(lo), int(hi or lo) + 1)
