"""The pain-monitoring decision table (RULES §2.3 v2 with D-1, C-2, C-5…C-9, C-13, C-16), one exercise
at a time, each row played through the real engine (`replay`).

Every row is a short course for a 45-year-old with medial knee OA: a check-in every morning from day 1
(day 0 = Monday 3 March 2025), the usual morning pain 2 (also the intake's pain now) unless the row
says otherwise, and the Bridge (2 sets of 10, hold 2 s) done on days 14 and 16 (Monday and
Wednesday). The row's decision is the Bridge's at the day-17 check-in (Thursday 20 March), or the
stop dated the day-16 session for P1 rows. A clinician's `set_dose` (D-8) puts the Bridge at a
ladder rung where a row needs one. `docs/clinical-rules.md` is rendered from these rows
(tests/spec/render_rules_doc.py).

v1 rows this table no longer has (v1 → v2):
- "morning above baseline, tolerance 0 / 1 → regress (P4, C-5)": a rise morning regresses only what
  it is traced to (P8); untraced it holds (P9) — rows "morning 4 …" below.
- "above baseline 2 mornings in a row after a regress → pause (P5)" and its two variants: P5 (a)
  needs two performances at the regressed dose each followed by a rise morning — row "P5 …".
- "rising 2 weeks running → pause (P5)": two rising weeks now undo the increases of those weeks
  (P5 b, C-5) — covered by EX-07 (tests/spec/test_examples_load.py::test_ex07_two_rising_weeks).
- "pain 4 with the default limit 3" keeps `regress`, but the limit is now min(7, max(3, usual
  pain)) (D-1): with a usual pain of 4 the same pain is within the limit (new row).
- the paused-and-logged row now pauses through the C-9 path (P1 stop → pause one step lower).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kneehab.domain.course import replay
from kneehab.domain.progression import Action, Decision
from kneehab.domain.records import History
from kneehab.domain.types import Dose
from kneehab.library.load import default_library

START = dt.date(2025, 3, 3)
JUDGED = 17  # Thursday 20 March
START_DOSE = Dose(sets=2, reps=10, hold_s=2)
INTAKE: dict[str, Any] = {
    "age": 45,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 20,
    "red_flags": [],
}


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


@dataclass(frozen=True)
class Row:
    scenario: str
    expect: str  # progress | hold | regress | pause | stop | resume
    rules: tuple[str, ...]  # rule ids the decision must cite
    pain: int = 1  # the Bridge's pain in the day-16 session
    usual: int = 2  # the usual morning pain (every morning before day 17) and the intake's pain now
    morning: int | None = None  # day 17's morning (None = usual)
    mornings: dict[int, int] = field(default_factory=dict)  # other mornings that differ
    tol: int | None = None  # a clinician's tolerance (C-5, D-7); None = the default 1
    ceiling: int | None = None  # a clinician's pain-limit value 2–5 from day 0 (D-8)
    intake: dict[str, Any] = field(default_factory=dict)  # intake changes
    effort: str | None = "easy"
    rir: int | None = None
    sets_done: int = 3  # every prescribed set (the Bridge has at most 3)
    sessions: tuple[int, ...] = (14, 16)  # days the Bridge is done
    pains: dict[int, int] = field(default_factory=dict)  # other sessions' pain (default 1)
    sharp: bool = False
    no_checkin: tuple[int, ...] = ()
    words: dict[int, list[str]] = field(default_factory=dict)
    dose: dict[str, Any] | None = None  # a clinician set_dose …
    dose_day: int = 10  # … on this day
    judged: int = JUDGED
    to: dict[str, Any] | None = None  # expected new dose keys
    flags: tuple[str, ...] = ()

    def inputs(self) -> str:
        """The row's inputs in words, for the clinician page."""
        parts = []
        if self.dose is not None:
            dose = START_DOSE.with_(**self.dose).describe()
            parts.append(f"set by a clinician to {dose} on day {self.dose_day}")
        parts.append(f"pain {self.pain}/10 on day 16")
        if self.intake:
            parts.append(", ".join(f"{k} {v}" for k, v in self.intake.items()))
        if self.ceiling is not None:
            parts.append(f"clinician limit value {self.ceiling}")
        morning = self.usual if self.morning is None else self.morning
        parts.append(f"morning {morning} vs usual {self.usual}")
        if self.tol is not None:
            parts.append(f"tolerance {self.tol}")
        if self.mornings:
            parts.append(", ".join(f"morning {v} on day {k}" for k, v in self.mornings.items()))
        if self.sharp:
            parts.append("sharp/catching pain")
        if self.sessions != (14, 16):
            parts.append("done on day(s) " + ", ".join(str(s) for s in self.sessions))
        if self.pains:
            parts.append(", ".join(f"pain {v} on day {k}" for k, v in self.pains.items()))
        if self.effort != "easy" or self.rir is not None:
            parts.append(f"effort {self.effort or 'not rated'}")
            if self.rir is not None:
                parts.append(f"{self.rir} reps in reserve")
        if self.sets_done < 3:
            parts.append(f"{self.sets_done} set(s) done")
        if self.no_checkin:
            parts.append("no check-in on day " + ", ".join(str(d) for d in self.no_checkin))
        for when, said in self.words.items():
            parts.append(f"'{', '.join(said)}' at the day-{when} check-in")
        return "; ".join(parts)


TABLE: list[Row] = [
    # -- P2 / P3: progress or hold --
    Row("all good twice: one rung up (reps first)", "progress", ("P2", "C-8"), to={"reps": 12}),
    Row("pain exactly at the default limit 3", "progress", ("P2",), pain=3, to={"reps": 12}),
    Row(
        "effort moderate qualifies (C-16)",
        "progress",
        ("P2",),
        effort="moderate",
        to={"reps": 12},
    ),
    Row("2 reps in reserve, no effort word (C-16)", "progress", ("P2",), effort=None, rir=2),
    Row("only one session at this dose", "hold", ("P3",), sessions=(16,)),
    Row("two sessions 5 days apart (P2 gap 4 days)", "hold", ("P3",), sessions=(11, 16)),
    Row("sessions felt hard (C-16)", "hold", ("P3", "C-16"), effort="hard"),
    Row("effort not rated: asks for a rating (C-16)", "hold", ("P3", "C-16"), effort=None),
    Row("1 rep in reserve decides over 'easy' (C-16)", "hold", ("P3", "C-16"), rir=1),
    Row("not every set done", "hold", ("P3",), sets_done=1),
    Row(
        "no check-in the morning after the earlier session (C-6)",
        "hold",
        ("P3", "C-6"),
        no_checkin=(15,),
    ),
    Row(
        "last week's mornings rose (C-5)",
        "hold",
        ("C-5",),
        mornings={n: 3 for n in range(7, 17)},
        morning=3,
    ),
    Row(
        "changed by a clinician 6 days ago (C-7)",
        "hold",
        ("P3", "C-7"),
        dose={"reps": 12},
        dose_day=11,
    ),
    Row(
        "changed by a clinician 7 days ago (C-7)",
        "progress",
        ("P2",),
        dose={"reps": 12},
        to={"reps": 14},
    ),
    Row(
        "triage 'soon', not reviewed (D-2)",
        "hold",
        ("D-2",),
        intake={"red_flags": ["RF12"]},
    ),
    Row(
        "knee gave way 3 days ago (RF08): held until a review",
        "hold",
        ("RF08", "P13"),
        words={14: ["giving_way"]},
    ),
    Row(
        "flare hold: a rise morning 2 days ago (P9)",
        "hold",
        ("P9",),
        mornings={15: 4},
    ),
    # -- D-1 / C-2: the pain limit --
    Row("pain 4 with the default limit 3", "regress", ("P4", "D-1"), pain=4, to={"reps": 8}),
    Row("pain 4 with a usual pain of 4: limit 4 (D-1)", "progress", ("P2",), pain=4, usual=4),
    Row(
        "pain 5 with a usual pain of 6: limit 6 (D-1)",
        "progress",
        ("P2",),
        pain=5,
        usual=6,
    ),
    Row(
        "pain 7 with a usual pain of 9: the limit stops at 7 (D-1)",
        "progress",
        ("P2",),
        pain=7,
        usual=9,
        intake={"pain_now": 6},
    ),
    Row("pain 4 with a clinician's value 4", "progress", ("P2",), pain=4, ceiling=4),
    Row("pain 5 with a clinician's value 4", "regress", ("P4", "D-1"), pain=5, ceiling=4),
    Row(
        "acute profile (MCL II, injured 1 week before): pain 2 with limit 2",
        "progress",
        ("P2",),
        pain=2,
        intake={
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 1,
        },
    ),
    Row(
        "acute profile: pain 3 with limit 2",
        "regress",
        ("P4", "C-2"),
        pain=3,
        intake={
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 1,
        },
    ),
    Row(
        "acute profile with a usual pain of 3: limit 3",
        "progress",
        ("P2",),
        pain=3,
        usual=3,
        intake={
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 1,
        },
    ),
    Row("pain 7 is still P4 (regress)", "regress", ("P4",), pain=7),
    # -- P1: stop --
    Row("pain 8: stop the exercise (P1)", "stop", ("P1", "C-9"), pain=8, judged=16),
    Row("sharp or catching pain: stop (P1)", "stop", ("P1",), pain=2, sharp=True, judged=16),
    # -- C-5 / P8: the next morning --
    Row("morning 3 vs usual 2 (tolerance 1): not a rise", "progress", ("P2",), morning=3),
    Row(
        "morning 4 vs usual 2, nothing traced: hold (P8, P9)",
        "hold",
        ("P9",),
        morning=4,
    ),
    Row(
        "morning 3 vs usual 2, clinician tolerance 0: a rise, nothing traced",
        "hold",
        ("P9",),
        morning=3,
        tol=0,
    ),
    Row(
        "morning 4 after pain above the limit: regress (P8 T1)",
        "regress",
        ("P4", "P8"),
        pain=4,
        morning=4,
        to={"reps": 8},
    ),
    Row(
        "morning 4 after the latest increase: undone (P8 T2)",
        "regress",
        ("P4", "P8", "C-8"),
        morning=4,
        dose={"reps": 12},
        to={"reps": 10},
    ),
    Row(
        "second rise morning in a row: the strength work regresses (P8 T3)",
        "regress",
        ("P4", "P8"),
        morning=4,
        mornings={16: 4},
        to={"reps": 8},
    ),
    Row(
        "big rise (morning 5 vs usual 2): regress (P8)",
        "regress",
        ("P4", "P8"),
        morning=5,
        to={"reps": 8},
    ),
    # -- C-8: the ladder --
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
        ("P3", "D-4"),
        dose={"sets": 3, "reps": 15, "hold_s": 5, "variant": "bridge-ball-squeeze"},
    ),
    Row(
        "regress undoes the most recent step up",
        "regress",
        ("P4", "C-8"),
        pain=5,
        dose={"reps": 12},
        to={"reps": 10},
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
    # -- P5 / P10 / C-9 / C-13: pauses --
    Row(
        "P5: the easier dose provoked a rise morning twice",
        "pause",
        ("P5",),
        sessions=(9, 14, 16),
        pains={9: 5},
        mornings={15: 4},
        morning=4,
    ),
    Row(
        "stopped (pain 8) on day 14, paused one step lower at day 15, 3 good mornings: resume (P10)",
        "resume",
        ("P10",),
        sessions=(14,),
        pains={14: 8},
        to={"reps": 8},
    ),
    Row(
        "paused exercise logged anyway: recorded and flagged (C-13)",
        "pause",
        ("C-13",),
        sessions=(15, 16),
        pains={15: 8},
        flags=("logged_while_paused",),
    ),
]


def history(row: Row) -> History:
    intake = {**INTAKE, "pain_now": row.usual, "pain_worst_week": row.usual, **row.intake}
    checkins = []
    for n in range(1, row.judged + 1):
        if n in row.no_checkin:
            continue
        morning = row.mornings.get(n, row.usual)
        if n == JUDGED and row.morning is not None:
            morning = row.morning
        checkins.append(
            {"date": day(n), "morning_pain": morning, "new_symptoms": row.words.get(n, [])}
        )
    sessions = []
    for n in row.sessions:
        if n > row.judged:
            continue
        entry = {
            "exercise_id": "bridge",
            "sets_done": row.sets_done,
            "pain_during_max": row.pain if n == 16 else row.pains.get(n, 1),
            "effort": row.effort,
            "rir": row.rir,
            "sharp_pain": row.sharp and n == 16,
        }
        sessions.append({"date": day(n), "entries": [entry]})
    data: dict[str, Any] = {
        "intake": intake,
        "start": day(0),
        "today": day(row.judged),
        "checkins": checkins,
        "sessions": sessions,
    }
    if row.tol is not None:
        data["morning_tolerance"] = row.tol
    if row.ceiling is not None:
        data["pain_ceiling"] = row.ceiling
    if row.dose is not None:
        data["clinician"] = [
            {
                "date": day(row.dose_day),
                "action": "set_dose",
                "exercise_id": "bridge",
                "value": START_DOSE.with_(**row.dose).as_dict(),
                "reason": "dose set for the test",
            }
        ]
    return History.model_validate(data)


def run_row(row: Row) -> Decision:
    course = replay(history(row), default_library())
    when = START + dt.timedelta(days=row.judged)
    found = [d for d in course.decisions if d.exercise_id == "bridge" and d.date == when]
    assert len(found) == 1, (
        row.scenario,
        [d for d in course.decisions if d.exercise_id == "bridge"],
    )
    return found[0]


@pytest.mark.parametrize("row", TABLE, ids=[r.scenario for r in TABLE])
def test_decision_table(row: Row) -> None:
    decision = run_row(row)
    assert decision.action.value == row.expect, decision.reason
    assert set(row.rules) <= set(decision.rules), decision.rules
    assert decision.reason and decision.reason[0].isupper()
    assert decision.exercise_id == "bridge"
    assert decision.flags == row.flags
    if row.to is not None:
        for key, value in row.to.items():
            assert decision.to_dose.get(key) == value, (key, decision.to_dose)
    if decision.action in (Action.HOLD, Action.STOP) or row.flags:
        assert decision.to_dose == decision.from_dose


def test_no_decision_without_a_performance_the_day_before() -> None:
    """C-6: only exercises done the day before (or judged late) are judged; a sore morning after a
    rest day decides nothing for the Bridge."""
    row = Row("rest day", "hold", (), sessions=(14,), morning=4)
    course = replay(history(row), default_library())
    when = START + dt.timedelta(days=JUDGED)
    assert not [d for d in course.decisions if d.exercise_id == "bridge" and d.date == when]
