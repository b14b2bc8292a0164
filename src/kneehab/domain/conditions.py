"""Condition and phase rules of RULES §4.3 and C-2/C-4 that are not per exercise.

Which §4.3 column(s) an intake reads, whether the person is in the "early" phase or the acute profile on a given
day, and the condition-specific additions to the avoid list (the matrix's last row) and its timing notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from kneehab.domain.exercise import Column, Phase
from kneehab.domain.intake import Intake
from kneehab.domain.types import Condition, Frozen, Onset


class ConditionAvoid(Frozen):
    id: str
    name: str
    why: str
    rules: tuple[str, ...] = ("§4.3",)


# RULES §4.3, "global avoid list" row: what each column adds to the article's avoid list.
CONDITION_AVOID: dict[Column, tuple[ConditionAvoid, ...]] = {
    Column.PFP: (
        ConditionAvoid(
            id="stairs-down-volume",
            name="Lots of stair descents early on",
            why="Going down stairs loads the kneecap joint; keep the number of descents low at first.",
        ),
    ),
    Column.MCL_GRADE_1: (
        ConditionAvoid(
            id="pivot-cut-until-cleared",
            name="Pivoting and cutting until you meet the return criteria",
            why="Return to pivoting once the knee is pain-free through its full range, stable and as "
            "strong as the other side.",
            rules=("§4.3", "§4.1"),
        ),
    ),
    Column.MCL_GRADE_2_3: (
        ConditionAvoid(
            id="valgus-loading",
            name="Positions that push the knee inward",
            why="Inward (valgus) stress strains the healing inner-knee ligament.",
        ),
        ConditionAvoid(
            id="pivot-cut-until-cleared",
            name="Pivoting and cutting until a clinician clears you",
            why="Return to pivoting once the knee is pain-free through its full range, stable and as "
            "strong as the other side.",
            rules=("§4.3", "§4.1"),
        ),
    ),
    Column.MENISCUS: (
        ConditionAvoid(
            id="deep-loaded-flexion",
            name="Deep bending under load (past a right angle) and twisting",
            why="Deep loaded bending and twisting squeeze the meniscus.",
        ),
    ),
}

# RULES §4.3 phase/timing rules, said to the person.
CONDITION_NOTES: dict[Condition, str] = {
    Condition.MEDIAL_OA: (
        "Knee pain may rise a little when you start exercising; that is expected, and regular "
        "exercise helps in the long run. Aim for at least 3 sessions a week."
    ),
    Condition.PFP: "Give the hip and knee program a 6-week trial before judging how it works.",
    Condition.MENISCUS: (
        "A 12-week program of 2–3 sessions a week is the usual course before reassessing."
    ),
    Condition.MCL: "Most MCL sprains return to normal activity within 2–4 weeks.",
    Condition.PES_ANSERINE: "Ease off the activities that bring the pain on while you build strength.",
    Condition.UNKNOWN: (
        "Because the cause of your pain is not known, this is the safest common program: it leaves "
        "out anything to avoid for any of the common causes, and each exercise has one simple "
        "instruction."
    ),
}


def columns_for(intake: Intake) -> tuple[Column, ...]:
    """The §4.3 column(s) this intake reads. `unknown` reads them all (D-6)."""
    if intake.condition == Condition.UNKNOWN:
        return tuple(Column)
    if intake.condition == Condition.MCL:
        # An MCL sprain of unknown grade is treated as grade II: the safer column.
        return (Column.MCL_GRADE_1,) if intake.mcl_grade == 1 else (Column.MCL_GRADE_2_3,)
    return {
        Condition.PES_ANSERINE: (Column.PES_ANSERINE,),
        Condition.MEDIAL_OA: (Column.MEDIAL_OA,),
        Condition.PFP: (Column.PFP,),
        Condition.MENISCUS: (Column.MENISCUS,),
    }[intake.condition]


def weeks_since_onset(intake: Intake, *, start: date, on: date) -> float:
    """RULES C-2: intake weeks + days since program start ÷ 7."""
    return intake.weeks_since_onset + (on - start).days / 7


def _mcl_grade_2(intake: Intake) -> bool:
    return intake.condition == Condition.MCL and intake.mcl_grade in (2, None)


def phase_for(intake: Intake, column: Column, *, start: date, on: date) -> Phase:
    """RULES C-4 'early': MCL II weeks 0–4; meniscus after injury weeks 0–6; unknown after injury 0–4."""
    weeks = weeks_since_onset(intake, start=start, on=on)
    injury = intake.onset == Onset.INJURY
    if column == Column.MCL_GRADE_2_3:
        if _mcl_grade_2(intake) and weeks < 4:
            return Phase.EARLY
        if intake.condition == Condition.UNKNOWN and injury and weeks < 4:
            return Phase.EARLY
    if column == Column.MENISCUS:
        if intake.condition == Condition.MENISCUS and injury and weeks < 6:
            return Phase.EARLY
        if intake.condition == Condition.UNKNOWN and injury and weeks < 4:
            return Phase.EARLY
    return Phase.LATER


NEW_INJURY_ACUTE_DAYS = 21  # C-2 (v2): a `new_injury` restarts the acute profile for 21 days


def is_acute(intake: Intake, *, start: date, on: date, injuries: Sequence[date] = ()) -> bool:
    """RULES C-2 (v2) acute profile on `on`, recomputed every day: an injury under 3 weeks ago, MCL
    grade II (or unknown grade) under 4 weeks, a meniscus injury under 6 weeks, or a `new_injury`
    reported fewer than 21 days before."""
    weeks = weeks_since_onset(intake, start=start, on=on)
    injury = intake.onset == Onset.INJURY
    return (
        (injury and weeks < 3)
        or (_mcl_grade_2(intake) and weeks < 4)
        or (intake.condition == Condition.MENISCUS and injury and weeks < 6)
        or any(0 <= (on - d).days < NEW_INJURY_ACUTE_DAYS for d in injuries)
    )


DEFAULT_CEILING = 3  # D-1 F, standard profile
ACUTE_CEILING = 2  # D-1 F, acute profile
CEILING_MAX = 7  # D-1: the ceiling never goes above 7 (P1 stops at 8)
CEILING_FLAG = 5  # D-1: a ceiling above 5 is flagged for a clinician until acknowledged


def pain_ceiling(
    intake: Intake,
    *,
    start: date,
    on: date,
    override: int | None = None,
    baseline: int | None = None,
    injuries: Sequence[date] = (),
) -> tuple[int, tuple[str, ...]]:
    """RULES D-1 (v2): ceiling(s) = min(7, max(F, B(s))), and the rules that set it.

    F is 3, or 2 in the acute profile (C-2); a clinician value 2–5 (`override`, or the intake's
    `pain_ceiling` from day 0) replaces F in either profile (D-8). `baseline` is B(s) (C-5); without
    one, the intake's pain_now (the baseline before any check-in).
    """
    clinician = override if override is not None else intake.pain_ceiling
    acute = is_acute(intake, start=start, on=on, injuries=injuries)
    floor = clinician if clinician is not None else (ACUTE_CEILING if acute else DEFAULT_CEILING)
    usual = intake.pain_now if baseline is None else baseline
    rules = ["D-1", "C-5"]
    if acute and clinician is None:
        rules.append("C-2")
    if clinician is not None:
        rules.append("D-8")
    return min(CEILING_MAX, max(floor, usual)), tuple(rules)


STEP_CAP_DEFAULT = 25  # D-4: 25 cm for everyone else
STEP_CAP_LOW = 15  # D-4: patellofemoral pain, MCL II early, meniscus early, fall-risk profile
STEP_CAP_MENISCUS_LATER = 20
# D-4: no ankle-weight rung on the bottom-leg raise for these columns.
NO_ANKLE_WEIGHT_COLUMNS = frozenset({Column.PES_ANSERINE, Column.MCL_GRADE_1, Column.MCL_GRADE_2_3})


def step_cap_cm(intake: Intake, phases: dict[Column, Phase]) -> int:
    """RULES D-4 (v2): the highest step height for this person in these phases; `unknown` reads
    every column, so it takes the lowest cap."""
    caps = [STEP_CAP_DEFAULT]
    if intake.fall_risk:
        caps.append(STEP_CAP_LOW)
    for column, phase in phases.items():
        early = phase == Phase.EARLY and column in (Column.MCL_GRADE_2_3, Column.MENISCUS)
        if column == Column.PFP or early:
            caps.append(STEP_CAP_LOW)
        elif column == Column.MENISCUS:
            caps.append(STEP_CAP_MENISCUS_LATER)
    return min(caps)


def skipped_rungs(exercise_id: str, phases: dict[Column, Phase]) -> frozenset[str]:
    """RULES D-4: dose keys whose rungs do not apply to this person for this exercise."""
    if exercise_id == "side-lying-inner-thigh-raise" and NO_ANKLE_WEIGHT_COLUMNS & set(phases):
        return frozenset({"load_kg"})
    return frozenset()
