"""Condition and phase rules of RULES §4.3 and C-2/C-4 that are not per exercise.

Which §4.3 column(s) an intake reads, whether the person is in the "early" phase or the acute profile on a given
day, and the condition-specific additions to the avoid list (the matrix's last row) and its timing notes.
"""

from __future__ import annotations

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
        "Knee pain may rise a little when you start exercising; that is expected and regular "
        "exercise helps in the long run (RULES §4.1, NICE). Aim for at least 3 sessions a week."
    ),
    Condition.PFP: "Give the hip and knee program a 6-week trial before judging how it works.",
    Condition.MENISCUS: (
        "A 12-week program of 2–3 sessions a week is the usual course before reassessing."
    ),
    Condition.MCL: "Most MCL sprains return to normal activity within 2–4 weeks.",
    Condition.PES_ANSERINE: "Ease off the activities that bring the pain on while you build strength.",
    Condition.UNKNOWN: (
        "Because the cause of your pain is not known, this is the safest common program: it leaves "
        "out anything the rules say to avoid for any of the common causes (RULES D-6)."
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


def is_acute(intake: Intake, *, start: date, on: date) -> bool:
    """RULES C-2 acute profile (pain ceiling 2/10 while it holds)."""
    weeks = weeks_since_onset(intake, start=start, on=on)
    injury = intake.onset == Onset.INJURY
    return (
        (injury and weeks < 3)
        or (_mcl_grade_2(intake) and weeks < 4)
        or (intake.condition == Condition.MENISCUS and injury and weeks < 6)
    )


DEFAULT_CEILING = 3
ACUTE_CEILING = 2


def pain_ceiling(
    intake: Intake, *, start: date, on: date, override: int | None = None
) -> tuple[int, tuple[str, ...]]:
    """RULES D-1/C-2: the most pain allowed during exercise on a day, and the rules that set it.

    The acute profile's 2/10 always wins: a clinician's higher ceiling applies once it has passed.
    """
    if is_acute(intake, start=start, on=on):
        return ACUTE_CEILING, ("D-1", "C-2")
    chosen = override if override is not None else intake.pain_ceiling
    if chosen is not None:
        return chosen, ("D-1",)
    return DEFAULT_CEILING, ("D-1",)
