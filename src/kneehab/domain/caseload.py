"""Who needs a clinician's attention first (RULES D-9 v2): one tier per person, from a replayed course.

Tiers, most urgent first: (1) an open emergency or urgent lock or escalation; (2) a P1 stop or an
exercise paused waiting for a clinician since the last review; (3) an unacknowledged E2–E8, E10,
E12 or E13, a giving-way or swelling `soon`, or a `soon` triage or re-screen awaiting review; (4)
adherence under 50 % over 14 days, or no session and no check-in for 7 days; (5) the review date
reached, or a pain limit above 5 not yet acknowledged; (6) everyone else — including pauses that end
by themselves. Within a tier, the oldest open item first, then by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kneehab.domain.course import Course
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.progression import Action
from kneehab.domain.records import History
from kneehab.domain.types import Frozen

QUIET_DAYS = 7  # D-9 tier 4: no session and no check-in for 7 days
TIER3_RULES = frozenset({"E2", "E3", "E4", "E5", "E6", "E7", "E8", "E10", "E12", "E13"})
TIER3_SOON = frozenset({"RF08", "C-14", "D-2"})


class Attention(Frozen):
    """One person's place on the caseload."""

    name: str
    tier: int  # 1 (first) … 6
    since: dt.date  # the oldest open item of that tier (today when none is dated)
    why: tuple[str, ...]  # the rule ids that put the person in that tier


def attention(
    name: str,
    *,
    today: dt.date,
    locked_since: dt.date | None,
    escalation_level: EscalationLevel,
    escalation_rules: Sequence[str],
    stops_since_review: Sequence[dt.date],
    waiting_since: Sequence[dt.date],
    last_activity: dt.date | None,
    start: dt.date,
    review_on: dt.date | None,
    ceiling_flag: bool,
) -> Attention:
    """D-9: the tier of one person on `today` and why."""
    rules = set(escalation_rules)

    def at(tier: int, since: dt.date | None, why: Sequence[str]) -> Attention:
        return Attention(name=name, tier=tier, since=since or today, why=tuple(why))

    if locked_since is not None or escalation_level in (
        EscalationLevel.URGENT,
        EscalationLevel.EMERGENCY,
    ):
        # E1 and the red flags behind it (E10, E12 … start with "E1" too, and are tier 3's).
        lock_rules = sorted(r for r in rules if r == "E1" or r.startswith("RF"))
        return at(1, locked_since, lock_rules or ["E1"])
    if stops_since_review or waiting_since:
        return at(2, min((*stops_since_review, *waiting_since)), ["P1", "P10", "P13"])
    open3 = sorted((rules & TIER3_RULES) | (rules & TIER3_SOON))
    if open3 and escalation_level == EscalationLevel.SOON:
        return at(3, None, open3)
    quiet = last_activity is None or (today - last_activity).days >= QUIET_DAYS
    if "E9" in rules or ((today - start).days >= QUIET_DAYS and quiet):
        return at(4, last_activity, ["E9", "C-12"] if "E9" in rules else ["D-9"])
    if (review_on is not None and review_on <= today) or ceiling_flag:
        return at(5, review_on if review_on and review_on <= today else None, ["D-1", "D-9"])
    return at(6, None, ())


def order(people: Sequence[Attention]) -> list[Attention]:
    """D-9: tier first, then the oldest open item, then by name."""
    return sorted(people, key=lambda a: (a.tier, a.since, a.name.lower()))


class Facts(Frozen):
    """What D-9 reads from one replayed course, as of its `today`."""

    today: dt.date
    locked_since: dt.date | None
    escalation_level: EscalationLevel
    escalation_rules: tuple[str, ...]
    stops_since_review: tuple[dt.date, ...]
    waiting_since: tuple[dt.date, ...]
    last_activity: dt.date | None
    start: dt.date
    review_on: dt.date | None
    ceiling_flag: bool
    adherence: float | None = None


def facts_of(course: Course, history: History, *, last_activity: dt.date | None = None) -> Facts:
    """`last_activity`: the latest session or check-in day when the caller knows it and `history`
    holds only recent records (the caseload); otherwise taken from `history`."""
    today = history.today
    reviews = [c.date for c in history.clinician if c.action in ("review", "assessment")]
    if history.reviewed:
        reviews.append(history.start)
    last_review = max(reviews, default=None)
    stops = [
        d.date
        for d in course.decisions
        if d.action == Action.STOP
        and "P1" in d.rules
        and (last_review is None or d.date > last_review)
    ]
    lock = next(
        (d.date for d in reversed(course.decisions) if d.action == Action.STOP and "E1" in d.rules),
        None,
    )
    activity = [s.date for s in history.sessions] + [c.date for c in history.checkins]
    program = course.program
    return Facts(
        today=today,
        locked_since=(lock or course.escalation.date) if course.locked_by is not None else None,
        escalation_level=course.escalation.level,
        escalation_rules=tuple(course.escalation.rules),
        stops_since_review=tuple(stops),
        waiting_since=tuple(course.waiting_since.values()),
        last_activity=max([*activity, *([last_activity] if last_activity else [])], default=None),
        start=history.start,
        review_on=program.review_on if program else None,
        ceiling_flag=program.pain_ceiling_flag if program else False,
        adherence=course.adherence_14,
    )


def attention_for(name: str, course: Course, history: History) -> Attention:
    """D-9 for one replayed course as of its `today`."""
    f = facts_of(course, history)
    return attention(name, **f.model_dump(exclude={"adherence"}))


# -- the caseload's words and flags (issue 12 §1) --

TIER_WORDS = {
    1: "An urgent or emergency warning sign is open: exercises are stopped until you record an "
    "assessment.",
    2: "An exercise was stopped for pain, or is paused waiting for you, since the last review.",
    3: "A warning waits for your acknowledgement, or a 'see soon' triage waits for your review.",
    4: "Sessions done under half of those prescribed over 14 days, or nothing recorded for 7 days.",
    5: "The review date has come, or a pain limit above 5 has not been acknowledged.",
    6: "Nothing is waiting for you.",
}
# Filter keys, in caseload order; each with its words and rule ids.
FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lock": ("warning sign: stopped", ("E1", "D-9")),
    "stop": ("stopped for pain", ("P1", "D-9")),
    "waiting": ("paused, waits for you", ("P10", "P13", "D-9")),
    "warning": ("warning to acknowledge", ("D-9",)),
    "soon": ("review requested", ("D-2", "D-9")),
    "adherence": ("low adherence", ("C-12", "D-9")),
    "quiet": ("nothing for 7 days", ("D-9",)),
    "review": ("review date reached", ("D-9",)),
    "ceiling": ("pain limit above 5", ("D-1", "D-9")),
}
LOW_ADHERENCE = 0.5  # D-9 tier 4 (C-12)


def words(a: Attention) -> str:
    """Why a person is where they are on the caseload, in plain words (the ids are kept apart)."""
    return TIER_WORDS[a.tier]


def flags(f: Facts) -> tuple[str, ...]:
    """Every open item (not only the highest tier), as FLAGS keys in caseload order."""
    rules = set(f.escalation_rules)
    urgent = f.escalation_level in (EscalationLevel.URGENT, EscalationLevel.EMERGENCY)
    quiet = (f.today - f.start).days >= QUIET_DAYS and (
        f.last_activity is None or (f.today - f.last_activity).days >= QUIET_DAYS
    )
    low = "E9" in rules or (f.adherence is not None and f.adherence < LOW_ADHERENCE)
    found = {
        "lock": f.locked_since is not None or urgent,
        "stop": bool(f.stops_since_review),
        "waiting": bool(f.waiting_since),
        "warning": bool(rules & TIER3_RULES),
        "soon": bool(rules & TIER3_SOON),
        "adherence": low,
        "quiet": quiet,
        "review": f.review_on is not None and f.review_on <= f.today,
        "ceiling": f.ceiling_flag,
    }
    return tuple(k for k in FLAGS if found[k])
