"""Red-flag screening, as a table a physical therapist can check (RULES §1.2, D-2, C-3, C-14; rule book v2).

Each row: what the person answered → the triage level and the rule ids that must be cited. The v2 derived rules
(age and injury, pain at rest, chest symptoms) have their worked examples in test_intake_triage_v2.py (EX-27).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from kneehab.domain.intake import Intake
from kneehab.domain.records import CheckIn
from kneehab.domain.screening import screen, screen_checkin
from kneehab.domain.types import Level

BASE: dict[str, Any] = {
    "age": 50,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 4,
    "pain_worst_week": 6,
    "red_flags": [],
}
# RULES D-13: no rule id inside a sentence a person reads (the pattern of EXAMPLES.md EX-36).
RULE_ID_IN_TEXT = re.compile(r"\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|RULES|§")

# (scenario, intake changes, expected level, rules that must be cited)
INTAKE_TABLE: list[tuple[str, dict[str, Any], Level, set[str]]] = [
    ("no warning signs", {}, Level.OK, set()),
    ("Ottawa criteria after a recent injury", {"red_flags": ["RF01"]}, Level.URGENT, {"RF01"}),
    ("cannot take weight / 4 steps", {"red_flags": ["RF02"]}, Level.URGENT, {"RF02"}),
    ("knee or kneecap out of place", {"red_flags": ["RF03"]}, Level.EMERGENCY, {"RF03"}),
    (
        "hot, red, swollen knee (fever not required)",
        {"red_flags": ["RF04"]},
        Level.EMERGENCY,
        {"RF04"},
    ),
    ("calf pain or leg swelling", {"red_flags": ["RF05"]}, Level.URGENT, {"RF05"}),
    (
        "calf symptoms with chest pain or breathlessness",
        {"red_flags": ["RF05"], "chest_symptoms": True},
        Level.EMERGENCY,
        {"RF05", "RF17"},
    ),
    (
        "chest pain, sudden breathlessness or coughing blood, no leg symptoms (v2)",
        {"chest_symptoms": True},
        Level.EMERGENCY,
        {"RF17"},
    ),
    ("swelled a lot within 2 h of injury", {"red_flags": ["RF06"]}, Level.URGENT, {"RF06"}),
    ("locked knee", {"red_flags": ["RF07"]}, Level.URGENT, {"RF07"}),
    ("gave way / unstable since injury", {"red_flags": ["RF08"]}, Level.SOON, {"RF08"}),
    (
        "gave way with rapid swelling",
        {"red_flags": ["RF08", "RF06"]},
        Level.URGENT,
        {"RF08", "RF06"},
    ),
    ("gave way with locking", {"red_flags": ["RF08", "RF07"]}, Level.URGENT, {"RF08", "RF07"}),
    ("pop and swelling during a twist", {"red_flags": ["RF09"]}, Level.URGENT, {"RF09"}),
    (
        "numbness or pins and needles below the knee",
        {"red_flags": ["RF10"]},
        Level.URGENT,
        {"RF10"},
    ),
    (
        "numbness below the knee within 7 days of an injury (v2)",
        {"red_flags": ["RF10"], "onset": "injury", "weeks_since_onset": 0},
        Level.EMERGENCY,
        {"RF10"},
    ),
    ("cold, pale or blue foot (asked on its own)", {"cold_foot": True}, Level.EMERGENCY, {"RF10"}),
    (
        "numbness and a cold foot",
        {"red_flags": ["RF10"], "cold_foot": True},
        Level.EMERGENCY,
        {"RF10"},
    ),
    ("cannot lift the straight leg since injury", {"red_flags": ["RF11"]}, Level.URGENT, {"RF11"}),
    ("constant night pain alone", {"red_flags": ["RF12"]}, Level.SOON, {"RF12"}),
    ("cancer history alone", {"red_flags": ["RF13"]}, Level.SOON, {"RF13"}),
    (
        "night pain with cancer history",
        {"red_flags": ["RF12", "RF13"]},
        Level.URGENT,
        {"RF12", "RF13"},
    ),
    (
        "long morning stiffness / several swollen joints",
        {"red_flags": ["RF14"]},
        Level.SOON,
        {"RF14"},
    ),
    (
        "surgery < 6 months / replacement / metalwork",
        {"red_flags": ["RF15"]},
        Level.OUT_OF_SCOPE,
        {"RF15"},
    ),
    ("pain after a sore throat or infection", {"red_flags": ["RF16"]}, Level.SOON, {"RF16"}),
    ("age 15, box not ticked", {"age": 15}, Level.OUT_OF_SCOPE, {"RF15"}),
    ("age 16, gradual onset: in scope with a review (v2)", {"age": 16}, Level.SOON, {"RF18"}),
    (
        "age 17, injured 3 weeks ago: examined first (v2)",
        {"age": 17, "onset": "injury", "weeks_since_onset": 3},
        Level.OUT_OF_SCOPE,
        {"RF18"},
    ),
    ("age 18 is an adult", {"age": 18}, Level.OK, set()),
    (
        "55 or over, injured this week, box not ticked (v2)",
        {"age": 55, "onset": "injury", "weeks_since_onset": 0},
        Level.URGENT,
        {"RF01"},
    ),
    (
        "55 or over, injured 1 week ago",
        {"age": 55, "onset": "injury", "weeks_since_onset": 1},
        Level.OK,
        set(),
    ),
    ("pain at rest 8 (v2)", {"pain_now": 8, "pain_worst_week": 8}, Level.OUT_OF_SCOPE, {"RF19"}),
    ("pain at rest 7 (v2)", {"pain_now": 7, "pain_worst_week": 8}, Level.SOON, {"RF19"}),
    ("pain at rest 6", {"pain_now": 6, "pain_worst_week": 8}, Level.OK, set()),
    (
        "MCL grade 3, box not ticked",
        {"condition": "mcl_sprain", "mcl_grade": 3},
        Level.OUT_OF_SCOPE,
        {"D-2"},
    ),
    ("MCL grade 2 is in scope", {"condition": "mcl_sprain", "mcl_grade": 2}, Level.OK, set()),
    ("emergency beats urgent", {"red_flags": ["RF03", "RF07"]}, Level.EMERGENCY, {"RF03", "RF07"}),
    ("urgent beats out of scope", {"red_flags": ["RF15", "RF02"]}, Level.URGENT, {"RF15", "RF02"}),
    (
        "out of scope beats soon",
        {"red_flags": ["RF15", "RF14"]},
        Level.OUT_OF_SCOPE,
        {"RF15", "RF14"},
    ),
]


@pytest.mark.parametrize(
    ("scenario", "changes", "level", "rules"), INTAKE_TABLE, ids=[r[0] for r in INTAKE_TABLE]
)
def test_intake_screening(
    scenario: str, changes: dict[str, Any], level: Level, rules: set[str]
) -> None:
    triage = screen(Intake.model_validate({**BASE, **changes}))
    assert triage.level == level, scenario
    assert rules <= set(triage.rules), scenario
    if level == Level.OK:
        assert triage.rules == ()
    else:
        assert triage.reasons, "every fired rule must say why in plain words"


def test_every_red_flag_is_in_the_table() -> None:
    covered = {rf for _, changes, _, _ in INTAKE_TABLE for rf in changes.get("red_flags", [])}
    assert covered == {f"RF{n:02d}" for n in range(1, 17)}


def test_messages_say_what_to_do_and_never_diagnose() -> None:
    for _, changes, _, _ in INTAKE_TABLE:
        t = screen(Intake.model_validate({**BASE, **changes}))
        text = (t.message + " ".join(t.reasons)).lower()
        assert "you have " not in text  # never "you have a fracture/DVT/…"
        for sentence in (t.message, *t.reasons):  # ids go in `rules` only (D-13)
            assert not RULE_ID_IN_TEXT.search(sentence), sentence
    assert (
        "emergency"
        in screen(Intake.model_validate({**BASE, "red_flags": ["RF03"]})).message.lower()
    )
    assert "today" in screen(Intake.model_validate({**BASE, "red_flags": ["RF07"]})).message


# (scenario, onset, symptom words, chest symptoms, expected level, rules that must be cited)
CHECKIN_TABLE: list[tuple[str, str, list[str], bool, Level, set[str]]] = [
    ("nothing new", "gradual", [], False, Level.OK, set()),
    ("locking", "gradual", ["locking"], False, Level.URGENT, {"RF07"}),
    ("giving way", "injury", ["giving_way"], False, Level.SOON, {"RF08"}),
    (
        "giving way and locking",
        "injury",
        ["giving_way", "locking"],
        False,
        Level.URGENT,
        {"RF08", "RF07"},
    ),
    ("swelling after an injury", "injury", ["swelling"], False, Level.URGENT, {"RF06"}),
    (
        "swelling, gradual onset → re-screen soon",
        "gradual",
        ["swelling"],
        False,
        Level.SOON,
        {"C-14"},
    ),
    ("swelling with fever", "gradual", ["swelling", "fever"], False, Level.EMERGENCY, {"RF04"}),
    ("calf pain", "gradual", ["calf_pain"], False, Level.URGENT, {"RF05"}),
    ("calf swelling", "gradual", ["calf_swelling"], False, Level.URGENT, {"RF05"}),
    (
        "calf pain and breathless",
        "gradual",
        ["calf_pain"],
        True,
        Level.EMERGENCY,
        {"RF05", "RF17"},
    ),
    ("chest symptoms alone (v2)", "gradual", [], True, Level.EMERGENCY, {"RF17"}),
    ("numbness", "gradual", ["numbness"], False, Level.URGENT, {"RF10"}),
    ("cold foot", "gradual", ["cold_foot"], False, Level.EMERGENCY, {"RF10"}),
    ("catching → P1 stop, not a red flag", "gradual", ["catching"], False, Level.OK, {"P1"}),
]


@pytest.mark.parametrize(
    ("scenario", "onset", "words", "chest", "level", "rules"),
    CHECKIN_TABLE,
    ids=[r[0] for r in CHECKIN_TABLE],
)
def test_checkin_symptoms(
    scenario: str, onset: str, words: list[str], chest: bool, level: Level, rules: set[str]
) -> None:
    intake = Intake.model_validate({**BASE, "onset": onset})
    checkin = CheckIn.model_validate(
        {"date": "2026-01-02", "morning_pain": 3, "new_symptoms": words, "chest_symptoms": chest}
    )
    triage = screen_checkin(checkin, intake)
    assert triage.level == level, scenario
    assert rules <= set(triage.rules), scenario
