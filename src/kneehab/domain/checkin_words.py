"""What a morning check-in's words (and a re-screen's answers) mean mid-course (RULES C-14 v2, §1.2).

Unlike the intake screen, these need the course so far: when the knee was last injured (RF01, RF06,
RF10), when it gave way, caught or locked before (RF08), when it was swollen before (C-14). The
course passes those dates in; the answer is one `Triage` for the escalation plus what the words do
to the program (flare, P13, P8 as a rise morning, holds that wait for a clinician).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kneehab.domain.program import Triage
from kneehab.domain.types import LEVEL_ORDER, Frozen, Level

RECENT_INJURY_DAYS = 7  # §0.2 RECENT_INJURY: RF01, RF10
SWELLING_INJURY_DAYS = 2  # §0.2 SWELLING_INJURY: RF06 at a check-in (48 h)
SWELLING_REPEAT_DAYS = 7  # §0.2 SWELLING_REPEAT
GIVEWAY_DAYS = 14  # §0.2 GIVEWAY_WINDOW / CATCH_REPEAT
OTTAWA_AGE = 55  # RF01


class CourseSoFar(Frozen):
    """The dates the words are read against (all strictly before the check-in being read)."""

    age: int
    injuries: tuple[
        dt.date, ...
    ] = ()  # §0.1 injury dates (intake day-0 injury, new_injury reports)
    gave_way: tuple[dt.date, ...] = ()  # intake RF08 (as the start date), check-ins, re-screens
    caught_or_locked: tuple[dt.date, ...] = ()  # `catching`/`locking` words, re-screen RF07
    caught: tuple[dt.date, ...] = ()  # `catching` words only (C-14 repeat)
    swollen: tuple[dt.date, ...] = ()  # `swelling` words


class Reading(Frozen):
    """What one day's words and answers do."""

    triage: Triage  # for E1 (C-10): level, every rule that fired, what to do
    flare: bool = False  # P9: every word is a flare
    giving_way: bool = False  # RF08 at `soon`: P13 pauses and the RF08 hold
    catching: bool = False  # P1 for the last session's exercises
    catching_repeat: bool = False  # C-14: those exercises stay paused until a clinician review
    swelling: bool = False  # P8 as if a rise morning
    swelling_repeat: bool = False  # C-14: progression held until a clinician review
    new_injury: bool = False  # C-2: the acute profile for 21 days; an injury date
    locking: bool = False

    @property
    def stopping(self) -> bool:
        return self.triage.level in (Level.URGENT, Level.EMERGENCY)


def _within(day: dt.date, dates: Sequence[dt.date], days: int) -> bool:
    return any(0 <= (day - d).days <= days for d in dates)


class _Hits:
    """The rules that fired today: the highest level wins and says what to do (C-3, C-10)."""

    def __init__(self) -> None:
        self.hits: list[tuple[Level, str, str, str]] = []

    def __call__(self, level: Level, rule: str, message: str, reason: str) -> None:
        self.hits.append((level, rule, message, reason))

    def triage(self) -> Triage:
        level = max((h[0] for h in self.hits), key=LEVEL_ORDER.__getitem__, default=Level.OK)
        return Triage(
            level=level,
            rules=tuple(dict.fromkeys(h[1] for h in self.hits)),
            message=" ".join(dict.fromkeys(h[2] for h in self.hits if h[0] == level)),
            reasons=tuple(dict.fromkeys(h[3] for h in self.hits)),
        )


EMERGENCY_NOW = "Call emergency services now, or go to an emergency department."
SAME_DAY = "Get a medical assessment today (urgent care, an acute knee clinic or your doctor)."
REVIEW_SOON = "Book a review with a physical therapist or doctor within 1–2 weeks."


def read(
    day: dt.date,
    words: Sequence[str],
    *,
    chest_symptoms: bool,
    red_flags: Sequence[str] = (),
    cold_foot: bool = False,
    so_far: CourseSoFar,
) -> Reading:
    """C-14 (v2): a check-in's words and flags, together with any re-screen answers of the same day
    (`red_flags`, `cold_foot`; a re-screen's `new_injury` answer comes in as the word)."""
    hit = _Hits()
    w = set(words)
    flags = set(red_flags)
    new_injury = "new_injury" in w
    injuries = (*so_far.injuries, day) if new_injury else so_far.injuries
    recent_injury = _within(day, injuries, RECENT_INJURY_DAYS)
    _circulation(
        hit, w, flags, chest=chest_symptoms, cold_foot=cold_foot, recent_injury=recent_injury
    )
    _swelling_fever(hit, w, flags, day=day, injuries=injuries)
    giving_way, catching_repeat, locking = _mechanical(hit, w, flags, day=day, so_far=so_far)
    if new_injury:
        _new_injury(hit, so_far)
    swelling = "swelling" in w
    catching = "catching" in w
    swelling_repeat = swelling and _within(day, so_far.swollen, SWELLING_REPEAT_DAYS)
    triage = hit.triage()
    # §0.1: a C-14 word is a flare; a re-screen's giving-way answer acts as the word, its other
    # answers (e.g. RF14) hold progression for a review but are not a flare.
    has_words = bool(w) or chest_symptoms or cold_foot or "RF08" in flags
    return Reading(
        triage=triage,
        flare=has_words,
        giving_way=giving_way,
        catching=catching,
        catching_repeat=catching_repeat,
        swelling=swelling,
        swelling_repeat=swelling_repeat and triage.level == Level.SOON,
        new_injury=new_injury,
        locking=locking,
    )


def _circulation(
    hit: _Hits, w: set[str], flags: set[str], *, chest: bool, cold_foot: bool, recent_injury: bool
) -> None:
    """RF17, RF05, RF10: chest, calf, numbness and a cold foot."""
    chest_symptoms = chest
    if chest_symptoms:
        hit(
            Level.EMERGENCY,
            "RF17",
            EMERGENCY_NOW,
            "You reported chest pain or pressure, sudden breathlessness or coughing up blood.",
        )
    if "calf_pain" in w or "calf_swelling" in w or "RF05" in flags:
        level = Level.EMERGENCY if chest_symptoms else Level.URGENT
        message = (
            EMERGENCY_NOW
            if chest_symptoms
            else (
                "New calf pain or swelling needs a same-day medical assessment to rule out a clot: "
                "go to urgent care or your doctor today."
            )
        )
        hit(level, "RF05", message, "You reported new calf pain or swelling.")
    if "cold_foot" in w or cold_foot:
        hit(
            Level.EMERGENCY,
            "RF10",
            EMERGENCY_NOW,
            "You reported a cold, pale or blue foot.",
        )
    if "numbness" in w or "RF10" in flags:
        level = Level.EMERGENCY if recent_injury else Level.URGENT
        message = EMERGENCY_NOW if recent_injury else SAME_DAY
        after = " within a week of an injury" if recent_injury else ""
        hit(level, "RF10", message, f"You reported numbness or tingling below the knee{after}.")


def _swelling_fever(
    hit: _Hits, w: set[str], flags: set[str], *, day: dt.date, injuries: Sequence[dt.date]
) -> None:
    """RF04, RF06 and C-14 for swelling and fever (RF06 only within 48 h of a new injury)."""
    rf04_today = "RF04" in flags
    if "swelling" in w:
        if "fever" in w or rf04_today:
            hit(
                Level.EMERGENCY,
                "RF04",
                "A hot, swollen knee with a fever needs hospital care today: go to an emergency "
                "department now.",
                "You reported a swollen knee with a fever.",
            )
        elif _within(day, injuries, SWELLING_INJURY_DAYS):
            hit(
                Level.URGENT,
                "RF06",
                SAME_DAY,
                "Your knee swelled within two days of a new injury.",
            )
        else:
            hit(
                Level.SOON,
                "C-14",
                f"{REVIEW_SOON} The warning-sign questions are asked again at your next check-in. "
                "Use cold, not heat, on a swollen knee.",
                "You reported a swollen knee.",
            )
    elif "fever" in w:
        if rf04_today:
            hit(
                Level.EMERGENCY,
                "RF04",
                "A hot, red, swollen knee needs hospital care today: go to an emergency "
                "department now.",
                "You reported a fever and a hot, red, swollen knee.",
            )
        else:
            hit(
                Level.SOON,
                "C-14",
                "If your knee is hot, red and swollen, go to an emergency department now. "
                f"Otherwise: {REVIEW_SOON}",
                "You reported a fever.",
            )
    elif rf04_today:
        hit(
            Level.EMERGENCY,
            "RF04",
            "A hot, red, swollen knee needs hospital care today: go to an emergency department now.",
            "You said your knee is hot, red and swollen.",
        )


def _mechanical(
    hit: _Hits, w: set[str], flags: set[str], *, day: dt.date, so_far: CourseSoFar
) -> tuple[bool, bool, bool]:
    """RF07 locking, RF08 giving way (soon, or urgent when repeated or with catching or locking)
    and C-14 catching. Returns (giving way at `soon`, catching repeated, locking)."""
    locking = "locking" in w or "RF07" in flags
    if locking:
        hit(
            Level.URGENT,
            "RF07",
            SAME_DAY,
            "You reported that your knee locked (stuck and could not straighten).",
        )

    catching = "catching" in w
    giving_way = "giving_way" in w or "RF08" in flags
    caught_before = _within(day, so_far.caught_or_locked, GIVEWAY_DAYS)
    gave_way_before = _within(day, so_far.gave_way, GIVEWAY_DAYS)
    giving_way_urgent = False
    if giving_way:
        if gave_way_before or catching or locking or caught_before:
            giving_way_urgent = True
            hit(
                Level.URGENT,
                "RF08",
                SAME_DAY,
                "Your knee gave way again, or gave way and caught or locked, within two weeks.",
            )
        else:
            hit(
                Level.SOON,
                "RF08",
                "Book a review with a physical therapist this week. Until then, exercises that "
                "stand on the leg are paused and nothing steps up. If the knee gives way while "
                "walking, stop and call your clinic.",
                "You reported that your knee gave way.",
            )
    catching_repeat = False
    if catching and not giving_way:
        if gave_way_before:
            giving_way_urgent = True
            hit(
                Level.URGENT,
                "RF08",
                SAME_DAY,
                "Your knee caught within two weeks of giving way.",
            )
        elif _within(day, so_far.caught, GIVEWAY_DAYS):
            catching_repeat = True
            hit(
                Level.SOON,
                "C-14",
                f"{REVIEW_SOON} The exercises that caught stay paused until your physio has "
                "reviewed them.",
                "Your knee caught twice within two weeks.",
            )
    return giving_way and not giving_way_urgent, catching_repeat, locking


def _new_injury(hit: _Hits, so_far: CourseSoFar) -> None:
    """C-14 `new_injury`: RF01 at 55 or over; otherwise `soon` and the acute profile."""
    if so_far.age >= OTTAWA_AGE:
        hit(
            Level.URGENT,
            "RF01",
            "After a knee injury at 55 or over, an X-ray is usually advised to rule out a "
            "break: get a medical assessment today (urgent care or your doctor).",
            "You reported a new knee injury.",
        )
    else:
        hit(
            Level.SOON,
            "C-14",
            f"{REVIEW_SOON} For the next 3 weeks your pain limit is lower; use cold, not heat, "
            "for the first 72 hours.",
            "You reported a new knee injury.",
        )
