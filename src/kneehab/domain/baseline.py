"""Baseline morning pain and the weekly morning trend (RULES C-5, §2.2, P2/P5 weekly parts).

Pure functions of the check-ins and the days a session was logged; `on` is always an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from statistics import mean, median

from kneehab.domain.records import CheckIn, Session
from kneehab.domain.types import Frozen

BASELINE_MORNINGS = 3  # C-5: median of the last 3 mornings that do not follow a session day
MIN_WEEK_CHECKINS = 3  # a weekly mean needs at least 3 mornings to say anything (D)


class Baseline(Frozen):
    value: float
    source: str  # plain words: where the number comes from


def session_days(sessions: Iterable[Session]) -> frozenset[dt.date]:
    """Days on which at least one exercise was actually done (only skips do not count)."""
    return frozenset(s.date for s in sessions if any(not e.skipped for e in s.entries))


def baseline_pain(
    pain_now: int, checkins: Sequence[CheckIn], done_days: frozenset[dt.date], on: dt.date
) -> Baseline:
    """C-5 baseline as known before the morning of `on` (that morning is compared with it)."""
    rest_mornings = [
        c
        for c in sorted(checkins, key=lambda c: c.date)
        if c.date < on and (c.date - dt.timedelta(days=1)) not in done_days
    ]
    if len(rest_mornings) < BASELINE_MORNINGS:
        return Baseline(
            value=float(pain_now),
            source=f"your pain at intake ({pain_now}/10), until there are 3 rest-day mornings",
        )
    last = rest_mornings[-BASELINE_MORNINGS:]
    value = float(median(c.morning_pain for c in last))
    src = f"{value:g}/10, the middle of your last 3 rest-day mornings"
    return Baseline(value=value, source=src)


def above_baseline(morning_pain: int, baseline: Baseline, tolerance: int) -> bool:
    """§2.2: back to baseline means `morning_pain <= baseline + tol` (tol 0 or 1)."""
    return morning_pain > baseline.value + tolerance


def _week_mean(checkins: Sequence[CheckIn], end: dt.date, field: str) -> float | None:
    start = end - dt.timedelta(days=6)
    values = [
        v for c in checkins if start <= c.date <= end and (v := getattr(c, field)) is not None
    ]
    return mean(values) if len(values) >= MIN_WEEK_CHECKINS else None


def _rose(checkins: Sequence[CheckIn], end: dt.date, tolerance: int) -> bool:
    """Did the week ending `end` have higher mean morning pain or stiffness than the one before?"""
    before = end - dt.timedelta(days=7)
    for field in ("morning_pain", "morning_stiffness"):
        now, prev = _week_mean(checkins, end, field), _week_mean(checkins, before, field)
        if now is not None and prev is not None and now > prev + tolerance:
            return True
    return False


def weekly_rising(checkins: Sequence[CheckIn], on: dt.date, tolerance: int) -> bool:
    """P2 needs 'weekly morning trend not rising': this week's mean vs last week's."""
    return _rose(checkins, on, tolerance)


def rising_two_weeks(checkins: Sequence[CheckIn], on: dt.date, tolerance: int) -> bool:
    """P5: weekly morning pain or stiffness rising two weeks running."""
    return _rose(checkins, on, tolerance) and _rose(checkins, on - dt.timedelta(days=7), tolerance)
