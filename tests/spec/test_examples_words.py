"""Worked examples EX-21…EX-23 of EXAMPLES.md (rule book v2): what a morning check-in's words do —
giving way (RF08, P13), catching, swelling weeks after an injury (C-14, not RF06), and every word of
the check-in table.

Dates are m/d in 2025; day 0 is Monday 3 March.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import decisions_on, done_in_full, intake, md, simulate

from kneehab.domain.checkin_words import CourseSoFar, read
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.progression import Action
from kneehab.domain.types import Level

MENISCUS_32 = intake(
    age=32,
    sex="female",
    condition="medial_meniscus",
    onset="injury",
    weeks_since_onset=1,
    pain_now=2,
    access=["elliptical"],
)
MCL2_30 = intake(
    age=30,
    condition="mcl_sprain",
    mcl_grade=2,
    onset="injury",
    weeks_since_onset=3,
    pain_now=2,
    equipment=["strap", "mat"],
    access=["stationary_bike"],
)


# -- EX-21: giving way at a check-in, then catching --------------------------------------------------


@pytest.fixture(scope="module")
def ex21() -> Any:
    return simulate(MENISCUS_32, until="3/18", morning=2, words={"3/12": ["giving_way"]})


def test_ex21_giving_way_pauses_standing_work_and_holds(ex21: Any) -> None:
    on12 = decisions_on(ex21, "3/12")
    assert on12["step-up"].action == Action.PAUSE
    assert {"P13", "RF08"} <= set(on12["step-up"].rules)
    assert "physio" in on12["step-up"].reason
    others = {x: d for x, d in on12.items() if x != "step-up"}
    assert others and all(d.action == Action.HOLD and "RF08" in d.rules for d in others.values())
    assert ex21.progression_held
    assert not [d for d in ex21.decisions if d.date >= md("3/12") and d.action == Action.PROGRESS]
    assert not [
        d for d in ex21.decisions if d.exercise_id == "step-up" and d.action == Action.RESUME
    ]


@pytest.mark.parametrize("until", ["3/12", "3/13", "3/15", "3/18"])
def test_ex21_rf08_soon_every_day_until_review(until: str) -> None:
    course = simulate(MENISCUS_32, until=until, morning=2, words={"3/12": ["giving_way"]})
    assert course.escalation.level == EscalationLevel.SOON
    assert "RF08" in course.escalation.rules


def test_ex21_catching_within_14_days_of_giving_way_locks() -> None:
    course = simulate(
        MENISCUS_32, until="3/19", morning=2, words={"3/12": ["giving_way"], "3/19": ["catching"]}
    )
    on19 = decisions_on(course, "3/19")
    assert on19 and all(d.action == Action.STOP for d in on19.values())
    assert course.locked_by is not None
    assert course.escalation.level == EscalationLevel.URGENT
    assert {"E1", "RF08"} <= set(course.escalation.rules)
    assert "until a clinician records that it is safe to restart" in course.escalation.message


def test_ex21_giving_way_twice_within_14_days_locks() -> None:
    course = simulate(
        MENISCUS_32, until="3/20", morning=2, words={"3/12": ["giving_way"], "3/20": ["giving_way"]}
    )
    assert course.locked_by is not None
    assert course.escalation.level == EscalationLevel.URGENT


def test_ex21_a_rescreen_rf08_acts_as_the_word() -> None:
    course = simulate(
        MENISCUS_32,
        until="3/12",
        morning=2,
        rescreens=[{"date": "2025-03-12", "red_flags": ["RF08"]}],
    )
    assert decisions_on(course, "3/12")["step-up"].action == Action.PAUSE
    assert course.escalation.level == EscalationLevel.SOON
    assert "RF08" in course.escalation.rules and course.progression_held


def test_ex21_rf08_at_intake_leaves_step_up_out_and_holds() -> None:
    person = {**MENISCUS_32, "weeks_since_onset": 8, "red_flags": ["RF08"]}
    course = simulate(person, until="3/3", morning=2)
    assert course.triage.level == Level.SOON
    assert course.program is not None
    assert "step-up" in {o.exercise_id for o in course.program.left_out}
    assert course.program.item("step-up") is None
    assert course.progression_held


def test_ex21_review_ends_the_hold_and_a_later_catching_still_locks() -> None:
    """EX-39: a clinician review on 3/18 ends the RF08 hold and step-up comes back at its paused
    dose; catching on 3/19 (giving way on 3/12) still locks — a later red flag wins."""
    review = [{"date": "2025-03-18", "action": "review", "reason": "Examined: stable, no effusion"}]
    reviewed = simulate(
        MENISCUS_32, until="3/18", morning=2, words={"3/12": ["giving_way"]}, clinician=review
    )
    assert not reviewed.progression_held
    step = reviewed.program.item("step-up")
    assert step is not None and step.status.value == "active"
    kinds = [v.kind for v in reviewed.versions if v.date == md("3/18")]
    assert kinds[0] == "clinician"  # then the morning's decisions may follow
    later = simulate(
        MENISCUS_32,
        until="3/19",
        morning=2,
        words={"3/12": ["giving_way"], "3/19": ["catching"]},
        clinician=review,
    )
    assert later.locked_by is not None and later.escalation.level == EscalationLevel.URGENT


# -- EX-22: swelling weeks after an injury is a flare, not a haemarthrosis ----------------------------


def _ex22(words: dict[str, list[str]], until: str) -> Any:
    return simulate(MCL2_30, until=until, morning=2, words=words)


def test_ex22_swelling_is_a_flare_and_traces_to_the_latest_increase() -> None:
    course = _ex22({"3/8": ["swelling"]}, "3/8")
    assert course.escalation.level == EscalationLevel.SOON
    assert {"E1", "C-14"} <= set(course.escalation.rules)
    assert "RF06" not in course.escalation.rules
    on8 = decisions_on(course, "3/8")
    raise_ = on8["seated-straight-leg-raise"]
    assert raise_.action == Action.REGRESS and {"P4", "P8", "C-14"} <= set(raise_.rules)
    for x in (
        "bridge",
        "side-lying-leg-raise",
        "step-up",
        "double-knee-to-chest",
        "supine-hamstring-stretch",
    ):
        assert on8[x].action == Action.HOLD and "P9" in on8[x].rules, x


@pytest.mark.parametrize("until", ["3/8", "3/9", "3/10"])
def test_ex22_cold_only_for_72_hours(until: str) -> None:
    text = _ex22({"3/8": ["swelling"]}, until).program.ice_heat
    assert "72 hours" in text
    assert "warm, not hot" not in text


def test_ex22_after_72_hours_ice_or_heat_again() -> None:
    text = _ex22({"3/8": ["swelling"]}, "3/11").program.ice_heat
    assert "warm, not hot" in text


EX22_VARIANTS = [
    (
        "swelling and new_injury at 3/8",
        {"3/8": ["swelling", "new_injury"]},
        "3/8",
        Level.URGENT,
        "RF06",
    ),
    (
        "new_injury 3/7, swelling 3/9 (2 days)",
        {"3/7": ["new_injury"], "3/9": ["swelling"]},
        "3/9",
        Level.URGENT,
        "RF06",
    ),
    (
        "new_injury 3/7, swelling 3/10 (3 days)",
        {"3/7": ["new_injury"], "3/10": ["swelling"]},
        "3/10",
        Level.SOON,
        "C-14",
    ),
    ("swelling and fever at 3/8", {"3/8": ["swelling", "fever"]}, "3/8", Level.EMERGENCY, "RF04"),
]


@pytest.mark.parametrize(
    ("case", "words", "until", "level", "rule"), EX22_VARIANTS, ids=[r[0] for r in EX22_VARIANTS]
)
def test_ex22_variants(
    case: str, words: dict[str, list[str]], until: str, level: Level, rule: str
) -> None:
    course = _ex22(words, until)
    assert course.escalation.level.value == level.value
    assert rule in course.escalation.rules
    assert (course.locked_by is not None) is (level in (Level.URGENT, Level.EMERGENCY))


def test_ex22_new_injury_gives_the_acute_profile_to_3_27() -> None:
    words = {"3/7": ["new_injury"], "3/10": ["swelling"]}
    assert _ex22(words, "3/27").program.acute is True
    assert _ex22(words, "3/28").program.acute is False


def test_ex22_swelling_twice_in_a_week_holds_until_review() -> None:
    course = _ex22({"3/8": ["swelling"], "3/12": ["swelling"]}, "3/14")
    assert course.progression_held
    assert course.escalation.level == EscalationLevel.SOON


# -- EX-23: the check-in words --------------------------------------------------------------------

D = md("3/20")
EX23 = [
    # words, chest, facts (CourseSoFar fields), same-day re-screen flags, level, rules ⊇
    ("locking", ["locking"], False, {}, [], Level.URGENT, {"RF07"}),
    ("giving_way, first", ["giving_way"], False, {}, [], Level.SOON, {"RF08"}),
    (
        "giving_way, also 3 days earlier",
        ["giving_way"],
        False,
        {"gave_way": (D - dt.timedelta(days=3),)},
        [],
        Level.URGENT,
        {"RF08"},
    ),
    ("giving_way + catching", ["giving_way", "catching"], False, {}, [], Level.URGENT, {"RF08"}),
    ("swelling, no new injury within 48 h", ["swelling"], False, {}, [], Level.SOON, {"C-14"}),
    ("swelling + new_injury", ["swelling", "new_injury"], False, {}, [], Level.URGENT, {"RF06"}),
    ("swelling + fever", ["swelling", "fever"], False, {}, [], Level.EMERGENCY, {"RF04"}),
    ("fever, no re-screen", ["fever"], False, {}, [], Level.SOON, {"C-14"}),
    ("fever + re-screen RF04", ["fever"], False, {}, ["RF04"], Level.EMERGENCY, {"RF04"}),
    ("calf_pain", ["calf_pain"], False, {}, [], Level.URGENT, {"RF05"}),
    ("calf_swelling + chest", ["calf_swelling"], True, {}, [], Level.EMERGENCY, {"RF05", "RF17"}),
    ("chest_symptoms alone", [], True, {}, [], Level.EMERGENCY, {"RF17"}),
    ("numbness, no injury in 7 days", ["numbness"], False, {}, [], Level.URGENT, {"RF10"}),
    (
        "numbness, new_injury 4 days earlier",
        ["numbness"],
        False,
        {"injuries": (D - dt.timedelta(days=4),)},
        [],
        Level.EMERGENCY,
        {"RF10"},
    ),
    (
        "numbness, day 3 after an intake injury",
        ["numbness"],
        False,
        {"injuries": (D - dt.timedelta(days=3),)},
        [],
        Level.EMERGENCY,
        {"RF10"},
    ),
    ("cold_foot", ["cold_foot"], False, {}, [], Level.EMERGENCY, {"RF10"}),
    ("catching, first", ["catching"], False, {}, [], Level.OK, set()),
    (
        "catching, second within 14 days",
        ["catching"],
        False,
        {"caught": (D - dt.timedelta(days=5),)},
        [],
        Level.SOON,
        {"C-14"},
    ),
    ("new_injury at 60", ["new_injury"], False, {"age": 60}, [], Level.URGENT, {"RF01"}),
    ("new_injury at 40", ["new_injury"], False, {"age": 40}, [], Level.SOON, {"C-14"}),
]


@pytest.mark.parametrize(
    ("row", "words", "chest", "facts", "flags", "level", "rules"), EX23, ids=[r[0] for r in EX23]
)
def test_ex23_checkin_words(
    row: str,
    words: list[str],
    chest: bool,
    facts: dict[str, Any],
    flags: list[str],
    level: Level,
    rules: set[str],
) -> None:
    so_far = CourseSoFar(**{"age": 40, **facts})
    reading = read(D, words, chest_symptoms=chest, red_flags=flags, so_far=so_far)
    assert reading.triage.level == level
    assert rules <= set(reading.triage.rules)
    assert reading.flare  # every word is a flare (P9)


def test_ex23_first_catching_stops_the_last_session_then_pauses_one_step_lower() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )
    course = simulate(person, until="3/12", morning=2, words={"3/11": ["catching"]})
    on11 = decisions_on(course, "3/11")
    done_10 = {
        "inner-thigh-stretch",
        "seated-straight-leg-raise",
        "bridge",
        "side-lying-leg-raise",
        "step-up",
        "double-knee-to-chest",
    }
    assert {x for x, d in on11.items() if d.action == Action.STOP} == done_10
    assert all("P1" in on11[x].rules for x in done_10)
    on12 = decisions_on(course, "3/12")
    assert all(on12[x].action == Action.PAUSE for x in done_10)
    assert course.escalation.level in (
        EscalationLevel.NONE,
        EscalationLevel.MESSAGE,
        EscalationLevel.SOON,
    )


def test_ex23_second_catching_keeps_them_paused_for_a_clinician() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )
    words = {"3/6": ["catching"], "3/13": ["catching"]}
    course = simulate(person, until="3/24", morning=2, words=words)
    paused = [i for i in course.program.items if i.status.value == "paused"]
    assert paused
    assert not [
        d
        for d in course.decisions
        if d.date > md("3/14")
        and d.action == Action.RESUME
        and d.exercise_id in {i.exercise_id for i in paused}
    ]
    assert course.escalation.level == EscalationLevel.SOON and "E12" in course.escalation.rules


def test_ex23_pain_8_in_the_session_is_a_stop_not_a_word() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        return done_in_full(
            item, pain=8 if item.exercise_id == "bridge" and day == md("3/5") else 1
        )

    course = simulate(person, until="3/5", morning=2, entry=entry, last_session=True)
    assert decisions_on(course, "3/5")["bridge"].action == Action.STOP


# -- EX-41: when the red-flag questions are asked again ----------------------------------------------

OA_40 = intake(
    age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=2
)
WEEKLY = [{"date": f"2025-03-{d:02d}", "red_flags": []} for d in (3, 9, 15, 21)]


def _hurt_on(day: str) -> Any:
    def entry(item: Any, when: dt.date) -> dict[str, Any]:
        return done_in_full(item, pain=8 if item.exercise_id == "bridge" and when == md(day) else 1)

    return entry


EX41 = [
    # event, course, the day the full set is due, rule it cites
    ("a P1 stop on d−1", {"entry": _hurt_on("3/12")}, "3/13", "P1"),
    ("a big rise at d", {"morning": lambda d: 6 if d == md("3/12") else 2}, "3/13", "P8"),
    ("new_injury at d", {"words": {"3/12": ["new_injury"]}}, "3/13", "C-14"),
    ("swelling at d", {"words": {"3/12": ["swelling"]}}, "3/13", "C-14"),
]


@pytest.mark.parametrize(("event", "story", "due", "rule"), EX41, ids=[r[0] for r in EX41])
def test_ex41_full_set_the_day_after(
    event: str, story: dict[str, Any], due: str, rule: str
) -> None:
    story = {"morning": 2, **story}
    course = simulate(OA_40, until=due, rescreens=WEEKLY, **story)
    assert course.full_rescreen_due and rule in course.full_rescreen_rules
    day_before = simulate(
        OA_40, until=(md(due) - dt.timedelta(days=2)).strftime("%-m/%-d"), rescreens=WEEKLY, **story
    )
    assert not day_before.full_rescreen_due


def test_ex41_the_full_set_every_7_days() -> None:
    assert simulate(OA_40, until="3/10", morning=2).full_rescreen_due  # none since the start
    weekly = [{"date": "2025-03-07", "red_flags": []}]
    assert not simulate(OA_40, until="3/10", morning=2, rescreens=weekly).full_rescreen_due
    assert simulate(OA_40, until="3/14", morning=2, rescreens=weekly).full_rescreen_due


def test_ex41_e2_first_firing_asks_the_full_set_next_day() -> None:
    person = intake(
        age=58, condition="pes_anserine_bursitis", onset="gradual", weeks_since_onset=8, pain_now=4
    )
    course = simulate(
        person,
        until="3/18",
        morning=4,
        avg_pain=4,
        rescreens=[*WEEKLY, {"date": "2025-03-17", "red_flags": []}],
    )
    assert course.full_rescreen_due and "E2" in course.full_rescreen_rules


# -- EX-37 (dynamic rows) and EX-38: words that are true on the day -----------------------------------

MCL1_0 = intake(
    age=30, condition="mcl_sprain", mcl_grade=1, onset="injury", weeks_since_onset=0, pain_now=3
)


@pytest.mark.parametrize(("until", "cold_only"), [("3/3", True), ("3/5", True), ("3/6", False)])
def test_ex37_cold_only_for_72_hours_after_an_injury(until: str, cold_only: bool) -> None:
    text = simulate(MCL1_0, until=until, morning=3).program.ice_heat
    assert ("72 hours" in text) is cold_only
    if not cold_only:
        for words in ("10–15", "20", "cloth", "numb", "warm, not hot"):
            assert words in text


def test_ex37_trouble_tolerating_on_a_day_with_a_pause() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )
    calm = simulate(person, until="3/10", morning=2)
    assert calm.program.trouble_tolerating is None
    paused = simulate(person, until="3/12", morning=2, words={"3/11": ["catching"]})
    assert paused.program.trouble_tolerating
    assert "physical therapy" in paused.program.trouble_tolerating


def test_ex38_a_floor_pause_says_it_restarts_by_itself() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=2
    )

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        hurt = 6 if item.exercise_id == "inner-thigh-stretch" else 1
        return done_in_full(item, pain=hurt, effort="hard")

    course = simulate(person, until="3/12", morning=2, entry=entry)
    pause = next(
        d
        for d in course.decisions
        if d.exercise_id == "inner-thigh-stretch" and d.action == Action.PAUSE
    )
    assert "easiest dose" in pause.reason and "restarts by itself" in pause.reason
    assert "C-8" in pause.rules


def test_ex38_the_baseline_is_described_as_the_person_reads_it() -> None:
    person = intake(
        age=40, condition="medial_knee_oa", onset="gradual", weeks_since_onset=20, pain_now=1
    )
    early = simulate(person, until="3/5", morning=2)
    assert early.baseline_source == "your pain at intake (1/10) until you have 3 morning check-ins"
    later = simulate(person, until="3/12", morning=2)
    assert (
        later.baseline_source
        == "your usual morning level (2/10, from your last 7 morning check-ins)"
    )
