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
        return at(1, locked_since, sorted(r for r in rules if r.startswith(("E1", "RF"))) or ["E1"])
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


def attention_for(name: str, course: Course, history: History) -> Attention:
    """D-9 for one replayed course as of its `today`."""
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
    return attention(
        name,
        today=today,
        locked_since=lock if course.locked_by is not None else None,
        escalation_level=course.escalation.level,
        escalation_rules=course.escalation.rules,
        stops_since_review=stops,
        waiting_since=tuple(course.waiting_since.values()),
        last_activity=max(activity, default=None),
        start=history.start,
        review_on=program.review_on if program else None,
        ceiling_flag=program.pain_ceiling_flag if program else False,
    )
