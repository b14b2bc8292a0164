"""Worked examples EX-09…EX-13 and EX-17…EX-20 of EXAMPLES.md (rule book v2): a sore morning is traced
to what provoked it (P8), the 72-hour flare hold (P9), pauses that end by themselves (P5, P10), the P1
stop that comes back one step lower (C-9) and aerobic work that steps down but never pauses (P12, E13).

Dates are m/d in 2025; day 0 is Monday 3 March. Each test names the example's rows it checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import decisions_on, done_in_full, intake, md, short, simulate

from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.progression import Action

STRENGTH = {
    "seated-straight-leg-raise",
    "bridge",
    "side-lying-leg-raise",
    "step-up",
    "double-knee-to-chest",
}
PFP_28 = intake(
    age=28,
    condition="patellofemoral_pain",
    onset="gradual",
    weeks_since_onset=20,
    pain_now=2,
    equipment=["strap", "mat", "step"],
)
OA_58 = intake(
    age=58,
    condition="medial_knee_oa",
    onset="gradual",
    weeks_since_onset=52,
    pain_now=3,
    access=["stationary_bike"],
)


def mornings(values: dict[str, int], usual: int) -> Any:
    by_date = {md(k): v for k, v in values.items()}
    return lambda day: by_date.get(day, usual)


def actions(course: Any, when: str) -> dict[str, tuple[str, str, str, tuple[str, ...]]]:
    return {
        x: (d.action.value, short(d.from_dose), short(d.to_dose), d.rules)
        for x, d in decisions_on(course, when).items()
    }


# -- EX-09: only the exercise that hurt regresses; the rest hold -----------------------------------


def _ex09_entry(item: Any, day: dt.date) -> dict[str, Any]:
    if day == md("3/7"):
        return done_in_full(item, pain=5 if item.exercise_id == "step-up" else 1, effort="hard")
    return done_in_full(item, effort="easy" if item.exercise_id == "step-up" else "hard")


@pytest.fixture(scope="module")
def ex09() -> Any:
    return simulate(
        PFP_28, until="3/11", morning=mornings({"3/8": 4}, 2), stiffness=3, entry=_ex09_entry
    )


def test_ex09_attribution_to_the_exercise_that_hurt(ex09: Any) -> None:
    up = decisions_on(ex09, "3/6")["step-up"]
    assert (up.action, short(up.to_dose)) == (Action.PROGRESS, "3×10 @10")
    on8 = actions(ex09, "3/8")
    assert on8["step-up"][:3] == ("regress", "3×10 @10", "2×10 @10")
    assert {"P4", "P8", "D-1", "C-8"} <= set(on8["step-up"][3])
    for other in ("inner-thigh-stretch", *(STRENGTH - {"step-up"})):
        assert on8[other][0] == "hold" and "P9" in on8[other][3], other
    held = decisions_on(ex09, "3/8")["bridge"]
    assert "Tuesday 11 March" in held.reason  # nothing steps up until 3/11
    assert ex09.escalation.level == EscalationLevel.NONE


def test_ex09_flare_hold_is_three_checkins(ex09: Any) -> None:
    for when in ("3/8", "3/9", "3/10"):
        assert all(d.action != Action.PROGRESS for d in decisions_on(ex09, when).values()), when


# -- EX-10: the most recent increase, one per rise morning -----------------------------------------


def _ex10_entry(item: Any, day: dt.date) -> dict[str, Any]:
    easy = (item.exercise_id == "seated-straight-leg-raise" and day in (md("3/3"), md("3/5"))) or (
        item.exercise_id == "bridge" and day in (md("3/5"), md("3/7"))
    )
    return done_in_full(item, effort="easy" if easy else "hard")


@pytest.fixture(scope="module")
def ex10() -> Any:
    return simulate(
        OA_58, until="3/13", morning=mornings({"3/11": 5, "3/12": 5}, 3), entry=_ex10_entry
    )


EX10 = [
    # check-in, the one exercise regressed (from → to), the held ones carry P9
    ("3/11", ("bridge", "2×12", "2×10")),
    ("3/12", ("seated-straight-leg-raise", "2×12", "2×10")),
    ("3/13", None),
]


@pytest.mark.parametrize(("checkin", "regressed"), EX10, ids=[r[0] for r in EX10])
def test_ex10_latest_increase_one_per_rise_morning(
    ex10: Any, checkin: str, regressed: tuple[str, str, str] | None
) -> None:
    today = actions(ex10, checkin)
    down = {x: a for x, a in today.items() if a[0] == "regress"}
    if regressed is None:
        assert down == {}
    else:
        x, before, after = regressed
        assert set(down) == {x}
        assert down[x][1:3] == (before, after)
        assert {"P4", "P8"} <= set(down[x][3])
    assert all("P9" in a[3] for x, a in today.items() if a[0] == "hold")
    assert not [a for a in today.values() if a[0] in ("pause", "progress")]


# -- EX-11: untraced rise, then a second rise cuts the session's strength work ----------------------


@pytest.fixture(scope="module")
def ex11() -> Any:
    return simulate(
        OA_58,
        until="3/25",
        morning=mornings({"3/21": 5, "3/22": 5}, 3),
        entry=lambda item, day: done_in_full(item, effort="hard"),
    )


def test_ex11_untraced_rise_regresses_nothing(ex11: Any) -> None:
    on21 = decisions_on(ex11, "3/21")
    assert set(on21) == {"inner-thigh-stretch", "walking"}  # performed 3/20
    for d in on21.values():
        assert d.action == Action.HOLD and "P9" in d.rules
        assert "Nothing in your last session stands out" in d.reason
        assert "Monday 24 March" in d.reason


def test_ex11_second_rise_regresses_the_strength_block(ex11: Any) -> None:
    on22 = actions(ex11, "3/22")
    assert {x for x, a in on22.items() if a[0] == "regress"} == STRENGTH
    assert all({"P4", "P8"} <= set(a[3]) for x, a in on22.items() if x in STRENGTH)
    assert on22["inner-thigh-stretch"][0] == "hold" and "P9" in on22["inner-thigh-stretch"][3]
    for when in ("3/22", "3/23", "3/24"):
        assert all(d.action != Action.PROGRESS for d in decisions_on(ex11, when).values())


# -- EX-12: a big rise brings down the latest increase and the session's strength work -------------


@pytest.fixture(scope="module")
def ex12() -> Any:
    person = intake(
        age=60, condition="medial_knee_oa", onset="gradual", weeks_since_onset=26, pain_now=6
    )

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        return done_in_full(
            item, effort="easy" if item.exercise_id == "stationary-cardio" else "hard"
        )

    return simulate(
        person,
        until="3/24",
        morning=mornings({"3/19": 5, "3/20": 5, "3/21": 5}, 2),
        stiffness=2,
        entry=entry,
    )


def test_ex12_big_rise(ex12: Any) -> None:
    cardio_up = [
        d
        for d in ex12.decisions
        if d.exercise_id == "stationary-cardio" and d.action == Action.PROGRESS
    ]
    assert cardio_up[-1].date == md("3/16")
    on19 = actions(ex12, "3/19")
    assert on19["stationary-cardio"][0] == "regress"
    assert on19["stationary-cardio"][2] == short(cardio_up[-1].from_dose)  # the 3/16 step undone
    assert {x for x, a in on19.items() if a[0] == "regress"} == STRENGTH | {"stationary-cardio"}
    assert on19["inner-thigh-stretch"][0] == "hold" and "P9" in on19["inner-thigh-stretch"][3]
    on20 = actions(ex12, "3/20")
    assert {x for x, a in on20.items() if a[0] == "regress"} == STRENGTH  # the 3/19 performances
    on21 = actions(ex12, "3/21")
    assert set(on21) == {"inner-thigh-stretch", "walking"}
    assert all(a[0] == "hold" and "P9" in a[3] for a in on21.values())
    on22 = actions(ex12, "3/22")
    assert all(a[0] == "hold" and "P9" in a[3] for a in on22.values())


def test_ex12_rising_week_then_no_escalation(ex12: Any) -> None:
    assert ex12.progression_held  # the week of 3/17 (mean 3.29 vs 2.00) is rising
    on24 = decisions_on(ex12, "3/24")
    assert on24 and all(d.action == Action.HOLD and "C-5" in d.rules for d in on24.values())
    assert ex12.escalation.level == EscalationLevel.NONE


# -- EX-13: flare-hold dates -----------------------------------------------------------------------


def test_ex13_flare_hold_dates() -> None:
    """A rise on 3/8 holds 3/8–3/10; `swelling` on 3/10 restarts it to 3/12; a P1 stop in the
    3/14 session holds 3/15–3/16 (the 3/14 check-in came before the session)."""

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        hurt = 8 if item.exercise_id == "bridge" and day == md("3/14") else 1
        return done_in_full(item, pain=hurt, effort="easy")

    course = simulate(
        PFP_28,
        until="3/17",
        morning=mornings({"3/8": 4}, 2),
        words={"3/10": ["swelling"]},
        entry=entry,
    )
    ups = sorted({d.date for d in course.decisions if d.action in (Action.PROGRESS, Action.RESUME)})
    blocked = [md(x) for x in ("3/8", "3/9", "3/10", "3/11", "3/12", "3/15", "3/16")]
    assert not set(ups) & set(blocked)
    assert md("3/13") in ups and md("3/17") in ups


# -- EX-17 / EX-18: pause after the regressed dose keeps provoking; automatic resume ---------------


def _ex17_entry(item: Any, day: dt.date) -> dict[str, Any]:
    if day == md("3/7"):
        return done_in_full(item, pain=5 if item.exercise_id == "step-up" else 1, effort="hard")
    if item.exercise_id == "step-up" and day in (md("3/10"), md("3/12")):
        return done_in_full(item, pain=3, effort="hard")
    early_step = item.exercise_id == "step-up" and day < md("3/7")
    return done_in_full(item, effort="easy" if early_step else "hard")


@pytest.fixture(scope="module")
def ex17() -> Any:
    return simulate(
        PFP_28,
        until="3/16",
        morning=mornings({"3/8": 4, "3/11": 4, "3/13": 4}, 2),
        entry=_ex17_entry,
    )


EX17 = [
    # check-in, step-up's action (or None = no decision), rules it must carry
    ("3/11", "hold", {"P9"}),
    ("3/13", "pause", {"P5"}),
    ("3/14", None, set()),
    ("3/15", None, set()),
    ("3/16", "resume", {"P10", "P11"}),
]


@pytest.mark.parametrize(("checkin", "action", "rules"), EX17, ids=[r[0] for r in EX17])
def test_ex17_ex18_pause_and_automatic_resume(
    ex17: Any, checkin: str, action: str | None, rules: set[str]
) -> None:
    step = decisions_on(ex17, checkin).get("step-up")
    if action is None:
        assert step is None
        return
    assert step is not None and step.action.value == action
    assert rules <= set(step.rules)
    assert short(step.to_dose) == "2×10 @10"


def test_ex17_pause_reason_says_how_it_ends(ex17: Any) -> None:
    reason = decisions_on(ex17, "3/13")["step-up"].reason
    assert "paused" in reason and "restarts by itself" in reason
    assert "2 sets of 10" in reason and "10 cm step" in reason
    assert "Sunday 16 March" in reason  # earliest 3/16
    resumed = decisions_on(ex17, "3/16")["step-up"]
    assert "3 mornings in a row" in resumed.reason
    assert [
        v.kind for v in ex17.versions if v.date == md("3/16") and v.exercise_id == "step-up"
    ] == ["resume"]


def test_ex18_second_pause_within_28_days_waits_for_a_clinician() -> None:
    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        if item.exercise_id == "step-up" and day in (md("3/17"), md("3/19"), md("3/21")):
            return done_in_full(item, pain=3, effort="hard")
        return _ex17_entry(item, day)

    course = simulate(
        PFP_28,
        until="4/2",
        morning=mornings({"3/8": 4, "3/11": 4, "3/13": 4, "3/18": 4, "3/20": 4, "3/22": 4}, 2),
        entry=entry,
    )
    pauses = [
        d for d in course.decisions if d.exercise_id == "step-up" and d.action == Action.PAUSE
    ]
    assert len(pauses) == 2 and pauses[1].date <= md("4/13")
    assert "until your physio has reviewed it" in pauses[1].reason
    assert course.program.item("step-up").status.value == "paused"
    assert not [
        d
        for d in course.decisions
        if d.exercise_id == "step-up" and d.action == Action.RESUME and d.date > pauses[1].date
    ]
    assert course.escalation.level == EscalationLevel.SOON and "E12" in course.escalation.rules


# -- EX-19: P1 stop → pause one step lower → resume ------------------------------------------------


def _ex19_entry(item: Any, day: dt.date) -> dict[str, Any]:
    if item.exercise_id == "bridge":
        return done_in_full(
            item, pain=8 if day == md("3/10") else 1, effort="easy" if day < md("3/8") else "hard"
        )
    return done_in_full(item, effort="hard")


def test_ex19_stop_pause_resume() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )
    clear = [{"date": "2025-03-11", "red_flags": []}]
    course = simulate(person, until="3/13", morning=2, entry=_ex19_entry, rescreens=clear)
    rows = {w: decisions_on(course, w).get("bridge") for w in ("3/10", "3/11", "3/12", "3/13")}
    assert rows["3/10"] is not None and rows["3/10"].action == Action.STOP
    assert {"P1", "C-9"} <= set(rows["3/10"].rules)
    assert rows["3/11"] is not None and rows["3/11"].action == Action.PAUSE
    assert short(rows["3/11"].to_dose) == "2×10"  # one step below 2×12
    assert rows["3/12"] is None
    assert rows["3/13"] is not None and rows["3/13"].action == Action.RESUME
    assert "P10" in rows["3/13"].rules and short(rows["3/13"].to_dose) == "2×10"
    assert course.escalation.level == EscalationLevel.NONE
    day_of_stop = simulate(person, until="3/10", morning=2, entry=_ex19_entry, last_session=True)
    assert day_of_stop.escalation.level == EscalationLevel.MESSAGE
    assert "P1" in day_of_stop.escalation.rules


def test_ex19_variant_locking_in_the_full_set_locks() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )
    course = simulate(
        person,
        until="3/13",
        morning=2,
        entry=_ex19_entry,
        rescreens=[{"date": "2025-03-11", "red_flags": ["RF07"]}],
    )
    on11 = decisions_on(course, "3/11")
    assert on11 and all(
        d.action == Action.STOP and {"E1", "RF07"} <= set(d.rules) for d in on11.values()
    )
    assert course.locked_by is not None
    assert not [d for d in course.decisions if d.action == Action.RESUME]
    assert course.escalation.level == EscalationLevel.URGENT


# -- EX-20: aerobic items step down, never pause; then escalate -------------------------------------


def _walk(pain_from: str, stop_on: str | None = None) -> Any:
    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        if item.exercise_id == "walking":
            pain = 8 if stop_on and day == md(stop_on) else 5 if day >= md(pain_from) else 1
            return done_in_full(item, pain=pain, effort="hard")
        return done_in_full(item, effort="hard")

    return entry


WALKER = intake(
    age=58, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=2
)


def test_ex20_walking_steps_down_to_5_and_holds_there() -> None:
    course = simulate(WALKER, until="3/24", morning=2, entry=_walk("3/13"))
    walks = [d for d in course.decisions if d.exercise_id == "walking" and d.action != Action.HOLD]
    assert [short(d.to_dose) for d in walks] == ["8 min", "6 min", "5 min"]
    hold = decisions_on(course, "3/24")["walking"]
    assert hold.action == Action.HOLD and {"P12", "P4"} <= set(hold.rules)
    assert "walk 5 minutes at a time on flat ground" in hold.reason
    assert not [
        d for d in course.decisions if d.exercise_id == "walking" and d.action == Action.PAUSE
    ]
    assert course.escalation.level == EscalationLevel.NONE


def test_ex20_second_floor_hold_within_14_days_is_e13() -> None:
    course = simulate(WALKER, until="3/28", morning=2, entry=_walk("3/13"))
    assert decisions_on(course, "3/28")["walking"].action == Action.HOLD
    assert course.escalation.level == EscalationLevel.SOON and "E13" in course.escalation.rules


def test_ex20_a_stopped_walk_escalates_then_continues_at_5_minutes() -> None:
    stopped = simulate(
        WALKER, until="3/27", morning=2, entry=_walk("3/30", "3/27"), last_session=True
    )
    walk = decisions_on(stopped, "3/27")["walking"]
    assert walk.action == Action.STOP
    assert stopped.escalation.level == EscalationLevel.SOON
    assert {"E13", "P1"} <= set(stopped.escalation.rules)
    after = simulate(WALKER, until="3/28", morning=2, entry=_walk("3/30", "3/27"))
    back = decisions_on(after, "3/28")["walking"]
    assert back.action == Action.RESUME and {"C-9", "P12"} <= set(back.rules)
    assert short(back.to_dose) == "5 min"
    assert after.escalation.level == EscalationLevel.NONE
