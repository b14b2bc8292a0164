"""The pain-monitoring decision table (RULES §2.3 with D-1, C-2, C-5…C-9, C-13), one exercise at a time.

Each row is one morning check-in for the Bridge (2 sets of 10, hold 2 s unless the row says otherwise):
yesterday's pain during the exercise, the person's pain limit, this morning's pain against baseline,
how the last sessions went → the action and the rule ids it must cite. `docs/clinical-rules.md` is
rendered from these rows (tests/spec/render_rules_doc.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kneehab.domain.baseline import Baseline
from kneehab.domain.exercise import Code
from kneehab.domain.program import ItemStatus, ProgramItem
from kneehab.domain.progression import Action, Morning, Performance, Track, decide, stop_now
from kneehab.domain.types import Block, Category, Dose
from kneehab.library.load import default_library

TODAY = dt.date(2025, 3, 20)
START_DOSE = Dose(sets=2, reps=10, hold_s=2)


@dataclass(frozen=True)
class Row:
    scenario: str
    expect: str  # progress | hold | regress | pause | stop
    rules: tuple[str, ...]  # rule ids the decision must cite
    pain: int = 1  # yesterday's pain during the exercise (0–10)
    ceiling: int = 3  # the person's pain limit that day (D-1: 3, clinician 4–5, acute 2)
    morning: int = 2
    baseline: int = 2
    tol: int = 0  # C-5 tolerance (a clinician may set 1)
    easy: bool = True  # both sessions rated easy / RIR ≥ 2
    complete: bool = True  # every prescribed set done
    sessions_at_dose: int = 2  # sessions of this exercise since its dose last changed
    days_since_progress: int | None = None
    held: bool = False  # triage `soon` and not yet reviewed (D-2)
    sharp: bool = False
    rising: bool = False  # weekly morning trend rising (this week vs last)
    rising_2w: bool = False  # rising two weeks running
    regressed_days_ago: int | None = None  # last decision was regress, this many days ago
    regressing_days_ago: int | None = None  # first regress of the current run (default: the last)
    previous_above: bool = False  # yesterday's morning was above baseline too
    status: str = "active"
    dose: dict[str, Any] = field(default_factory=dict)  # changes to the starting dose
    undo: dict[str, Any] | None = None  # dose before the last step up (when the dose is its result)
    to: dict[str, Any] | None = None  # expected new dose keys
    flags: tuple[str, ...] = ()

    def inputs(self) -> str:
        """The row's inputs in words, for the clinician page."""
        dose = START_DOSE.with_(**self.dose).describe()
        parts = [f"dose {dose}", f"pain {self.pain}/10, limit {self.ceiling}/10"]
        parts.append(f"morning {self.morning} vs baseline {self.baseline} (tol {self.tol})")
        if self.sharp:
            parts.append("sharp/catching pain")
        if self.sessions_at_dose != 2:
            parts.append(f"{self.sessions_at_dose} session(s) at this dose")
        if not self.easy:
            parts.append("not easy")
        if not self.complete:
            parts.append("sets not all done")
        if self.days_since_progress is not None:
            parts.append(f"last step up {self.days_since_progress} days ago")
        if self.held:
            parts.append("triage 'soon', not reviewed")
        if self.rising:
            parts.append("weekly morning trend rising")
        if self.rising_2w:
            parts.append("rising 2 weeks running")
        if self.regressed_days_ago is not None:
            parts.append(f"regressed {self.regressed_days_ago} days ago")
        if self.regressing_days_ago is not None:
            parts.append(f"first regressed {self.regressing_days_ago} days ago")
        if self.previous_above:
            parts.append("yesterday's morning also above baseline")
        if self.status != "active":
            parts.append(f"exercise is {self.status}, logged anyway")
        return "; ".join(parts)


TABLE: list[Row] = [
    Row("all good twice: one rung up (reps first)", "progress", ("P2", "C-8"), to={"reps": 12}),
    Row("pain exactly at the default limit 3", "progress", ("P2",), pain=3, to={"reps": 12}),
    Row("pain 4 with the default limit 3", "regress", ("P4", "D-1", "C-2"), pain=4, to={"reps": 8}),
    Row("pain 4 with a clinician's limit 4", "progress", ("P2",), pain=4, ceiling=4),
    Row("pain 5 with a clinician's limit 4", "regress", ("P4",), pain=5, ceiling=4),
    Row("acute profile: pain 2 with limit 2", "progress", ("P2",), pain=2, ceiling=2),
    Row("acute profile: pain 3 with limit 2", "regress", ("P4", "C-2"), pain=3, ceiling=2),
    Row("pain 7 is still P4 (regress)", "regress", ("P4",), pain=7),
    Row("pain 8: stop the exercise (P1)", "stop", ("P1", "C-9"), pain=8),
    Row("sharp or catching pain: stop (P1)", "stop", ("P1",), pain=2, sharp=True),
    Row("morning 3 vs baseline 2, tolerance 0", "regress", ("P4", "C-5"), morning=3),
    Row("morning 3 vs baseline 2, tolerance 1", "progress", ("P2",), morning=3, tol=1),
    Row("morning 4 vs baseline 2, tolerance 1", "regress", ("P4", "C-5"), morning=4, tol=1),
    Row("only one session at this dose", "hold", ("P3",), sessions_at_dose=1),
    Row("sessions not rated easy", "hold", ("P3",), easy=False),
    Row("not every set done", "hold", ("P3",), complete=False),
    Row("weekly morning trend rising", "hold", ("P3",), rising=True),
    Row("last step up 6 days ago (C-7)", "hold", ("P2", "C-7"), days_since_progress=6),
    Row("last step up 7 days ago (C-7)", "progress", ("P2",), days_since_progress=7),
    Row("triage 'soon', not reviewed (D-2)", "hold", ("P2", "D-2", "C-10"), held=True),
    Row(
        "ladder: 2×15 → add a set",
        "progress",
        ("P2", "C-8"),
        dose={"reps": 15},
        to={"sets": 3},
    ),
    Row(
        "ladder: 3×15 hold 5 → ball-squeeze variant, reps reset (C-8)",
        "progress",
        ("P2", "C-8"),
        dose={"sets": 3, "reps": 15, "hold_s": 5},
        to={"variant": "bridge-ball-squeeze", "reps": 10},
    ),
    Row(
        "top of the ladder: hold",
        "hold",
        ("P2", "D-4"),
        dose={"sets": 3, "reps": 15, "hold_s": 5, "variant": "bridge-ball-squeeze"},
    ),
    Row(
        "regress undoes the most recent step",
        "regress",
        ("P4", "C-8"),
        pain=5,
        dose={"reps": 12},
        undo={"reps": 10},
        to={"reps": 10},
    ),
    Row(
        "regress with no step to undo: first key above its start",
        "regress",
        ("P4", "C-8"),
        pain=5,
        dose={"sets": 3},
        to={"sets": 2},
    ),
    Row("at the starting dose: reps −2 (C-8)", "regress", ("P4", "C-8"), pain=5, to={"reps": 8}),
    Row(
        "reps at 5: a set fewer (C-8)",
        "regress",
        ("P4", "C-8"),
        pain=5,
        dose={"reps": 5},
        to={"sets": 1},
    ),
    Row(
        "nothing left to lower: pause (C-8)",
        "pause",
        ("P4", "C-8"),
        pain=5,
        dose={"reps": 5, "sets": 1},
    ),
    Row(
        "above baseline 2 mornings in a row after a regress (P5)",
        "pause",
        ("P5",),
        morning=3,
        previous_above=True,
        regressed_days_ago=2,
    ),
    Row(
        "above baseline today only, after a regress",
        "regress",
        ("P4",),
        morning=3,
        regressed_days_ago=2,
    ),
    Row(
        "2nd above-baseline morning is the day of the regress itself",
        "regress",
        ("P4",),
        morning=3,
        previous_above=True,
        regressed_days_ago=1,
    ),
    Row(
        "above baseline 2 mornings in a row after a regress, regressed again yesterday (P5)",
        "pause",
        ("P5",),
        morning=3,
        previous_above=True,
        regressed_days_ago=1,
        regressing_days_ago=2,
    ),
    Row(
        "morning pain/stiffness rising 2 weeks running, not pain-free (P5)",
        "pause",
        ("P5",),
        rising=True,
        rising_2w=True,
    ),
    Row(
        "paused exercise logged anyway: recorded and flagged (C-13)",
        "pause",
        ("C-13",),
        status="paused",
        flags=("logged_while_paused",),
    ),
]


def _item(row: Row) -> ProgramItem:
    return ProgramItem(
        exercise_id="bridge",
        name="Bridge",
        category=Category.STRENGTH,
        block=Block.STRENGTH,
        dose=START_DOSE.with_(**row.dose),
        per_side=False,
        days=("mon", "wed", "fri"),
        code=Code.EMPHASISE,
        why="test",
        rules=(),
        status=ItemStatus(row.status),
    )


def _perf(row: Row, days_ago: int) -> Performance:
    return Performance(
        date=TODAY - dt.timedelta(days=days_ago),
        pain_during_max=row.pain if days_ago == 1 else 1,
        ceiling=row.ceiling,
        sharp=row.sharp and days_ago == 1,
        completed=row.complete,
        easy=row.easy,
        skipped=False,
    )


def run_row(row: Row) -> Any:
    item = _item(row)
    perfs = [_perf(row, 1 + 2 * i) for i in reversed(range(row.sessions_at_dose))]
    if row.expect == "stop":
        return stop_now(item, perfs[-1])
    dose_since = perfs[0].date if row.sessions_at_dose else TODAY
    steps: tuple[tuple[Dose, Dose], ...] = ()
    if row.undo is not None:
        steps = ((item.dose.with_(**row.undo), item.dose),)
    last_action = Action.REGRESS if row.regressed_days_ago is not None else None
    track = Track(
        exercise_id="bridge",
        start_dose=START_DOSE,
        dose_since=dose_since,
        last_progress=(
            TODAY - dt.timedelta(days=row.days_since_progress)
            if row.days_since_progress is not None
            else None
        ),
        last_action=last_action,
        last_action_date=(
            TODAY - dt.timedelta(days=row.regressed_days_ago)
            if row.regressed_days_ago is not None
            else None
        ),
        regressing_since=(
            TODAY - dt.timedelta(days=row.regressing_days_ago or row.regressed_days_ago)
            if row.regressed_days_ago is not None
            else None
        ),
        steps_up=steps,
    )
    base = Baseline(value=row.baseline, source=f"{row.baseline}/10")
    morning = Morning(
        date=TODAY,
        pain=row.morning,
        baseline=base,
        above=row.morning > row.baseline + row.tol,
        previous_above=row.previous_above,
        weekly_rising=row.rising,
        rising_two_weeks=row.rising_2w,
    )
    return decide(item, track, morning, perfs[-1], perfs, held=row.held, library=default_library())


@pytest.mark.parametrize("row", TABLE, ids=[r.scenario for r in TABLE])
def test_decision_table(row: Row) -> None:
    decision = run_row(row)
    assert decision is not None
    assert decision.action.value == row.expect, decision.reason
    assert set(row.rules) <= set(decision.rules), decision.rules
    assert decision.reason and decision.reason[0].isupper()
    assert decision.exercise_id == "bridge"
    assert decision.flags == row.flags
    if row.to is not None:
        for key, value in row.to.items():
            assert decision.to_dose.get(key) == value, (key, decision.to_dose)
    if decision.action in (Action.HOLD, Action.PAUSE, Action.STOP):
        assert decision.to_dose == decision.from_dose


def test_no_decision_without_an_entry_yesterday_unless_regressed() -> None:
    """C-6: only exercises done the day before are judged; P5 is checked for regressed ones."""
    row = Row("rest day", "hold", ())
    item = _item(row)
    track = Track(exercise_id="bridge", start_dose=START_DOSE, dose_since=TODAY)
    morning = Morning(
        date=TODAY,
        pain=5,
        baseline=Baseline(value=2, source="2"),
        above=True,
        previous_above=True,
        weekly_rising=False,
        rising_two_weeks=False,
    )
    lib = default_library()
    assert decide(item, track, morning, None, [], held=False, library=lib) is None
    regressed = track.model_copy(
        update={"last_action": Action.REGRESS, "last_action_date": TODAY - dt.timedelta(days=3)}
    )
    decision = decide(item, regressed, morning, None, [], held=False, library=lib)
    assert decision is not None and decision.action == Action.PAUSE and "P5" in decision.rules
