"""Worked examples EX-01…EX-08 and EX-14…EX-16 of EXAMPLES.md (rule book v2): pain ceiling, baseline,
weekly trend, acute profile, one load change per check-in, the P2 gap and the effort that counts.

Each table is the example's own table, row for row, so a physical therapist can check it against
EXAMPLES.md. Dates are m/d in 2025; day 0 is Monday 3 March.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import (
    START,
    decisions_on,
    done_in_full,
    intake,
    load_change_on,
    md,
    short,
    simulate,
)

from kneehab.domain.baseline import baseline_pain, is_big_rise, is_rise
from kneehab.domain.conditions import is_acute, pain_ceiling
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.intake import Intake
from kneehab.domain.progression import Action, qualifies
from kneehab.domain.records import CheckIn, SessionEntry

OA_70 = intake(
    age=70,
    sex="female",
    condition="medial_knee_oa",
    onset="gradual",
    weeks_since_onset=104,
    pain_now=5,
)
MCL2_24 = intake(
    age=24,
    sex="male",
    condition="mcl_sprain",
    mcl_grade=2,
    onset="injury",
    weeks_since_onset=2,
    pain_now=4,
    equipment=["strap", "mat"],
    access=["stationary_bike"],
)


def moderate(pain: int) -> Any:
    return lambda item, day: done_in_full(item, pain=pain, effort="moderate", rir=2)


# -- EX-01: the pain ceiling in both profiles (D-1, C-2, C-5, D-8) ----------------------------------

EX01 = [
    # person, date, mornings before, clinician value, acute, B, ceiling
    (
        "70-year-old with OA, pain_now 5, no check-ins",
        {"condition": "medial_knee_oa", "pain_now": 5, "age": 70},
        "3/3",
        None,
        None,
        False,
        5,
        5,
    ),
    (
        "same, mornings 5 every day",
        {"condition": "medial_knee_oa", "pain_now": 5, "age": 70},
        "3/13",
        5,
        None,
        False,
        5,
        5,
    ),
    (
        "MCL II injured 2 weeks ago, pain_now 4, 2 check-ins",
        {
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 2,
            "pain_now": 4,
        },
        "3/6",
        4,
        None,
        True,
        4,
        4,
    ),
    (
        "MCL II injured 1 week ago, mornings 1",
        {
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 1,
            "pain_now": 3,
        },
        "3/10",
        1,
        None,
        True,
        1,
        2,
    ),
    (
        "patellofemoral pain, gradual, mornings 1",
        {"condition": "patellofemoral_pain", "pain_now": 3},
        "3/10",
        1,
        None,
        False,
        1,
        3,
    ),
    (
        "MCL II 1 week, intake pain_ceiling 5, mornings 3",
        {
            "condition": "mcl_sprain",
            "mcl_grade": 2,
            "onset": "injury",
            "weeks_since_onset": 1,
            "pain_now": 3,
            "pain_ceiling": 5,
        },
        "3/10",
        3,
        5,
        True,
        3,
        5,
    ),
    (
        "OA, clinician ceiling 2, mornings 4",
        {"condition": "medial_knee_oa", "pain_now": 4},
        "3/10",
        4,
        2,
        False,
        4,
        4,
    ),
    (
        "85-year-old with OA, pain_now 7",
        {"condition": "medial_knee_oa", "pain_now": 7, "age": 85},
        "3/3",
        None,
        None,
        False,
        7,
        7,
    ),
    (
        "any adult, 7 check-ins of 9",
        {"condition": "medial_knee_oa", "pain_now": 6},
        "3/20",
        9,
        None,
        False,
        9,
        7,
    ),
]


@pytest.mark.parametrize(
    ("person", "fields", "when", "mornings", "clinician", "acute", "b", "ceiling"),
    EX01,
    ids=[r[0] for r in EX01],
)
def test_ex01_pain_ceiling(
    person: str,
    fields: dict[str, Any],
    when: str,
    mornings: int | None,
    clinician: int | None,
    acute: bool,
    b: int,
    ceiling: int,
) -> None:
    data = {"age": 45, "onset": "gradual", "weeks_since_onset": 20, **fields}
    person_intake = Intake.model_validate(intake(**data))
    day = md(when)
    checkins = [
        CheckIn(date=START + dt.timedelta(days=k), morning_pain=mornings)
        for k in range(1, (day - START).days)
        if mornings is not None
    ]
    base = baseline_pain(person_intake.pain_now, checkins, day)
    assert base.value == b
    assert is_acute(person_intake, start=START, on=day) is acute
    value, rules = pain_ceiling(
        person_intake, start=START, on=day, override=clinician, baseline=base.value
    )
    assert value == ceiling
    assert "D-1" in rules
    if fields.get("pain_ceiling") or clinician:
        assert "D-8" in rules


def test_ex01_row9_usual_pain_of_8_or_more_is_worse() -> None:
    """EX-01 #9: with B ≥ 8 after day 7 the escalation is `soon` with E3; the ceiling stays 7."""
    person = intake(
        age=50, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=6
    )
    course = simulate(person, until="3/20", morning=9)
    assert course.program is not None and course.program.pain_ceiling == 7
    assert course.baseline_pain == 9
    assert course.escalation.level == EscalationLevel.SOON
    assert "E3" in course.escalation.rules


def test_ex01_row8_pain_7_within_pain_8_stops() -> None:
    """EX-01 #8: for the 85-year-old (ceiling 7), 7 is within; 8 stops the exercise (P1)."""
    person = intake(
        age=85,
        sex="female",
        condition="medial_knee_oa",
        onset="gradual",
        weeks_since_onset=520,
        pain_now=7,
        floor_transfer="no",
        falls_or_unsteady="yes",
        equipment=["chair"],
    )

    def pain(item: Any, day: dt.date) -> dict[str, Any]:
        hurt = 8 if item.exercise_id == "bridge" and day == md("3/5") else 7
        return done_in_full(item, pain=hurt)

    course = simulate(person, until="3/6", morning=7, entry=pain)
    actions = {(d.exercise_id, d.date): d.action for d in course.decisions}
    assert actions[("bridge", md("3/5"))] == Action.STOP
    assert not [d for d in course.decisions if d.action == Action.REGRESS]


# -- EX-02: OA with resting pain 5, one load change per check-in ------------------------------------

EX02 = [
    # check-in, load change (exercise, from, to) or None, eligible but held (P11)
    ("3/4", None, set()),
    ("3/5", ("inner-thigh-stretch", "2×30 s", "2×40 s"), set()),
    (
        "3/6",
        ("seated-straight-leg-raise", "1×10", "1×12"),
        {"bridge", "side-lying-leg-raise", "step-up", "double-knee-to-chest"},
    ),
    ("3/7", None, set()),
    (
        "3/8",
        ("bridge", "1×10", "1×12"),
        {"side-lying-leg-raise", "step-up", "double-knee-to-chest"},
    ),
    ("3/9", ("stationary-cardio", "10 min", "12 min"), set()),
    ("3/10", ("walking", "10 min", "12 min"), set()),
    ("3/11", ("side-lying-leg-raise", "1×10", "1×12"), {"step-up", "double-knee-to-chest"}),
    ("3/12", ("inner-thigh-stretch", "2×40 s", "2×50 s"), set()),
    (
        "3/13",
        ("step-up", "1×10 @10", "2×10 @10"),
        {"double-knee-to-chest", "seated-straight-leg-raise"},
    ),
]


@pytest.fixture(scope="module")
def ex02() -> Any:
    return simulate(OA_70, until="3/31", morning=5, stiffness=4, avg_pain=5, entry=moderate(4))


@pytest.mark.parametrize(("checkin", "change", "held"), EX02, ids=[r[0] for r in EX02])
def test_ex02_osteoarthritis_resting_pain_5(
    ex02: Any, checkin: str, change: tuple[str, str, str] | None, held: set[str]
) -> None:
    made = load_change_on(ex02, checkin)
    if change is None:
        assert made is None
    else:
        assert made is not None
        assert (made.exercise_id, short(made.from_dose), short(made.to_dose)) == change
    p11 = {
        x
        for x, d in decisions_on(ex02, checkin).items()
        if d.action == Action.HOLD and "P11" in d.rules
    }
    assert p11 == held


def test_ex02_never_regressed_paused_or_escalated(ex02: Any) -> None:
    """EX-02 last row: no regress, pause or stop on any date, no week rising, escalation none."""
    assert ex02.program.pain_ceiling == 5 and ex02.baseline_pain == 5
    assert not [
        d for d in ex02.decisions if d.action in (Action.REGRESS, Action.PAUSE, Action.STOP)
    ]
    assert ex02.escalation.level == EscalationLevel.NONE
    assert not ex02.progression_held


# -- EX-03: MCL grade II in week 2 with resting pain 4 ----------------------------------------------

EX03 = [
    ("3/5", ("supine-hamstring-stretch", "2×30 s", "2×40 s")),
    ("3/6", ("seated-straight-leg-raise", "2×10", "2×12")),
    ("3/8", ("bridge", "2×10", "2×12")),
    ("3/9", ("stationary-cardio", "10 min", "12 min")),
    ("3/10", ("walking", "10 min", "12 min")),
    ("3/11", ("side-lying-leg-raise", "2×10", "2×12")),
    ("3/12", ("supine-hamstring-stretch", "2×40 s", "2×50 s")),
    ("3/13", ("step-up", "2×10 @10", "3×10 @10")),
    ("3/15", ("double-knee-to-chest", "2×10", "2×12")),
    ("3/16", ("stationary-cardio", "12 min", "14 min")),
    ("3/17", ("walking", "12 min", "14 min")),
]


@pytest.fixture(scope="module")
def ex03() -> Any:
    return simulate(MCL2_24, until="3/17", morning=4, stiffness=3, avg_pain=4, entry=moderate(3))


@pytest.mark.parametrize(("checkin", "change"), EX03, ids=[r[0] for r in EX03])
def test_ex03_mcl_grade_2_week_2(ex03: Any, checkin: str, change: tuple[str, str, str]) -> None:
    made = load_change_on(ex03, checkin)
    assert made is not None
    assert (made.exercise_id, short(made.from_dose), short(made.to_dose)) == change


def test_ex03_no_regression_and_e2_on_day_14(ex03: Any) -> None:
    assert not [d for d in ex03.decisions if d.action == Action.REGRESS]
    assert ex03.program.acute is False and ex03.program.phase == "later"
    assert ex03.program.pain_ceiling == 4
    assert [v.date for v in ex03.versions if v.kind == "phase"] == [md("3/17")]
    assert ex03.escalation.level == EscalationLevel.SOON and "E2" in ex03.escalation.rules


def test_ex03_acute_ceiling_is_the_usual_pain() -> None:
    """EX-03 first row: acute, early, ceiling max(2, 4) = 4 on every date 3/3–3/16."""
    person = Intake.model_validate(MCL2_24)
    for k in range(14):
        day = START + dt.timedelta(days=k)
        assert is_acute(person, start=START, on=day)
        assert pain_ceiling(person, start=START, on=day, baseline=4)[0] == 4


# -- EX-04 / EX-05 / EX-06: the baseline ----------------------------------------------------------


def _checkins(values: dict[str, int]) -> list[CheckIn]:
    return [CheckIn(date=md(k), morning_pain=v) for k, v in values.items()]


EX04 = [
    # check-in, B, ceiling
    ("3/4", 1, 3),
    ("3/5", 1, 3),
    ("3/6", 1, 3),
    ("3/7", 2, 3),
    ("3/8", 2, 3),
    ("3/20", 2, 3),
]


@pytest.mark.parametrize(("checkin", "b", "ceiling"), EX04, ids=[r[0] for r in EX04])
def test_ex04_baseline_follows_daily_use(checkin: str, b: int, ceiling: int) -> None:
    person = Intake.model_validate(
        intake(
            age=65, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=1
        )
    )
    mornings = _checkins({f"3/{d}": 2 for d in range(4, 21)})
    base = baseline_pain(1, mornings, md(checkin))
    assert base.value == b
    assert not is_rise(2, base, 1)  # 2 ≤ B + 1 every day
    assert pain_ceiling(person, start=START, on=md(checkin), baseline=base.value)[0] == ceiling


def test_ex04_no_regression_over_the_course() -> None:
    person = intake(
        age=65, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=1
    )
    course = simulate(person, until="3/24", morning=2, stiffness=3)
    assert not [d for d in course.decisions if d.action in (Action.REGRESS, Action.PAUSE)]


EX05_MORNINGS = {
    **{f"3/{d}": 2 for d in range(4, 19)},
    **{f"3/{d}": 5 for d in (19, 20, 21)},
    **{f"3/{d}": 2 for d in range(22, 26)},
}
EX05 = [
    # check-in, B, ceiling, flag, rise, big rise
    ("3/4", 6, 6, True, False, False),
    ("3/6", 6, 6, True, False, False),
    ("3/7", 2, 3, False, False, False),
    ("3/19", 2, 3, False, True, True),
    ("3/20", 2, 3, False, True, True),
    ("3/21", 2, 3, False, True, True),
    ("3/22", 2, 3, False, False, False),
]


@pytest.mark.parametrize(
    ("checkin", "b", "ceiling", "flag", "rise", "big"), EX05, ids=[r[0] for r in EX05]
)
def test_ex05_baseline_catches_a_flare(
    checkin: str, b: int, ceiling: int, flag: bool, rise: bool, big: bool
) -> None:
    person = Intake.model_validate(
        intake(
            age=60, condition="medial_knee_oa", onset="gradual", weeks_since_onset=26, pain_now=6
        )
    )
    base = baseline_pain(6, _checkins(EX05_MORNINGS), md(checkin))
    assert base.value == b
    value = pain_ceiling(person, start=START, on=md(checkin), baseline=base.value)[0]
    assert value == ceiling
    assert (value > 5) is flag
    morning = EX05_MORNINGS[checkin]
    assert is_rise(morning, base, 1) is rise
    assert is_big_rise(morning, base) is big


EX06 = [
    # check-ins d−14 … d−1 as (days before d, value), pain_now, tol, morning, B, rise, big
    ("1: two check-ins", [(2, 3), (1, 4)], 5, 1, None, 5, None, None),
    ("2: four → 2nd smallest", [(4, 3), (3, 4), (2, 4), (1, 5)], 5, 1, None, 4, None, None),
    ("3: low median", [(4, 2), (3, 2), (2, 5), (1, 5)], 5, 1, None, 2, None, None),
    ("4: three sparse", [(9, 4), (6, 4), (3, 4)], 4, 1, None, 4, None, None),
    (
        "5: the last 7 of 8",
        [(8, 1), (7, 1), (6, 1), (5, 1), (4, 4), (3, 4), (2, 4), (1, 4)],
        0,
        1,
        None,
        4,
        None,
        None,
    ),
    ("6: d−15 is outside", [(15, 1), (2, 3), (1, 3)], 3, 1, None, 3, None, None),
    ("7: morning 4", [(3, 3), (2, 3), (1, 3)], 0, 1, 4, 3, False, False),
    ("8: morning 5", [(3, 3), (2, 3), (1, 3)], 0, 1, 5, 3, True, False),
    ("9: morning 6", [(3, 3), (2, 3), (1, 3)], 0, 1, 6, 3, True, True),
    ("10: tolerance 0", [(3, 3), (2, 3), (1, 3)], 0, 0, 4, 3, True, False),
]


@pytest.mark.parametrize(
    ("row", "before", "pain_now", "tol", "morning", "b", "rise", "big"),
    EX06,
    ids=[r[0] for r in EX06],
)
def test_ex06_baseline_arithmetic(
    row: str,
    before: list[tuple[int, int]],
    pain_now: int,
    tol: int,
    morning: int | None,
    b: int,
    rise: bool | None,
    big: bool | None,
) -> None:
    d = md("3/20")
    checkins = [CheckIn(date=d - dt.timedelta(days=k), morning_pain=v) for k, v in before]
    base = baseline_pain(pain_now, checkins, d)
    assert base.value == b
    if morning is not None:
        assert is_rise(morning, base, tol) is rise
        assert is_big_rise(morning, base) is big


# -- EX-07: weekly trend on calendar weeks; two rising weeks ----------------------------------------


@pytest.fixture(scope="module")
def ex07() -> Any:
    person = intake(
        age=58, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=2
    )

    def morning(day: dt.date) -> int:
        return 2 if day <= md("3/9") else 3 if day <= md("3/16") else 4

    def effort(item: Any, day: dt.date) -> dict[str, Any]:
        easy = (
            item.exercise_id == "seated-straight-leg-raise" and day in (md("3/7"), md("3/10"))
        ) or (item.exercise_id == "inner-thigh-stretch" and day in (md("3/10"), md("3/11")))
        return done_in_full(item, effort="easy" if easy else "hard")

    return simulate(person, until="3/24", morning=morning, stiffness=2, entry=effort)


def test_ex07_two_rising_weeks(ex07: Any) -> None:
    ups = [(d.exercise_id, d.date) for d in ex07.decisions if d.action == Action.PROGRESS]
    assert ups == [("seated-straight-leg-raise", md("3/11")), ("inner-thigh-stretch", md("3/12"))]
    # 3/17: the week of 3/10 is rising → held 3/17–3/23 with C-5.
    held = [
        d for d in ex07.decisions if md("3/17") <= d.date <= md("3/23") and d.action == Action.HOLD
    ]
    assert held and all("C-5" in d.rules for d in held)
    # 3/24: the second rising week → the increases of 3/10–3/23 are undone (P5, C-5), E3 fires.
    on24 = decisions_on(ex07, "3/24")
    assert on24["seated-straight-leg-raise"].action == Action.REGRESS
    assert short(on24["seated-straight-leg-raise"].to_dose) == "2×10"
    assert on24["inner-thigh-stretch"].action == Action.REGRESS
    assert short(on24["inner-thigh-stretch"].to_dose) == "2×30 s"
    assert {"P5", "C-5"} <= set(on24["seated-straight-leg-raise"].rules)
    assert ex07.escalation.level == EscalationLevel.SOON and "E3" in ex07.escalation.rules
    assert ex07.progression_held


# -- EX-08: acute-profile dates ---------------------------------------------------------------------

EX08 = [
    (
        "MCL grade II, injured 2 weeks ago",
        {"condition": "mcl_sprain", "mcl_grade": 2, "onset": "injury", "weeks_since_onset": 2},
        [],
        "3/16",
        "3/17",
    ),
    (
        "MCL of unknown grade, injured 1 week ago",
        {"condition": "mcl_sprain", "onset": "injury", "weeks_since_onset": 1},
        [],
        "3/23",
        "3/24",
    ),
    (
        "medial meniscus, injured 1 week ago",
        {"condition": "medial_meniscus", "onset": "injury", "weeks_since_onset": 1},
        [],
        "4/6",
        "4/7",
    ),
    (
        "unknown, injured 2 weeks ago",
        {"condition": "unknown", "onset": "injury", "weeks_since_onset": 2},
        [],
        "3/9",
        "3/10",
    ),
    (
        "patellofemoral pain; new_injury at 4/2",
        {"condition": "patellofemoral_pain", "onset": "gradual", "weeks_since_onset": 10},
        ["4/2"],
        "4/22",
        "4/23",
    ),
]


@pytest.mark.parametrize(
    ("person", "fields", "injuries", "last_true", "first_false"), EX08, ids=[r[0] for r in EX08]
)
def test_ex08_acute_profile_dates(
    person: str, fields: dict[str, Any], injuries: list[str], last_true: str, first_false: str
) -> None:
    data = Intake.model_validate(intake(age=30, pain_now=2, **fields))
    hurt = [md(d) for d in injuries]
    first = hurt[0] if hurt else START
    assert is_acute(data, start=START, on=first, injuries=hurt)
    assert is_acute(data, start=START, on=md(last_true), injuries=hurt)
    assert not is_acute(data, start=START, on=md(first_false), injuries=hurt)


def test_ex08_new_injury_restarts_the_acute_profile_in_a_course() -> None:
    person = intake(
        age=30, condition="patellofemoral_pain", onset="gradual", weeks_since_onset=10, pain_now=2
    )
    during = simulate(person, until="4/22", morning=2, words={"4/2": ["new_injury"]})
    assert during.program is not None and during.program.acute is True
    assert during.program.pain_ceiling == 2
    after = simulate(person, until="4/23", morning=2, words={"4/2": ["new_injury"]})
    assert after.program is not None and after.program.acute is False


# -- EX-14: one load change per check-in -----------------------------------------------------------

EX14 = [
    ("3/4", None, set()),
    ("3/5", ("supine-hamstring-stretch", "2×30 s", "2×40 s"), set()),
    (
        "3/6",
        ("seated-straight-leg-raise", "2×10", "2×12"),
        {"bridge", "side-lying-leg-raise", "step-up", "double-knee-to-chest"},
    ),
    ("3/7", None, set()),
    (
        "3/8",
        ("bridge", "2×10", "2×12"),
        {"side-lying-leg-raise", "step-up", "double-knee-to-chest"},
    ),
    ("3/9", None, set()),
    ("3/10", None, set()),
    ("3/11", ("side-lying-leg-raise", "2×10", "2×12"), {"step-up", "double-knee-to-chest"}),
    ("3/12", ("stationary-cardio", "10 min", "12 min"), {"supine-hamstring-stretch"}),
    (
        "3/13",
        ("step-up", "2×10 @10", "3×10 @10"),
        {"double-knee-to-chest", "supine-hamstring-stretch", "seated-straight-leg-raise"},
    ),
    ("3/14", ("pool-exercise", "10 min", "12 min"), {"supine-hamstring-stretch"}),
    (
        "3/15",
        ("double-knee-to-chest", "2×10", "2×12"),
        {"supine-hamstring-stretch", "seated-straight-leg-raise", "bridge"},
    ),
]


@pytest.fixture(scope="module")
def ex14() -> Any:
    person = intake(
        age=30,
        condition="mcl_sprain",
        mcl_grade=2,
        onset="injury",
        weeks_since_onset=3,
        pain_now=3,
        equipment=["strap", "mat"],
        access=["stationary_bike", "pool"],
    )
    return simulate(
        person, until="3/15", morning=2, entry=lambda i, d: done_in_full(i, effort="easy", rir=3)
    )


@pytest.mark.parametrize(("checkin", "change", "held"), EX14, ids=[r[0] for r in EX14])
def test_ex14_one_load_change_per_checkin(
    ex14: Any, checkin: str, change: tuple[str, str, str] | None, held: set[str]
) -> None:
    made = load_change_on(ex14, checkin)
    if change is None:
        assert made is None
    else:
        assert made is not None
        assert (made.exercise_id, short(made.from_dose), short(made.to_dose)) == change
    p11 = {
        x
        for x, d in decisions_on(ex14, checkin).items()
        if d.action == Action.HOLD and "P11" in d.rules
    }
    assert p11 == held


def test_ex14_phase_version_on_3_10_is_not_a_load_change(ex14: Any) -> None:
    assert [v.date for v in ex14.versions if v.kind == "phase"] == [md("3/10")]


# -- EX-15: two sessions within 4 days; a performance judged late ----------------------------------


def _ex15(bridge_pain: int = 2) -> Any:
    person = intake(
        age=58, condition="pes_anserine_bursitis", onset="gradual", weeks_since_onset=20, pain_now=4
    )
    sessions = {md("3/3"), md("3/12"), md("3/26")}
    checkins = {md("3/4") + dt.timedelta(days=3 * k) for k in range(9)}

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        pain = bridge_pain if item.exercise_id == "bridge" and day == md("3/26") else 2
        return done_in_full(item, pain=pain)

    return simulate(
        person,
        until="3/28",
        morning=4,
        entry=entry,
        session_days=lambda d: d in sessions,
        checkin_days=lambda d: d in checkins,
    )


def test_ex15_two_sessions_nine_days_apart_hold() -> None:
    course = _ex15()
    on13 = decisions_on(course, "3/13")
    assert on13 and all(d.action == Action.HOLD and "P3" in d.rules for d in on13.values())
    assert all("within 4 days" in d.reason for d in on13.values() if d.exercise_id == "bridge")
    assert not decisions_on(course, "3/28")  # judged late on pain alone: 2 ≤ 4, no decision


def test_ex15_late_performance_above_the_ceiling_regresses() -> None:
    on28 = decisions_on(_ex15(bridge_pain=5), "3/28")
    assert on28["bridge"].action == Action.REGRESS
    assert {"P4", "C-6"} <= set(on28["bridge"].rules)


# -- EX-16: the effort that allows progression (C-16) ----------------------------------------------

EX16 = [
    (2, "moderate", True),
    (3, None, True),
    (None, "easy", True),
    (None, "moderate", True),
    (1, "easy", False),
    (None, "hard", False),
    (None, None, False),
]


@pytest.mark.parametrize(("rir", "effort", "ok"), EX16)
def test_ex16_effort_that_qualifies(rir: int | None, effort: str | None, ok: bool) -> None:
    entry = SessionEntry(
        exercise_id="bridge", sets_done=1, pain_during_max=1, rir=rir, effort=effort
    )  # type: ignore[arg-type]
    assert qualifies(entry) is ok


def test_ex16_unrated_hold_asks_for_a_rating() -> None:
    person = intake(
        age=58, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=3
    )
    course = simulate(
        person, until="3/6", morning=3, entry=lambda i, d: done_in_full(i, effort=None)
    )
    holds = [d for d in course.decisions if d.action == Action.HOLD and "C-16" in d.rules]
    assert holds and all("rate how hard" in d.reason for d in holds)


def test_ex16_moderate_effort_progresses() -> None:
    person = intake(
        age=58,
        condition="medial_knee_oa",
        onset="gradual",
        weeks_since_onset=52,
        pain_now=3,
        equipment=["mat"],
        access=["stationary_bike"],
    )
    course = simulate(
        person, until="3/5", morning=3, entry=lambda i, d: done_in_full(i, effort="moderate")
    )
    made = load_change_on(course, "3/5")
    assert made is not None and made.exercise_id == "inner-thigh-stretch"
    assert short(made.to_dose) == "2×40 s"
