"""Red-flag screening (RULES §1, D-2, C-3, C-14): intake or check-in answers → a triage level and what to do.

The highest tier wins and every rule that fired is listed (C-3). Facts count even when no box is ticked (v2): under
16 → RF15; MCL grade 3 → out of scope; 55 or over with an injury this week → RF01; 16–17 → RF18; pain at rest 8 or
more → RF19 out of scope (7 → RF19 `soon`); chest symptoms → RF17, with or without leg symptoms. The product never
diagnoses: messages say what to do and why, never what the person "has", and no sentence a person reads carries a
rule id (D-13): the ids are in `rules` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kneehab.domain.intake import Intake
from kneehab.domain.program import Triage
from kneehab.domain.records import CheckIn, Rescreen
from kneehab.domain.red_flags import CHEST_QUESTION, COLD_FOOT_QUESTION, QUESTIONS_BY_ID
from kneehab.domain.types import LEVEL_ORDER, Condition, Level, Onset

# RULES §0.2: the numbers the derived intake rules use (C-3, RF01, RF15, RF18, RF19).
OTTAWA_AGE = 55  # RF01: age ≥ 55 with an injury within 7 days
MIN_AGE = 16  # RF15: under 16 is out of scope
ADULT_AGE = 18  # RF18: ages 16–17
ADOLESCENT_RECENT_WEEKS = 6  # RF18: an injury fewer than 6 weeks ago → out of scope until examined
SEVERE_REST = 8  # RF19: pain at rest ≥ 8 → out of scope
HIGH_REST = 7  # RF19: pain at rest = 7 → soon

# What to do, by level; `_THEN` is the program's side of it (added after a rule's own told text).
_DO: dict[Level, str] = {
    Level.EMERGENCY: "Call emergency services or go to the emergency department now.",
    Level.URGENT: (
        "Get a medical assessment today — urgent care, the emergency department, or your doctor today."
    ),
    Level.OUT_OF_SCOPE: (
        "This home program is not the right starting point for you. Please see a physical therapist "
        "or doctor, who can give you a program made for your knee."
    ),
    Level.SOON: (
        "You can start gently at the starting doses, but book a review with a physical therapist or "
        "doctor within the next 1–2 weeks."
    ),
    Level.OK: (
        "No warning signs in your answers. You can start the program. Stop and get help if any "
        "warning sign appears."
    ),
}
_THEN: dict[Level, str] = {
    Level.EMERGENCY: "Do not start or continue the exercise program.",
    Level.URGENT: (
        "Do not start or continue the exercise program until a clinician says it is safe."
    ),
    Level.OUT_OF_SCOPE: "",
    Level.SOON: "Your exercises will not step up until a clinician has reviewed your program.",
    Level.OK: "",
}
MESSAGES: dict[Level, str] = {level: f"{_DO[level]} {_THEN[level]}".strip() for level in _DO}

# What RULES §1.2 says the person is told when that rule decides the level (v2).
TOLD: dict[str, str] = {
    "RF01": (
        "After a knee injury at 55 or over, an X-ray is usually advised to rule out a break: get a "
        "medical assessment today (urgent care or your doctor)."
    ),
    "RF17": "Call emergency services now.",
    "RF18": (
        "Because you are under 18 and hurt your knee recently, a doctor or physical therapist should "
        "examine it before you start exercises — book this in the next few days (today if you cannot "
        "take weight, it swelled quickly or looks out of place)."
    ),
    "RF19": (
        "Your knee pain right now is 8/10 or more. Before starting these exercises, see a doctor or "
        "physical therapist in the next few days — today if any warning sign applies. Until then keep "
        "moving gently within comfort (short walks as you can manage), use ice or heat safely, and "
        "take the check again when your pain at rest is 7 or less."
    ),
    "RF19-7": (
        "Your pain at rest is high (7/10): start gently, and book a review with a physical therapist "
        "or doctor in the next 1–2 weeks."
    ),
}

# Derived facts and detail answers that are not boxes of their own (plain words, no rule ids: D-13).
_REASONS: dict[str, str] = {
    "age": "You are under 16, so a program should come from your own clinician.",
    "mcl3": "A grade 3 (complete) MCL tear needs a program led by a clinician.",
    "cold_foot": COLD_FOOT_QUESTION.reason,
    "chest": "Calf or leg symptoms with chest pain or breathlessness need emergency care.",
    "chest_alone": CHEST_QUESTION.reason,
    "numb_injury": (
        "Numbness, pins and needles or weakness below the knee within a week of an injury needs "
        "emergency care."
    ),
    "ottawa_age": (
        "At 55 or over, a knee injury in the last 7 days can include a break that only an X-ray shows."
    ),
    "teen_injury": (
        "You are under 18 and hurt your knee in the last 6 weeks: in a growing knee, an injury to the "
        "growth area near the joint can look like a sprain."
    ),
    "teen": (
        "You are under 18: a physical therapist or doctor should look over a program for a growing knee."
    ),
    "rest_severe": "Your knee pain at rest is 8 out of 10 or more.",
    "rest_high": "Your knee pain at rest is high: 7 out of 10.",
    "RF08+": "A knee that gives way together with swelling or locking after an injury needs "
    "checking today.",
    "RF12+RF13": "Constant night pain together with a history of cancer or weight loss needs "
    "checking today.",
    "swelling": "New swelling in the knee should be reviewed by a clinician.",
    "catching": "Sharp or catching pain: stop the session; the warning-sign questions are asked again.",
}


@dataclass(frozen=True)
class _Hit:
    rule: str
    level: Level
    reason: str
    told: str | None  # what RULES says the person is told when this rule decides the level


class _Findings:
    """Collects (rule, level, reason) as rules fire; the triage is the highest level found.

    Every rule that fired is listed; a rule that fired at two tiers (a combination raised it) gives the reason of
    its higher tier only. The message is the deciding rules' own told text when every rule at the top tier has
    one (RULES §1.2), else the level's general message.
    """

    def __init__(self) -> None:
        self.hits: list[_Hit] = []

    def add(self, rule: str, level: Level, reason: str, *, told: str | None = None) -> None:
        self.hits.append(_Hit(rule, level, reason, told))

    def triage(self) -> Triage:
        if not self.hits:
            return Triage(level=Level.OK, rules=(), message=MESSAGES[Level.OK])
        level = max((h.level for h in self.hits), key=LEVEL_ORDER.__getitem__)
        rules = tuple(dict.fromkeys(h.rule for h in self.hits))
        top_of: dict[str, int] = {}
        for h in self.hits:
            top_of[h.rule] = max(top_of.get(h.rule, 0), LEVEL_ORDER[h.level])
        reasons = tuple(
            dict.fromkeys(h.reason for h in self.hits if LEVEL_ORDER[h.level] == top_of[h.rule])
        )
        deciding = [h for h in self.hits if h.level == level]
        told = list(dict.fromkeys(h.told for h in deciding if h.told))
        if told and all(h.told for h in deciding):
            message = " ".join([*told, _THEN[level]]).strip()
        else:
            message = MESSAGES[level]
        return Triage(level=level, rules=rules, message=message, reasons=reasons)


def _apply_flags(
    found: _Findings,
    flags: Iterable[str],
    *,
    cold_foot: bool,
    chest_symptoms: bool,
    recent_injury: bool = False,
) -> None:
    """The ticked ids at their §1.2 tiers, the two answers kept as fields, and the combinations (C-3).

    `recent_injury`: within 7 days of an injury (§0.1; at intake, onset injury with 0 weeks since onset).
    """
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
    if chest_symptoms:  # RF17 (v2): with or without leg symptoms
        found.add("RF17", Level.EMERGENCY, _REASONS["chest_alone"], told=TOLD["RF17"])
    if cold_foot:
        found.add("RF10", Level.EMERGENCY, _REASONS["cold_foot"])
    if "RF10" in ticked and recent_injury:
        found.add("RF10", Level.EMERGENCY, _REASONS["numb_injury"])


def injured_this_week(intake: Intake) -> bool:
    """RULES §0.1 "within 7 days of an injury", at intake: onset = injury and 0 weeks since onset."""
    return intake.onset == Onset.INJURY and intake.weeks_since_onset == 0


def screen(intake: Intake, *, clinician_assessed: bool = False) -> Triage:
    """Triage an intake (RULES §1, D-2, C-3 v2).

    `clinician_assessed`: a clinician's recorded assessment (D-7) lifts RF18 and RF19, so the intake is triaged
    without them; RF15 and MCL grade 3 still need a clinician-led program (EX-28).
    """
    found = _Findings()
    recent = injured_this_week(intake)
    _apply_flags(
        found,
        intake.red_flags,
        cold_foot=intake.cold_foot,
        chest_symptoms=intake.chest_symptoms,
        recent_injury=recent,
    )
    if intake.age < MIN_AGE:
        found.add("RF15", Level.OUT_OF_SCOPE, _REASONS["age"])
    if intake.condition == Condition.MCL and intake.mcl_grade == 3:
        found.add("D-2", Level.OUT_OF_SCOPE, _REASONS["mcl3"])
    if intake.age >= OTTAWA_AGE and recent:
        found.add("RF01", Level.URGENT, _REASONS["ottawa_age"], told=TOLD["RF01"])
    if not clinician_assessed:
        _derived_liftable(found, intake)
    return found.triage()


def _derived_liftable(found: _Findings, intake: Intake) -> None:
    """RF18 and RF19 (v2): lifted by a clinician's recorded assessment (D-7)."""
    if MIN_AGE <= intake.age < ADULT_AGE:
        if intake.onset == Onset.INJURY and intake.weeks_since_onset < ADOLESCENT_RECENT_WEEKS:
            found.add("RF18", Level.OUT_OF_SCOPE, _REASONS["teen_injury"], told=TOLD["RF18"])
        else:
            found.add("RF18", Level.SOON, _REASONS["teen"])
    if intake.pain_now >= SEVERE_REST:
        found.add("RF19", Level.OUT_OF_SCOPE, _REASONS["rest_severe"], told=TOLD["RF19"])
    elif intake.pain_now == HIGH_REST:
        found.add("RF19", Level.SOON, _REASONS["rest_high"], told=TOLD["RF19-7"])


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
    flags: Iterable[str],
    *,
    cold_foot: bool = False,
    chest_symptoms: bool = False,
    recent_injury: bool = False,
) -> Triage:
    """Triage the red-flag answers alone, before the rest of the intake (the web's first-run steps).

    `recent_injury`: the person said the knee was injured in the last 7 days (RF10 is then an emergency).
    """
    found = _Findings()
    _apply_flags(
        found,
        flags,
        cold_foot=cold_foot,
        chest_symptoms=chest_symptoms,
        recent_injury=recent_injury,
    )
    return found.triage()


def screen_rescreen(rescreen: Rescreen) -> Triage:
    """Triage a mid-course re-screen (RULES §1.1): its answers alone, at their §1 tiers; chest symptoms are
    RF17 (v2). Rules that depend on the course (an injury date, age with a new injury) are the engine's."""
    return screen_answers(
        rescreen.red_flags, cold_foot=rescreen.cold_foot, chest_symptoms=rescreen.chest_symptoms
    )
