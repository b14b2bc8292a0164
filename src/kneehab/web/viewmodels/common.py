"""Pieces shared by several pages: the 0–10 pain scale, effort words, choice lists, plain labels."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from kneehab.domain.escalation import Escalation, EscalationLevel
from kneehab.domain.types import Block, Dose


class Choice(BaseModel):
    value: str
    label: str


class PainOption(BaseModel):
    value: int
    word: str  # anchor word shown under the number (empty between anchors)
    face: str  # SVG path of the mouth for anchor faces (empty between anchors)
    spoken: str  # what a screen reader says after the number


_SMILE = "M12 25 Q20 32 28 25"
_SLIGHT = "M12 26 Q20 29 28 26"
_FLAT = "M12 27 L28 27"
_SLIGHT_FROWN = "M12 28 Q20 25 28 28"
_FROWN = "M12 29 Q20 22 28 29"
_BIG_FROWN = "M11 30 Q20 19 29 30"

_ANCHORS: dict[int, tuple[str, str]] = {
    0: ("No pain", _SMILE),
    2: ("Mild", _SLIGHT),
    4: ("Moderate", _FLAT),
    6: ("Severe", _SLIGHT_FROWN),
    8: ("Very severe", _FROWN),
    10: ("Worst possible", _BIG_FROWN),
}


def pain_scale(zero_word: str = "No pain") -> list[PainOption]:
    """NPRS 0–10 with our own word and face anchors (RULES §6.1: free, own anchors). The same scale
    rates stiffness, whose 0 is "No stiffness"."""
    out = []
    for value in range(11):
        word, face = _ANCHORS.get(value, ("", ""))
        if value == 0:
            word = zero_word
        spoken = f"out of 10: {word.lower()}" if word else "out of 10"
        out.append(PainOption(value=value, word=word, face=face, spoken=spoken))
    return out


EFFORT_CHOICES: list[Choice] = [
    Choice(value="easy", label="Easy — I could do 2 or more extra"),
    Choice(value="moderate", label="Moderate"),
    Choice(value="hard", label="Hard — nothing left"),
]

BLOCK_LABELS: dict[Block, str] = {
    Block.WARM_UP: "Warm-up",
    Block.STRENGTH: "Strength",
    Block.AEROBIC: "Aerobic",
    Block.COOL_DOWN: "Cool-down",
}

SYMPTOM_LABELS: dict[str, str] = {
    "swelling": "New swelling in the knee",
    "locking": "The knee locks or gets stuck and won't straighten",
    "giving_way": "The knee gives way or feels unstable",
    "catching": "Sharp or catching pain",
    "calf_pain": "Pain or tenderness in the calf",
    "calf_swelling": "Swelling of the calf or whole leg",
    "fever": "Fever, chills or feeling unwell",
    "numbness": "Numbness, pins and needles or weakness below the knee",
    "cold_foot": "A cold, pale or blue foot",
    "new_injury": "A new injury to this knee (a twist, a fall or a knock)",  # v2, C-14
}


def symptom_choices() -> list[Choice]:
    return [Choice(value=k, label=v) for k, v in SYMPTOM_LABELS.items()]


def day_label(day: date) -> str:
    """'Monday 3 June 2024' — unambiguous everywhere."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def dose_text(dose: Dose, *, per_side: bool = False) -> str:
    text = dose.describe()
    return f"{text}, each side" if per_side else text


class Banner(BaseModel):
    """An escalation banner: shown on every page while a rule that needs action has fired."""

    level: str
    title: str
    message: str
    meanwhile: str
    reasons: list[str]
    rules: list[str]
    css: str  # 'alert' for urgent/emergency, 'notice' otherwise: never the green of good news


_BANNER_TITLES: dict[EscalationLevel, tuple[str, str]] = {
    EscalationLevel.EMERGENCY: ("Get emergency help now", "alert"),
    EscalationLevel.URGENT: ("Get a medical check today", "alert"),
    EscalationLevel.SOON: ("Book a review with a clinician", "notice"),
    EscalationLevel.MESSAGE: ("A note from your program", "notice"),
}
# A stop after pain (P1) is a message-level note, and reads as what it is.
_STOPPED_TITLE = "You stopped an exercise after pain today"


def banner(escalation: Escalation | None) -> Banner | None:
    """An escalation note. None of them is green: green says "all is well", and a note that asks the
    person to rest, answer questions or see someone is not that."""
    if escalation is None or escalation.level == EscalationLevel.NONE:
        return None
    title, css = _BANNER_TITLES[escalation.level]
    if escalation.level == EscalationLevel.MESSAGE and "P1" in escalation.rules:
        title = _STOPPED_TITLE
    return Banner(
        level=escalation.level.value,
        title=title,
        message=escalation.message,
        meanwhile=escalation.meanwhile,
        reasons=list(escalation.reasons),
        rules=list(escalation.rules),
        css=css,
    )
