"""Outcome measures (RULES D-3, §6): the page that records PSFS, the 30-second chair stand and the 40 m fast
walk, and each measure's change judged against its MDC / MCID for the Progress page."""

from __future__ import annotations

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


def outcome_form_view(
    day: date, records: list[OutcomeRecord], values: dict[str, Any] | None = None
) -> OutcomeFormView:
    """The form; activity names come from the last PSFS (the same activities are rated again)."""
    values = values or {}
    psfs = sorted((r for r in records if r.measure == "psfs"), key=lambda r: r.date)
    last_names = [a.activity for a in psfs[-1].activities] if psfs else []
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


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _signed(x: float, unit: str = "") -> str:
    return f"{'+' if x > 0 else ''}{_num(round(x, 2))}{unit}"


def _verdict(meaningful: bool, improvement: float, what: str) -> str:
    if meaningful:
        return f"Better by more than {what}: a real change."
    if improvement < 0:
        return f"A little lower, but within {what}: not a change we can trust yet."
    return f"Within {what}: not yet a change we can trust."


def _psfs(found: list[OutcomeRecord]) -> OutcomeSummary:
    last = found[-1]
    latest = om.psfs_score(last.activities)
    summary = OutcomeSummary(
        measure="psfs",
        label="Activities you find hard (PSFS, 0–10, higher is better)",
        latest=f"{_num(round(latest, 1))} out of 10 (average of {len(last.activities)})",
        latest_day=short_day(last.date),
        change="",
        verdict="Record it again in 2 weeks to see the change.",
        meaningful=None,
        threshold="2 points for the average, 3 for one activity (MDC90)",
        activities=[],
        rules=["D-3", "§6.1"],
    )
    if len(found) < 2:
        return summary
    first = found[0]
    c = om.psfs_change(first, last)
    per = om.psfs_activity_changes(first, last)
    return summary.model_copy(
        update={
            "change": f"{_num(round(c.before, 1))} → {_num(round(c.after, 1))} "
            f"({_signed(c.improvement)}) since {short_day(first.date)}",
            "verdict": _verdict(c.meaningful, c.improvement, "the 2-point measurement error"),
            "meaningful": c.meaningful,
            "activities": [
                ActivityChange(
                    activity=name,
                    before=int(ch.before),
                    after=int(ch.after),
                    verdict=_verdict(ch.meaningful, ch.improvement, "3 points"),
                )
                for name, ch in per.items()
            ],
        }
    )


def _chair(found: list[OutcomeRecord]) -> OutcomeSummary:
    last = found[-1]
    assert last.value is not None
    summary = OutcomeSummary(
        measure="chair_stand_30s",
        label="Chair stands in 30 seconds (higher is better)",
        latest=f"{_num(last.value)} stands",
        latest_day=short_day(last.date),
        change="",
        verdict="Do the test again in a few weeks to see the change.",
        meaningful=None,
        threshold="2 stands (our default)",
        activities=[],
        rules=["D-3", "§6.3"],
    )
    if len(found) < 2 or found[0].value is None:
        return summary
    c = om.chair_stand_change(found[0].value, last.value)
    return summary.model_copy(
        update={
            "change": f"{_num(c.before)} → {_num(c.after)} ({_signed(c.improvement)} stands) "
            f"since {short_day(found[0].date)}",
            "verdict": _verdict(c.meaningful, c.improvement, "2 stands"),
            "meaningful": c.meaningful,
        }
    )


def _walk(found: list[OutcomeRecord]) -> OutcomeSummary:
    last = found[-1]
    assert last.value is not None
    speed = om.walk_40m_speed(last.value)
    summary = OutcomeSummary(
        measure="walk_40m",
        label="40 m fast walk (faster is better)",
        latest=f"{_num(last.value)} s ({speed:.2f} m/s)",
        latest_day=short_day(last.date),
        change="",
        verdict="Do the test again in a few weeks to see the change.",
        meaningful=None,
        threshold="0.2 m/s faster (our default)",
        activities=[],
        rules=["D-3", "§6.3"],
    )
    if len(found) < 2 or found[0].value is None:
        return summary
    c = om.walk_40m_change(found[0].value, last.value)
    return summary.model_copy(
        update={
            "change": f"{c.before:.2f} → {c.after:.2f} m/s ({_signed(round(c.improvement, 2))} "
            f"m/s) since {short_day(found[0].date)}",
            "verdict": _verdict(c.meaningful, c.improvement, "0.2 m/s"),
            "meaningful": c.meaningful,
        }
    )


def _nprs(found: list[OutcomeRecord]) -> OutcomeSummary:
    last = found[-1]
    assert last.value is not None
    summary = OutcomeSummary(
        measure="nprs",
        label="Average knee pain (0–10, lower is better)",
        latest=f"{_num(last.value)} out of 10",
        latest_day=short_day(last.date),
        change="",
        verdict="",
        meaningful=None,
        threshold="2 points or 30% less (much better); 1 point or 15% (a little better)",
        activities=[],
        rules=["D-3", "§5.1"],
    )
    if len(found) < 2 or found[0].value is None:
        return summary
    before, after = found[0].value, last.value
    little, much = om.nprs_improvement(before, after)
    verdict = (
        "Much better: at least 2 points or 30% less pain."
        if much
        else "A little better: at least 1 point or 15% less pain."
        if little
        else "No clear improvement yet."
    )
    return summary.model_copy(
        update={
            "change": f"{_num(before)} → {_num(after)} since {short_day(found[0].date)}",
            "verdict": verdict,
            "meaningful": much,
        }
    )


_SUMMARIES = {"psfs": _psfs, "chair_stand_30s": _chair, "walk_40m": _walk, "nprs": _nprs}


def outcome_summaries(records: list[OutcomeRecord], *, until: date) -> list[OutcomeSummary]:
    """One summary per shipped measure with at least one result, first → latest (RULES D-3)."""
    out = []
    for measure, build in _SUMMARIES.items():
        found = sorted(
            (r for r in records if r.measure == measure and r.date <= until), key=lambda r: r.date
        )
        if found:
            out.append(build(found))
    return out
