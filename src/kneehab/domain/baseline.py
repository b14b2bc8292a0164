"""The person's usual morning pain and the weekly morning trend (RULES C-5 v2, §2.2).

Pure functions of the check-ins; the date is always an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from statistics import mean

from kneehab.domain.records import CheckIn, Session
from kneehab.domain.types import Frozen

WINDOW_DAYS = 14  # C-5: check-ins dated d−14 … d−1
WINDOW_COUNT = 7  # … the most recent 7 of them
MIN_MORNINGS = 3  # fewer than 3 → the intake's pain_now
BIG_RISE = 3  # C-5 / P8: morning ≥ B + 3
WEEK_MIN_VALUES = 4  # C-5: a weekly mean needs ≥ 4 values
WEEK_RISE = 1.0  # C-5: rising = mean ≥ previous week's + 1.0 (2 decimals)


class Baseline(Frozen):
    """B(d): the person's usual morning knee pain, known before the morning of d (C-5)."""

    value: int
    count: int  # how many check-ins it came from; 0 = the intake's pain_now
    source: str  # plain words for C-17 (6)


def session_days(sessions: Iterable[Session]) -> frozenset[dt.date]:
    """Days on which at least one exercise was actually done (only skips do not count)."""
    return frozenset(s.date for s in sessions if any(not e.skipped for e in s.entries))


def baseline_pain(pain_now: int, checkins: Sequence[CheckIn], on: dt.date) -> Baseline:
    """C-5: the low median (⌈n/2⌉-th smallest) of the most recent ≤ 7 check-ins dated on−14 … on−1;
    with fewer than 3 of them, the intake's pain_now. Every morning counts."""
    first = on - dt.timedelta(days=WINDOW_DAYS)
    window = sorted((c for c in checkins if first <= c.date < on), key=lambda c: c.date)
    recent = window[-WINDOW_COUNT:]
    if len(recent) < MIN_MORNINGS:
        return Baseline(
            value=pain_now,
            count=0,
            source=f"your pain at intake ({pain_now}/10) until you have 3 morning check-ins",
        )
    values = sorted(c.morning_pain for c in recent)
    value = values[(len(values) + 1) // 2 - 1]
    return Baseline(
        value=value,
        count=len(recent),
        source=f"your usual morning level ({value}/10, from your last {len(recent)} morning "
        "check-ins)",
    )


def is_rise(morning_pain: int, baseline: Baseline, tolerance: int) -> bool:
    """C-5 rise morning: morning_pain > B + tol."""
    return morning_pain > baseline.value + tolerance


def is_big_rise(morning_pain: int, baseline: Baseline) -> bool:
    """C-5 big rise: morning_pain ≥ B + 3."""
    return morning_pain >= baseline.value + BIG_RISE


def week_start(day: dt.date) -> dt.date:
    """The Monday of a date's calendar week (C-5: weeks run Monday–Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def _week_mean(checkins: Sequence[CheckIn], monday: dt.date, field: str) -> float | None:
    end = monday + dt.timedelta(days=6)
    values = [
        v for c in checkins if monday <= c.date <= end and (v := getattr(c, field)) is not None
    ]
    return round(mean(values), 2) if len(values) >= WEEK_MIN_VALUES else None


def week_rising(checkins: Sequence[CheckIn], monday: dt.date) -> bool:
    """C-5: the week starting `monday` is rising when its mean morning pain or stiffness (2
    decimals, ≥ 4 values) is ≥ the previous week's + 1.0; a week (or previous week) lacking 4
    values is not rising."""
    before = monday - dt.timedelta(days=7)
    for field in ("morning_pain", "morning_stiffness"):
        now, prev = _week_mean(checkins, monday, field), _week_mean(checkins, before, field)
        if now is not None and prev is not None and now >= round(prev + WEEK_RISE, 2):
            return True
    return False


def week_means(checkins: Sequence[CheckIn], monday: dt.date) -> tuple[float | None, float | None]:
    """The week's (morning pain, morning stiffness) means, for reasons shown to the person."""
    return _week_mean(checkins, monday, "morning_pain"), _week_mean(
        checkins, monday, "morning_stiffness"
    )
