"""Escalation ("see a professional", RULES §5).

Measures per §5.2 (C-11, C-12) and triggers E1–E11 per §5.3 (C-10).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from statistics import mean

from kneehab.domain.intake import Intake
from kneehab.domain.outcomes import PRECISION, first_and_last, nprs_improvement, psfs_change
from kneehab.domain.program import ItemStatus, Program, Triage
from kneehab.domain.records import CheckIn, OutcomeRecord
from kneehab.domain.types import NO_PROGRAM_LEVELS, Condition, Frozen, Level


class EscalationLevel(StrEnum):
    NONE = "none"
    MESSAGE = "message"  # E9–E11: a note to the person and their physio, not a clinical escalation
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


class Measures(Frozen):
    """RULES §5.2 measures as of one day (C-11, C-12)."""

    day: int  # days since program start (start = day 0, C-10)
    pain_base: float
    pain_base_source: str
    pain7: float | None  # None with fewer than 4 entries in the 7 days ending today
    improved_min: bool
    improved_mcid: bool
    worse: bool
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


def _window_mean(pain: Mapping[dt.date, int], end: dt.date) -> float | None:
    values = [pain[d] for d in (end - dt.timedelta(days=i) for i in range(7)) if d in pain]
    return mean(values) if len(values) >= 4 else None


def pain7(pain: Mapping[dt.date, int], on: dt.date) -> float | None:
    """C-11: mean over the 7 days ending `on`, needing ≥ 4 entries."""
    return _window_mean(pain, on)


def pain_base(pain: Mapping[dt.date, int], start: dt.date, pain_now: int) -> tuple[float, str]:
    """C-11: mean of days −6…0 when ≥ 4 exist, else intake pain_now."""
    value = _window_mean(pain, start)
    if value is None:
        return float(pain_now), f"your pain at intake ({pain_now}/10)"
    return value, f"your average pain in the week before you started ({value:.1f}/10)"


def _share_done(
    prescribed: frozenset[dt.date], done: frozenset[dt.date], first: dt.date, last: dt.date
) -> float | None:
    """Done days / prescribed days from `first` to `last` (None when nothing was prescribed). A
    session moved to another day still counts, but never more days than were prescribed."""
    asked = sum(1 for d in prescribed if first <= d <= last)
    if not asked:
        return None
    did = sum(1 for d in done if first <= d <= last)
    return min(did, asked) / asked


def adherence(
    prescribed: frozenset[dt.date], done: frozenset[dt.date], *, start: dt.date, on: dt.date
) -> float | None:
    """C-12: done days / prescribed strength days in the 14 days ending `on`, evaluated once the
    program is ≥ 14 days old."""
    if (on - start).days < ADHERENCE_WINDOW:
        return None
    return _share_done(prescribed, done, on - dt.timedelta(days=ADHERENCE_WINDOW - 1), on)


def measures(
    pain: Mapping[dt.date, int],
    *,
    start: dt.date,
    on: dt.date,
    pain_now: int,
    p5_dates: Sequence[dt.date],
    prescribed: frozenset[dt.date],
    done: frozenset[dt.date],
) -> Measures:
    base, source = pain_base(pain, start, pain_now)
    now = pain7(pain, on)
    improved_min = improved_mcid = worse = False
    if now is not None:
        improved_min, improved_mcid = nprs_improvement(base, now)
        worse = round(now - base, PRECISION) >= WORSE_POINTS
    recent_p5 = {d for d in p5_dates if 0 <= (on - d).days < 14}
    worse = worse or len(recent_p5) >= 2
    return Measures(
        day=(on - start).days,
        pain_base=base,
        pain_base_source=source,
        pain7=now,
        improved_min=improved_min,
        improved_mcid=improved_mcid,
        worse=worse,
        adherence14=adherence(prescribed, done, start=start, on=on),
    )


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

# Tiers that stop the whole program (D-2) and lock it until a clinician clears it (C-10: E1 then
# fires on every later day, not only the day the answer was given): the tiers that withhold one.
STOPPING: frozenset[Level] = NO_PROGRAM_LEVELS
LOCKED = (
    "This warning stays until a clinician clears you: kneehab cannot record that clearance yet, "
    "so your program stays stopped."
)


def locked(s: Situation) -> bool:
    """A check-in or re-screen answer at a stopping tier has locked the program (C-10)."""
    return any(tri.level in STOPPING for _, tri in (*s.checkin_screens, *s.rescreens))


class Situation(Frozen):
    """Everything escalation needs, gathered by `course.replay` (or a service) as of `today`."""

    intake: Intake
    start: dt.date
    today: dt.date
    reviewed: bool
    triage: Triage  # intake triage (D-2)
    program: Program | None
    pain: dict[dt.date, int]
    outcomes: tuple[OutcomeRecord, ...] = ()
    checkin_screens: tuple[tuple[dt.date, Triage], ...] = ()  # check-in symptoms that found some
    rescreens: tuple[tuple[dt.date, Triage], ...] = ()  # red flags asked again mid-course (§1.1)
    p5_dates: tuple[dt.date, ...] = ()
    prescribed: frozenset[dt.date] = frozenset()
    done: frozenset[dt.date] = frozenset()

    def measures_on(self, on: dt.date) -> Measures:
        return measures(
            self.pain,
            start=self.start,
            on=on,
            pain_now=self.intake.pain_now,
            p5_dates=self.p5_dates,
            prescribed=self.prescribed,
            done=self.done,
        )


def _e1(s: Situation) -> list[Hit]:
    """E1 at its §1 tier (C-10): a stopping tier on every day from the answer on (the program stays
    locked); a `soon` tier only on the day it was reported."""
    hits: list[Hit] = []
    seen: set[tuple[dt.date, tuple[str, ...]]] = set()
    again = "In your answers to the warning-sign questions on"
    sources = [
        *((when, tri, "At your check-in on") for when, tri in s.checkin_screens),
        *((when, tri, again) for when, tri in s.rescreens),
    ]
    for when, tri, where in sources:
        level = TIER[tri.level]
        lasting = tri.level in STOPPING
        if level == EscalationLevel.NONE or (not lasting and when != s.today):
            continue
        flags = tuple(r for r in tri.rules if r.startswith("RF") or r == "C-14")
        if (when, flags) in seen:  # the web re-asks a check-in's symptoms: one hit, not two
            continue
        seen.add((when, flags))
        said = " ".join(tri.reasons)
        hits.append(
            Hit(
                rule="E1",
                level=level,
                todo=f"{tri.message} {LOCKED}" if lasting else tri.message,
                extra_rules=flags,
                reason=f"{where} {when.isoformat()}: {said}".strip(),
            )
        )
    return hits


def _pain_words(m: Measures) -> str:
    if m.pain7 is None:
        return (
            "there are not enough daily pain ratings (4 in the last 7 days) to see an improvement"
        )
    return f"your average pain is {m.pain7:.1f}/10 against {m.pain_base_source}"


def _time_rules(s: Situation, m: Measures) -> list[Hit]:
    hits: list[Hit] = []
    intake = s.intake
    if intake.weeks_since_onset < 6 and m.day >= DAY_E2 and not m.improved_min:
        hits.append(
            Hit(
                rule="E2",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} The warning-sign questions will be asked again.",
                reason=f"Day {m.day} of a recent knee problem and no improvement yet: {_pain_words(m)}.",
            )
        )
    if m.day > DAY_E3_AFTER and m.worse:
        hits.append(
            Hit(
                rule="E3",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} The warning-sign questions will be asked again.",
                reason="Your knee is getting worse: average pain up 2 points or more, or exercises "
                "had to be paused twice in 2 weeks.",
            )
        )
    if intake.weeks_since_onset >= 6 and m.day >= DAY_E4 and not m.improved_mcid:
        hits.append(
            Hit(
                rule="E4",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} A physical therapist should reassess your plan.",
                reason=f"Six weeks in without a clear improvement (2 points or 30%): {_pain_words(m)}.",
            )
        )
    if intake.condition == Condition.PFP and m.day >= DAY_E5 and not m.improved_mcid:
        hits.append(
            Hit(
                rule="E5",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} The clinician may consider imaging.",
                reason=f"Eight weeks or more without a clear improvement: {_pain_words(m)}.",
            )
        )
    if m.day >= DAY_E7 and not m.improved_mcid:
        hits.append(
            Hit(
                rule="E7",
                level=EscalationLevel.SOON,
                todo="Ask your physical therapist or doctor for a referral to a musculoskeletal "
                "(MSK) triage or specialist service.",
                reason=f"Six months in without a clear improvement: {_pain_words(m)}.",
            )
        )
    return hits


def _e6(s: Situation, m: Measures) -> list[Hit]:
    if m.day < DAY_E6:
        return []
    pair = first_and_last(s.outcomes, "psfs", until=s.today)
    if pair is None:
        return []
    change = psfs_change(*pair)
    if change.meaningful:
        return []
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
    whole = _share_done(s.prescribed, s.done, s.start, s.today)  # adherence over the whole course
    if (
        s.intake.condition != Condition.MEDIAL_OA
        or m.day < DAY_E8
        or m.pain7 is None
        or m.pain7 < SEVERE_PAIN
        or whole is None
        or whole < ADHERENCE_MIN
    ):
        return []
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


def _messages(s: Situation, m: Measures) -> list[Hit]:
    hits: list[Hit] = []
    if m.adherence14 is not None and m.adherence14 < ADHERENCE_MIN:
        hits.append(
            Hit(
                rule="E9",
                level=EscalationLevel.MESSAGE,
                todo="Your physio will check in with you: is something getting in the way?",
                reason=f"You did {m.adherence14:.0%} of your planned strength days in the last 2 weeks.",
            )
        )
    if s.intake.chronic and not s.reviewed:
        hits.append(
            Hit(
                rule="E10",
                level=EscalationLevel.MESSAGE,
                todo="Ask your physical therapist to review this plan within your first 2 weeks.",
                reason="Your knee pain has lasted more than 3 months.",
            )
        )
    if _sustained_mcid(s):
        hits.append(
            Hit(
                rule="E11",
                level=EscalationLevel.MESSAGE,
                todo="You may be ready for the next phase or fewer check-ins: ask your physio.",
                reason="Your average pain has been clearly better (2 points or 30%) for 2 weeks.",
            )
        )
    return hits


def _sustained_mcid(s: Situation) -> bool:
    """E11: improved_mcid today and 14 days ago, and on every day in between that can be judged."""
    days = [s.today - dt.timedelta(days=i) for i in range(15)]
    if days[-1] < s.start:
        return False
    judged = [(d, s.measures_on(d)) for d in days]
    if judged[0][1].pain7 is None or judged[-1][1].pain7 is None:
        return False
    return all(m.improved_mcid for _, m in judged if m.pain7 is not None)


def _program_hits(s: Situation) -> list[Hit]:
    hits: list[Hit] = []
    if s.triage.level == Level.SOON and not s.reviewed:
        hits.append(
            Hit(
                rule="D-2",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} Your exercises stay at their starting doses until then.",
                reason="Your answers at the start asked for a review by a clinician.",
                extra_rules=s.triage.rules,
            )
        )
    for when, tri in s.rescreens if not s.reviewed else ():
        if tri.level != Level.SOON:
            continue
        hits.append(
            Hit(
                rule="D-2",
                level=EscalationLevel.SOON,
                todo=f"{REVIEW} Your exercises stay at their current doses until then.",
                reason=f"Your answers to the warning-sign questions on {when.isoformat()} asked "
                "for a review by a clinician.",
                extra_rules=tri.rules,
            )
        )
    if s.program is None:
        return hits
    paused = [i.name for i in s.program.items if i.status == ItemStatus.PAUSED]
    stopped = [i.name for i in s.program.items if i.status == ItemStatus.STOPPED]
    if paused:
        hits.append(
            Hit(
                rule="P5",
                level=EscalationLevel.SOON,
                todo=REVIEW,
                reason=f"Paused because it provoked your knee: {', '.join(paused)}.",
            )
        )
    if stopped and not locked(s):  # a locked program: E1 already says why and what to do
        hits.append(
            Hit(
                rule="P1",
                level=EscalationLevel.MESSAGE,
                todo="Answer the warning-sign questions at your next morning check-in.",
                reason=f"Stopped after sharp or strong pain: {', '.join(stopped)}.",
            )
        )
    return hits


def _withheld(s: Situation) -> Escalation:
    """D-2: no program was given; the triage already says exactly what to do instead."""
    level = TIER[s.triage.level]
    rules = ("E1", *s.triage.rules) if s.triage.level != Level.OUT_OF_SCOPE else s.triage.rules
    return Escalation(
        date=s.today,
        level=level,
        rules=tuple(dict.fromkeys((*rules, "D-2"))),
        message=s.triage.message,
        meanwhile="No self-managed program is given (RULES D-2).",
        reasons=s.triage.reasons,
    )


def _meanwhile(s: Situation, level: EscalationLevel) -> str:
    if level in (EscalationLevel.URGENT, EscalationLevel.EMERGENCY):
        return "Your program is stopped until a clinician says it is safe to restart."
    assert s.program is not None
    parts: list[str] = []
    for status, words in ((ItemStatus.PAUSED, "Paused"), (ItemStatus.STOPPED, "Stopped")):
        names = [i.name for i in s.program.items if i.status == status]
        if names:
            parts.append(f"{words} until reviewed: {', '.join(names)}.")
    if s.program.progression_held and not s.reviewed:
        parts.append("Doses stay as they are until a clinician has reviewed your program.")
    rest = "The rest of your program continues" if parts else "Your program continues"
    parts.append(f"{rest} as prescribed.")
    return " ".join(parts)


def escalate(s: Situation) -> Escalation:
    """RULES §5.3 as of `s.today`: every rule that fires today, the highest level wins (C-10)."""
    if s.program is None:
        return _withheld(s)
    m = s.measures_on(s.today)
    hits = [
        *_e1(s),
        *_program_hits(s),
        *_time_rules(s, m),
        *_e6(s, m),
        *_e8(s, m),
        *_messages(s, m),
    ]
    if not hits:
        return Escalation(
            date=s.today,
            level=EscalationLevel.NONE,
            rules=(),
            message="No review needed right now. Keep going and check in each morning.",
            meanwhile=_meanwhile(s, EscalationLevel.NONE),
        )
    hits.sort(key=lambda h: -ESCALATION_ORDER[h.level])
    level = hits[0].level
    rules = tuple(dict.fromkeys(r for h in hits for r in (h.rule, *h.extra_rules)))
    todo = " ".join(dict.fromkeys(h.todo for h in hits))
    return Escalation(
        date=s.today,
        level=level,
        rules=rules,
        message=todo,
        meanwhile=_meanwhile(s, level),
        reasons=tuple(dict.fromkeys(h.reason for h in hits)),
    )
