"""Outcome measures (RULES D-3, §6): the page that records PSFS, the 30-second chair stand and the 40 m fast
walk, and each measure's change judged against its MDC / MCID for the Progress page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from kneehab.domain import outcomes as om
from kneehab.domain.records import OutcomeRecord
from kneehab.web.viewmodels.common import short_day

PSFS_ROWS = 5


class PsfsRow(BaseModel):
    number: int
    activity: str
    score: str


class OutcomeFormView(BaseModel):
    """PSFS with our own wording (§6.2: free, patient-generated), and two performance tests."""

    day: date
    psfs_intro: str
    psfs_rows: list[PsfsRow]
    chair_intro: str
    walk_intro: str
    chair_stand_30s: str
    walk_40m: str
    last_recorded: str  # e.g. "Last recorded: Mon 3 Mar" (empty when never)
    action: str = "/outcomes"
    # Where the activity names come from (issue 9 §3): "" / "last" (the last PSFS) / "goals" (the intake)
    activities_from: str = ""
    activities_note: str = ""


def outcome_form_view(
    day: date,
    records: list[OutcomeRecord],
    values: dict[str, Any] | None = None,
    goals: tuple[str, ...] | list[str] = (),
) -> OutcomeFormView:
    """The form; activity names come from the last PSFS (the same activities are rated again) or, before
    the first one, from the goals the person gave at the start."""
    values = values or {}
    psfs = sorted((r for r in records if r.measure == "psfs"), key=lambda r: r.date)
    last_names = [a.activity for a in psfs[-1].activities] if psfs else []
    source, note = (
        ("last", "The activities you rated last time are filled in.") if psfs else ("", "")
    )
    if not last_names:
        last_names = [g.strip()[:120] for g in goals if g.strip()][:PSFS_ROWS]
        if last_names:
            source = "goals"
            note = (
                "The goals you gave at the start are filled in as activities. Change or clear any of "
                "them."
            )
    rows = []
    for n in range(1, PSFS_ROWS + 1):
        default = last_names[n - 1] if n <= len(last_names) else ""
        rows.append(
            PsfsRow(
                number=n,
                activity=str(values.get(f"psfs_activity_{n}", default)),
                score=str(values.get(f"psfs_score_{n}", "")),
            )
        )
    latest = max((r.date for r in records), default=None)
    return OutcomeFormView(
        day=day,
        psfs_intro=(
            "Name up to 5 everyday activities your knee makes hard — for example climbing stairs "
            "or walking the dog. Rate each from 0 (I can't do it at all) to 10 (I can do it as "
            "well as before my knee trouble). Rate the same activities each time."
        ),
        psfs_rows=rows,
        chair_intro=(
            "Sit in a firm chair without arms, arms crossed on your chest. Count how many times you "
            "can stand up fully and sit down again in 30 seconds. Stop if your knee hurts more than "
            "your limit."
        ),
        walk_intro=(
            "Walk 4 lengths of a 10 m path (40 m in all) as fast as you safely can, without "
            "running, and time it in seconds. Use a walking aid if you usually do."
        ),
        chair_stand_30s=str(values.get("chair_stand_30s", "")),
        walk_40m=str(values.get("walk_40m", "")),
        last_recorded=f"Last recorded: {short_day(latest)}." if latest else "",
        activities_from=source,
        activities_note=note,
    )


class Saved(BaseModel):
    ids: list[int]
    measures: list[str]
    next_url: str = "/progress#outcomes"


# ---- changes against MDC / MCID (shown on Progress) --------------------------------------------


class ActivityChange(BaseModel):
    activity: str
    before: int
    after: int
    verdict: str


class OutcomeSummary(BaseModel):
    measure: str
    label: str
    latest: str  # the latest result in plain words
    latest_day: str
    change: str  # "" when there is only one result
    verdict: str  # what the change means against the threshold
    meaningful: bool | None  # None with one result
    threshold: str
    activities: list[ActivityChange]  # PSFS: per activity named both times (MDC90 3 points)
    rules: list[str]


def _num(x: float, places: int = 1) -> str:
    return f"{x:.{places}f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _signed(x: float, unit: str = "", places: int = 1) -> str:
    return f"{'+' if x > 0 else ''}{_num(round(x, places), places)}{unit}"


def _verdict(meaningful: bool, improvement: float, what: str) -> str:
    if meaningful:
        return f"Better by more than {what}: a real change."
    if improvement < 0:
        return f"A little lower, but within {what}: not a change we can trust yet."
    return f"Within {what}: not yet a change we can trust."


# Each measure is one spec: how to say its latest result, what to say before there is a second one, its
# threshold, and how to compare the first result with the latest. `_summary` is the one shape they share.

Compare = Callable[[OutcomeRecord, OutcomeRecord], dict[str, Any]]


@dataclass(frozen=True)
class MeasureSpec:
    label: str
    latest: Callable[[OutcomeRecord], str]
    waiting: str  # the verdict while there is only one result
    threshold: str
    rules: tuple[str, ...]
    compare: Compare  # first, latest → the fields that change, verdict and meaningful fill


def _value(record: OutcomeRecord) -> float:
    assert record.value is not None
    return record.value


def _against(
    change: Callable[[OutcomeRecord, OutcomeRecord], om.Change],
    span: Callable[[float, float], str],
    delta: Callable[[float], str],
    what: str,
) -> Compare:
    """A measure judged against one threshold (MDC / our default): "before → after (±delta) since …"."""

    def compare(first: OutcomeRecord, last: OutcomeRecord) -> dict[str, Any]:
        c = change(first, last)
        return {
            "change": f"{span(c.before, c.after)} ({delta(c.improvement)}) "
            f"since {short_day(first.date)}",
            "verdict": _verdict(c.meaningful, c.improvement, what),
            "meaningful": c.meaningful,
        }

    return compare


def _by_value(
    change: Callable[[float, float], om.Change],
) -> Callable[[OutcomeRecord, OutcomeRecord], om.Change]:
    return lambda first, last: change(_value(first), _value(last))


def _psfs_compare(first: OutcomeRecord, last: OutcomeRecord) -> dict[str, Any]:
    overall = _against(
        om.psfs_change,
        lambda b, a: f"{_num(round(b, 1))} → {_num(round(a, 1))}",
        _signed,
        "the 2-point measurement error",
    )(first, last)
    per = om.psfs_activity_changes(first, last)
    overall["activities"] = [
        ActivityChange(
            activity=name,
            before=int(ch.before),
            after=int(ch.after),
            verdict=_verdict(ch.meaningful, ch.improvement, "3 points"),
        )
        for name, ch in per.items()
    ]
    return overall


def _nprs_compare(first: OutcomeRecord, last: OutcomeRecord) -> dict[str, Any]:
    before, after = _value(first), _value(last)
    little, much = om.nprs_improvement(before, after)
    verdict = (
        "Much better: at least 2 points or 30% less pain."
        if much
        else "A little better: at least 1 point or 15% less pain."
        if little
        else "No clear improvement yet."
    )
    return {
        "change": f"{_num(before)} → {_num(after)} since {short_day(first.date)}",
        "verdict": verdict,
        "meaningful": much,
    }


def _psfs_latest(r: OutcomeRecord) -> str:
    return (
        f"{_num(round(om.psfs_score(r.activities), 1))} out of 10 (average of {len(r.activities)})"
    )


AGAIN = "Do the test again in a few weeks to see the change."
MEASURES: dict[str, MeasureSpec] = {
    "psfs": MeasureSpec(
        label="Activities you find hard (PSFS, 0–10, higher is better)",
        latest=_psfs_latest,
        waiting="Record it again in 2 weeks to see the change.",
        threshold="2 points for the average, 3 for one activity (MDC90)",
        rules=("D-3", "§6.1"),
        compare=_psfs_compare,
    ),
    "chair_stand_30s": MeasureSpec(
        label="Chair stands in 30 seconds (higher is better)",
        latest=lambda r: f"{_num(_value(r))} stands",
        waiting=AGAIN,
        threshold="2 stands (our default)",
        rules=("D-3", "§6.3"),
        compare=_against(
            _by_value(om.chair_stand_change),
            lambda b, a: f"{_num(b)} → {_num(a)}",
            lambda x: _signed(x, " stands"),
            "2 stands",
        ),
    ),
    "walk_40m": MeasureSpec(
        label="40 m fast walk (faster is better)",
        latest=lambda r: f"{_num(_value(r))} s ({om.walk_40m_speed(_value(r)):.2f} m/s)",
        waiting=AGAIN,
        threshold="0.2 m/s faster (our default)",
        rules=("D-3", "§6.3"),
        compare=_against(
            _by_value(om.walk_40m_change),
            lambda b, a: f"{b:.2f} → {a:.2f} m/s",
            lambda x: _signed(x, " m/s", places=2),  # speed changes are hundredths of m/s
            "0.2 m/s",
        ),
    ),
    "nprs": MeasureSpec(
        label="Average knee pain (0–10, lower is better)",
        latest=lambda r: f"{_num(_value(r))} out of 10",
        waiting="",
        threshold="2 points or 30% less (much better); 1 point or 15% (a little better)",
        rules=("D-3", "§5.1"),
        compare=_nprs_compare,
    ),
}


def _summary(measure: str, spec: MeasureSpec, found: list[OutcomeRecord]) -> OutcomeSummary:
    """The latest result; with an earlier one too, its change and what the change means."""
    first, last = found[0], found[-1]
    summary = OutcomeSummary(
        measure=measure,
        label=spec.label,
        latest=spec.latest(last),
        latest_day=short_day(last.date),
        change="",
        verdict=spec.waiting,
        meaningful=None,
        threshold=spec.threshold,
        activities=[],
        rules=list(spec.rules),
    )
    if len(found) < 2 or (first.value is None and not first.activities):
        return summary
    return summary.model_copy(update=spec.compare(first, last))


def outcome_summaries(records: list[OutcomeRecord], *, until: date) -> list[OutcomeSummary]:
    """One summary per shipped measure with at least one result, first → latest (RULES D-3)."""
    out = []
    for measure, spec in MEASURES.items():
        found = sorted(
            (r for r in records if r.measure == measure and r.date <= until), key=lambda r: r.date
        )
        if found:
            out.append(_summary(measure, spec, found))
    return out
