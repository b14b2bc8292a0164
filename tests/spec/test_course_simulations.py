"""Courses of care, played day by day through the engine (issue 8, rule book v2).

Each course is a person following their program with the simulator of the worked examples
(`course_sim.simulate`: start Monday 3 March 2025 = day 0; a check-in every morning; every item
scheduled that day done in full at the dose prescribed that morning, pain 1 and effort `easy` unless
the story says otherwise; each morning's decisions come from the real engine). The docstring of each
course tells its story as a physical therapist would read it; the assertions are the outcome the
rule book expects. Dates are m/d in 2025.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import decisions_on, done_in_full, intake, md, short, simulate

from kneehab.domain.course import Course
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.program import ItemStatus
from kneehab.domain.progression import Action

AEROBIC = {"walking", "stationary-cardio", "pool-exercise"}
STANDING = {"step-up", "side-lunge-stretch", "single-leg-balance", "squat", "lunge"}


def of(course: Course, exercise_id: str, *actions: Action) -> list[Any]:
    return [
        d
        for d in course.decisions
        if d.exercise_id == exercise_id and (not actions or d.action in actions)
    ]


def between(course: Course, first: str, last: str) -> list[Any]:
    return [d for d in course.decisions if md(first) <= d.date <= md(last)]


def load_changes(course: Course) -> list[Any]:
    return [
        d
        for d in course.decisions
        if d.action == Action.PROGRESS or (d.action == Action.RESUME and "P10" in d.rules)
    ]


# -- (a) An older person with osteoarthritis whose resting pain is 5 --------------------------------

OA_70 = intake(
    age=70,
    sex="female",
    condition="medial_knee_oa",
    onset="gradual",
    weeks_since_onset=104,
    pain_now=5,
)


@pytest.fixture(scope="module")
def older_oa() -> Course:
    return simulate(
        OA_70,
        until="4/14",
        morning=5,
        stiffness=4,
        avg_pain=5,
        entry=lambda item, day: done_in_full(item, pain=4, effort="moderate", rir=2),
    )


def test_a_older_person_with_osteoarthritis_and_resting_pain_5(older_oa: Course) -> None:
    """A 70-year-old woman with medial knee osteoarthritis for two years; her knee aches at 5/10 at
    rest and every morning. She does every session in full; the exercises bring her knee to 4/10,
    no higher than her usual ache, and feel moderate. Under v1 her pain limit was 3, so every
    exercise was "above the limit" every day and by day 10 the whole program, walking included, was
    paused. Under v2 her limit is her usual pain (5), nothing is paused or regressed, each exercise
    steps up a little at a time (one change a day), and walking grows from 10 minutes. Her pain has
    not changed after 6 weeks, so on day 42 (4/14) she is advised to book a reassessment (E4); her
    knee problem is long-standing and was assessed, so there is no E2 or E10."""
    course = older_oa
    assert course.program is not None
    assert course.program.pain_ceiling == 5 and course.baseline_pain == 5
    # never everything paused — in fact nothing paused, stopped or regressed
    assert not [
        d for d in course.decisions if d.action in (Action.PAUSE, Action.STOP, Action.REGRESS)
    ]
    for version in course.versions:
        strength = [i for i in version.program.items if i.exercise_id not in AEROBIC]
        assert not all(i.status == ItemStatus.PAUSED for i in strength), version.date
    assert all(i.status == ItemStatus.ACTIVE for i in course.program.items)
    # doses step up over the 6 weeks, one load change per check-in
    ups = [d for d in course.decisions if d.action == Action.PROGRESS]
    assert len(ups) >= 20
    assert len({d.date for d in ups}) == len(ups)
    start = {i.exercise_id: i.dose for i in course.versions[0].program.items}
    for item in course.program.items:
        assert item.dose != start[item.exercise_id], item.exercise_id  # each one has moved up
    # walking is never paused and grows
    walking = course.program.item("walking")
    assert walking is not None and walking.status == ItemStatus.ACTIVE
    assert (walking.dose.minutes or 0) >= 16
    assert not of(course, "walking", Action.PAUSE, Action.REGRESS, Action.STOP)
    # escalation on day 42: E4 only
    assert course.escalation.level == EscalationLevel.SOON
    assert "E4" in course.escalation.rules
    assert not {"E2", "E10", "E12", "E3"} & set(course.escalation.rules)
    assert not course.progression_held


def test_a_no_escalation_before_day_42() -> None:
    course = simulate(
        OA_70,
        until="4/13",
        morning=5,
        stiffness=4,
        avg_pain=5,
        entry=lambda item, day: done_in_full(item, pain=4, effort="moderate", rir=2),
    )
    assert course.escalation.level == EscalationLevel.NONE


# -- (b) A flare after a step-up progression --------------------------------------------------------

PFP_28 = intake(
    age=28,
    condition="patellofemoral_pain",
    onset="gradual",
    weeks_since_onset=20,
    pain_now=2,
    equipment=["strap", "mat", "step"],
)


def _flare_after_step_up(pain_at_new_dose: int) -> tuple[Course, dt.date]:
    """The first step-up session at 3 sets hurts (`pain_at_new_dose`); the next morning is 4."""
    seen: dict[str, dt.date] = {}

    def entry(item: Any, day: dt.date) -> dict[str, Any]:
        if item.exercise_id == "step-up" and item.dose.sets == 3 and "hurt" not in seen:
            seen["hurt"] = day
            return done_in_full(item, pain=pain_at_new_dose)
        return done_in_full(item)

    def morning(day: dt.date) -> int:
        hurt = seen.get("hurt")
        return 4 if hurt is not None and day == hurt + dt.timedelta(days=1) else 2

    course = simulate(PFP_28, until="4/6", morning=morning, entry=entry)
    return course, seen["hurt"] + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("pain", "traced_by"),
    [(5, "pain above the limit (P8 T1)"), (3, "the latest increase (P8 T2)")],
)
def test_b_flare_after_a_step_up_progression(pain: int, traced_by: str) -> None:
    """A 28-year-old with patellofemoral pain (usual morning pain 2) who does everything in full and
    finds it easy, so her exercises step up one a day. On Thursday 3/13 her step-ups go from 2 to 3
    sets; the next day she does the 3 sets (pain `pain` during them) and on Saturday morning her
    knee is 4/10 — a sore morning. The soreness is traced to the step-ups (by the pain above her
    limit of 3, or as the most recent increase), so only the step-ups go back to 2 sets; every
    other exercise keeps its dose and nothing steps up for 72 hours (the check-ins of 3/15, 3/16
    and 3/17). From 3/18 progression resumes one change a day, and the step-ups themselves step up
    again a week or more after their regression."""
    course, flare = _flare_after_step_up(pain)
    assert flare == md("3/15")
    up = decisions_on(course, "3/13")["step-up"]
    assert up.action == Action.PROGRESS and short(up.to_dose) == "3×10 @10"
    on_flare = decisions_on(course, "3/15")
    down = {x: d for x, d in on_flare.items() if d.action == Action.REGRESS}
    assert set(down) == {"step-up"}, traced_by
    assert short(down["step-up"].to_dose) == "2×10 @10"  # the 3/13 step undone
    assert {"P4", "P8"} <= set(down["step-up"].rules)
    others = {x: d for x, d in on_flare.items() if x != "step-up"}
    assert others and all(d.action == Action.HOLD and "P9" in d.rules for d in others.values())
    # 72 hours: no load change at the check-ins 3/15, 3/16, 3/17
    assert not [d for d in load_changes(course) if md("3/15") <= d.date <= md("3/17")]
    assert not [d for d in between(course, "3/16", "3/17") if d.action == Action.REGRESS]
    # traced by pain above the limit (D-1) or, within the limit, as the latest increase
    assert ("D-1" in down["step-up"].rules) is (pain > 3), traced_by
    assert len(of(course, "step-up", Action.REGRESS)) == 1
    # then progress resumes
    after = [d for d in load_changes(course) if d.date >= md("3/18")]
    assert after and after[0].date <= md("3/19")
    again = [d for d in of(course, "step-up", Action.PROGRESS) if d.date > md("3/15")]
    assert again and again[0].date >= md("3/22")  # ≥ 7 days after its latest change (C-7)
    assert course.escalation.level == EscalationLevel.NONE


# -- (c) Giving way, then catching (EX-21) ----------------------------------------------------------

MENISCUS_32 = intake(
    age=32,
    sex="female",
    condition="medial_meniscus",
    onset="injury",
    weeks_since_onset=1,
    pain_now=2,
    access=["elliptical"],
)
GIVE_THEN_CATCH = {"3/12": ["giving_way"], "3/19": ["catching"]}


def _meniscus(until: str) -> Course:
    return simulate(MENISCUS_32, until=until, morning=2, words=GIVE_THEN_CATCH)


def test_c_giving_way_holds_progression_and_pauses_step_ups() -> None:
    """A 32-year-old woman with a medial meniscus tear injured a week before she starts. On day 9
    (3/12) her knee gives way. That is a warning sign to be seen this week (RF08 `soon`): the
    step-ups — the one exercise in her session that stands on the leg — are paused until a physio
    has checked the knee (P13), nothing steps up (the RF08 hold), and every other exercise carries
    on at its dose. The advice stays every day until a clinician reviews her (3/13–3/18), and the
    step-ups do not restart by themselves."""
    day9 = _meniscus("3/12")
    assert day9.escalation.level == EscalationLevel.SOON
    assert {"E1", "RF08"} <= set(day9.escalation.rules)
    assert day9.progression_held
    on12 = decisions_on(day9, "3/12")
    assert on12["step-up"].action == Action.PAUSE
    assert {"P13", "RF08"} <= set(on12["step-up"].rules)
    assert all(d.action == Action.HOLD for x, d in on12.items() if x != "step-up"), (
        on12
    )  # every other exercise judged that day holds
    later = _meniscus("3/18")
    assert later.escalation.level == EscalationLevel.SOON and "RF08" in later.escalation.rules
    assert later.progression_held
    assert not [d for d in load_changes(later) if d.date >= md("3/12")]
    assert not of(later, "step-up", Action.RESUME)
    assert later.program is not None
    step = later.program.item("step-up")
    assert step is not None and step.status == ItemStatus.PAUSED
    walking = later.program.item("walking")
    assert walking is not None and walking.status == ItemStatus.ACTIVE


def test_c_then_catching_within_14_days_is_urgent_and_stops_everything() -> None:
    """A week later (3/19, day 16) her knee catches. Giving way and catching within 14 days of each
    other is urgent (RF08 `urgent`): she is told to get a medical assessment today, every exercise
    stops and the program stays stopped until a clinician records that it is safe to restart."""
    course = _meniscus("3/19")
    assert course.escalation.level == EscalationLevel.URGENT
    assert {"E1", "RF08"} <= set(course.escalation.rules)
    assert course.locked_by is not None
    assert course.program is not None
    assert all(i.status == ItemStatus.STOPPED for i in course.program.items)
    on19 = decisions_on(course, "3/19")
    assert on19 and all(d.action == Action.STOP and "E1" in d.rules for d in on19.values())
    assert "safe to restart" in " ".join((course.escalation.message, course.escalation.meanwhile))


# -- (d) Stalled for 8 weeks ------------------------------------------------------------------------

PES_58 = intake(
    age=58,
    condition="pes_anserine_bursitis",
    onset="gradual",
    weeks_since_onset=8,
    pain_now=4,
)


def _stalled(until: str) -> Course:
    return simulate(
        PES_58,
        until=until,
        morning=4,
        stiffness=3,
        avg_pain=4,
        entry=lambda item, day: done_in_full(item, pain=2),
    )


@pytest.mark.parametrize(
    ("until", "level", "present", "absent"),
    [
        ("3/16", "none", (), ("E2", "E4")),
        ("3/17", "soon", ("E2",), ("E4",)),
        ("4/13", "soon", ("E2",), ("E4",)),
        ("4/14", "soon", ("E2", "E4"), ()),
    ],
)
def test_d_stalled_course_escalates_on_day_14_and_day_42(
    until: str, level: str, present: tuple[str, ...], absent: tuple[str, ...]
) -> None:
    """A 58-year-old with pes anserine bursitis that came on gradually 8 weeks ago; her average pain
    stays at 4/10 every day although she does the program in full. From day 14 (3/17) she is told
    her pain has not improved after two weeks and to see a professional (E2: a recent, non-chronic
    problem); from day 42 (4/14) also that the plan should be reassessed (E4). Neither holds or
    pauses anything."""
    course = _stalled(until)
    assert course.escalation.level == EscalationLevel(level)
    assert set(present) <= set(course.escalation.rules)
    assert not set(absent) & set(course.escalation.rules)
    assert not course.progression_held


def test_d_stalled_for_8_weeks_nothing_paused() -> None:
    """Eight weeks (to 4/28): still E2 and E4, and no exercise was ever paused, stopped or
    regressed — a flat course is not a flare."""
    course = _stalled("4/28")
    assert {"E2", "E4"} <= set(course.escalation.rules)
    assert not [
        d for d in course.decisions if d.action in (Action.PAUSE, Action.STOP, Action.REGRESS)
    ]
    assert course.program is not None
    assert all(i.status == ItemStatus.ACTIVE for i in course.program.items)


# -- (e) Low intake pain with normal mornings of 2 (EX-04) ------------------------------------------


def test_e_low_intake_pain_with_normal_mornings_never_regresses() -> None:
    """A 65-year-old with knee osteoarthritis says her pain is 1/10 at intake; her usual morning is
    2/10, and she stretches every day. Under v1 the baseline stayed at the intake's 1 (no rest-day
    mornings), so every normal morning was "above baseline" and her exercises were regressed. Under
    v2 a morning of 2 is within 1 + 1, and from 3/7 her baseline is her usual 2: nothing is ever
    regressed, paused or held for a flare, and her program steps up."""
    person = intake(
        age=65, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=1
    )
    course = simulate(person, until="3/31", morning=2, stiffness=3)
    assert not [
        d for d in course.decisions if d.action in (Action.REGRESS, Action.PAUSE, Action.STOP)
    ]
    assert not [d for d in course.decisions if "P9" in d.rules or "P8" in d.rules]
    assert course.baseline_pain == 2
    assert course.program is not None and course.program.pain_ceiling == 3
    assert len([d for d in course.decisions if d.action == Action.PROGRESS]) >= 10


# -- (f) MCL grade II through week 8 ----------------------------------------------------------------

MCL2_30 = intake(
    age=30,
    sex="male",
    condition="mcl_sprain",
    mcl_grade=2,
    onset="injury",
    weeks_since_onset=1,
    pain_now=2,
    equipment=["strap", "mat"],
    access=["stationary_bike"],
)
EARLY_END = "3/23"  # weeks(3/23) = 1 + 20/7 < 4; from 3/24 (day 21) weeks ≥ 4


@pytest.fixture(scope="module")
def mcl_course() -> Course:
    return simulate(MCL2_30, until="4/28", morning=2, avg_pain=2)


def test_f_mcl_grade_2_acute_and_early_to_day_20_then_standard(mcl_course: Course) -> None:
    """A 30-year-old man who sprained his MCL (grade II) a week before he starts. For the first
    three weeks (to 3/23, day 20, when the sprain is 4 weeks old) he is in the acute profile (pain
    limit 2) and the early phase: no inner-thigh strap stretch, side lunge or butterfly, step-ups
    no higher than 15 cm. On day 21 (3/24) a `phase` version switches him to the standard phase:
    pain limit 3, the left-out stretches come back as swaps, and the step-up may go higher."""
    before = simulate(MCL2_30, until=EARLY_END, morning=2, avg_pain=2)
    assert before.program is not None
    assert before.program.acute is True and before.program.phase == "early"
    assert before.program.pain_ceiling == 2
    left_out = {o.exercise_id for o in before.program.left_out}
    assert {"inner-thigh-stretch", "side-lunge-stretch", "seated-butterfly-stretch"} <= left_out
    after = simulate(MCL2_30, until="3/24", morning=2, avg_pain=2)
    assert after.program is not None
    assert after.program.acute is False and after.program.phase == "later"
    assert after.program.pain_ceiling == 3
    swaps = {s.exercise_id for s in after.program.swaps}
    assert {"inner-thigh-stretch", "side-lunge-stretch", "seated-butterfly-stretch"} <= swaps
    phases = [v for v in mcl_course.versions if v.kind == "phase"]
    assert [v.date for v in phases] == [md("3/24")]
    assert mcl_course.program is not None and mcl_course.program.phase == "later"


def test_f_the_phase_of_a_day_without_a_check_in_is_that_days_phase() -> None:
    """C-4 (v2), C-18, EXAMPLES contract (`program.phase`: early / later on that date): he skips
    the check-in of 3/24, the first date after the early phase. The program as of 3/24 is still
    the later phase (its acute profile and pain limit already are), and the `phase` version is
    dated 3/24, the first date the early phase has ended."""
    course = simulate(
        MCL2_30, until="3/24", morning=2, avg_pain=2, checkin_days=lambda d: d != md("3/24")
    )
    assert course.program is not None
    assert course.program.acute is False and course.program.pain_ceiling == 3
    assert course.program.phase == "later"
    assert "inner-thigh-stretch" in {s.exercise_id for s in course.program.swaps}
    assert [v.date for v in course.versions if v.kind == "phase"] == [md("3/24")]


def test_f_step_up_never_above_15_cm_while_early(mcl_course: Course) -> None:
    """Through week 8 the step-up climbs; no step-up dose of the early phase is above 15 cm, and none
    of the whole course above 25 cm."""
    for d in of(mcl_course, "step-up"):
        cap = 15 if d.date <= md(EARLY_END) else 25
        assert (d.to_dose.step_cm or 0) <= cap, d
    heights = [d.to_dose.step_cm for d in of(mcl_course, "step-up", Action.PROGRESS)]
    assert max(h or 0 for h in heights) > 15  # it does go higher once the early phase is over


def test_f_a_step_up_set_at_15_cm_early_takes_the_carried_load_instead() -> None:
    """The same man, with his physio setting the step-up at 3 sets of 10 on a 15 cm step from day 0
    (D-8): while early the height rung is skipped and the next step is a carried 1 kg (D-4, EX-25);
    it never goes above 15 cm before 3/24."""
    physio = [
        {
            "date": "2025-03-03",
            "action": "set_dose",
            "exercise_id": "step-up",
            "value": {"sets": 3, "reps": 10, "step_cm": 15, "load_kg": 0.0},
            "reason": "he manages a 15 cm step comfortably",
        }
    ]
    course = simulate(MCL2_30, until=EARLY_END, morning=2, avg_pain=2, clinician=physio)
    steps = of(course, "step-up")
    assert all((d.to_dose.step_cm or 0) <= 15 for d in steps)
    ups = of(course, "step-up", Action.PROGRESS)
    assert ups and ups[0].to_dose.step_cm == 15 and ups[0].to_dose.load_kg == 1.0


# -- (g) Poor adherence -----------------------------------------------------------------------------

POOR_ADHERENCE = ("3/3", "3/14", "3/26")  # 3 of the 14 strength days 3/3–4/2


def _poor(until: str) -> Course:
    person = intake(
        age=58, condition="pes_anserine_bursitis", onset="gradual", weeks_since_onset=20, pain_now=3
    )
    done = {md(d) for d in POOR_ADHERENCE}
    return simulate(
        person,
        until=until,
        morning=3,
        session_days=lambda day: day in done,
        entry=lambda item, day: done_in_full(item, pain=1),
    )


def test_g_poor_adherence_gets_a_message_and_no_progression() -> None:
    """A 58-year-old with long-standing pes anserine bursitis who does her session on only 3 of the
    14 strength days between 3/3 and 4/2 (3/3, 3/14, 3/26), each time in full and easily. Sessions
    11–12 days apart never count as two sessions in a row, so nothing steps up; each is held with
    the reason that it needs two sessions within 4 days. From day 14 she gets a message about
    doing her sessions (E9: adherence below 50 % over 14 days) — a message, not a clinical
    escalation."""
    course = _poor("4/2")
    assert not [d for d in course.decisions if d.action == Action.PROGRESS]
    held = [d for d in course.decisions if d.action == Action.HOLD]
    assert held and all("P3" in d.rules for d in held)
    assert all("within 4 days" in d.reason for d in held if d.exercise_id == "bridge")
    assert {d.date for d in held} == {md("3/4"), md("3/15"), md("3/27")}
    assert course.escalation.level == EscalationLevel.MESSAGE
    assert "E9" in course.escalation.rules
    assert not course.progression_held
    early = _poor("3/16")  # day 13: adherence is judged from day 14
    assert "E9" not in early.escalation.rules
    day14 = _poor("3/17")
    assert "E9" in day14.escalation.rules
