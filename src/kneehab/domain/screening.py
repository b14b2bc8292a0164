"""Red-flag screening (RULES §1, D-2, C-3, C-14): intake or check-in answers → a triage level and what to do.

The highest tier wins. Facts count even when the matching box is not ticked (age under 16 → RF15; MCL grade 3 →
out of scope). The product never diagnoses: messages say what to do and why, never what the person "has".
"""

from __future__ import annotations

from collections.abc import Iterable

from kneehab.domain.intake import Intake
from kneehab.domain.program import Triage
from kneehab.domain.records import CheckIn, Rescreen
from kneehab.domain.red_flags import QUESTIONS_BY_ID
from kneehab.domain.types import LEVEL_ORDER, Condition, Level, Onset

MESSAGES: dict[Level, str] = {
    Level.EMERGENCY: (
        "Call emergency services or go to the emergency department now. "
        "Do not start or continue the exercise program."
    ),
    Level.URGENT: (
        "Get a medical assessment today — urgent care, the emergency department, or your doctor today. "
        "Do not start or continue the exercise program until a clinician says it is safe."
    ),
    Level.OUT_OF_SCOPE: (
        "This home program is not the right starting point for you. Please see a physical therapist "
        "or doctor, who can give you a program made for your knee."
    ),
    Level.SOON: (
        "You can start gently at the starting doses, but book a review with a physical therapist or "
        "doctor within the next 1–2 weeks. Your exercises will not step up until a clinician has "
        "reviewed your program."
    ),
    Level.OK: (
        "No warning signs in your answers. You can start the program. Stop and get help if any "
        "warning sign appears."
    ),
}

# Derived facts and detail answers that are not boxes of their own.
_REASONS: dict[str, str] = {
    "age": "You are under 16, so a program should come from your own clinician.",
    "mcl3": "A grade 3 (complete) MCL tear needs a clinician-led program (RULES D-2).",
    "cold_foot": "A cold, pale or blue foot needs emergency care.",
    "chest": "Calf or leg symptoms with chest pain or breathlessness need emergency care.",
    "RF08+": "A knee that gives way together with swelling or locking after an injury needs "
    "checking today.",
    "RF12+RF13": "Constant night pain together with a history of cancer or weight loss needs "
    "checking today.",
    "swelling": "New swelling in the knee should be reviewed by a clinician.",
    "catching": "Sharp or catching pain: stop the session; the warning-sign questions are asked again.",
}


class _Findings:
    """Collects (rule, level, reason) as rules fire; the triage is the highest level found."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, Level, str]] = []

    def add(self, rule: str, level: Level, reason: str) -> None:
        self.hits.append((rule, level, reason))

    def triage(self) -> Triage:
        if not self.hits:
            return Triage(level=Level.OK, rules=(), message=MESSAGES[Level.OK])
        level = max((lvl for _, lvl, _ in self.hits), key=LEVEL_ORDER.__getitem__)
        rules = tuple(dict.fromkeys(rule for rule, _, _ in self.hits))
        reasons = tuple(dict.fromkeys(reason for _, _, reason in self.hits))
        return Triage(level=level, rules=rules, message=MESSAGES[level], reasons=reasons)


def _apply_flags(
    found: _Findings, flags: Iterable[str], *, cold_foot: bool, chest_symptoms: bool
) -> None:
    ticked = set(flags)
    for rule in sorted(ticked):
        q = QUESTIONS_BY_ID[rule]
        found.add(rule, q.tier, q.reason)
    # Combinations that raise a tier (RULES §1.2, C-3).
    if "RF08" in ticked and ticked & {"RF06", "RF07"}:
        found.add("RF08", Level.URGENT, _REASONS["RF08+"])
    if {"RF12", "RF13"} <= ticked:
        found.add("RF12", Level.URGENT, _REASONS["RF12+RF13"])
    if "RF05" in ticked and chest_symptoms:
        found.add("RF05", Level.EMERGENCY, _REASONS["chest"])
    if cold_foot:
        found.add("RF10", Level.EMERGENCY, _REASONS["cold_foot"])


def screen(intake: Intake) -> Triage:
    """Triage an intake (RULES §1, D-2, C-3)."""
    found = _Findings()
    _apply_flags(
        found, intake.red_flags, cold_foot=intake.cold_foot, chest_symptoms=intake.chest_symptoms
    )
    if intake.age < 16:
        found.add("RF15", Level.OUT_OF_SCOPE, _REASONS["age"])
    if intake.condition == Condition.MCL and intake.mcl_grade == 3:
        found.add("D-2", Level.OUT_OF_SCOPE, _REASONS["mcl3"])
    return found.triage()


def symptom_flags(symptoms: Iterable[str], intake: Intake) -> list[str]:
    """RULES C-14: the red flags that a check-in's symptom words tick."""
    words = set(symptoms)
    flags: set[str] = set()
    if "locking" in words:
        flags.add("RF07")
    if "giving_way" in words:
        flags.add("RF08")
    if "swelling" in words and intake.onset == Onset.INJURY:
        flags.add("RF06")
    if "swelling" in words and "fever" in words:
        flags.add("RF04")
    if words & {"calf_pain", "calf_swelling"}:
        flags.add("RF05")
    if words & {"numbness", "cold_foot"}:
        flags.add("RF10")
    return sorted(flags)


def screen_checkin(checkin: CheckIn, intake: Intake) -> Triage:
    """Re-screen from a check-in's new symptoms (RULES C-14); `catching` is P1 (stop), not a red flag."""
    words = set(checkin.new_symptoms)
    found = _Findings()
    _apply_flags(
        found,
        symptom_flags(words, intake),
        cold_foot="cold_foot" in words,
        chest_symptoms=checkin.chest_symptoms,
    )
    if "swelling" in words and intake.onset != Onset.INJURY and "fever" not in words:
        found.add("C-14", Level.SOON, _REASONS["swelling"])
    triage = found.triage()
    if "catching" in words:
        rules = (*triage.rules, "P1")
        reasons = (*triage.reasons, _REASONS["catching"])
        return triage.model_copy(update={"rules": rules, "reasons": reasons})
    return triage


def screen_answers(
    flags: Iterable[str], *, cold_foot: bool = False, chest_symptoms: bool = False
) -> Triage:
    """Triage the red-flag answers alone, before the rest of the intake (the web's first-run page)."""
    found = _Findings()
    _apply_flags(found, flags, cold_foot=cold_foot, chest_symptoms=chest_symptoms)
    return found.triage()


def screen_rescreen(rescreen: Rescreen) -> Triage:
    """Triage a mid-course re-screen (RULES §1.1): its answers alone, at their §1 tiers."""
    return screen_answers(
        rescreen.red_flags, cold_foot=rescreen.cold_foot, chest_symptoms=rescreen.chest_symptoms
    )
