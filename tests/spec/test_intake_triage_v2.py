"""EX-27 (intake triage, rule book v2) and the re-screen's chest question, as tables a physical therapist can check.

Rules: C-3, D-2, RF01, RF04, RF05, RF06, RF08, RF10, RF12, RF13, RF15, RF17, RF18, RF19 (EXAMPLES.md EX-27, EX-28).
Each row: who the person is and what they answered → the triage level, the rule ids that must be cited, and words
the person must be told. Intake fields a row does not name follow the EXAMPLES conventions: sex unspecified, right
knee, worst pain this week = pain now, no warning sign ticked, can get down to the floor, steady on their feet,
already examined; a row that names no condition is `unknown`, no age 40, no onset gradual 10 weeks, no pain 3.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from kneehab.domain.intake import Intake
from kneehab.domain.program import Triage
from kneehab.domain.records import Rescreen
from kneehab.domain.screening import screen, screen_rescreen
from kneehab.domain.types import Level

# EXAMPLES.md EX-36: no rule id, "RULES" or "§" inside any sentence a person reads (RULES D-13).
RULE_ID_IN_TEXT = re.compile(r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§")

DEFAULTS: dict[str, Any] = {
    "age": 40,
    "sex": "unspecified",
    "knee": "right",
    "condition": "unknown",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 3,
    "red_flags": [],
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "assessed": "yes",
}


def person(**answers: Any) -> Intake:
    data = {**DEFAULTS, **answers}
    data.setdefault("pain_worst_week", data["pain_now"])
    return Intake.model_validate(data)


MAN_60_INJURED = {"age": 60, "sex": "male", "onset": "injury"}
OA_85 = {"age": 85, "condition": "medial_knee_oa", "pain_now": 7}

# EX-27, one row per row of the example:
# (intake as the example words it, the answers, level, rules that must be cited, words the person is told)
EX27: list[tuple[str, dict[str, Any], Level, set[str], tuple[str, ...]]] = [
    (
        "man of 60, unknown, injured this week, no flags",
        {**MAN_60_INJURED, "weeks_since_onset": 0},
        Level.URGENT,
        {"RF01"},
        ("X-ray", "medical assessment today"),
    ),
    (
        "man of 60, injured 1 week ago, no flags (the 7-day window has passed)",
        {**MAN_60_INJURED, "weeks_since_onset": 1},
        Level.OK,
        set(),
        ("You can start the program",),
    ),
    (
        "40-year-old with chest symptoms, no flags",
        {"chest_symptoms": True},
        Level.EMERGENCY,
        {"RF17"},
        ("Call emergency services",),
    ),
    (
        "calf or leg symptoms ticked, with chest symptoms",
        {"red_flags": ["RF05"], "chest_symptoms": True},
        Level.EMERGENCY,
        {"RF05", "RF17"},
        ("Call emergency services",),
    ),
    (
        "30-year-old, MCL sprain, injured this week, numbness ticked",
        {
            "age": 30,
            "condition": "mcl_sprain",
            "onset": "injury",
            "weeks_since_onset": 0,
            "red_flags": ["RF10"],
        },
        Level.EMERGENCY,
        {"RF10"},
        ("emergency", "now"),
    ),
    (
        "30-year-old, MCL sprain of unknown grade, injured 1 week ago, numbness ticked",
        {
            "age": 30,
            "condition": "mcl_sprain",
            "onset": "injury",
            "weeks_since_onset": 1,
            "red_flags": ["RF10"],
        },
        Level.URGENT,
        {"RF10"},
        ("medical assessment today",),
    ),
    (
        "40-year-old, gradual onset, numbness ticked and a cold foot",
        {"red_flags": ["RF10"], "cold_foot": True},
        Level.EMERGENCY,
        {"RF10"},
        ("emergency", "now"),
    ),
    ("age 15", {"age": 15}, Level.OUT_OF_SCOPE, {"RF15"}, ("physical therapist or doctor",)),
    (
        "age 16, unknown, injured 1 week ago",
        {"age": 16, "onset": "injury", "weeks_since_onset": 1},
        Level.OUT_OF_SCOPE,
        {"RF18"},
        ("examine", "before you start exercises", "next few days"),
    ),
    (
        "age 17, kneecap pain, gradual, 10 weeks",
        {"age": 17, "condition": "patellofemoral_pain", "weeks_since_onset": 10},
        Level.SOON,
        {"RF18"},
        ("starting doses", "1–2 weeks", "will not step up until a clinician has reviewed"),
    ),
    (
        "age 17, injured 8 weeks ago",
        {"age": 17, "onset": "injury", "weeks_since_onset": 8},
        Level.SOON,
        {"RF18"},
        ("starting doses", "1–2 weeks", "will not step up until a clinician has reviewed"),
    ),
    (
        "55-year-old with OA, pain now 9, no flags",
        {"age": 55, "condition": "medial_knee_oa", "pain_now": 9},
        Level.OUT_OF_SCOPE,
        {"RF19"},
        ("next few days", "keep moving gently", "ice or heat safely", "7 or less"),
    ),
    (
        "85-year-old with OA, pain now 7, no flags",
        OA_85,
        Level.SOON,
        {"RF19"},
        ("start gently", "1–2 weeks", "will not step up until a clinician has reviewed"),
    ),
    (
        "the same, with constant night pain and a cancer history",
        {**OA_85, "red_flags": ["RF12", "RF13"]},
        Level.URGENT,
        {"RF12", "RF13", "RF19"},
        ("medical assessment today",),
    ),
    # The example's row "85-year-old with OA, pain_now 7 → ok" contradicts its own row above and RULES RF19
    # (pain at rest = 7 → soon). EXAMPLES.md says the rule is right: the row is kept here at the rule's level
    # and reported as an example bug (see the commit message). The `ok` reading holds once a clinician has
    # recorded an assessment (EX-28, below).
    (
        "85-year-old with OA, pain now 7 (example row says ok; RULES RF19 says soon)",
        OA_85,
        Level.SOON,
        {"RF19"},
        ("start gently",),
    ),
    (
        "30-year-old, injured 1 week ago, fast swelling and giving way ticked",
        {"age": 30, "onset": "injury", "weeks_since_onset": 1, "red_flags": ["RF06", "RF08"]},
        Level.URGENT,
        {"RF06", "RF08"},
        ("medical assessment today",),
    ),
    (
        "35-year-old, medial meniscus, injured 8 weeks ago, giving way ticked",
        {
            "age": 35,
            "condition": "medial_meniscus",
            "onset": "injury",
            "weeks_since_onset": 8,
            "red_flags": ["RF08"],
        },
        Level.SOON,
        {"RF08"},
        ("1–2 weeks", "will not step up until a clinician has reviewed"),
    ),
    (
        "30-year-old, MCL sprain grade 3",
        {"age": 30, "condition": "mcl_sprain", "mcl_grade": 3},
        Level.OUT_OF_SCOPE,
        {"D-2"},
        ("physical therapist or doctor",),
    ),
    (
        "60-year-old with OA, gradual, hot red swollen knee ticked",
        {"age": 60, "condition": "medial_knee_oa", "red_flags": ["RF04"]},
        Level.EMERGENCY,
        {"RF04"},
        ("emergency department now",),
    ),
]


def assert_readable(triage: Triage) -> None:
    """Every fired rule says why in plain words, and no sentence carries a rule id (D-13)."""
    for text in (triage.message, *triage.reasons):
        assert not RULE_ID_IN_TEXT.search(text), text
        assert "you have " not in text.lower()  # the product never diagnoses
    if triage.level != Level.OK:
        assert triage.reasons


@pytest.mark.parametrize(
    ("intake", "answers", "level", "rules", "told"), EX27, ids=[row[0] for row in EX27]
)
def test_ex27_intake_triage(
    intake: str, answers: dict[str, Any], level: Level, rules: set[str], told: tuple[str, ...]
) -> None:
    triage = screen(person(**answers))
    assert triage.level == level, intake
    assert rules <= set(triage.rules), intake
    if level == Level.OK:
        assert triage.rules == ()
    for words in told:
        assert words.lower() in triage.message.lower(), (intake, words, triage.message)
    assert_readable(triage)


def test_ex27_told_texts_are_the_rule_books() -> None:
    """RULES §1.2 gives the exact words for the derived age rule and the chest question."""
    ottawa = screen(person(**MAN_60_INJURED, weeks_since_onset=0)).message
    assert ottawa.startswith(
        "After a knee injury at 55 or over, an X-ray is usually advised to rule out a break: get a "
        "medical assessment today (urgent care or your doctor)."
    )
    assert screen(person(chest_symptoms=True)).message.startswith("Call emergency services now.")
    high = screen(person(**OA_85)).message
    assert high.startswith("Your pain at rest is high (7/10): start gently, and book a review")


# EX-28: a clinician's recorded assessment lifts RF18 and RF19 (D-7); RF15 stays.
# (who, answers, level after the assessment, rules that must still be cited)
EX28: list[tuple[str, dict[str, Any], Level, set[str]]] = [
    (
        "55-year-old with OA, pain now 9, examined",
        {"age": 55, "condition": "medial_knee_oa", "pain_now": 9},
        Level.OK,
        set(),
    ),
    (
        "16-year-old injured 1 week ago, examined: MCL grade 1",
        {
            "age": 16,
            "condition": "mcl_sprain",
            "mcl_grade": 1,
            "onset": "injury",
            "weeks_since_onset": 1,
        },
        Level.OK,
        set(),
    ),
    ("15-year-old, examined", {"age": 15}, Level.OUT_OF_SCOPE, {"RF15"}),
]


@pytest.mark.parametrize(("who", "answers", "level", "rules"), EX28, ids=[r[0] for r in EX28])
def test_ex28_assessment_lifts_rf18_and_rf19(
    who: str, answers: dict[str, Any], level: Level, rules: set[str]
) -> None:
    triage = screen(person(**answers), clinician_assessed=True)
    assert triage.level == level, who
    assert rules <= set(triage.rules), who
    assert not {"RF18", "RF19"} & set(triage.rules), who


def test_ex28_new_intake_with_lower_pain_is_ok() -> None:
    assert screen(person(age=55, condition="medial_knee_oa", pain_now=6)).level == Level.OK


# RF17 at a re-screen: the chest question is asked again in every re-screen; a yes is an emergency on its own.
# (answers, level, rules that must be cited)
RESCREEN: list[tuple[str, dict[str, Any], Level, set[str]]] = [
    ("chest symptoms alone", {"chest_symptoms": True}, Level.EMERGENCY, {"RF17"}),
    (
        "calf symptoms and chest symptoms",
        {"red_flags": ["RF05"], "chest_symptoms": True},
        Level.EMERGENCY,
        {"RF05", "RF17"},
    ),
    ("calf symptoms alone", {"red_flags": ["RF05"]}, Level.URGENT, {"RF05"}),
    ("a cold foot alone", {"cold_foot": True}, Level.EMERGENCY, {"RF10"}),
    ("nothing", {}, Level.OK, set()),
]


@pytest.mark.parametrize(
    ("answers_given", "answers", "level", "rules"), RESCREEN, ids=[r[0] for r in RESCREEN]
)
def test_rescreen_chest_symptoms(
    answers_given: str, answers: dict[str, Any], level: Level, rules: set[str]
) -> None:
    triage = screen_rescreen(Rescreen.model_validate({"date": date(2025, 3, 12), **answers}))
    assert triage.level == level, answers_given
    assert rules <= set(triage.rules), answers_given
    if rules == {"RF17"}:
        assert triage.message.startswith("Call emergency services now.")
    assert_readable(triage)


def test_no_rule_id_in_any_question_or_reason() -> None:
    """D-13: the questions and their reasons are read by the person; ids travel beside them."""
    from kneehab.domain.red_flags import FIELD_QUESTIONS, RED_FLAG_QUESTIONS
    from kneehab.domain.screening import _REASONS, MESSAGES, TOLD

    texts = [q.question for q in (*RED_FLAG_QUESTIONS, *FIELD_QUESTIONS)]
    texts += [q.reason for q in (*RED_FLAG_QUESTIONS, *FIELD_QUESTIONS)]
    texts += [*MESSAGES.values(), *TOLD.values(), *_REASONS.values()]
    for text in texts:
        assert not RULE_ID_IN_TEXT.search(text), text
