"""Escalation v2 worked examples (EXAMPLES.md EX-01 row 9, EX-07, EX-15, EX-19, EX-20, EX-29–EX-32,
EX-38), as tables a physical therapist can check.

Each row is one person on one date: what the engine has found so far (the `Situation` fields — built
here directly, not by replaying a course) → the escalation level, the rule ids that must and must
not be listed, and words the person must (or must never) read. Start = Monday 2025-03-03 (day 0);
day 14 = 3/17, day 42 = 4/14. Unless a row says otherwise: daily average pain as the person's
`pain_now` from 3/4 (1 for the injured knees of EX-21 and EX-22), no clinician event, the session of 6 exercises below, nothing paused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kneehab.domain.escalation import (
    RULE_ID_PATTERN,
    Escalation,
    EscalationLevel,
    Situation,
    escalate,
)
from kneehab.domain.exercise import Code
from kneehab.domain.intake import Intake
from kneehab.domain.program import ItemStatus, Program, ProgramItem, Triage
from kneehab.domain.types import Block, Category, Dose, Level

START = dt.date(2025, 3, 3)


def D(month: int, day: int) -> dt.date:
    return dt.date(2025, month, day)


# The people of the examples (intake fields; `assessed` yes unless a row says otherwise).
PEOPLE: dict[str, dict[str, Any]] = {
    "pes anserine 8 wk": {  # EX-29
        "age": 58,
        "condition": "pes_anserine_bursitis",
        "onset": "gradual",
        "weeks_since_onset": 8,
        "pain_now": 4,
        "assessed": "yes",
    },
    "OA 104 wk": {  # EX-02, EX-30
        "age": 70,
        "sex": "female",
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 104,
        "pain_now": 5,
        "assessed": "yes",
    },
    "OA 104 wk, not assessed": {
        "age": 70,
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 104,
        "pain_now": 5,
        "assessed": "no",
    },
    "OA 104 wk, assessed missing": {
        "age": 70,
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 104,
        "pain_now": 5,
    },
    "MCL II 2 wk": {  # EX-03, EX-30
        "age": 24,
        "sex": "male",
        "condition": "mcl_sprain",
        "mcl_grade": 2,
        "onset": "injury",
        "weeks_since_onset": 2,
        "pain_now": 4,
        "assessed": "yes",
    },
    "OA 52 wk": {  # EX-07, EX-20
        "age": 58,
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 52,
        "pain_now": 2,
        "assessed": "yes",
    },
    "pes anserine 20 wk": {  # EX-15
        "age": 58,
        "condition": "pes_anserine_bursitis",
        "onset": "gradual",
        "weeks_since_onset": 20,
        "pain_now": 4,
        "assessed": "yes",
    },
    "meniscus 1 wk": {  # EX-21
        "age": 32,
        "sex": "female",
        "condition": "medial_meniscus",
        "onset": "injury",
        "weeks_since_onset": 1,
        "pain_now": 2,
        "assessed": "yes",
    },
    "MCL II 3 wk": {  # EX-22
        "age": 30,
        "condition": "mcl_sprain",
        "mcl_grade": 2,
        "onset": "injury",
        "weeks_since_onset": 3,
        "pain_now": 2,
        "assessed": "yes",
    },
    "adult, pain 9 mornings": {  # EX-01 row 9 (pain_now 7: the intake allows ≤ 7)
        "age": 45,
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 30,
        "pain_now": 7,
        "assessed": "yes",
    },
}

# Daily average pain when it is not the intake pain: the injured knees of EX-21 and EX-22 are
# settling (1 point better), so E2 does not fire in their rows.
DAILY_PAIN: dict[str, int] = {"meniscus 1 wk": 1, "MCL II 3 wk": 1}

# The session of 6 non-aerobic exercises (EX-31) and walking: (id, name, category, block).
SESSION: tuple[tuple[str, str, Category, Block], ...] = (
    ("inner-thigh-stretch", "Inner-thigh stretch", Category.STRETCH, Block.WARM_UP),
    ("seated-straight-leg-raise", "Seated straight-leg raise", Category.STRENGTH, Block.STRENGTH),
    ("bridge", "Bridge", Category.STRENGTH, Block.STRENGTH),
    ("side-lying-leg-raise", "Side-lying leg raise", Category.STRENGTH, Block.STRENGTH),
    ("step-up", "Step-up", Category.STRENGTH, Block.STRENGTH),
    ("double-knee-to-chest", "Double knee to chest", Category.CORE, Block.STRENGTH),
    ("walking", "Walking", Category.AEROBIC, Block.AEROBIC),
    ("stationary-cardio", "Stationary cardio", Category.AEROBIC, Block.AEROBIC),
)


def program(statuses: dict[str, ItemStatus], review_on: dt.date | None = None) -> Program:
    items = tuple(
        ProgramItem(
            exercise_id=x,
            name=name,
            category=cat,
            block=block,
            dose=Dose(minutes=10) if cat == Category.AEROBIC else Dose(sets=2, reps=10),
            per_side=False,
            days=("mon", "wed", "fri"),
            code=Code.OK,
            why="Recommended for your knee.",
            rules=("§4.3",),
            status=statuses.get(x, ItemStatus.ACTIVE),
        )
        for x, name, cat, block in SESSION
    )
    return Program(
        start=START,
        phase="later",
        phase_note="",
        acute=False,
        pain_ceiling=3,
        pain_ceiling_rules=("D-1",),
        progression_held=False,
        items=items,
        avoid=(),
        equipment=(),
        ice_heat="",
        see_professional="",
        review_on=review_on,
    )


def triage(level: Level, rules: tuple[str, ...], reason: str) -> Triage:
    messages = {
        Level.SOON: "Book a review with a physical therapist or doctor within the next 1–2 weeks.",
        Level.URGENT: "Get a medical assessment today — urgent care, the emergency department, "
        "or your doctor today.",
        Level.EMERGENCY: "Call emergency services now.",
    }
    return Triage(level=level, rules=rules, message=messages.get(level, ""), reasons=(reason,))


SWELLING = triage(
    Level.SOON, ("C-14",), "New swelling in the knee should be reviewed by a clinician."
)
GIVING_WAY = triage(Level.SOON, ("RF08",), "Your knee gave way.")
CATCHING_AFTER_GIVING_WAY = triage(
    Level.URGENT, ("RF08",), "A knee that catches after giving way needs checking today."
)
CHEST = triage(
    Level.EMERGENCY, ("RF17",), "New chest pain, sudden breathlessness or coughing blood."
)


@dataclass(frozen=True)
class Case:
    scenario: str
    person: str
    today: dt.date
    level: str
    rules: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    says: tuple[str, ...] = ()  # the message contains each
    never: tuple[str, ...] = ()  # no text (message, meanwhile, reasons) contains any, any case
    meanwhile_says: tuple[str, ...] = ()
    # daily average pain: {date: value}; default = the person's pain_now every day from 3/4
    pain: dict[dt.date, int] | None = None
    baseline: int | None = None  # B(today), C-5
    rising_weeks: tuple[dt.date, ...] = ()
    p5: tuple[dt.date, ...] = ()
    acks: tuple[tuple[dt.date, str], ...] = ()
    reviews: tuple[dt.date, ...] = ()
    assessments: tuple[dt.date, ...] = ()
    review_on: dt.date | None = None
    statuses: dict[str, ItemStatus] = field(default_factory=dict)
    waiting: tuple[str, ...] = ()
    clinician_paused: dict[str, str] = field(default_factory=dict)
    paused_since: dict[str, dt.date] = field(default_factory=dict)
    floor_holds: tuple[tuple[dt.date, str], ...] = ()
    stops: tuple[tuple[dt.date, str], ...] = ()
    checkins: tuple[tuple[dt.date, Triage], ...] = ()
    swelling_hold: dt.date | None = None  # the C-14 repeated-swelling hold from this date
    strength_days: tuple[frozenset[dt.date], frozenset[dt.date]] | None = None  # prescribed, done
    intake_triage: Triage | None = None  # default: ok
    withheld: bool = False  # no program (D-2)

    def inputs(self) -> str:
        """The row's situation in words (for docs/clinical-rules.md)."""
        parts = [self.person, f"on {_md(self.today)} (day {(self.today - START).days})"]
        if self.pain is not None:
            parts.append(_pain_words(self.pain))
        if self.baseline is not None:
            parts.append(f"usual morning pain {self.baseline}/10")
        if self.rising_weeks:
            parts.append("rising weeks from " + ", ".join(map(_md, self.rising_weeks)))
        if self.p5:
            parts.append("paused after provoking on " + ", ".join(map(_md, self.p5)))
        for when, rule in self.acks:
            parts.append(f"clinician acknowledged {rule} on {_md(when)}")
        parts += [f"clinician review on {_md(d)}" for d in self.reviews]
        parts += [f"clinician assessment on {_md(d)}" for d in self.assessments]
        if self.review_on:
            parts.append(f"review due {_md(self.review_on)}")
        for x, st in self.statuses.items():
            parts.append(f"{x} {st.value}")
        if self.waiting:
            parts.append("waiting for a clinician: " + ", ".join(self.waiting))
        for x in self.clinician_paused:
            parts.append(f"{x} paused by a clinician")
        for when, x in self.floor_holds:
            parts.append(f"{x} held at 5 min on {_md(when)}")
        for when, x in self.stops:
            parts.append(f"{x} stopped (pain ≥ 8) on {_md(when)}")
        for when, tri in self.checkins:
            parts.append(f"check-in {_md(when)}: {tri.level.value} {', '.join(tri.rules)}")
        if self.swelling_hold:
            parts.append(f"swelling again on {_md(self.swelling_hold)}")
        if self.strength_days:
            parts.append(
                f"{len(self.strength_days[1] & self.strength_days[0])} of "
                f"{len(self.strength_days[0])} strength days done"
            )
        if self.intake_triage:
            parts.append(f"intake {self.intake_triage.level.value}")
        return "; ".join(parts)


def _md(d: dt.date) -> str:
    return f"{d.month}/{d.day}"


def _pain_words(pain: dict[dt.date, int]) -> str:
    if not pain:
        return "no daily pain ratings"
    values = sorted(set(pain.values()))
    days = sorted(pain)
    return (
        f"{len(pain)} daily ratings {_md(days[0])}–{_md(days[-1])} ({'/'.join(map(str, values))})"
    )


def flat(value: int, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    return {first + dt.timedelta(days=i): value for i in range((last - first).days + 1)}


def situation(case: Case) -> Situation:
    intake = Intake.model_validate({"knee": "right", **PEOPLE[case.person]} | _pain_worst(case))
    usual = DAILY_PAIN.get(case.person, intake.pain_now)
    pain = case.pain if case.pain is not None else flat(usual, D(3, 4), case.today)
    prescribed, done = case.strength_days or (frozenset(), frozenset())
    ok = Triage(level=Level.OK, rules=(), message="No warning signs in your answers.")
    return Situation(
        intake=intake,
        start=START,
        today=case.today,
        reviewed=False,
        triage=case.intake_triage or ok,
        program=None if case.withheld else program(case.statuses, case.review_on),
        pain=pain,
        checkin_screens=case.checkins,
        p5_dates=case.p5,
        prescribed=prescribed,
        done=done,
        baseline_today=case.baseline,
        rising_weeks=case.rising_weeks,
        acknowledgements=case.acks,
        reviews=case.reviews,
        assessments=case.assessments,
        review_on=case.review_on,
        waiting_for_clinician=case.waiting,
        clinician_paused=case.clinician_paused,
        paused_since=case.paused_since,
        aerobic_floor_holds=case.floor_holds,
        p1_stops=case.stops,
        clinician_holds=((case.swelling_hold, "C-14"),) if case.swelling_hold else (),
    )


def _pain_worst(case: Case) -> dict[str, Any]:
    return {"pain_worst_week": PEOPLE[case.person]["pain_now"]}


PES = "pes anserine 8 wk"
E2_SAYS = (
    "You have done the program for 14 days and your average pain has not improved "
    "(4.0/10 now, 4/10 at the start)"
)

# EX-29 — "Not getting better after a week or two" for every non-chronic onset (E2, E4, C-11, C-10).
EX29: list[Case] = [
    Case("day 13: E2 not yet due", PES, D(3, 16), "none", absent=("E2",)),
    Case(
        "day 14, flat pain: E2; the warning-sign questions come next",
        PES,
        D(3, 17),
        "soon",
        ("E2",),
        says=(E2_SAYS, "warning-sign questions will be asked again"),
    ),
    Case(
        "day 41, still flat: E2 every day until acknowledged; E4 not yet",
        PES,
        D(4, 13),
        "soon",
        ("E2",),
        absent=("E4",),
        says=("You have done the program for 41 days",),
        never=("asked again",),
    ),
    Case("day 42: E2 and E4", PES, D(4, 14), "soon", ("E2", "E4")),
    Case(
        "day 42, E2 acknowledged on 3/18: E4 still fires",
        PES,
        D(4, 14),
        "soon",
        ("E4",),
        absent=("E2",),
        acks=((D(3, 18), "E2"),),
    ),
    Case(
        "day 20, E2 acknowledged on 3/18: not shown again for the same trigger",
        PES,
        D(3, 23),
        "none",
        absent=("E2",),
        acks=((D(3, 18), "E2"),),
    ),
    Case(
        "E2 acknowledged 3/18, better from 3/19, worse again from 3/27: a new trigger on 4/2",
        PES,
        D(4, 2),
        "soon",
        ("E2",),
        acks=((D(3, 18), "E2"),),
        pain=flat(4, D(3, 4), D(3, 18)) | flat(2, D(3, 19), D(3, 26)) | flat(4, D(3, 27), D(4, 2)),
    ),
    Case(
        "day 14, only 3 ratings in 3/11–3/17: too few = not improved",
        PES,
        D(3, 17),
        "soon",
        ("E2",),
        pain=flat(4, D(3, 4), D(3, 10)) | {D(3, 12): 4, D(3, 14): 4, D(3, 16): 4},
        says=("too few daily pain ratings", "3 in the last 7 days"),
    ),
    Case(
        "day 14, the 70-year-old of EX-02 (104 weeks, chronic): no E2",
        "OA 104 wk",
        D(3, 17),
        "none",
        absent=("E2",),
    ),
    Case(
        "day 14, 1 point better: improved, no E2",
        PES,
        D(3, 17),
        "none",
        absent=("E2",),
        pain=flat(3, D(3, 4), D(3, 17)),
    ),
]

# EX-30 — E4 for every onset; E10 only when not yet assessed (E4, E10, D-7).
EX30: list[Case] = [
    Case(
        "OA 104 weeks, not assessed, day 0: E10 from the start",
        "OA 104 wk, not assessed",
        D(3, 3),
        "soon",
        ("E10",),
        says=(
            "Book a review with a physical therapist or doctor as soon as you can. "
            "You can start the program meanwhile.",
        ),
        never=("first 2 weeks", "until a clinician"),
        pain={},
    ),
    Case(
        "the same, day 40: E10 still, without 'start meanwhile' (C-17)",
        "OA 104 wk, not assessed",
        D(4, 12),
        "soon",
        ("E10",),
        absent=("E4",),
        says=("Book a review with a physical therapist or doctor as soon as you can.",),
        never=("first 2 weeks", "start the program meanwhile", "recent knee problem"),
    ),
    Case(
        "the same, E10 acknowledged on 3/5",
        "OA 104 wk, not assessed",
        D(3, 10),
        "none",
        absent=("E10",),
        acks=((D(3, 5), "E10"),),
    ),
    Case(
        "the same, a clinician review recorded on 3/7",
        "OA 104 wk, not assessed",
        D(3, 10),
        "none",
        absent=("E10",),
        reviews=(D(3, 7),),
    ),
    Case(
        "the same, a clinician assessment recorded on 3/7",
        "OA 104 wk, not assessed",
        D(3, 10),
        "none",
        absent=("E10",),
        reviews=(D(3, 7),),
        assessments=(D(3, 7),),
    ),
    Case(
        "the same, day 42, pain flat at 5: E4 as well",
        "OA 104 wk, not assessed",
        D(4, 14),
        "soon",
        ("E10", "E4"),
        absent=("E2",),
    ),
    Case("assessed yes, day 0: no E10", "OA 104 wk", D(3, 3), "none", absent=("E10",), pain={}),
    Case("assessed yes, day 42, flat: E4", "OA 104 wk", D(4, 14), "soon", ("E4",), absent=("E10",)),
    Case(
        "assessed yes, day 42, 2 points better for weeks: no E4 (E11 says so)",
        "OA 104 wk",
        D(4, 14),
        "message",
        ("E11",),
        absent=("E4",),
        pain=flat(3, D(3, 4), D(4, 14)),
    ),
    Case(
        "assessed missing (older file) = not sure: E10",
        "OA 104 wk, assessed missing",
        D(3, 3),
        "soon",
        ("E10",),
        pain={},
    ),
    Case("MCL grade II, 2 weeks: no E10", "MCL II 2 wk", D(3, 3), "none", absent=("E10",), pain={}),
    Case("MCL grade II, day 41, flat", "MCL II 2 wk", D(4, 13), "soon", ("E2",), absent=("E4",)),
    Case("MCL grade II, day 42, flat: E4", "MCL II 2 wk", D(4, 14), "soon", ("E2", "E4")),
    Case(
        "pes anserine 8 weeks, day 42, flat: E4, no E10", PES, D(4, 14), "soon", ("E4",), ("E10",)
    ),
]

# EX-31 — Much of the program paused (E12, D-14). The session has 6 non-aerobic exercises.
P = ItemStatus.PAUSED
TROUBLE = ("trouble tolerating exercise", "round of physical therapy")
OA52 = "OA 52 wk"
EX31: list[Case] = [
    Case(
        "3/20: step-up and bridge paused, 2 of 6",
        OA52,
        D(3, 20),
        "none",
        absent=("E12",),
        statuses={"step-up": P, "bridge": P},
    ),
    Case(
        "3/21: + leg raise at its floor, 3 of 6 = 50 %",
        OA52,
        D(3, 21),
        "soon",
        ("E12",),
        statuses={"step-up": P, "bridge": P, "seated-straight-leg-raise": P},
        says=("3 of your 6 exercises", *TROUBLE),
    ),
    Case(
        "3/22: still 3 of 6: every day while ≥ 50 %",
        OA52,
        D(3, 22),
        "soon",
        ("E12",),
        statuses={"step-up": P, "bridge": P, "seated-straight-leg-raise": P},
    ),
    Case(
        "2 paused and 1 stopped today: 3 of 6",
        OA52,
        D(3, 21),
        "soon",
        ("E12",),
        statuses={"step-up": P, "bridge": P, "seated-straight-leg-raise": ItemStatus.STOPPED},
    ),
    Case(
        "walking and cardio do not count: 2 of 6 strength/stretch paused",
        OA52,
        D(3, 21),
        "none",
        absent=("E12",),
        statuses={"step-up": P, "bridge": P, "walking": P, "stationary-cardio": P},
    ),
    Case(
        "4/2: only step-up, paused again within 28 days of its resume: waiting for a clinician",
        OA52,
        D(4, 2),
        "soon",
        ("E12",),
        statuses={"step-up": P},
        waiting=("step-up",),
        says=("Step-up stays paused until a clinician has reviewed it", *TROUBLE),
    ),
    Case(
        "any date: only an item a clinician paused",
        OA52,
        D(3, 21),
        "none",
        absent=("E12",),
        statuses={"bridge": P},
        clinician_paused={"bridge": "let the tendon settle for a week"},
        meanwhile_says=("Bridge: paused by your physio: let the tendon settle for a week.",),
    ),
    Case(
        "3 of 6 paused by a clinician: the clinician's plan, no E12",
        OA52,
        D(3, 21),
        "none",
        absent=("E12",),
        statuses={"bridge": P, "step-up": P, "seated-straight-leg-raise": P},
        clinician_paused={
            "bridge": "reduce load",
            "step-up": "reduce load",
            "seated-straight-leg-raise": "reduce load",
        },
    ),
    Case(
        "3 of 6 paused, E12 acknowledged on 3/21: not shown again on 3/22",
        OA52,
        D(3, 22),
        "none",
        absent=("E12",),
        statuses={"step-up": P, "bridge": P, "seated-straight-leg-raise": P},
        paused_since={
            "step-up": D(3, 18),
            "bridge": D(3, 19),
            "seated-straight-leg-raise": D(3, 21),
        },
        acks=((D(3, 21), "E12"),),
    ),
    Case(
        "acknowledged on 3/21, a 4th item paused on 3/23: a new trigger",
        OA52,
        D(3, 23),
        "soon",
        ("E12",),
        statuses={
            "step-up": P,
            "bridge": P,
            "seated-straight-leg-raise": P,
            "side-lying-leg-raise": P,
        },
        paused_since={
            "step-up": D(3, 18),
            "bridge": D(3, 19),
            "seated-straight-leg-raise": D(3, 21),
            "side-lying-leg-raise": D(3, 23),
        },
        acks=((D(3, 21), "E12"),),
    ),
]

# EX-20 rows 4–8 — aerobic items never pause; E13 on the second floor hold within 14 days or an
# aerobic P1 stop (E13, P12, P1, C-9, C-10). Walking Thu/Sun; the 58-year-old with OA.
E13_TEXT = (
    "Even short walks are bothering your knee: book a review; keep moving within comfort meanwhile."
)
EX20: list[Case] = [
    Case(
        "row 4 — 3/21: walking held at 5 min (first floor hold)",
        OA52,
        D(3, 21),
        "none",
        absent=("E13",),
        floor_holds=((D(3, 21), "walking"),),
    ),
    Case(
        "row 5 — 3/24: the second floor hold within 14 days",
        OA52,
        D(3, 24),
        "soon",
        ("E13",),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
        says=(E13_TEXT,),
    ),
    Case(
        "row 6 — cardio held at 5 min on 3/10 and 3/20 (10 days apart)",
        OA52,
        D(3, 20),
        "soon",
        ("E13",),
        floor_holds=((D(3, 10), "stationary-cardio"), (D(3, 20), "stationary-cardio")),
    ),
    Case(
        "cardio held at 5 min on 3/5 and 3/20 (15 days apart): no E13",
        OA52,
        D(3, 20),
        "none",
        absent=("E13",),
        floor_holds=((D(3, 5), "stationary-cardio"), (D(3, 20), "stationary-cardio")),
    ),
    Case(
        "floor holds of two different items: no E13",
        OA52,
        D(3, 24),
        "none",
        absent=("E13",),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "stationary-cardio")),
    ),
    Case(
        "3/25: the day after the second floor hold (an event: its date only)",
        OA52,
        D(3, 25),
        "none",
        absent=("E13",),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
    ),
    Case(
        "row 7 — walk of 3/27 with pain 8: stopped",
        OA52,
        D(3, 27),
        "soon",
        ("E13", "P1"),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
        stops=((D(3, 27), "walking"),),
        statuses={"walking": ItemStatus.STOPPED},
        says=(E13_TEXT, "warning-sign questions"),
    ),
    Case(
        "row 8 — 3/28, full set clear, walking continues at 5 min",
        OA52,
        D(3, 28),
        "none",
        absent=("E13", "P1"),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
        stops=((D(3, 27), "walking"),),
        says=("No new warning today. Book the review advised on 3/27 if you haven't yet.",),
    ),
    Case(
        "3/28, E13 acknowledged by a clinician on 3/27: nothing open",
        OA52,
        D(3, 28),
        "none",
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
        stops=((D(3, 27), "walking"),),
        acks=((D(3, 27), "E13"),),
        says=("No new warning today.",),
        never=("advised",),
    ),
    Case(
        "E13 acknowledged on its day",
        OA52,
        D(3, 24),
        "none",
        absent=("E13",),
        floor_holds=((D(3, 21), "walking"), (D(3, 24), "walking")),
        acks=((D(3, 24), "E13"),),
    ),
]

# P1 stop of a non-aerobic exercise (EX-19, C-10): `message` on its date, outside a lock.
EX19: list[Case] = [
    Case(
        "3/10: bridge stopped (pain 8)",
        OA52,
        D(3, 10),
        "message",
        ("P1",),
        stops=((D(3, 10), "bridge"),),
        statuses={"bridge": ItemStatus.STOPPED},
        says=("Answer the warning-sign questions at your next morning check-in.",),
    ),
    Case(
        "3/11: the full set was clear; bridge paused one step lower",
        OA52,
        D(3, 11),
        "none",
        absent=("P1",),
        stops=((D(3, 10), "bridge"),),
        statuses={"bridge": P},
    ),
    Case(
        "variant: the 3/11 full set finds a locked knee: urgent, the stop is part of the lock",
        OA52,
        D(3, 11),
        "urgent",
        ("E1", "RF07"),
        absent=("P1",),
        stops=((D(3, 11), "bridge"),),
        checkins=((D(3, 11), triage(Level.URGENT, ("RF07",), "Your knee is locked.")),),
    ),
]

# E3 — `worse` (v2): B ≥ 8 (EX-01 row 9), two rising weeks (EX-07), pain up 2, P5 twice.
EX_E3: list[Case] = [
    Case(
        "EX-01 row 9 — 3/20: the 7 check-ins before all 9, usual morning pain 9",
        "adult, pain 9 mornings",
        D(3, 20),
        "soon",
        ("E3",),
        baseline=9,
        says=("your usual morning pain is 9/10",),
    ),
    Case(
        "usual morning pain 9 on 3/10 (day 7): E3 only after day 7",
        "adult, pain 9 mornings",
        D(3, 10),
        "none",
        absent=("E3",),
        baseline=9,
    ),
    Case(
        "usual morning pain 7: not worse",
        "adult, pain 9 mornings",
        D(3, 20),
        "none",
        absent=("E3",),
        baseline=7,
    ),
    Case(
        "usual morning pain 9, E3 acknowledged 3/18 and still 9 every day since",
        "adult, pain 9 mornings",
        D(3, 20),
        "none",
        absent=("E3",),
        baseline=9,
        acks=((D(3, 18), "E3"),),
    ),
    Case(
        "EX-07 — 3/17: only the week of 3/10 rising",
        OA52,
        D(3, 17),
        "none",
        absent=("E3",),
        rising_weeks=(D(3, 10),),
    ),
    Case(
        "EX-07 — 3/24: the weeks of 3/10 and 3/17 both rising",
        OA52,
        D(3, 24),
        "soon",
        ("E3",),
        rising_weeks=(D(3, 10), D(3, 17)),
        says=("rose two weeks running", "3/10 and 3/17"),
    ),
    Case(
        "EX-07 — 3/30: still the last two judged weeks",
        OA52,
        D(3, 30),
        "soon",
        ("E3",),
        rising_weeks=(D(3, 10), D(3, 17)),
    ),
    Case(
        "EX-07 — 3/31: the week of 3/24 was not rising",
        OA52,
        D(3, 31),
        "none",
        absent=("E3",),
        rising_weeks=(D(3, 10), D(3, 17)),
    ),
    Case(
        "average pain 2 points up on day 8",
        OA52,
        D(3, 11),
        "soon",
        ("E3",),
        pain=flat(4, D(3, 5), D(3, 11)),
        says=("gone up by 2 points or more",),
    ),
    Case(
        "average pain 2 points up on day 7: not yet",
        OA52,
        D(3, 10),
        "none",
        absent=("E3",),
        pain=flat(4, D(3, 4), D(3, 10)),
    ),
    Case(
        "exercises paused after provoking on 3/12 and 3/19",
        OA52,
        D(3, 20),
        "soon",
        ("E3",),
        p5=(D(3, 12), D(3, 19)),
        says=("paused twice within 2 weeks (3/12 and 3/19)",),
    ),
    Case(
        "one pause on 3/19 alone: pausing is not an escalation by itself",
        OA52,
        D(3, 20),
        "none",
        absent=("E3", "P5", "E12"),
        p5=(D(3, 19),),
        statuses={"step-up": P},
        meanwhile_says=("Step-up is paused for now and restarts by itself",),
    ),
]

# EX-15 — adherence (C-12, E9): 1 of 6 strength days done in the 14 days ending 3/17.
STRENGTH = frozenset({D(3, 5), D(3, 7), D(3, 10), D(3, 12), D(3, 14), D(3, 17)})
EX15: list[Case] = [
    Case(
        "3/17: 1 of 6 strength days done (17 %)",
        "pes anserine 20 wk",
        D(3, 17),
        "message",
        ("E9",),
        pain={},
        strength_days=(STRENGTH, frozenset({D(3, 3), D(3, 12)})),
    ),
]

# EX-32 — Escalation outputs (C-10, E1, C-14, RF08, RF17, D-2).
EX32: list[Case] = [
    Case(
        "MCL grade II with swelling (EX-22), 3/8",
        "MCL II 3 wk",
        D(3, 8),
        "soon",
        ("E1", "C-14"),
        checkins=((D(3, 8), SWELLING),),
        says=("warning-sign questions will be asked again",),
        never=("until a clinician",),
    ),
    Case(
        "the same, 3/9: swelling is an event; its day only",
        "MCL II 3 wk",
        D(3, 9),
        "none",
        absent=("E1", "C-14"),
        checkins=((D(3, 8), SWELLING),),
    ),
    Case(
        "swelling again on 3/12 (EX-22 row 10), 3/14: held until a clinician review",
        "MCL II 3 wk",
        D(3, 14),
        "soon",
        ("C-14",),
        checkins=((D(3, 8), SWELLING), (D(3, 12), SWELLING)),
        swelling_hold=D(3, 12),
        meanwhile_says=("Nothing steps up until a clinician has reviewed your program.",),
    ),
    Case(
        "the same, reviewed on 3/15",
        "MCL II 3 wk",
        D(3, 16),
        "none",
        absent=("C-14", "E1"),
        checkins=((D(3, 8), SWELLING), (D(3, 12), SWELLING)),
        swelling_hold=D(3, 12),
        reviews=(D(3, 15),),
    ),
    Case(
        "meniscus tear with giving way (EX-21), 3/12",
        "meniscus 1 wk",
        D(3, 12),
        "soon",
        ("E1", "RF08"),
        checkins=((D(3, 12), GIVING_WAY),),
        statuses={"step-up": P},
        waiting=("step-up",),
        says=("this week",),
        meanwhile_says=("until a clinician has reviewed your program",),
    ),
    Case(
        "the same, 3/15: RF08 every day while it waits for a clinician",
        "meniscus 1 wk",
        D(3, 15),
        "soon",
        ("E1", "RF08", "E12"),
        checkins=((D(3, 12), GIVING_WAY),),
        statuses={"step-up": P},
        waiting=("step-up",),
    ),
    Case(
        "the same, reviewed on 3/18 (EX-39)",
        "meniscus 1 wk",
        D(3, 18),
        "none",
        absent=("E1", "RF08", "E12"),
        checkins=((D(3, 12), GIVING_WAY),),
        reviews=(D(3, 18),),
    ),
    Case(
        "the same, 3/19: catching 7 days after giving way",
        "meniscus 1 wk",
        D(3, 19),
        "urgent",
        ("E1", "RF08"),
        checkins=((D(3, 12), GIVING_WAY), (D(3, 19), CATCHING_AFTER_GIVING_WAY)),
        reviews=(D(3, 18),),
        says=("medical assessment today", "stays stopped until a clinician records"),
        meanwhile_says=(
            "Your program stays stopped until a clinician records that it is safe to restart.",
        ),
    ),
    Case(
        "the same, 3/25: still locked (a review does not lift a lock)",
        "meniscus 1 wk",
        D(3, 25),
        "urgent",
        ("E1", "RF08"),
        checkins=((D(3, 12), GIVING_WAY), (D(3, 19), CATCHING_AFTER_GIVING_WAY)),
        reviews=(D(3, 18), D(3, 22)),
    ),
    Case(
        "the same, a clinician assessment on 3/26 lifts the lock (pain clearly better: E11)",
        "meniscus 1 wk",
        D(3, 26),
        "message",
        ("E11",),
        absent=("E1", "RF08"),
        checkins=((D(3, 12), GIVING_WAY), (D(3, 19), CATCHING_AFTER_GIVING_WAY)),
        reviews=(D(3, 18), D(3, 26)),
        assessments=(D(3, 26),),
    ),
    Case(
        "pes anserine, flat pain (EX-29), 3/17",
        PES,
        D(3, 17),
        "soon",
        ("E2",),
        meanwhile_says=("Your program continues as prescribed.",),
        never=("until a clinician",),
    ),
    Case(
        "OA with two rising weeks (EX-07), 3/24",
        OA52,
        D(3, 24),
        "soon",
        ("E3",),
        rising_weeks=(D(3, 10), D(3, 17)),
    ),
    Case(
        "intake with chest symptoms: no program",
        PES,
        D(3, 3),
        "emergency",
        ("E1", "RF17"),
        intake_triage=CHEST,
        withheld=True,
        pain={},
    ),
]

# EX-38 — Messages true on the day (C-17, D-13).
EX38: list[Case] = [
    Case(
        "lock",
        "meniscus 1 wk",
        D(3, 19),
        "urgent",
        ("E1",),
        checkins=((D(3, 19), CATCHING_AFTER_GIVING_WAY),),
        says=("Your program stays stopped until a clinician records that it is safe to restart.",),
        never=("cannot record",),
    ),
    Case(
        "no rule fired, review date 3/17 passed",
        OA52,
        D(3, 20),
        "none",
        review_on=D(3, 17),
        says=("No new warning today. Your review was due on 3/17 — book it if you haven't.",),
    ),
    Case(
        "no rule fired, review date 3/17 reached and recorded",
        OA52,
        D(3, 20),
        "none",
        review_on=D(3, 17),
        reviews=(D(3, 17),),
        says=("No new warning today.",),
        never=("was due",),
    ),
    Case(
        "no rule fired, review date ahead",
        OA52,
        D(3, 10),
        "none",
        review_on=D(3, 17),
        says=("No new warning today. Your next review is due on 3/17.",),
    ),
    Case(
        "E10 shown on day 40",
        "OA 104 wk, not assessed",
        D(4, 12),
        "soon",
        ("E10",),
        says=("Book a review with a physical therapist or doctor as soon as you can.",),
        never=("first 2 weeks",),
    ),
    Case("E2, gradual onset 8 weeks ago", PES, D(3, 17), "soon", ("E2",), says=(E2_SAYS,)),
    Case(
        "clinician's own pause",
        OA52,
        D(3, 20),
        "none",
        statuses={"bridge": P},
        clinician_paused={"bridge": "Rest it until your next visit."},
        meanwhile_says=("paused by your physio: Rest it until your next visit.",),
    ),
]

TABLES: dict[str, list[Case]] = {
    "EX-29 — not getting better after a week or two (E2, E4)": EX29,
    "EX-30 — E4 for every onset; E10 only when not yet assessed": EX30,
    "EX-31 — much of the program paused (E12)": EX31,
    "EX-20 — aerobic items: floor holds and stops (E13)": EX20,
    "EX-19 — a stopped exercise outside a lock (P1)": EX19,
    "EX-01 row 9, EX-07 — getting worse (E3)": EX_E3,
    "EX-15 — adherence (E9)": EX15,
    "EX-32 — escalation outputs": EX32,
    "EX-38 — messages true on the day": EX38,
}
ALL: list[Case] = [c for rows in TABLES.values() for c in rows]


def texts(e: Escalation) -> list[str]:
    return [e.message, e.meanwhile, *e.reasons]


def check(case: Case, e: Escalation) -> None:
    assert e.level == EscalationLevel(case.level), (e.rules, e.message)
    assert set(case.rules) <= set(e.rules), e.rules
    assert not set(case.absent) & set(e.rules), e.rules
    for words in case.says:
        assert words in e.message, e.message
    for words in case.meanwhile_says:
        assert words in e.meanwhile, e.meanwhile
    for words in case.never:
        assert all(words.lower() not in t.lower() for t in texts(e)), texts(e)
    if e.level != EscalationLevel.NONE:
        assert e.reasons, "every escalation says why"


@pytest.mark.parametrize("case", ALL, ids=[c.scenario for c in ALL])
def test_escalation_examples(case: Case) -> None:
    check(case, escalate(situation(case)))


@pytest.mark.parametrize("case", ALL, ids=[c.scenario for c in ALL])
def test_texts_are_true_on_the_day_and_carry_no_rule_ids(case: Case) -> None:
    """D-13: no rule id, "RULES" or "§" in any message, meanwhile or reason; C-17: never "no review
    needed", never "first 2 weeks" after day 13, "recent knee problem" only for a non-chronic onset."""
    s = situation(case)
    e = escalate(s)
    for t in texts(e):
        assert not RULE_ID_PATTERN.search(t), t
        assert "no review needed" not in t.lower(), t
        if (s.today - s.start).days > 13:
            assert "first 2 weeks" not in t, t
        if s.intake.chronic:
            assert "recent knee problem" not in t, t
        assert "2025-" not in t, f"dates in a sentence are written plainly: {t}"
    assert e.message and e.meanwhile
