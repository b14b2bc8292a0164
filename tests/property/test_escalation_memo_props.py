"""The measures memo shared by one request's situations changes nothing (issue 11 §2).

A request asks for the escalation of today, yesterday and the day before over one replayed course;
their situations share the history parts and the §5.2 measures (course_state.situation). For random
courses, each of those escalations equals the one from a situation built afresh (validated, no memo),
whichever order the days are asked in.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_progression_props import LIB, histories

from kneehab.domain.course_state import CourseState, situation
from kneehab.domain.escalation import Escalation, Situation, escalate
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
    shared = situation(run.h.model_copy(update={"today": day}), run.triage, run)
    return escalate(Situation(**dict(shared)))  # validated again, with empty memos


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
        day += dt.timedelta(days=1)
