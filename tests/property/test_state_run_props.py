"""D-7's "acknowledged during the current run of the state" asks only the days back to the latest
acknowledgement (escalation.acknowledged_in_run), not every day of the run. For random states,
starts, todays and acknowledgement dates it gives what the definition gives: the run walked back
from today day by day, then any acknowledgement from its first day to today.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kneehab.domain.escalation import acknowledged_in_run

DAY0 = dt.date(2026, 1, 1)


def _by_definition(
    today: dt.date, start: dt.date, acknowledged: list[dt.date], true_on: set[dt.date]
) -> bool:
    first = today
    while first > start and first - dt.timedelta(days=1) in true_on:
        first -= dt.timedelta(days=1)
    return any(first <= d <= today for d in acknowledged)


@given(
    start=st.integers(0, 40),
    today=st.integers(0, 80),
    true_on=st.sets(st.integers(-5, 80)),
    acknowledged=st.lists(st.integers(-10, 90), max_size=4),
)
def test_acknowledged_in_run_is_the_definition(
    start: int, today: int, true_on: set[int], acknowledged: list[int]
) -> None:
    days = {DAY0 + dt.timedelta(days=d) for d in true_on}
    acks = [DAY0 + dt.timedelta(days=d) for d in acknowledged]
    s, t = DAY0 + dt.timedelta(days=start), DAY0 + dt.timedelta(days=today)
    asked: list[dt.date] = []

    def holds(d: dt.date) -> bool:
        asked.append(d)
        return d in days

    assert acknowledged_in_run(t, s, acks, holds) == _by_definition(t, s, acks, days)
    # Never asked about a day before the latest acknowledgement, nor about today or later.
    latest = max((d for d in acks if d <= t), default=None)
    assert all(d < t and latest is not None and d >= latest for d in asked)


def test_a_run_never_acknowledged_asks_no_day() -> None:
    asked: list[dt.date] = []

    def holds(d: dt.date) -> bool:
        asked.append(d)
        return True

    today = DAY0 + dt.timedelta(days=200)
    later = [today + dt.timedelta(days=1)]  # an acknowledgement after today does not count
    assert not acknowledged_in_run(today, DAY0, later, holds)
    assert asked == []
    # Acknowledged 3 days ago within a run that holds: three days asked, not 200.
    assert acknowledged_in_run(today, DAY0, [today - dt.timedelta(days=3)], holds)
    assert asked == [today - dt.timedelta(days=i) for i in (1, 2, 3)]
