"""Outcome measures (RULES D-3, §5.2, §6): scoring and change against MCID / MDC, as tables."""

from __future__ import annotations

import datetime as dt
from statistics import mean

import pytest

from kneehab.domain.outcomes import (
    ItemMap,
    Subscale,
    chair_stand_change,
    koos4,
    nprs_improvement,
    psfs_activity_changes,
    psfs_change,
    psfs_score,
    score_pack,
    walk_40m_change,
    walk_40m_speed,
)
from kneehab.domain.records import OutcomeRecord, PsfsActivity

# (scenario, pain before, pain after, improved_min, improved_mcid) — §5.2
NPRS_TABLE = [
    ("no change", 4, 4, False, False),
    ("1 point better", 4, 3, True, False),
    ("2 points better", 4, 2, True, True),
    ("15% better from 7 (1 point)", 7, 6, True, False),
    ("30% better from 10 (3 points)", 10, 7, True, True),
    ("from 1 to 0 (100%)", 1, 0, True, True),
    ("worse", 3, 5, False, False),
]


@pytest.mark.parametrize(("scenario", "before", "after", "minimal", "mcid"), NPRS_TABLE)
def test_nprs_change(scenario: str, before: int, after: int, minimal: bool, mcid: bool) -> None:
    assert nprs_improvement(before, after) == (minimal, mcid), scenario


def _psfs(day: int, *scores: tuple[str, int]) -> OutcomeRecord:
    return OutcomeRecord(
        date=dt.date(2025, 3, 3) + dt.timedelta(days=day),
        measure="psfs",
        activities=tuple(PsfsActivity(activity=a, score=s) for a, s in scores),
    )


def test_psfs_is_the_mean_of_activities_and_mdc_is_2_for_the_mean() -> None:
    before = _psfs(0, ("stairs", 3), ("kneeling", 5), ("walking 1 km", 4))
    assert psfs_score(before.activities) == 4.0
    small = psfs_change(before, _psfs(84, ("stairs", 4), ("kneeling", 6), ("walking 1 km", 5)))
    assert small.improvement == pytest.approx(1.0) and not small.meaningful
    big = psfs_change(before, _psfs(84, ("stairs", 5), ("kneeling", 7), ("walking 1 km", 6)))
    assert big.improvement == pytest.approx(2.0) and big.meaningful


def test_psfs_single_activity_mdc_is_3() -> None:
    changes = psfs_activity_changes(
        _psfs(0, ("Stairs", 3), ("kneeling", 5)), _psfs(14, ("stairs", 6), ("kneeling", 7))
    )
    assert changes["stairs"].meaningful and not changes["kneeling"].meaningful


def test_performance_tests() -> None:
    assert walk_40m_speed(32) == pytest.approx(1.25)
    assert walk_40m_change(40, 32).improvement == pytest.approx(0.25)
    assert walk_40m_change(40, 32).meaningful
    assert not chair_stand_change(10, 11).meaningful
    assert chair_stand_change(10, 12).meaningful
    with pytest.raises(ValueError, match="positive"):
        walk_40m_speed(0)


# A made-up pack structure: ids only, as an organisation's licensed file would provide.
PACK = ItemMap(
    id="demo-pack",
    subscales=(
        Subscale(id="pain", items=tuple(f"p{i}" for i in range(1, 10)), min_answered=5),
        Subscale(id="symptoms", items=tuple(f"s{i}" for i in range(1, 8)), min_answered=4),
        Subscale(id="sport_rec", items=tuple(f"r{i}" for i in range(1, 6)), min_answered=3),
        Subscale(id="qol", items=tuple(f"q{i}" for i in range(1, 5)), min_answered=2),
        Subscale(id="total", items=("t1", "t2"), min_answered=2, method="sum"),
    ),
)


def test_koos_style_subscale_is_100_minus_mean_over_4() -> None:
    responses = {f"p{i}": 2 for i in range(1, 6)}  # 5 of 9 answered: enough (≥50%)
    scores = score_pack(PACK, responses)
    assert scores["pain"].score == 50.0
    assert scores["symptoms"].score is None and scores["symptoms"].needed == 4


def test_pack_minimum_data_boundary_and_koos4() -> None:
    four = {f"p{i}": 0 for i in range(1, 5)}
    assert score_pack(PACK, four)["pain"].score is None  # 4 of 9 is below 50%
    full = {
        **{f"p{i}": 1 for i in range(1, 10)},
        **{f"s{i}": 1 for i in range(1, 8)},
        **{f"r{i}": 1 for i in range(1, 6)},
        **{f"q{i}": 1 for i in range(1, 5)},
        "t1": 3,
        "t2": 4,
    }
    scores = score_pack(PACK, full)
    assert koos4(scores) == 75.0
    assert scores["total"].score == 7.0


def test_pack_rejects_unknown_items_and_out_of_range_answers() -> None:
    with pytest.raises(ValueError, match=r"responses\.x1: not an item of pack 'demo-pack'"):
        score_pack(PACK, {"x1": 2})
    with pytest.raises(ValueError, match=r"responses\.p1: must be 0–4"):
        score_pack(PACK, {"p1": 5})


# Boundaries on weekly means (§5.2): the means are fractions such as 49/6, and a change of exactly
# 2 points (or 1 point) must count, however the arithmetic rounds. (scenario, daily pain before,
# daily pain in the last 7 days, improved_min, improved_mcid)
NPRS_MEAN_TABLE = [
    (
        "2 points better on weekly means (8.17 → 6.17)",
        (8, 8, 8, 8, 8, 9),
        (6, 6, 6, 6, 6, 7),
        True,
        True,
    ),
    (
        "1 point better on weekly means (8.17 → 7.17)",
        (8, 8, 8, 8, 8, 9),
        (7, 7, 7, 7, 7, 8),
        True,
        False,
    ),
]


@pytest.mark.parametrize(("scenario", "before", "after", "minimal", "mcid"), NPRS_MEAN_TABLE)
def test_nprs_change_on_weekly_means_at_the_boundary(
    scenario: str, before: tuple[int, ...], after: tuple[int, ...], minimal: bool, mcid: bool
) -> None:
    assert nprs_improvement(mean(before), mean(after)) == (minimal, mcid), scenario


def test_psfs_exactly_2_points_better_over_3_activities_is_meaningful() -> None:
    before = _psfs(0, ("stairs", 3), ("kneeling", 3), ("walking 1 km", 4))
    after = _psfs(84, ("stairs", 5), ("kneeling", 5), ("walking 1 km", 6))
    change = psfs_change(before, after)
    assert change.improvement == pytest.approx(2.0)
    assert change.meaningful  # 10/3 → 16/3 is 2 points: at the MDC, not below it (E6)
