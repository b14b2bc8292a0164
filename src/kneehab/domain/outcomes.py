"""Outcome measures (RULES D-3, §6): NPRS, PSFS, performance tests, and licensed-pack scoring.

Licensed questionnaires (KOOS family, LEFS) are never shipped: an organisation loads an item map from its own
licensed file and this module scores responses from item ids only (§6.3). No item text lives here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from statistics import mean

from pydantic import Field, model_validator

from kneehab.domain.records import OutcomeRecord, PsfsActivity
from kneehab.domain.types import Frozen

NPRS_MCID_POINTS = 2  # §5.1 / §6.3: ≈2 points or 30% = "much improved"
NPRS_MCID_RELATIVE = 0.30
NPRS_MIN_POINTS = 1  # minimal important change: 1 point or 15%
NPRS_MIN_RELATIVE = 0.15
PSFS_MDC90_MEAN = 2.0  # §6.1: for the mean of the activities
PSFS_MDC90_SINGLE = 3.0  # for a single activity
# Scores are means of whole numbers (e.g. 49/6); changes are compared after rounding away float noise,
# so a change of exactly 2 points is 2 points (§5.2, §6.1 boundaries).
PRECISION = 9


class Direction(StrEnum):
    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"


class Change(Frozen):
    """A change between two scores, judged against a threshold (MCID or MDC)."""

    measure: str
    before: float
    after: float
    threshold: float
    direction: Direction

    @property
    def improvement(self) -> float:
        """Positive when the person got better, whichever way the scale runs."""
        diff = round(self.after - self.before, PRECISION)
        return diff if self.direction == Direction.HIGHER_BETTER else -diff

    @property
    def meaningful(self) -> bool:
        return self.improvement >= self.threshold

    @property
    def below_threshold(self) -> bool:
        return not self.meaningful


def nprs_improvement(before: float, after: float) -> tuple[bool, bool]:
    """(improved_min, improved_mcid) for NPRS: ≥1 point or 15%; ≥2 points or 30% (§5.2)."""
    delta = round(before - after, PRECISION)
    rel = round(delta / max(before, 1), PRECISION)
    return (
        delta >= NPRS_MIN_POINTS or rel >= NPRS_MIN_RELATIVE,
        delta >= NPRS_MCID_POINTS or rel >= NPRS_MCID_RELATIVE,
    )


def psfs_score(activities: Sequence[PsfsActivity]) -> float:
    """PSFS = sum of activity ratings / number of activities (0 unable … 10 as before the problem)."""
    if not activities:
        raise ValueError("activities: PSFS needs at least one activity")
    return sum(a.score for a in activities) / len(activities)


def psfs_change(before: OutcomeRecord, after: OutcomeRecord) -> Change:
    """Change in the PSFS mean, judged against MDC90 = 2 points."""
    return Change(
        measure="psfs",
        before=psfs_score(before.activities),
        after=psfs_score(after.activities),
        threshold=PSFS_MDC90_MEAN,
        direction=Direction.HIGHER_BETTER,
    )


def psfs_activity_changes(before: OutcomeRecord, after: OutcomeRecord) -> dict[str, Change]:
    """Per activity named in both records (case-insensitive), judged against MDC90 = 3 points."""
    earlier = {a.activity.strip().lower(): a.score for a in before.activities}
    out: dict[str, Change] = {}
    for a in after.activities:
        key = a.activity.strip().lower()
        if key in earlier:
            out[a.activity] = Change(
                measure="psfs_activity",
                before=earlier[key],
                after=a.score,
                threshold=PSFS_MDC90_SINGLE,
                direction=Direction.HIGHER_BETTER,
            )
    return out


def chair_stand_change(before: float, after: float, threshold: float = 2.0) -> Change:
    """30 s chair stand: more stands is better. Default threshold 2 stands (D, configurable)."""
    return Change(
        measure="chair_stand_30s",
        before=before,
        after=after,
        threshold=threshold,
        direction=Direction.HIGHER_BETTER,
    )


def walk_40m_speed(seconds: float) -> float:
    """40 m fast-paced walk as speed in m/s (the usual way to report it)."""
    if seconds <= 0:
        raise ValueError("value: 40 m walk time must be positive")
    return 40.0 / seconds


def walk_40m_change(before_s: float, after_s: float, threshold: float = 0.2) -> Change:
    """40 m walk speed change in m/s; default threshold 0.2 m/s (D, configurable)."""
    return Change(
        measure="walk_40m",
        before=walk_40m_speed(before_s),
        after=walk_40m_speed(after_s),
        threshold=threshold,
        direction=Direction.HIGHER_BETTER,
    )


def first_and_last(
    records: Sequence[OutcomeRecord], measure: str, *, until: dt.date
) -> tuple[OutcomeRecord, OutcomeRecord] | None:
    """The earliest and the latest record of a measure up to a date, when there are two."""
    found = sorted((r for r in records if r.measure == measure and r.date <= until), key=_by_date)
    return (found[0], found[-1]) if len(found) >= 2 else None


def _by_date(record: OutcomeRecord) -> dt.date:
    return record.date


# ---- licensed content packs (§6.3): item ids and numbers only ----


class Subscale(Frozen):
    """One subscale of a licensed questionnaire, as the organisation's pack file defines it."""

    id: str
    items: tuple[str, ...] = Field(min_length=1)
    min_answered: int = Field(ge=1)  # e.g. KOOS 2012: ≥50% (Pain 5 of 9)
    item_max: int = Field(default=4, ge=1)
    method: str = Field(default="koos", pattern=r"^(koos|sum)$")
    mcid: float | None = None  # the pack's minimal important change for this subscale

    @model_validator(mode="after")
    def _enough_items(self) -> Subscale:
        if self.min_answered > len(self.items):
            raise ValueError(
                f"min_answered: {self.min_answered} is more than the {len(self.items)} items"
            )
        return self


class ItemMap(Frozen):
    """A licensed pack's structure: its id and subscales. Item text stays in the licensed file."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    subscales: tuple[Subscale, ...] = Field(min_length=1)


class SubscaleScore(Frozen):
    subscale: str
    score: float | None  # None when too few items were answered
    answered: int
    needed: int


def score_subscale(sub: Subscale, responses: Mapping[str, int]) -> SubscaleScore:
    """KOOS method: 100 − mean/item_max × 100 over answered items (0 extreme problems, 100 none).

    `sum` method (e.g. LEFS): the sum of answered items, only when every needed item is answered.
    """
    answered = [responses[i] for i in sub.items if i in responses]
    bad = [i for i in sub.items if i in responses and not 0 <= responses[i] <= sub.item_max]
    if bad:
        raise ValueError(f"responses.{bad[0]}: must be 0–{sub.item_max}")
    if len(answered) < sub.min_answered:
        return SubscaleScore(
            subscale=sub.id, score=None, answered=len(answered), needed=sub.min_answered
        )
    if sub.method == "sum":
        score = float(sum(answered))
    else:
        score = 100.0 - mean(answered) / sub.item_max * 100.0
    return SubscaleScore(
        subscale=sub.id, score=round(score, 1), answered=len(answered), needed=sub.min_answered
    )


def score_pack(item_map: ItemMap, responses: Mapping[str, int]) -> dict[str, SubscaleScore]:
    """Score every subscale; an item id the pack does not know is a mistake, not ignored."""
    known = {i for s in item_map.subscales for i in s.items}
    unknown = sorted(set(responses) - known)
    if unknown:
        raise ValueError(f"responses.{unknown[0]}: not an item of pack '{item_map.id}'")
    return {s.id: score_subscale(s, responses) for s in item_map.subscales}


def koos4(scores: Mapping[str, SubscaleScore]) -> float | None:
    """KOOS4 research composite: mean of pain, symptoms, sport_rec and qol when all are scored."""
    parts = [scores.get(k) for k in ("pain", "symptoms", "sport_rec", "qol")]
    values = [p.score for p in parts if p is not None and p.score is not None]
    return round(mean(values), 1) if len(values) == 4 else None
