"""Escalation — "see a professional" (RULES §5.2, §5.3, C-10, C-11, C-12), as a table.

Each row: the person's situation on one day of the program (day 0 = start) → the level and the rule
ids that must (and must not) be listed. Pain numbers are the daily "average knee pain" (NPRS):
`base` for days −6…0, `now` for the 7 days ending today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kneehab.domain.escalation import (
    RULE_ID_PATTERN,
    EscalationLevel,
    Situation,
    escalate,
    measures,
)
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.records import CheckIn, OutcomeRecord, Rescreen
from kneehab.domain.screening import screen, screen_checkin, screen_rescreen
from kneehab.library.load import default_library

START = dt.date(2025, 3, 3)
INTAKE: dict[str, Any] = {
    "age": 45,
    "knee": "left",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 8,
    "pain_now": 4,
    "pain_worst_week": 6,
}
INJURY = {"onset": "injury", "weeks_since_onset": 2, "condition": "mcl_sprain", "mcl_grade": 1}


@dataclass(frozen=True)
class Row:
    scenario: str
    level: str
    rules: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    day: int = 10
    intake: dict[str, Any] = field(default_factory=dict)
    base: int | None = 4
    now: int | None = 3
    sustained: bool = False  # `now` for the last 21 days, so pain7 was already low 14 days ago
    symptoms: tuple[str, ...] = ()
    symptoms_day: int | None = None  # the check-in day of `symptoms` (default: today)
    chest: bool = False
    rescreen_day: int | None = None  # a re-screen of the red flags on this day (RULES §1.1)
    rescreen_flags: tuple[str, ...] = ()
    rescreen_cold_foot: bool = False
    p5_days: tuple[int, ...] = ()
    adherence: tuple[int, int] | None = None  # (done, prescribed) strength days, last 14 days
    psfs: tuple[int, int] | None = None  # PSFS mean at day 0 and today
    reviewed: bool = False  # a clinician review dated the program start
    review_day: int | None = None  # a clinician review recorded on this day (D-7)

    def inputs(self) -> str:
        parts = [f"day {self.day}"]
        if self.intake:
            parts.append(", ".join(f"{k} {v}" for k, v in self.intake.items()))
        parts.append(f"avg pain before start {self.base}, last 7 days {self.now}")
        if self.sustained:
            parts.append("(for 3 weeks)")
        if self.symptoms:
            when = "" if self.symptoms_day is None else f" on day {self.symptoms_day}"
            parts.append(f"check-in symptoms{when}: {', '.join(self.symptoms)}")
        if self.chest:
            parts.append("with chest symptoms")
        if self.rescreen_day is not None:
            said = ", ".join(self.rescreen_flags) or "no"
            foot = " with a cold foot" if self.rescreen_cold_foot else ""
            parts.append(f"re-screen on day {self.rescreen_day}: {said}{foot}")
        if self.p5_days:
            parts.append(f"P5 pauses on days {', '.join(map(str, self.p5_days))}")
        if self.adherence:
            parts.append(f"{self.adherence[0]} of {self.adherence[1]} strength days done")
        if self.psfs:
            parts.append(f"PSFS {self.psfs[0]} → {self.psfs[1]}")
        if self.reviewed:
            parts.append("reviewed by a clinician at the start")
        if self.review_day is not None:
            parts.append(f"reviewed by a clinician on day {self.review_day}")
        return "; ".join(parts)


TABLE: list[Row] = [
    Row("nothing to report", "none"),
    Row("locking at a check-in (RF07)", "urgent", ("E1", "RF07"), symptoms=("locking",)),
    Row("cold foot at a check-in (RF10)", "emergency", ("E1", "RF10"), symptoms=("cold_foot",)),
    Row(
        "calf pain with chest symptoms (RF05)",
        "emergency",
        ("E1", "RF05"),
        symptoms=("calf_pain",),
        chest=True,
    ),
    Row("giving way at a check-in (RF08)", "soon", ("E1", "RF08"), symptoms=("giving_way",)),
    Row(
        "locking at the day-3 check-in, day 10: still locked (C-10)",
        "urgent",
        ("E1", "RF07"),
        symptoms=("locking",),
        symptoms_day=3,
    ),
    Row(
        "giving way at the day-9 check-in, day 10: the RF08 hold waits for a clinician (C-10 v2)",
        "soon",
        ("E1", "RF08"),
        symptoms=("giving_way",),
        symptoms_day=9,
    ),
    Row(
        "giving way at the day-9 check-in, reviewed by a clinician on day 10 (D-7)",
        "none",
        absent=("E1", "RF08"),
        symptoms=("giving_way",),
        symptoms_day=9,
        review_day=10,
    ),
    Row(
        "re-screen day 10: locking (RF07)",
        "urgent",
        ("E1", "RF07"),
        rescreen_day=10,
        rescreen_flags=("RF07",),
    ),
    Row(
        "re-screen day 3: locking (RF07); day 10: still locked (C-10)",
        "urgent",
        ("E1", "RF07"),
        rescreen_day=3,
        rescreen_flags=("RF07",),
    ),
    Row(
        "re-screen day 5: numbness with a cold foot (RF10); day 10: still emergency",
        "emergency",
        ("E1", "RF10"),
        rescreen_day=5,
        rescreen_flags=("RF10",),
        rescreen_cold_foot=True,
    ),
    Row(
        "re-screen day 10: morning stiffness > 30 min (RF14, soon)",
        "soon",
        ("E1", "RF14", "D-2"),
        rescreen_day=10,
        rescreen_flags=("RF14",),
    ),
    Row(
        "re-screen day 9: RF14 (soon); day 10: review still due, E1 was for day 9 only",
        "soon",
        ("D-2", "RF14"),
        absent=("E1",),
        rescreen_day=9,
        rescreen_flags=("RF14",),
    ),
    Row(
        "re-screen day 9: RF14 (soon); day 10, reviewed by a clinician",
        "none",
        absent=("E1", "D-2", "RF14"),
        rescreen_day=9,
        rescreen_flags=("RF14",),
        review_day=10,
    ),
    Row(
        "re-screen day 9: RF14 (soon); reviewed only at the start: still due (D-7)",
        "soon",
        ("D-2", "RF14"),
        rescreen_day=9,
        rescreen_flags=("RF14",),
        reviewed=True,
    ),
    Row("re-screen day 10: all clear", "none", absent=("E1",), rescreen_day=10),
    Row("recent injury, day 13, no better", "none", absent=("E2",), day=13, intake=INJURY, now=4),
    Row("recent injury, day 14, no better", "soon", ("E2",), day=14, intake=INJURY, now=4),
    Row("recent injury, day 14, 1 point better", "none", absent=("E2",), day=14, intake=INJURY),
    Row("recent injury, day 14, too few ratings", "soon", ("E2",), day=14, intake=INJURY, now=None),
    Row("gradual onset 8 weeks ago, day 14, no better (v2)", "soon", ("E2",), day=14, now=4),
    Row(
        "chronic (20 weeks, examined), day 14, no better: no E2 (v2)",
        "none",
        absent=("E2", "E10"),
        day=14,
        now=4,
        intake={"weeks_since_onset": 20, "assessed": "yes"},
    ),
    Row("worse by 2 points on day 7", "none", absent=("E3",), day=7, now=6),
    Row("worse by 2 points on day 8", "soon", ("E3",), day=8, now=6),
    Row("P5 fired twice in 14 days (day 10)", "soon", ("E3",), p5_days=(3, 9)),
    Row("P5 fired once in 14 days", "none", absent=("E3",), p5_days=(9,)),
    Row("persistent, day 41, not clearly better", "none", absent=("E4",), day=41),
    Row("persistent, day 42, not clearly better", "soon", ("E4",), day=42),
    Row("persistent, day 42, 2 points better", "none", absent=("E4",), day=42, now=2),
    Row(
        "kneecap pain, day 55: E5 not yet (E4 from day 42 for every onset, v2)",
        "soon",
        ("E4",),
        absent=("E5",),
        day=55,
        intake={"condition": "patellofemoral_pain", "weeks_since_onset": 4},
    ),
    Row(
        "kneecap pain, day 56",
        "soon",
        ("E5",),
        day=56,
        intake={"condition": "patellofemoral_pain", "weeks_since_onset": 4},
    ),
    Row(
        "kneecap pain, day 84",
        "soon",
        ("E5",),
        day=84,
        intake={"condition": "patellofemoral_pain", "weeks_since_onset": 4},
    ),
    Row("day 83, PSFS +1", "soon", absent=("E6",), day=83, psfs=(4, 5)),
    Row("day 84, PSFS +1 (below MDC 2)", "soon", ("E6",), day=84, psfs=(4, 5)),
    Row("day 84, PSFS +2", "soon", absent=("E6",), day=84, psfs=(4, 6)),
    Row(
        "day 179, not clearly better: E7 not yet (E4 for every onset, v2)",
        "soon",
        ("E4",),
        absent=("E7",),
        day=179,
        intake={"weeks_since_onset": 2},
    ),
    Row("day 180, not clearly better", "soon", ("E7",), day=180, intake={"weeks_since_onset": 2}),
    Row(
        "knee OA, day 84, still severe despite the program",
        "soon",
        ("E8",),
        day=84,
        base=7,
        now=7,
        adherence=(6, 6),
    ),
    Row("knee OA, day 84, pain 6", "soon", absent=("E8",), day=84, base=6, now=6, adherence=(6, 6)),
    Row("adherence 2 of 6 (33%)", "message", ("E9",), day=20, adherence=(2, 6)),
    Row("adherence 3 of 6 (50%)", "none", absent=("E9",), day=20, adherence=(3, 6)),
    Row("adherence not judged before day 14", "none", absent=("E9",), day=13, adherence=(0, 6)),
    Row(
        "chronic (> 3 months), not examined yet (v2: soon)",
        "soon",
        ("E10",),
        intake={"weeks_since_onset": 20, "assessed": "no"},
    ),
    Row(
        "chronic, examination not answered (older file: as not sure)",
        "soon",
        ("E10",),
        intake={"weeks_since_onset": 20},
    ),
    Row(
        "chronic, examined by a clinician before (v2)",
        "none",
        absent=("E10",),
        intake={"weeks_since_onset": 20, "assessed": "yes"},
    ),
    Row(
        "chronic, reviewed",
        "none",
        absent=("E10",),
        intake={"weeks_since_onset": 20},
        reviewed=True,
    ),
    Row("2 points better for 2 weeks", "message", ("E11",), day=30, base=5, now=3, sustained=True),
    Row("2 points better for 1 week only", "none", absent=("E11",), day=30, base=5, now=3),
    Row(
        "highest level wins, every rule listed (C-10)",
        "urgent",
        ("E1", "E9"),
        day=20,
        symptoms=("locking",),
        adherence=(1, 6),
        now=4,
    ),
    Row(
        "triage 'soon' at intake, not reviewed (D-2)",
        "soon",
        ("D-2", "RF12"),
        intake={"red_flags": ["RF12"]},
    ),
]


def _pain(row: Row, today: dt.date) -> dict[dt.date, int]:
    pain: dict[dt.date, int] = {}
    if row.base is not None:
        pain.update({START - dt.timedelta(days=i): row.base for i in range(7)})
    if row.now is not None:
        span = 21 if row.sustained else 7
        pain.update({today - dt.timedelta(days=i): row.now for i in range(span)})
    return pain


def situation(row: Row) -> Situation:
    intake = Intake.model_validate({**INTAKE, **row.intake})
    today = START + dt.timedelta(days=row.day)
    triage = screen(intake)
    program = plan(intake, triage, default_library(), start=START)
    screens: tuple[tuple[dt.date, Any], ...] = ()
    if row.symptoms:
        when = today if row.symptoms_day is None else START + dt.timedelta(days=row.symptoms_day)
        checkin = CheckIn(
            date=when,
            morning_pain=2,
            new_symptoms=row.symptoms,  # type: ignore[arg-type]
            chest_symptoms=row.chest,
        )
        screens = ((when, screen_checkin(checkin, intake)),)
    rescreens: tuple[tuple[dt.date, Any], ...] = ()
    if row.rescreen_day is not None:
        again = Rescreen(
            date=START + dt.timedelta(days=row.rescreen_day),
            red_flags=row.rescreen_flags,
            cold_foot=row.rescreen_cold_foot,
        )
        rescreens = ((again.date, screen_rescreen(again)),)
    prescribed: frozenset[dt.date] = frozenset()
    done: frozenset[dt.date] = frozenset()
    if row.adherence:
        window = [today - dt.timedelta(days=13 - 2 * i) for i in range(row.adherence[1])]
        prescribed, done = frozenset(window), frozenset(window[: row.adherence[0]])
    outcomes: tuple[OutcomeRecord, ...] = ()
    if row.psfs:
        outcomes = tuple(
            OutcomeRecord(
                date=d,
                measure="psfs",
                activities=({"activity": "stairs", "score": s},),  # type: ignore[arg-type]
            )
            for d, s in ((START, row.psfs[0]), (today, row.psfs[1]))
        )
    return Situation(
        intake=intake,
        start=START,
        today=today,
        reviewed=row.reviewed,
        triage=triage,
        program=program,
        pain=_pain(row, today),
        outcomes=outcomes,
        checkin_screens=screens,
        rescreens=rescreens,
        p5_dates=tuple(START + dt.timedelta(days=d) for d in row.p5_days),
        prescribed=prescribed,
        done=done,
        reviews=() if row.review_day is None else (START + dt.timedelta(days=row.review_day),),
    )


@pytest.mark.parametrize("row", TABLE, ids=[r.scenario for r in TABLE])
def test_escalation_table(row: Row) -> None:
    esc = escalate(situation(row))
    assert esc.level == EscalationLevel(row.level), (esc.rules, esc.reasons)
    assert set(row.rules) <= set(esc.rules), esc.rules
    assert not set(row.absent) & set(esc.rules), esc.rules
    assert esc.message and esc.meanwhile
    if esc.level != EscalationLevel.NONE:
        assert len(esc.reasons) >= 1


def test_withheld_program_escalates_at_the_triage_tier() -> None:
    intake = Intake.model_validate({**INTAKE, "red_flags": ["RF03"]})
    triage = screen(intake)
    esc = escalate(
        Situation(
            intake=intake,
            start=START,
            today=START,
            reviewed=False,
            triage=triage,
            program=None,
            pain={},
        )
    )
    assert esc.level == EscalationLevel.EMERGENCY
    assert {"E1", "RF03", "D-2"} <= set(esc.rules)
    assert "No self-managed program" in esc.meanwhile


def test_worse_by_exactly_2_points_on_weekly_means_counts() -> None:
    """§5.2 `worse` = pain7 − pain_base ≥ 2, on means such as 1/6 → 13/6 (E3 from day 8)."""
    today = START + dt.timedelta(days=10)
    pain = dict(
        zip((START - dt.timedelta(days=i) for i in range(6)), (0, 0, 0, 0, 0, 1), strict=True)
    )
    pain.update(
        zip((today - dt.timedelta(days=i) for i in range(6)), (2, 2, 2, 2, 2, 3), strict=True)
    )
    m = measures(
        pain,
        start=START,
        on=today,
        pain_now=4,
        p5_dates=(),
        prescribed=frozenset(),
        done=frozenset(),
    )
    assert m.worse, (m.pain_base, m.pain7)


# The plan's review date (issue 2 §3: "review date (E2/E4/E5 timing)") is the first day on which one
# of these rules can ask for a review: (scenario, intake changes, days after start, rules).
REVIEW_TABLE: list[tuple[str, dict[str, Any], int, tuple[str, ...]]] = [
    ("recent injury (2 weeks)", INJURY, 14, ("E2",)),
    ("recent, gradual onset (3 weeks)", {"onset": "gradual", "weeks_since_onset": 3}, 14, ("E2",)),
    # v2: E2 covers every non-chronic onset (< 13 weeks), so 8 weeks is reviewed at day 14 (was E4, 42).
    ("persistent (8 weeks)", {}, 14, ("E2",)),
    # v2: E10 only when chronic and not yet examined, from day 0 (was day 14 for every chronic knee).
    ("chronic (20 weeks), not examined", {"weeks_since_onset": 20}, 0, ("E10",)),
    ("chronic (20 weeks), examined", {"weeks_since_onset": 20, "assessed": "yes"}, 42, ("E4",)),
    ("triage 'soon' at intake", {"red_flags": ["RF12"]}, 14, ("D-2",)),
]


@pytest.mark.parametrize(
    ("scenario", "changes", "days", "rules"), REVIEW_TABLE, ids=[r[0] for r in REVIEW_TABLE]
)
def test_plan_review_date_is_the_first_escalation_day(
    scenario: str, changes: dict[str, Any], days: int, rules: tuple[str, ...]
) -> None:
    intake = Intake.model_validate({**INTAKE, **changes})
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    assert program.review_on == START + dt.timedelta(days=days), scenario
    assert set(rules) <= set(program.review_rules), program.review_rules


@pytest.mark.parametrize("row", TABLE, ids=[r.scenario for r in TABLE])
def test_table_texts_carry_no_rule_ids(row: Row) -> None:
    """D-13: ids travel in `rules` only — never inside the message, meanwhile or reasons."""
    esc = escalate(situation(row))
    for text in (esc.message, esc.meanwhile, *esc.reasons):
        assert not RULE_ID_PATTERN.search(text), text
        assert "no review needed" not in text.lower(), text  # C-17 (5)


WITHHELD = {
    "emergency (RF03)": {"red_flags": ["RF03"]},
    "urgent (RF12 with RF13)": {"red_flags": ["RF12", "RF13"]},
    "MCL grade 3 (out of scope)": {**INJURY, "mcl_grade": 3},
}


@pytest.mark.parametrize("changes", WITHHELD.values(), ids=WITHHELD.keys())
def test_withheld_program_texts_carry_no_rule_ids(changes: dict[str, Any]) -> None:
    """D-13 also for a withheld program, whatever the triage text carried."""
    intake = Intake.model_validate({**INTAKE, **changes})
    esc = escalate(
        Situation(
            intake=intake,
            start=START,
            today=START,
            reviewed=False,
            triage=screen(intake),
            program=None,
            pain={},
        )
    )
    for text in (esc.message, esc.meanwhile, *esc.reasons):
        assert not RULE_ID_PATTERN.search(text), text
