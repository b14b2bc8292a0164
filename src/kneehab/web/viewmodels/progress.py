"""Progress: pain trend, adherence calendar, each exercise's dose over time, outcome scores."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.program import Program
from kneehab.domain.records import CheckIn, OutcomeRecord
from kneehab.web.viewmodels.charts import pain_chart
from kneehab.web.viewmodels.common import Banner, day_label, dose_text, short_day
from kneehab.web.viewmodels.outcomes import OutcomeSummary, outcome_summaries

WINDOW_DAYS = 28
MEASURES: dict[str, tuple[str, str]] = {
    "nprs": ("Average knee pain (0–10, lower is better)", ""),
    "psfs": ("Activities you find hard (PSFS, 0–10 average, higher is better)", ""),
    "chair_stand_30s": ("Chair stands in 30 seconds (higher is better)", " stands"),
    "walk_40m": ("40 m fast walk (lower is better)", " s"),
}


class PainRow(BaseModel):
    day: date
    label: str
    morning_pain: int | None
    avg_pain: int | None


class CalendarDay(BaseModel):
    day: date
    label: str  # the day of the month, with the month's name on the first square and on each 1st
    state: str  # done / missed / rest / before (the program had not started) / future
    mark: str
    spoken: str  # "Friday 20 November: done"


class DoseStep(BaseModel):
    day: date
    label: str
    dose: str
    change: str


class DoseHistory(BaseModel):
    exercise_id: str
    name: str
    steps: list[DoseStep]


class DoseSummary(BaseModel):
    """One line per exercise on the progress page; the whole history is on its own page."""

    exercise_id: str
    name: str
    now: str  # the latest dose
    changes: int  # how many times the dose changed since the start
    changed: str  # the same in words
    url: str


class DoseHistoryView(BaseModel):
    """One exercise's dose over time (`/progress/exercises/{id}`)."""

    exercise_id: str
    name: str
    steps: list[DoseStep]
    exercise_url: str
    back_url: str = "/progress"


class OutcomeRow(BaseModel):
    day: date
    label: str
    measure: str
    value: str


class ProgressView(BaseModel):
    banner: Banner | None
    pain_chart_svg: str
    pain_rows: list[PainRow]
    pain_summary: str
    calendar: list[CalendarDay]
    calendar_label: str  # "The 4 weeks from Monday 9 November to Sunday 6 December"
    adherence: str
    exercises: list[DoseSummary]  # each exercise's dose now; the history is at its url
    exercises_label: str  # what the collapsed list says
    outcomes: list[OutcomeRow]
    outcome_changes: list[OutcomeSummary]  # each measure, first → latest, against its MDC / MCID
    outcomes_url: str = "/outcomes"
    # The Progress JSON contract (EXAMPLES), built by the same function as `kneehab progress --json`
    # from the person's records as of today: the rules applied to the whole course.
    today: str | None = None  # ISO date, as in the contract
    triage: dict[str, Any] = {}
    decisions: list[dict[str, Any]] = []
    escalation: dict[str, Any] = {}
    prescription: list[dict[str, Any]] = []
    pain_ceiling: int | None = None
    progression_held: bool | None = None
    versions: list[dict[str, Any]] = []
    baseline_pain: int | None = None
    program: dict[str, Any] | None = None
    # What was recorded and shown at the time (the stored program versions, ADR 0002/0004), incl.
    # the dated `rules-v2` event; decisions before that event stay as they were recorded.
    recorded_versions: list[dict[str, Any]] = []


def _window(today: date) -> list[date]:
    return [today - timedelta(days=WINDOW_DAYS - 1 - i) for i in range(WINDOW_DAYS)]


def _pain(today: date, checkins: list[CheckIn]) -> tuple[str, list[PainRow], str]:
    days = _window(today)
    by_day = {c.date: c for c in checkins}
    rows = [
        PainRow(
            day=d,
            label=short_day(d),
            morning_pain=by_day[d].morning_pain if d in by_day else None,
            avg_pain=by_day[d].avg_pain if d in by_day else None,
        )
        for d in days
    ]
    svg = pain_chart(
        days,
        {
            "Morning knee pain": [r.morning_pain for r in rows],
            "Average knee pain": [r.avg_pain for r in rows],
        },
        title="Knee pain over the last 4 weeks, 0 to 10: table below",
    )
    known = [r for r in rows if r.morning_pain is not None]
    if len(known) >= 2:
        first, last = known[0], known[-1]
        summary = (
            f"Morning pain was {first.morning_pain} on {first.label} and {last.morning_pain} on "
            f"{last.label}."
        )
    else:
        summary = "Check in each morning to see your pain trend here."
    return svg, [r for r in rows if r.morning_pain is not None], summary


def _calendar(
    today: date, program: Program, done_days: set[date]
) -> tuple[list[CalendarDay], str, str]:
    """The last 4 weeks, Monday to Sunday. Each month is named where it starts (and on the first square),
    so "1" after "30" is never a puzzle; days before the program started are not "rest days"."""
    monday = today - timedelta(days=today.weekday() + 21)
    out = []
    planned = hit = 0
    for i in range(28):
        d = monday + timedelta(days=i)
        scheduled = d >= program.start and bool(program.items_on(d))
        if d > today:
            state, mark, spoken = "future", "", "coming up"
        elif d in done_days:
            state, mark, spoken = "done", "✓", "done"
        elif d < program.start:
            state, mark, spoken = "before", "", "before your program started"
        elif scheduled and d < today:
            state, mark, spoken = "missed", "–", "not done"
        elif scheduled:
            state, mark, spoken = "missed", "", "planned today"
        else:
            state, mark, spoken = "rest", "", "rest day"
        if scheduled and d <= today:
            planned += 1
            hit += d in done_days
        label = f"{d.day} {d:%b}" if i == 0 or d.day == 1 else str(d.day)
        out.append(
            CalendarDay(
                day=d, label=label, state=state, mark=mark, spoken=f"{day_label(d)}: {spoken}"
            )
        )
    text = (
        f"{hit} of {planned} planned days done in these 4 weeks."
        if planned
        else "No sessions planned yet."
    )
    last = monday + timedelta(days=27)
    where = f"The 4 weeks from {day_label(monday)} to {day_label(last)}"
    return out, text, where


# A source reference written into a sentence ("… 3 for one activity (MDC90)") is moved to the small
# "why" tag, as rule ids are (RULES D-13).
_SOURCE_IN_TEXT = re.compile(r"\s*\((MDC\d*|MCID)\)")


def _sources_apart(summary: OutcomeSummary) -> OutcomeSummary:
    found: list[str] = []
    update: dict[str, Any] = {}
    for name in ("threshold", "verdict", "change"):
        text = getattr(summary, name, None)
        if isinstance(text, str) and _SOURCE_IN_TEXT.search(text):
            found += _SOURCE_IN_TEXT.findall(text)
            update[name] = _SOURCE_IN_TEXT.sub("", text)
    if not found:
        return summary
    update["rules"] = list(dict.fromkeys([*summary.rules, *found]))
    return summary.model_copy(update=update)


def dose_histories(versions: list[tuple[date, str, Program]]) -> list[DoseHistory]:
    """Each exercise's dose at every program version where it changed, oldest first."""
    seen: dict[str, DoseHistory] = {}
    last: dict[str, str] = {}
    for day, reason, program in versions:
        for item in program.items:
            text = dose_text(item.dose, per_side=item.per_side)
            if item.status.value != "active":
                text = f"{text} ({item.status.value})"
            if last.get(item.exercise_id) == text:
                continue
            hist = seen.setdefault(
                item.exercise_id,
                DoseHistory(exercise_id=item.exercise_id, name=item.name, steps=[]),
            )
            change = "Start" if item.exercise_id not in last else reason
            hist.steps.append(DoseStep(day=day, label=short_day(day), dose=text, change=change))
            last[item.exercise_id] = text
    return list(seen.values())


def _times(n: int) -> str:
    return "Not changed yet" if n == 0 else "Changed once" if n == 1 else f"Changed {n} times"


def _summary(h: DoseHistory) -> DoseSummary:
    return DoseSummary(
        exercise_id=h.exercise_id,
        name=h.name,
        now=h.steps[-1].dose,
        changes=len(h.steps) - 1,
        changed=_times(len(h.steps) - 1),
        url=f"/progress/exercises/{h.exercise_id}",
    )


def dose_history_view(h: DoseHistory) -> DoseHistoryView:
    return DoseHistoryView(
        exercise_id=h.exercise_id,
        name=h.name,
        steps=list(reversed(h.steps)),  # the latest first
        exercise_url=f"/program/exercises/{h.exercise_id}",
    )


def _outcome(o: OutcomeRecord) -> OutcomeRow:
    label, unit = MEASURES.get(o.measure, (o.measure, ""))
    if o.measure == "psfs":
        mean = sum(a.score for a in o.activities) / len(o.activities)
        value = f"{mean:.1f} ({', '.join(f'{a.activity}: {a.score}' for a in o.activities)})"
    elif o.value is not None:
        value = f"{o.value:g}{unit}"
    else:
        value = f"{len(o.responses)} answers"
    return OutcomeRow(day=o.date, label=short_day(o.date), measure=label, value=value)


def progress_view(
    *,
    today: date,
    program: Program,
    checkins: list[CheckIn],
    done_days: set[date],
    versions: list[tuple[date, str, Program]],
    outcomes: list[OutcomeRecord],
    library: Library,
    banner: Banner | None,
) -> ProgressView:
    svg, rows, summary = _pain(today, checkins)
    calendar, adherence, calendar_label = _calendar(today, program, done_days)
    summaries = [_summary(h) for h in dose_histories(versions)]
    return ProgressView(
        banner=banner,
        pain_chart_svg=svg,
        pain_rows=rows,
        pain_summary=summary,
        calendar=calendar,
        calendar_label=calendar_label,
        adherence=adherence,
        exercises=summaries,
        exercises_label=(
            f"Show your {len(summaries)} exercise{'s' if len(summaries) != 1 else ''} "
            "and their dose now"
        ),
        outcomes=[_outcome(o) for o in sorted(outcomes, key=lambda o: o.date)],
        outcome_changes=[_sources_apart(s) for s in outcome_summaries(outcomes, until=today)],
    )
