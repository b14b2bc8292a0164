"""The memos shared by one request's situations change nothing (issue 11 §2).

A request asks for the escalation of today, yesterday and the day before over one replayed course;
their situations share the history parts and the §5.2 measures (course_state.situation). For random
courses, each of those escalations equals the one from a situation built afresh (validated, no memo),
whichever order the days are asked in.
"""

from __future__ import annotations

import datetime as dt
import statistics

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_progression_props import LIB, histories

from kneehab.domain.course_state import CourseState, _grown_parts_of, grown_parts, situation
from kneehab.domain.escalation import (
    Escalation,
    Situation,
    _mean,
    _sustained_mcid,
    escalate,
    measures,
    pain_base,
)
from kneehab.domain.planning import plan
from kneehab.domain.records import History
from kneehab.domain.screening import screen


def _run(history: History) -> CourseState | None:
    triage = screen(history.intake)
    program = plan(history.intake, triage, LIB, start=history.start)
    if program is None:
        return None
    run = CourseState(history, LIB, triage, program)
    run.run()
    return run


def _fresh(run: CourseState, day: dt.date) -> Escalation:
    """The escalation from a situation built with none of the run's memos (its history parts, its
    measures, the parts of its grown records), validated again (empty memos of its own)."""
    kept = (run._situation_parts, run._measures_memo, run._grown_parts)
    run._situation_parts = run._measures_memo = run._grown_parts = None
    try:
        shared = situation(run.h.model_copy(update={"today": day}), run.triage, run)
    finally:
        run._situation_parts, run._measures_memo, run._grown_parts = kept
    return escalate(Situation(**dict(shared)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_days=40), st.booleans())
def test_shared_measures_give_the_escalation_a_fresh_situation_gives(
    history: History, backwards: bool
) -> None:
    run = _run(history)
    if run is None:
        return
    days = [history.today - dt.timedelta(days=i) for i in range(3)]
    days = [d for d in (reversed(days) if backwards else days) if d >= history.start]
    shared = {d: run.escalation_on(d) for d in days}
    for d in days:
        assert shared[d] == _fresh(run, d), d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_days=40))
def test_the_memo_follows_the_replay_as_its_state_grows(history: History) -> None:
    """During the replay the state grows day by day (P5 dates, prescribed days, rising weeks: a week
    is judged at the next week's first check-in), and D-12 asks for the escalation as it goes."""
    triage = screen(history.intake)
    program = plan(history.intake, triage, LIB, start=history.start)
    if program is None:
        return
    run = CourseState(history, LIB, triage, program)
    day = history.start
    while day < history.today:
        run.run_through(day)
        for back in range(3):
            on = day - dt.timedelta(days=back)
            if on >= history.start:
                assert run.escalation_on(on) == _fresh(run, on), (day, on)
        assert _grown_parts_of(run) == grown_parts(run), day
        day += dt.timedelta(days=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_days=40), st.data())
def test_a_clone_keeps_the_memo_only_while_its_records_are_the_same(
    history: History, data: st.DataObject
) -> None:
    """A clone shares the grown records' situation parts with the state it was cloned from until its
    own replay adds to them; its escalations equal those of a situation built afresh."""
    triage = screen(history.intake)
    program = plan(history.intake, triage, LIB, start=history.start)
    if program is None:
        return
    run = CourseState(history, LIB, triage, program)
    days = (history.today - history.start).days
    day = history.start + dt.timedelta(days=data.draw(st.integers(0, days - 1), label="day"))
    run.run_through(day)
    run.escalation_on(day)  # leaves the memo on the state
    copy = run.clone()
    copy.resume(run.h, LIB)
    copy.run()
    for back in range(3):
        on = history.today - dt.timedelta(days=back)
        if on >= history.start:
            assert copy.escalation_on(on) == _fresh(copy, on), on
    assert _grown_parts_of(copy) == grown_parts(copy)
    assert _grown_parts_of(run) == grown_parts(run)  # the state cloned is unchanged


@given(st.lists(st.integers(0, 10), min_size=1, max_size=7))
def test_the_mean_of_daily_pain_is_statistics_mean(values: list[int]) -> None:
    """The whole-number mean gives the value and the type `statistics.mean` gives (an int when whole,
    else the correctly rounded float), so every measure and sentence made from it is the same."""
    got, want = _mean(values), statistics.mean(values)
    assert got == want and type(got) is type(want)
    floats = [v + 0.5 for v in values]
    assert _mean(floats) == statistics.mean(floats)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_days=40))
def test_measures_with_the_base_given_are_the_measures(history: History) -> None:
    run = _run(history)
    if run is None:
        return
    s = situation(run.h, run.triage, run)
    base = pain_base(s.pain, s.start, s.intake.pain_now)
    for back in range(15):
        on = history.today - dt.timedelta(days=back)
        kwargs = {
            "start": s.start,
            "on": on,
            "pain_now": s.intake.pain_now,
            "p5_dates": s.p5_dates,
            "prescribed": s.prescribed,
            "done": s.done,
            "baseline": s.baselines.get(on),
            "rising_weeks": s.rising_weeks,
        }
        assert measures(s.pain, known_base=base, **kwargs) == measures(s.pain, **kwargs)


def _sustained_mcid_by_measures(s: Situation) -> bool:
    """E11 as it was written over every day's whole §5.2 measures."""
    days = [s.today - dt.timedelta(days=i) for i in range(15)]
    if days[-1] < s.start:
        return False
    judged = [s.measures_on(d) for d in days]
    if judged[0].pain7 is None or judged[-1].pain7 is None:
        return False
    return all(m.improved_mcid for m in judged if m.pain7 is not None)


@st.composite
def improving(draw: st.DrawFn) -> History:
    """A course whose daily pain is mostly low after the start, now and then missing or high, so
    E11 (clearly better for 2 weeks) fires on some days and not on others."""
    history = draw(histories(max_days=40))
    low = st.sampled_from([0, 1, 1, 2, 2, 3, 6, None])
    checkins = tuple(c.model_copy(update={"avg_pain": draw(low)}) for c in history.checkins)
    return history.model_copy(update={"checkins": checkins})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(histories(max_days=40), improving()))
def test_e11_from_pain7_alone_is_e11_from_the_measures(history: History) -> None:
    run = _run(history)
    if run is None:
        return
    for back in range(20):
        on = history.today - dt.timedelta(days=back)
        if on < history.start:
            break
        s = situation(run.h.model_copy(update={"today": on}), run.triage, run)
        assert _sustained_mcid(s) == _sustained_mcid_by_measures(Situation(**dict(s))), on
