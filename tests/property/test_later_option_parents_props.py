"""D-12's criteria read each parent exercise's last two performances before the check-in day
(`later_options.Parents.last_two`). The state hands them only those two (`course_state._last_two_before`)
instead of every performance of the course sorted again for each option on each check-in: for random
performances, added day by day as a replay adds them, the criteria's answer is the same either way."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneehab.domain.course_state import ExerciseState, _last_two_before
from kneehab.domain.later_options import Parents
from kneehab.domain.progression import Performance
from kneehab.domain.types import Dose

DAY0 = dt.date(2026, 1, 1)


def _perf(day: int, sets: int, pain: int, qualifying: bool) -> Performance:
    return Performance(
        date=DAY0 + dt.timedelta(days=day),
        dose=Dose(sets=sets, reps=12),
        pain=pain,
        ceiling=3,
        sharp=False,
        completed=True,
        qualifying=qualifying,
        rated=True,
    )


performances = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 4), st.integers(0, 6), st.booleans()),
    max_size=40,
    unique_by=lambda x: x[0],
)


@given(performances, st.integers(0, 62), st.integers(1, 4))
def test_the_last_two_before_the_day_answer_as_every_performance_does(
    found: list[tuple[int, int, int, bool]], today: int, sets: int
) -> None:
    state = ExerciseState(item_index=0, start_dose=Dose(sets=1, reps=12))
    for d, s, p, q in sorted(found):
        state.add_performance(_perf(d, s, p, q))
    perfs = state.perfs
    day = DAY0 + dt.timedelta(days=today)
    every = [p for _, p in sorted(perfs.items())]  # what the state handed before
    two = _last_two_before(perfs, day)
    assert two == [p for p in every if p.date < day][-2:]

    def parents(given_: list[Performance]) -> Parents:
        return Parents({"bridge": given_}, {}, {}, step_cap_cm=20, today=day)

    def test(d: Dose) -> bool:
        return (d.sets or 0) >= sets

    assert parents(two).last_two("bridge", test) == parents(every).last_two("bridge", test)


@given(st.lists(st.integers(0, 60), min_size=2, max_size=10, unique=True))
def test_a_performance_out_of_date_order_is_refused(days: list[int]) -> None:
    """`_last_two_before` reads from the end, so the state must never hold them out of order."""
    state = ExerciseState(item_index=0, start_dose=Dose(sets=1, reps=12))
    latest = max(days)
    state.add_performance(_perf(latest, 1, 0, True))
    earlier = [d for d in days if d != latest]
    with pytest.raises(ValueError, match="after one of"):
        state.add_performance(_perf(earlier[0], 1, 0, True))
    assert list(state.perfs) == [DAY0 + dt.timedelta(days=latest)]
