"""Escalation ("see a professional", RULES §5, v2).

Measures per §5.2 (C-11, C-12) and triggers E1–E13 per §5.3, with the output contract of C-10: every
rule that fired on `today` is listed in `rules`, the level is the highest of them. Event rules (a
check-in word, a re-screen answer, an E13 trigger, a P1 stop) fire on their date; state rules (a lock,
a hold that waits for a clinician, E2–E8, E10, E12) fire on every date the state holds. Clinician
events (D-7) end what they end: a review ends every state that waits for a clinician and E10; an
assessment also lifts a lock; an acknowledgement hides a rule for the same trigger (the next rule that
falls due still fires).

Texts follow D-13 and C-17: no rule id inside a sentence (ids travel in `rules` only), dates in a plain
form, and every sentence true on the day it is shown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from statistics import mean
from typing import Any

from pydantic import Field, PrivateAttr

from kneehab.domain.intake import Intake
from kneehab.domain.outcomes import PRECISION, first_and_last, nprs_improvement, psfs_change
from kneehab.domain.program import ItemStatus, Program, Triage
from kneehab.domain.records import CheckIn, OutcomeRecord
from kneehab.domain.types import (
    NO_PROGRAM_LEVELS,
    RULE_ID_PATTERN,
    Category,
    Condition,
    Frozen,
    Level,
)


class EscalationLevel(StrEnum):
    NONE = "none"
    MESSAGE = "message"  # E9, E11, a P1 stop outside a lock: a note, not a clinical escalation
    SOON = "soon"
    URGENT = "urgent"
    EMERGENCY = "emergency"


ESCALATION_ORDER: dict[EscalationLevel, int] = {lvl: i for i, lvl in enumerate(EscalationLevel)}


class Escalation(Frozen):
    """As of `date`: the highest level of the rules that fired (C-10) and what to do."""

    date: dt.date
    level: EscalationLevel
    rules: tuple[str, ...]
    message: str
    meanwhile: str
    reasons: tuple[str, ...] = ()  # one plain sentence per rule that fired

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "level": self.level.value,
            "rules": list(self.rules),
            "message": self.message,
            "meanwhile": self.meanwhile,
            "reasons": list(self.reasons),
        }


# RULES §0.2 (E_DAYS, WORSE, CHRONIC, PAUSED_SHARE, AEROBIC_FLOOR) and §5.3.
DAY_E2 = 14
DAY_E3_AFTER = 7
DAY_E4 = 42
DAY_E5 = 56
DAY_E6 = 84
DAY_E7 = 180
DAY_E8 = 84
ADHERENCE_WINDOW = 14  # C-12
ADHERENCE_MIN = 0.5  # E9
SEVERE_PAIN = 7  # E8: NPRS 7–10 is severe (D)
WORSE_POINTS = 2  # §5.2 worse = pain7 − pain_base ≥ 2
WORSE_P5_WINDOW = 14  # §5.2 worse: P5 on 2 dates within 14 days
WORSE_BASELINE = 8  # §5.2 worse (v2): B(d) ≥ 8
PAUSED_SHARE = 0.5  # E12: ≥ 50 % of the non-aerobic session items paused or stopped
E13_WINDOW = 14  # E13: an aerobic item's second P12 floor hold within 14 days
AEROBIC_IDS: frozenset[str] = frozenset({"walking", "stationary-cardio", "pool-exercise"})  # §0.1

# D-13: no text a person reads may match this (EXAMPLES EX-36).


def plain_date(d: dt.date) -> str:
    """A date as the person reads it in a sentence: month/day, as the rule book writes it ("3/17")."""
    return f"{d.month}/{d.day}"


def _plain(text: str) -> str:
    """Remove rule ids that text from another module still carries in parentheses ("… (RULES D-2).")
    — a safety net for D-13; ids belong in `rules`."""
    out = re.sub(
        r"\s*\(([^()]*)\)",
        lambda m: "" if RULE_ID_PATTERN.search(m.group(1)) else m.group(0),
        text,
    )
    return re.sub(r"\s+([.,;:])", r"\1", out).strip()


class Measures(Frozen):
    """RULES §5.2 measures as of one day (C-11, C-12)."""

    day: int  # days since program start (start = day 0, C-10)
    pain_base: float
    pain_base_source: str
    pain7: float | None  # None with fewer than 4 entries in the 7 days ending today
    ratings7: int = 0  # daily pain ratings in the 7 days ending today
    improved_min: bool
    improved_mcid: bool
    worse: bool
    # §5.2 `worse` (v2), criterion by criterion: "pain" (pain7 − pain_base ≥ 2), "p5" (P5 on 2 dates
    # within 14 days), "weeks" (two consecutive rising calendar weeks, C-5), "baseline" (B ≥ 8).
    worse_because: tuple[str, ...] = ()
    adherence14: float | None  # None until the program is 14 days old, or nothing was prescribed


def daily_pain(
    checkins: Sequence[CheckIn], outcomes: Sequence[OutcomeRecord]
) -> dict[dt.date, int]:
    """'Average knee pain today' per date: check-in avg_pain, else an NPRS outcome that day."""
    out: dict[dt.date, int] = {
        r.date: int(r.value) for r in outcomes if r.measure == "nprs" and r.value is not None
    }
    out.update({c.date: c.avg_pain for c in checkins if c.avg_pain is not None})
    return out


def _window(pain: Mapping[dt.date, int], end: dt.date) -> list[int]:
    return [pain[d] for d in (end - dt.timedelta(days=i) for i in range(7)) if d in pain]


def _window_mean(pain: Mapping[dt.date, int], end: dt.date) -> float | None:
    values = _window(pain, end)
    return _mean(values) if len(values) >= 4 else None


def _mean(values: Sequence[float]) -> float:
    """`statistics.mean`, the same value and type: for whole numbers their exact mean is an int
    when it is whole, else the correctly rounded float (which `/` of two ints also gives);
    `statistics.mean` sums them as fractions first, which cost most of a measure."""
    total = sum(values)
    if type(total) is not int:
        return mean(values)
    whole, rest = divmod(total, len(values))
    return whole if rest == 0 else total / len(values)


def pain7(pain: Mapping[dt.date, int], on: dt.date) -> float | None:
    """C-11: mean over the 7 days ending `on`, needing ≥ 4 entries."""
    return _window_mean(pain, on)


def _score(value: float) -> str:
    """A pain score as the person reads it: "4/10" for a whole number, "3.6/10" for a mean."""
    return f"{value:.0f}/10" if value == int(value) else f"{value:.1f}/10"


def pain_base(pain: Mapping[dt.date, int], start: dt.date, pain_now: int) -> tuple[float, str]:
    """C-11: mean of days −6…0 when ≥ 4 exist, else intake pain_now."""
    value = _window_mean(pain, start)
    if value is None:
        return float(pain_now), f"your pain at intake ({pain_now}/10)"
    return value, f"your average pain in the week before you started ({_score(value)})"


def _share_done(
    prescribed: frozenset[dt.date], done: frozenset[dt.date], first: dt.date, last: dt.date
) -> float | None:
    """Done days / prescribed days from `first` to `last` (None when nothing was prescribed). A
    session moved to another day still counts, but never more days than were prescribed."""
    days = (last - first).days + 1
    if days <= len(prescribed):  # a 14-day window: look up its days, not every date of the course
        window = [first + dt.timedelta(days=i) for i in range(max(0, days))]
        asked = sum(1 for d in window if d in prescribed)
        did = sum(1 for d in window if d in done)
    else:
        asked = sum(1 for d in prescribed if first <= d <= last)
        did = sum(1 for d in done if first <= d <= last)
    if not asked:
        return None
    return min(did, asked) / asked


def adherence(
    prescribed: frozenset[dt.date], done: frozenset[dt.date], *, start: dt.date, on: dt.date
) -> float | None:
    """C-12: done days / prescribed strength days in the 14 days ending `on`, evaluated once the
    program is ≥ 14 days old."""
    if (on - start).days < ADHERENCE_WINDOW:
        return None
    return _share_done(prescribed, done, on - dt.timedelta(days=ADHERENCE_WINDOW - 1), on)


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def rising_pair(rising_weeks: Iterable[dt.date], on: dt.date) -> tuple[dt.date, dt.date] | None:
    """C-5 / §5.2: the two consecutive rising calendar weeks that make `on` `worse` — the last week
    judged by `on` (the week before `on`'s week) and the one before it, both rising — or None."""
    weeks = set(rising_weeks)
    last = _monday(on) - dt.timedelta(days=7)
    before = last - dt.timedelta(days=7)
    return (before, last) if last in weeks and before in weeks else None


def measures(
    pain: Mapping[dt.date, int],
    *,
    start: dt.date,
    on: dt.date,
    pain_now: int,
    p5_dates: Sequence[dt.date],
    prescribed: frozenset[dt.date],
    done: frozenset[dt.date],
    baseline: int | None = None,
    rising_weeks: Sequence[dt.date] = (),
    known_base: tuple[float, str] | None = None,
) -> Measures:
    """§5.2 as of `on`. `baseline` is B(on) (C-5), `rising_weeks` the Mondays of the judged calendar
    weeks found rising (C-5); both feed `worse` (v2). `known_base` is `pain_base(pain, start,
    pain_now)` when the caller has it already (it does not depend on `on`)."""
    base, source = known_base if known_base is not None else pain_base(pain, start, pain_now)
    now = pain7(pain, on)
    improved_min = improved_mcid = False
    because: list[str] = []
    if now is not None:
        improved_min, improved_mcid = nprs_improvement(base, now)
        if round(now - base, PRECISION) >= WORSE_POINTS:
            because.append("pain")
    if len(_recent_p5(p5_dates, on)) >= 2:
        because.append("p5")
    if rising_pair(rising_weeks, on) is not None:
        because.append("weeks")
    if baseline is not None and baseline >= WORSE_BASELINE:
        because.append("baseline")
    return Measures(
        day=(on - start).days,
        pain_base=base,
        pain_base_source=source,
        pain7=now,
        ratings7=len(_window(pain, on)),
        improved_min=improved_min,
        improved_mcid=improved_mcid,
        worse=bool(because),
        worse_because=tuple(because),
        adherence14=adherence(prescribed, done, start=start, on=on),
    )


def _recent_p5(p5_dates: Iterable[dt.date], on: dt.date) -> list[dt.date]:
    return sorted({d for d in p5_dates if 0 <= (on - d).days < WORSE_P5_WINDOW})


class Hit(Frozen):
    """One rule that fired today: its level, what to do, and why (plain words)."""

    rule: str
    level: EscalationLevel
    todo: str
    reason: str
    extra_rules: tuple[str, ...] = ()


TIER: dict[Level, EscalationLevel] = {
    Level.EMERGENCY: EscalationLevel.EMERGENCY,
    Level.URGENT: EscalationLevel.URGENT,
    Level.OUT_OF_SCOPE: EscalationLevel.SOON,
    Level.SOON: EscalationLevel.SOON,
    Level.OK: EscalationLevel.NONE,
}

REVIEW = "Book a review with a physical therapist or doctor within the next 1–2 weeks."
REVIEW_THIS_WEEK = "Book a review with a physical therapist or doctor this week."
ASKED_AGAIN = "The warning-sign questions will be asked again at your next check-in."
# D-14 "trouble tolerating", the article's advice, shown with E12.
TROUBLE_TOLERATING = (
    "If you are having trouble tolerating exercise, focus on other home options first (ice or "
    "heat, easing off what aggravates it, gentle walking) and consider a round of physical therapy."
)
P1_ADVICE = "Answer the warning-sign questions at your next morning check-in."
E10_ADVICE = "Book a review with a physical therapist or doctor as soon as you can."
E13_ADVICE = (
    "Even short walks are bothering your knee: book a review; keep moving within comfort meanwhile."
)

# Tiers that stop the whole program (D-2) and lock it until a clinician records an assessment
# (C-10, D-7: E1 then fires on every later day, not only the day the answer was given).
STOPPING: frozenset[Level] = NO_PROGRAM_LEVELS
LOCKED = "Your program stays stopped until a clinician records that it is safe to restart."  # C-17


# Measures by (date, the baseline used for it, intake pain_now, start): see `Situation._shared`.
MeasuresMemo = dict[tuple[dt.date, int | None, int, dt.date], Measures]


class Situation(Frozen):
    """Everything escalation needs as of `today`, gathered by `course.replay` (or a service).

    Every v2 field has a safe default, so an older caller still gets a valid (if less informed)
    escalation. Dates are program dates; "today" is included in every "up to today" below.
    """

    intake: Intake
    start: dt.date
    today: dt.date
    # A clinician review dated `start` (history `reviewed`); it counts as a review on `start`.
    reviewed: bool
    triage: Triage  # intake triage (D-2)
    program: Program | None
    pain: dict[dt.date, int]  # daily "average knee pain" (NPRS), see `daily_pain`
    outcomes: tuple[OutcomeRecord, ...] = ()
    # (check-in date, the triage of that check-in's words and chest flag) for every check-in whose
    # screening found something (any level above ok), up to today.
    checkin_screens: tuple[tuple[dt.date, Triage], ...] = ()
    # (re-screen date, its triage) for every mid-course re-screen (§1.1), up to today.
    rescreens: tuple[tuple[dt.date, Triage], ...] = ()
    # Check-in dates of every decision that carries rule P5 (a P5 pause or a P5 trend regression).
    p5_dates: tuple[dt.date, ...] = ()
    prescribed: frozenset[dt.date] = frozenset()  # C-12 prescribed strength days
    done: frozenset[dt.date] = frozenset()  # C-12 days with at least one logged exercise entry

    # --- v2 ---------------------------------------------------------------------------------------
    # B(today) of C-5: the person's usual morning pain known before the morning of `today` (the low
    # median of the most recent ≤ 7 check-ins dated today−14 … today−1, with ≥ 3 of them; else
    # intake pain_now). None = not computed: the B ≥ 8 criterion of `worse` (E3) is then not used.
    baseline_today: int | None = None
    # Optional: B(d) for earlier dates d (same definition), used only to tell whether B ≥ 8 has
    # been continuous since an E3 acknowledgement. Missing dates are treated as unknown (no break).
    baselines: dict[dt.date, int] = Field(default_factory=dict)
    # C-5: the Monday of every judged calendar week (Mon–Sun) found *rising* (mean morning pain or
    # stiffness ≥ the previous week's + 1.0, each week with ≥ 4 values), judged up to today (a week
    # is judged at the first check-in of the next week). Two consecutive Mondays, the later being
    # the week just before today's week, make `worse` (E3).
    rising_weeks: tuple[dt.date, ...] = ()
    # D-7 clinician events from the history's `clinician` actions (later dates are ignored):
    # (date, value) of every `acknowledge` action; value = a rule id ("E2", "E12", …) or "ceiling".
    acknowledgements: tuple[tuple[dt.date, str], ...] = ()
    # dates of every `review` AND every `assessment` action (an assessment is also a review).
    reviews: tuple[dt.date, ...] = ()
    # dates of every `assessment` action only (an assessment also lifts an urgent/emergency lock).
    assessments: tuple[dt.date, ...] = ()
    # The date a clinician review is due (the program's review date), or None. Used for the
    # review state sentence when no rule fired ("Your review was due on 3/17 — book it if you
    # haven't.").
    review_on: dt.date | None = None
    # Exercise ids paused today that wait for a clinician (P10's clinician-only pauses: a P13 pause
    # — including standing items left out at plan time by P13 —, a pause after `catching` on 2 dates
    # within 14 days, a second pause within 28 days of its last resume). NOT a clinician's own
    # pause (that is `clinician_paused`). Any entry fires E12.
    waiting_for_clinician: tuple[str, ...] = ()
    # Exercise id → the clinician's reason, for every exercise paused today by a clinician's own
    # `pause` action. These never fire E12 and do not count toward its 50 % share.
    clinician_paused: dict[str, str] = Field(default_factory=dict)
    # Exercise id → the date its current pause or stop began, for the items paused or stopped
    # today. Used only to tell whether E12's trigger is new since an E12 acknowledgement.
    paused_since: dict[str, dt.date] = Field(default_factory=dict)
    # (check-in date, exercise id) of every P12 hold of an aerobic item at its 5-minute floor (a
    # regression or pause turned into `hold` at 5 min), up to today. The second for the same item
    # within 14 days fires E13 on its date.
    aerobic_floor_holds: tuple[tuple[dt.date, str], ...] = ()
    # (stop date, exercise id) of every P1 `stop` decision (dated the day of the performance), up to
    # today. On its date: an aerobic item fires E13; any other item, outside a lock, a P1 `message`.
    p1_stops: tuple[tuple[dt.date, str], ...] = ()
    # (date the hold began, rule id) of every other progression hold that waits for a clinician
    # review and that escalation cannot derive from the screens itself: the C-14 repeated-swelling
    # hold ("C-14", dated the second swelling report). Escalation derives the D-2 triage and
    # re-screen holds and the RF08 hold; a review dated on or after the hold's date ends it.
    clinician_holds: tuple[tuple[dt.date, str], ...] = ()

    # A memo of `measures_on`, never shared between copies (see `model_copy`).
    _measures: dict[dt.date, Measures] = PrivateAttr(default_factory=dict)
    # A memo shared by situations whose `pain`, `p5_dates`, `prescribed`, `done` and `rising_weeks`
    # are the same (`share_measures`): the situations of today, yesterday and the day before in one
    # request look back over the same dates. Keyed by everything else a measure reads.
    _shared: MeasuresMemo | None = PrivateAttr(default=None)
    # `pain_base` of this situation's pain, start and intake (the same for every day measured).
    _base: tuple[float, str] | None = PrivateAttr(default=None)

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Situation:
        copied = super().model_copy(update=update, deep=deep)
        copied._measures = {}
        copied._shared = None
        copied._base = None
        return copied

    def share_measures(self, memo: MeasuresMemo) -> Situation:
        """Use `memo` for the measures; the caller promises the inputs named at `_shared` are equal."""
        self._shared = memo
        return self

    def measures_on(self, on: dt.date) -> Measures:
        """§5.2 measures of one date (memoised: the acknowledgement rules look back day by day)."""
        found = self._measures.get(on)
        if found is None:
            found = self._measures[on] = self._measure(on)
        return found

    def _measure(self, on: dt.date) -> Measures:
        baseline = self.baseline_today if on == self.today else self.baselines.get(on)
        key = (on, baseline, self.intake.pain_now, self.start)
        if self._shared is not None and (kept := self._shared.get(key)) is not None:
            return kept
        found = measures(
            self.pain,
            start=self.start,
            on=on,
            pain_now=self.intake.pain_now,
            p5_dates=self.p5_dates,
            prescribed=self.prescribed,
            done=self.done,
            baseline=baseline,
            rising_weeks=self.rising_weeks,
            known_base=self.measured_base(),
        )
        if self._shared is not None:
            self._shared[key] = found
        return found

    def measured_base(self) -> tuple[float, str]:
        """§5.2 `pain_base` of this situation (its value and where it comes from)."""
        if self._base is None:
            self._base = pain_base(self.pain, self.start, self.intake.pain_now)
        return self._base

    def reviewed_since(self, since: dt.date) -> bool:
        """A clinician review or assessment dated on or after `since` (up to today)."""
        dates = (*self.reviews, *((self.start,) if self.reviewed else ()))
        return any(since <= d <= self.today for d in dates)

    def assessed_since(self, since: dt.date) -> bool:
        return any(since <= d <= self.today for d in self.assessments)

    def acknowledged_since(self, rule: str, since: dt.date) -> bool:
        """D-7: the rule was acknowledged on or after `since` (the start of its current trigger)."""
        return any(r == rule and since <= d <= self.today for d, r in self.acknowledgements)


def locked(s: Situation) -> bool:
    """A check-in or re-screen answer at a stopping tier has locked the program (C-10), and no
    clinician has recorded an assessment since (D-7)."""
    return any(
        tri.level in STOPPING and not s.assessed_since(when)
        for when, tri in (*s.checkin_screens, *s.rescreens)
    )


def acknowledged_in_run(
    today: dt.date,
    start: dt.date,
    acknowledged: Iterable[dt.date],
    holds: Callable[[dt.date], bool],
) -> bool:
    """D-7: whether one of the `acknowledged` dates lies in the current run of the state: the days,
    ending today and not before the start, on which `holds` was true every day (the caller checked
    today). Only the days back to the latest acknowledgement are asked: most states never were
    acknowledged, and a long run would otherwise cost a measure for each of its days."""
    latest = max((d for d in acknowledged if d <= today), default=None)
    if latest is None or latest < min(start, today):
        return False
    return all(holds(today - dt.timedelta(days=i)) for i in range(1, (today - latest).days + 1))


def _run_started_today(s: Situation, holds: Callable[[dt.date], bool]) -> bool:
    """The state (true today) was not true yesterday, or today is the first day."""
    return not (s.today > s.start and holds(s.today - dt.timedelta(days=1)))


def _acknowledged_in_run(s: Situation, rule: str, holds: Callable[[dt.date], bool]) -> bool:
    dates = (d for d, r in s.acknowledgements if r == rule)
    return acknowledged_in_run(s.today, s.start, dates, holds)


def _state_hit(s: Situation, rule: str, holds: Callable[[dt.date], bool]) -> bool:
    """C-10/D-7: a state rule fires today while its state holds, unless a clinician acknowledged it
    during the current run of the state (the same trigger)."""
    return holds(s.today) and not _acknowledged_in_run(s, rule, holds)


def _names(s: Situation, ids: Iterable[str]) -> list[str]:
    by_id = {i.exercise_id: i.name for i in s.program.items} if s.program else {}
    return [by_id.get(x, x.replace("-", " ").capitalize()) for x in ids]


def _listing(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _is_aerobic(s: Situation, exercise_id: str) -> bool:
    if exercise_id in AEROBIC_IDS:
        return True
    item = s.program.item(exercise_id) if s.program else None
    return item is not None and item.category == Category.AEROBIC


# --- E1 and the holds that wait for a clinician -------------------------------------------------


def _e1(s: Situation) -> list[Hit]:
    """E1 at its §1 tier (C-10): a stopping tier on every day from the answer until a clinician
    records an assessment (D-7); giving way (RF08, `soon`) on every day until a clinician review (it
    holds progression, a state); any other `soon` answer only on the day it was given (an event)."""
    hits: list[Hit] = []
    seen: set[tuple[dt.date, tuple[str, ...]]] = set()
    sources = [
        *((when, tri, "At your check-in on") for when, tri in s.checkin_screens),
        *(
            (when, tri, "In your answers to the warning-sign questions on")
            for when, tri in s.rescreens
        ),
    ]
    for when, tri, where in sources:
        level = TIER[tri.level]
        if level == EscalationLevel.NONE or when > s.today:
            continue
        lasting = tri.level in STOPPING
        flags = tuple(r for r in tri.rules if r.startswith("RF") or r == "C-14")
        if lasting:
            if s.assessed_since(when):
                continue
        elif "RF08" in flags:
            if s.reviewed_since(when) or (when != s.today and s.acknowledged_since("E1", when)):
                continue
        elif when != s.today or s.acknowledged_since("E1", when):
            continue
        if (when, flags) in seen:  # the web re-asks a check-in's symptoms: one hit, not two
            continue
        seen.add((when, flags))
        said = " ".join(_plain(r) for r in tri.reasons)
        if lasting:
            todo = f"{_plain(tri.message)} {LOCKED}"
        elif "RF08" in flags:
            todo = (
                f"{REVIEW_THIS_WEEK} Until then, standing exercises that load the knee stay paused; "
                "if your knee gives way while walking, stop and call your clinic."
            )
        else:
            todo = f"{REVIEW} {ASKED_AGAIN}" if when == s.today else REVIEW
        hits.append(
            Hit(
                rule="E1",
                level=level,
                todo=todo,
                extra_rules=flags,
                reason=f"{where} {plain_date(when)}: {said}".strip(),
            )
        )
    return hits


def _rescreen_hold(tri: Triage) -> bool:
    """§0.1: a re-screen whose answers give `soon` holds progression until reviewed — except a
    `new_injury` answer alone, which acts as the C-14 word instead (a flare, not a review hold)."""
    return tri.level == Level.SOON and not set(tri.rules) <= {"C-14"}


def _review_holds(s: Situation) -> list[Hit]:
    """D-2: a `soon` triage (intake) or re-screen holds progression until a clinician review; the
    C-14 repeated-swelling hold likewise (C-10: fires every day the hold lasts)."""
    hits: list[Hit] = []
    if s.triage.level == Level.SOON and not s.reviewed_since(s.start):
        hits.append(
            Hit(
                rule="D-2",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} Your exercises stay at their starting doses until then.",
                reason="Your answers at the start asked for a review by a clinician.",
                extra_rules=s.triage.rules,
            )
        )
    for when, tri in s.rescreens:
        if not _rescreen_hold(tri) or when > s.today or s.reviewed_since(when):
            continue
        hits.append(
            Hit(
                rule="D-2",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} Your exercises stay at their current doses until then.",
                reason=f"Your answers to the warning-sign questions on {plain_date(when)} asked "
                "for a review by a clinician.",
                extra_rules=tri.rules,
            )
        )
    for when, rule in s.clinician_holds:
        if when > s.today or s.reviewed_since(when):
            continue
        hits.append(
            Hit(
                rule="E1",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} Nothing steps up until a clinician has reviewed your program.",
                reason=f"Your knee has swollen again (last reported on {plain_date(when)}).",
                extra_rules=(rule,),
            )
        )
    return hits


def _waiting_for_review(s: Situation) -> bool:
    """Some progression hold is open that only a clinician review ends (C-17 (3))."""
    if s.triage.level == Level.SOON and not s.reviewed_since(s.start):
        return True
    since = [
        *(w for w, tri in s.checkin_screens if tri.level == Level.SOON and "RF08" in tri.rules),
        *(w for w, tri in s.rescreens if _rescreen_hold(tri)),
        *(w for w, _ in s.clinician_holds),
    ]
    return any(w <= s.today and not s.reviewed_since(w) for w in since)


# --- E2–E8: time and pain ------------------------------------------------------------------------


def _pain_now_words(m: Measures) -> str:
    assert m.pain7 is not None
    return f"{m.pain7:.1f}/10 now, {_score(round(m.pain_base, 1))} at the start"


def _too_few(m: Measures) -> str:
    return (
        f"there were too few daily pain ratings to see an improvement ({m.ratings7} in the last "
        "7 days; 4 are needed)"
    )


def _e2(s: Situation, m: Measures) -> list[Hit]:
    """E2 (v2): non-chronic onset, day ≥ 14, not improved_min; too few ratings = not improved."""

    def holds(d: dt.date) -> bool:
        md = m if d == s.today else s.measures_on(d)
        return not s.intake.chronic and md.day >= DAY_E2 and not md.improved_min

    if not _state_hit(s, "E2", holds):
        return []
    days = f"You have done the program for {m.day} days"
    if m.pain7 is None:
        found = f"{days}, and {_too_few(m)}."
    else:
        found = f"{days} and your average pain has not improved ({_pain_now_words(m)})."
    first = _run_started_today(s, holds)
    return [
        Hit(
            rule="E2",
            level=EscalationLevel.SOON,
            todo=" ".join((found, REVIEW, *((ASKED_AGAIN,) if first else ()))),
            reason="Pain that is not getting better after a week or two of exercise should be "
            "checked by a physical therapist or doctor.",
        )
    ]


def _worse_words(s: Situation, m: Measures) -> list[str]:
    words: list[str] = []
    for why in m.worse_because:
        if why == "pain":
            assert m.pain7 is not None
            words.append(
                f"your average pain has gone up by 2 points or more ({_pain_now_words(m)})"
            )
        elif why == "p5":
            dates = " and ".join(plain_date(d) for d in _recent_p5(s.p5_dates, s.today)[-2:])
            words.append(f"exercises had to be paused twice within 2 weeks ({dates})")
        elif why == "weeks":
            pair = rising_pair(s.rising_weeks, s.today)
            assert pair is not None
            words.append(
                "your morning pain or stiffness rose two weeks running (the weeks starting "
                f"{plain_date(pair[0])} and {plain_date(pair[1])})"
            )
        elif why == "baseline":
            words.append(f"your usual morning pain is {s.baseline_today}/10")
    return words


def _e3_triggers(s: Situation, m: Measures) -> list[str]:
    """The `worse` criteria that hold today and were not acknowledged for the same trigger (D-7):
    pain — the current run of days with pain7 − pain_base ≥ 2; p5 — the latest P5 date; weeks — the
    day the second rising week was judged (its next Monday); baseline — the current run of B ≥ 8."""
    fresh: list[str] = []
    for why in m.worse_because:
        if why == "pain":
            seen = _acknowledged_in_run(s, "E3", lambda d: "pain" in s.measures_on(d).worse_because)
        elif why == "baseline":  # unknown days do not break the run

            def high(d: dt.date) -> bool:
                b = s.baselines.get(d)
                return b is None or b >= WORSE_BASELINE

            seen = _acknowledged_in_run(s, "E3", high)
        else:
            if why == "p5":
                since = _recent_p5(s.p5_dates, s.today)[-1]
            else:  # weeks
                pair = rising_pair(s.rising_weeks, s.today)
                assert pair is not None
                since = pair[1] + dt.timedelta(days=7)
            seen = s.acknowledged_since("E3", min(since, s.today))
        if not seen:
            fresh.append(why)
    return fresh


def _worse_on(s: Situation, d: dt.date) -> bool:
    """§5.2 `worse` on an earlier day d after day 7; a day whose baseline is unknown keeps today's
    B ≥ 8 (the baseline moves slowly)."""
    if (d - s.start).days <= DAY_E3_AFTER:
        return False
    if s.measures_on(d).worse:
        return True
    today_high = s.baseline_today is not None and s.baseline_today >= WORSE_BASELINE
    return today_high and d not in s.baselines


def _e3(s: Situation, m: Measures) -> list[Hit]:
    """E3 (v2): `worse` (§5.2) after day 7, any profile. Pausing is P5/P8's, not E3's."""
    if m.day <= DAY_E3_AFTER or not m.worse:
        return []
    fresh = _e3_triggers(s, m)
    if not fresh:
        return []
    words = _worse_words(s, m.model_copy(update={"worse_because": tuple(fresh)}))
    first = _run_started_today(s, lambda d: _worse_on(s, d))
    found = f"Your knee is getting worse: {'; '.join(words)}."
    return [
        Hit(
            rule="E3",
            level=EscalationLevel.SOON,
            todo=" ".join((found, REVIEW, *((ASKED_AGAIN,) if first else ()))),
            reason="Knee pain that gets progressively worse should be checked by a physical "
            "therapist or doctor.",
        )
    ]


def _not_clearly(m: Measures) -> str:
    if m.pain7 is None:
        return _too_few(m)
    return (
        f"your average pain has not clearly improved ({_pain_now_words(m)}; a clear improvement "
        "is 2 points or 30 %)"
    )


def _e4_e5_e7(s: Situation, m: Measures) -> list[Hit]:
    hits: list[Hit] = []

    def mcid_after(day: int, only_pfp: bool = False) -> Callable[[dt.date], bool]:
        def holds(d: dt.date) -> bool:
            if only_pfp and s.intake.condition != Condition.PFP:
                return False
            md = m if d == s.today else s.measures_on(d)
            return md.day >= day and not md.improved_mcid

        return holds

    if _state_hit(s, "E4", mcid_after(DAY_E4)):
        hits.append(
            Hit(
                rule="E4",
                level=EscalationLevel.SOON,
                todo="After 6 weeks without a clear improvement, book a review with a physical "
                "therapist to reassess your plan.",
                reason=f"{_not_clearly(m)[0].upper()}{_not_clearly(m)[1:]}.",
            )
        )
    if _state_hit(s, "E5", mcid_after(DAY_E5, only_pfp=True)):
        hits.append(
            Hit(
                rule="E5",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} The clinician may consider imaging.",
                reason=f"Eight weeks or more of exercise for pain around the kneecap and "
                f"{_not_clearly(m)}.",
            )
        )
    if _state_hit(s, "E7", mcid_after(DAY_E7)):
        hits.append(
            Hit(
                rule="E7",
                level=EscalationLevel.SOON,
                todo="Ask your physical therapist or doctor for a referral to a musculoskeletal "
                "(MSK) triage or specialist service.",
                reason=f"Six months of exercise and {_not_clearly(m)}.",
            )
        )
    return hits


def _e6(s: Situation, m: Measures) -> list[Hit]:
    def holds(d: dt.date) -> bool:
        if (d - s.start).days < DAY_E6:
            return False
        pair = first_and_last(s.outcomes, "psfs", until=d)
        return pair is not None and not psfs_change(*pair).meaningful

    if not _state_hit(s, "E6", holds):
        return []
    pair = first_and_last(s.outcomes, "psfs", until=s.today)
    assert pair is not None
    change = psfs_change(*pair)
    return [
        Hit(
            rule="E6",
            level=EscalationLevel.SOON,
            todo=f"{REVIEW} A clinician should consider other causes or a referral.",
            reason=f"After 12 weeks your activity score (PSFS) went from {change.before:.1f} to "
            f"{change.after:.1f}, less than the 2 points that show a real change.",
        )
    ]


def _e8(s: Situation, m: Measures) -> list[Hit]:
    def holds(d: dt.date) -> bool:
        if s.intake.condition != Condition.MEDIAL_OA:
            return False
        md = m if d == s.today else s.measures_on(d)
        if md.day < DAY_E8 or md.pain7 is None or md.pain7 < SEVERE_PAIN:
            return False
        # adherence over the whole course: counted only when the rest holds (it scans every day)
        whole = _share_done(s.prescribed, s.done, s.start, d)
        return whole is not None and whole >= ADHERENCE_MIN

    if not _state_hit(s, "E8", holds):
        return []
    assert m.pain7 is not None
    return [
        Hit(
            rule="E8",
            level=EscalationLevel.SOON,
            todo="Talk with your doctor or physical therapist about further options, including a "
            "surgical opinion.",
            reason=f"After 12 weeks of regular exercise your average pain is still severe "
            f"({m.pain7:.1f}/10).",
        )
    ]


# --- E9–E13 --------------------------------------------------------------------------------------


def _e10(s: Situation, m: Measures) -> list[Hit]:
    """E10 (v2): chronic and not yet assessed (intake `assessed` ≠ yes; missing = not_sure), `soon`
    from day 0; ends on a clinician acknowledgement, review or assessment (D-7). Progression is not
    held."""
    if (
        not s.intake.chronic
        or s.intake.was_assessed
        or s.reviewed_since(s.start)
        or s.acknowledged_since("E10", s.start)
    ):
        return []
    todo = E10_ADVICE + (" You can start the program meanwhile." if m.day == 0 else "")
    return [
        Hit(
            rule="E10",
            level=EscalationLevel.SOON,
            todo=todo,
            reason="Your knee problem has lasted more than 3 months and you have not told us that "
            "a doctor or physical therapist has examined it: the article advises seeing a "
            "professional when symptoms are long-standing.",
        )
    ]


def _messages(s: Situation, m: Measures) -> list[Hit]:
    hits: list[Hit] = []

    def low_adherence(d: dt.date) -> bool:
        a = m.adherence14 if d == s.today else adherence(s.prescribed, s.done, start=s.start, on=d)
        return a is not None and a < ADHERENCE_MIN

    if _state_hit(s, "E9", low_adherence):
        assert m.adherence14 is not None
        hits.append(
            Hit(
                rule="E9",
                level=EscalationLevel.MESSAGE,
                todo="Your physio will check in with you: is something getting in the way?",
                reason=f"You did {m.adherence14:.0%} of your planned strength days in the last 2 weeks.",
            )
        )
    if (
        _sustained_mcid(s)
        and not locked(
            s
        )  # C-17: "ready for the next phase" is not true while the program is stopped
        and not s.acknowledged_since("E11", s.today - dt.timedelta(days=14))
    ):
        hits.append(
            Hit(
                rule="E11",
                level=EscalationLevel.MESSAGE,
                todo="You may be ready for the next phase or fewer check-ins: ask your physio.",
                reason="Your average pain has been clearly better (2 points or 30 %) for 2 weeks.",
            )
        )
    return hits


def _sustained_mcid(s: Situation) -> bool:
    """E11: improved_mcid today and 14 days ago, and on every day in between that can be judged.
    Each day's pain7 and improvement are its §5.2 measures' (`measures`), without the rest of them:
    a request judges 15 days three times over (today, yesterday, the day before)."""
    if s.today - dt.timedelta(days=14) < s.start:
        return False
    # pain7 of each of the 15 days (C-11), read off the 21 days their windows cover once, each
    # window in `_window`'s order (its latest day first)
    pain = s.pain
    rated = [pain.get(d) for d in (s.today - dt.timedelta(days=i) for i in range(15 + 6))]
    judged: list[float | None] = []
    for i in range(15):
        values = [v for v in rated[i : i + 7] if v is not None]  # daily pain: never None
        judged.append(_mean(values) if len(values) >= 4 else None)
    if judged[0] is None or judged[-1] is None:
        return False
    base = s.measured_base()[0]
    return all(nprs_improvement(base, now)[1] for now in judged if now is not None)


def _e12(s: Situation) -> list[Hit]:
    """E12 (v2): ≥ 50 % of the non-aerobic session items paused or stopped, or any item paused
    waiting for a clinician (not a clinician's own pause). A clinician's own pauses do not count
    toward the share either: they are the clinician's plan, not the knee's intolerance."""
    if s.program is None:
        return []
    session = [i for i in s.program.items if not _is_aerobic(s, i.exercise_id)]
    off = [
        i.exercise_id
        for i in session
        if i.status in (ItemStatus.PAUSED, ItemStatus.STOPPED)
        and i.exercise_id not in s.clinician_paused
    ]
    waiting = [x for x in s.waiting_for_clinician if x not in s.clinician_paused]
    share = len(off) / len(session) if session else 0.0
    if share < PAUSED_SHARE and not waiting:
        return []
    counted = {*off, *waiting}
    since = max((s.paused_since.get(x, s.start) for x in counted), default=s.start)
    if s.acknowledged_since("E12", since):
        return []
    found: list[str] = []
    if share >= PAUSED_SHARE:
        found.append(
            f"Much of your program is paused or stopped ({len(off)} of your {len(session)} "
            "exercises, not counting walking and other aerobic exercise)."
        )
    if waiting:
        names = _listing(_names(s, waiting))
        verb = "stays" if len(waiting) == 1 else "stay"
        found.append(f"{names} {verb} paused until a clinician has reviewed it.")
    return [
        Hit(
            rule="E12",
            level=EscalationLevel.SOON,
            todo=" ".join((*found, REVIEW, TROUBLE_TOLERATING)),
            reason="When exercise is hard to tolerate, the article advises other home options "
            "first and a round of physical therapy.",
        )
    ]


def _e13_and_stops(s: Situation) -> list[Hit]:
    """E13 (v2, an event on its date): an aerobic item's second P12 floor hold within 14 days, or a
    P1 stop of an aerobic item. A P1 stop of any other item outside a lock → `message` (C-10)."""
    hits: list[Hit] = []
    reasons: list[str] = []
    for when, x in s.aerobic_floor_holds:
        if when != s.today:
            continue
        earlier = [
            d
            for d, y in s.aerobic_floor_holds
            if y == x and d < when and (when - d).days <= E13_WINDOW
        ]
        if earlier:
            name = _names(s, [x])[0]
            reasons.append(
                f"{name} was held at its shortest dose (5 minutes) twice within 2 weeks "
                f"({plain_date(max(earlier))} and {plain_date(when)})."
            )
    stops_today = [x for when, x in s.p1_stops if when == s.today]
    aerobic_stops = [x for x in stops_today if _is_aerobic(s, x)]
    other_stops = [x for x in stops_today if not _is_aerobic(s, x)]
    is_locked = locked(s)  # a lock: E1 already says what to do about the stops
    for x in aerobic_stops:
        name = _names(s, [x])[0]
        reasons.append(
            f"{name} was stopped today after strong or sharp pain; it continues at 5 minutes "
            "once your next check-in is clear."
        )
    if reasons and not s.acknowledged_since("E13", s.today):
        asked = (P1_ADVICE,) if aerobic_stops and not is_locked else ()
        hits.append(
            Hit(
                rule="E13",
                level=EscalationLevel.SOON,
                todo=" ".join((E13_ADVICE, *asked)),
                reason=" ".join(reasons),
                extra_rules=("P1",) if asked else (),
            )
        )
    if other_stops and not is_locked:
        hits.append(
            Hit(
                rule="P1",
                level=EscalationLevel.MESSAGE,
                todo=P1_ADVICE,
                reason=f"Stopped today after strong or sharp pain: {_listing(_names(s, other_stops))}.",
            )
        )
    return hits


# --- output --------------------------------------------------------------------------------------


def _withheld(s: Situation) -> Escalation:
    """D-2: no program was given; the triage already says exactly what to do instead."""
    level = TIER[s.triage.level]
    rules = ("E1", *s.triage.rules) if s.triage.level != Level.OUT_OF_SCOPE else s.triage.rules
    return Escalation(
        date=s.today,
        level=level,
        rules=tuple(dict.fromkeys((*rules, "D-2"))),
        message=_plain(s.triage.message),
        meanwhile="No self-managed program is given: follow the advice above instead.",
        reasons=tuple(_plain(r) for r in s.triage.reasons),
    )


def _meanwhile(s: Situation, level: EscalationLevel) -> str:
    if level in (EscalationLevel.URGENT, EscalationLevel.EMERGENCY):
        return LOCKED
    assert s.program is not None
    parts: list[str] = []
    waiting = [x for x in s.waiting_for_clinician if x not in s.clinician_paused]
    if waiting:
        verb = "stays" if len(waiting) == 1 else "stay"
        book = "" if level != EscalationLevel.NONE else "; book a review within 1–2 weeks"
        parts.append(
            f"{_listing(_names(s, waiting))} {verb} paused until your physio has reviewed it{book}."
        )
    for x, why in s.clinician_paused.items():
        parts.append(f"{_names(s, [x])[0]}: paused by your physio: {_plain(why).rstrip('.')}.")
    skip = {*waiting, *s.clinician_paused}
    paused = [
        i.name
        for i in s.program.items
        if i.status == ItemStatus.PAUSED and i.exercise_id not in skip
    ]
    if paused:
        verb = "is" if len(paused) == 1 else "are"
        parts.append(
            f"{_listing(paused)} {verb} paused for now and restart by themselves after 3 mornings "
            "at your usual level."
            if len(paused) > 1
            else f"{paused[0]} {verb} paused for now and restarts by itself after 3 mornings at "
            "your usual level."
        )
    stopped = [
        i.name
        for i in s.program.items
        if i.status == ItemStatus.STOPPED and i.exercise_id not in skip
    ]
    if stopped:
        parts.append(
            f"Stopped after strong or sharp pain: {_listing(stopped)}; the next check-in decides "
            "what follows."
        )
    if _waiting_for_review(s):
        parts.append("Nothing steps up until a clinician has reviewed your program.")
    elif s.program.progression_held:
        parts.append("Nothing steps up for now: today's decisions say why and until when.")
    rest = "The rest of your program continues" if parts else "Your program continues"
    parts.append(f"{rest} as prescribed.")
    return " ".join(parts)


def _open_advice(s: Situation) -> dt.date | None:
    """The latest earlier day on which an event rule asked for a review (E13; a `soon` answer at a
    check-in or re-screen) that no clinician has acknowledged or reviewed since: it stays open (C-10,
    D-9) although it fires on its own date only."""
    events: list[tuple[dt.date, str]] = [
        (d, "E13")
        for d, x in s.aerobic_floor_holds
        if any(y == x and d0 < d and (d - d0).days <= E13_WINDOW for d0, y in s.aerobic_floor_holds)
    ]
    events += [(d, "E13") for d, x in s.p1_stops if _is_aerobic(s, x)]
    events += [
        (d, "E1")
        for d, tri in (*s.checkin_screens, *s.rescreens)
        if tri.level == Level.SOON and "RF08" not in tri.rules
    ]
    open_ = [
        d
        for d, rule in events
        if d < s.today and not s.acknowledged_since(rule, d) and not s.reviewed_since(d)
    ]
    return max(open_, default=None)


def _review_state(s: Situation) -> str:
    """C-17 (5): with nothing fired, the review state instead of "no review needed"."""
    advised = _open_advice(s)
    if advised is not None:
        return f"Book the review advised on {plain_date(advised)} if you haven't yet."
    due = s.review_on
    if due is None or (s.today >= due and s.reviewed_since(due)):
        return "Keep going and check in each morning."
    if s.today > due:
        return f"Your review was due on {plain_date(due)} — book it if you haven't."
    if s.today == due:
        return "Your review is due today — book it if you haven't."
    return f"Your next review is due on {plain_date(due)}. Keep going and check in each morning."


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# A request to book a review within 1–2 weeks says nothing new beside a more urgent one.
_MORE_URGENT_REVIEW = (REVIEW_THIS_WEEK, E10_ADVICE)


def _message(hits: Sequence[Hit]) -> str:
    """The hits' texts in order (highest level first), each sentence once."""
    sentences = list(
        dict.fromkeys(x for h in hits for x in _SENTENCE_END.split(h.todo) if x.strip())
    )
    if any(x in _MORE_URGENT_REVIEW for x in sentences):
        sentences = [x for x in sentences if x != REVIEW]
    return " ".join(sentences)


def escalate(s: Situation) -> Escalation:
    """RULES §5.3 as of `s.today`: every rule that fires today, the highest level wins (C-10)."""
    if s.program is None:
        return _withheld(s)
    m = s.measures_on(s.today)
    hits = [
        *_e1(s),
        *_review_holds(s),
        *_e2(s, m),
        *_e3(s, m),
        *_e4_e5_e7(s, m),
        *_e6(s, m),
        *_e8(s, m),
        *_e10(s, m),
        *_e12(s),
        *_e13_and_stops(s),
        *_messages(s, m),
    ]
    if not hits:
        return Escalation(
            date=s.today,
            level=EscalationLevel.NONE,
            rules=(),
            message=f"No new warning today. {_review_state(s)}",
            meanwhile=_meanwhile(s, EscalationLevel.NONE),
        )
    hits.sort(key=lambda h: -ESCALATION_ORDER[h.level])
    level = hits[0].level
    rules = tuple(dict.fromkeys(r for h in hits for r in (h.rule, *h.extra_rules)))
    return Escalation(
        date=s.today,
        level=level,
        rules=rules,
        message=_message(hits),
        meanwhile=_meanwhile(s, level),
        reasons=tuple(dict.fromkeys(h.reason for h in hits)),
    )
