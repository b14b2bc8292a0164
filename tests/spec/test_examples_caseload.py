"""Worked example EX-40 of EXAMPLES.md (rule book v2, D-9): the caseload's order on 3/20 — who a
physical therapist should look at first. Each person's course is replayed through the engine.

One reading differs from the example on purpose: person E (the 85-year-old of EX-34, pain at rest
7/10) is triaged `soon` by RF19 (RULES §1.2, C-3), so she waits for a review (tier 3); the tier-5 row
is checked with the same person at a usual pain of 6 (limit 6, flagged for the clinician).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import done_in_full, intake, md, simulate

from kneehab.domain.caseload import attention_for, order
from kneehab.domain.records import History


def _course_and_history(person: dict[str, Any], until: str, **kw: Any) -> tuple[Any, History]:
    kept: list[History] = []
    course = simulate(person, until=until, keep=kept, **kw)
    return course, kept[0]


MENISCUS = intake(
    age=32,
    sex="female",
    condition="medial_meniscus",
    onset="injury",
    weeks_since_onset=1,
    pain_now=2,
    access=["elliptical"],
)
PEOPLE = {
    "A": (MENISCUS, {"morning": 2, "words": {"3/12": ["giving_way"], "3/19": ["catching"]}}, 1),
    "B": (
        intake(
            age=35, condition="medial_meniscus", onset="injury", weeks_since_onset=8, pain_now=2
        ),
        {"morning": 2, "avg_pain": 1, "rescreens": [{"date": "2025-03-12", "red_flags": ["RF08"]}]},
        2,
    ),
    "C": (
        intake(
            age=58,
            condition="pes_anserine_bursitis",
            onset="gradual",
            weeks_since_onset=8,
            pain_now=4,
        ),
        {"morning": 4, "avg_pain": 4},
        3,
    ),
    "D": (
        intake(
            age=58,
            condition="pes_anserine_bursitis",
            onset="gradual",
            weeks_since_onset=20,
            pain_now=4,
        ),
        {
            "morning": 4,
            "session_days": lambda d: d in {md("3/3"), md("3/12"), md("3/19")},
        },
        4,
    ),
    "E": (
        intake(
            age=85,
            sex="female",
            knee="both",
            condition="medial_knee_oa",
            onset="gradual",
            weeks_since_onset=520,
            pain_now=6,
            equipment=["chair"],
            floor_transfer="no",
            falls_or_unsteady="yes",
            stair_height_cm=17,
        ),
        {"morning": 6, "avg_pain": 4},
        5,
    ),
    "F": (
        intake(
            age=58, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=2
        ),
        {
            "morning": lambda d: 4 if d in (md("3/13"), md("3/15"), md("3/17")) else 2,
            "avg_pain": 1,
            "entry": lambda i, d: done_in_full(
                i, pain=4 if i.exercise_id == "step-up" and d >= md("3/12") else 1, effort="hard"
            ),
        },
        6,
    ),
}


@pytest.fixture(scope="module")
def caseload() -> dict[str, Any]:
    out = {}
    for name, (person, story, _) in PEOPLE.items():
        course, history = _course_and_history(person, "3/20", **story)
        out[name] = attention_for(name, course, history)
    return out


@pytest.mark.parametrize("name", list(PEOPLE))
def test_ex40_tier(caseload: dict[str, Any], name: str) -> None:
    assert caseload[name].tier == PEOPLE[name][2], caseload[name]


def test_ex40_order(caseload: dict[str, Any]) -> None:
    assert [a.name for a in order(list(caseload.values()))] == ["A", "B", "C", "D", "E", "F"]


def test_ex40_the_85_year_old_with_pain_7_waits_for_a_review() -> None:
    person = {**PEOPLE["E"][0], "pain_now": 7, "pain_worst_week": 7}
    course, history = _course_and_history(person, "3/20", morning=7, avg_pain=5)
    assert attention_for("E", course, history).tier == 3


def test_ex40_within_a_tier_the_oldest_first_then_by_name() -> None:
    from kneehab.domain.caseload import Attention

    people = [
        Attention(name="Zoe", tier=3, since=dt.date(2025, 3, 10), why=("E2",)),
        Attention(name="Ann", tier=3, since=dt.date(2025, 3, 12), why=("E2",)),
        Attention(name="Bob", tier=3, since=dt.date(2025, 3, 10), why=("E2",)),
    ]
    assert [a.name for a in order(people)] == ["Bob", "Zoe", "Ann"]
