"""View-model of one person as their clinician sees them (issue 12 §2): summary, program with each
exercise's rung, open warnings, charts with their tables and the timeline. Page and JSON share it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from kneehab.domain.exercise import Library
from kneehab.domain.types import Condition
from kneehab.services.patient_review import PatientRecord
from kneehab.web.viewmodels.caseload import Flag, adherence_words, flag_views
from kneehab.web.viewmodels.charts import LEFT, RIGHT, W, _y, pain_chart
from kneehab.web.viewmodels.common import dose_text, short_day
from kneehab.web.viewmodels.outcomes import OutcomeSummary, outcome_summaries
from kneehab.web.viewmodels.progress import CalendarDay, _calendar
from kneehab.web.viewmodels.sparkline import sparkline

CHART_DAYS = 28


class SummaryView(BaseModel):
    condition: str
    phase: str
    triage: str
    triage_rules: list[str]
    pain_limit: str
    pain_limit_rules: list[str]
    baseline: str
    adherence: str
    locked: bool
    state: str  # the lock, the holds, in words
    review_on: date | None
    day: int


class ItemView(BaseModel):
    exercise_id: str
    name: str
    dose: str
    status: str
    rung: str
    progression_paused: bool
    limits: str
    dose_fields: list[dict[str, Any]]  # the keys this exercise uses, with the current value
    ladder_svg: str = ""  # its rung over the last 4 weeks (the dose chart; the table is dose_rows)
    ladder_text: str = ""


class TimelineView(BaseModel):
    date: date
    kind: str
    title: str
    text: str
    rules: list[str]
    who: str
    caused_by: str


class EscalationView(BaseModel):
    """One open warning rule, however many days it fired on (C-10: a state fires every day)."""

    rule: str
    level: str
    since: date
    days: int
    message: str
    can_acknowledge: bool  # E2–E13 are acknowledged; a lock (E1) needs an assessment


class DoseRow(BaseModel):
    date: date
    exercise: str
    dose: str
    kind: str
    reason: str


class NoteView(BaseModel):
    id: int
    day: date
    by: str
    text: str
    dismissed: bool


class PatientView(BaseModel):
    id: int
    name: str
    summary: SummaryView
    items: list[ItemView]
    escalations: list[EscalationView]
    timeline: list[TimelineView]
    addable: list[dict[str, Any]]
    notes: list[NoteView]
    pain_chart_svg: str
    pain_rows: list[dict[str, Any]]
    calendar: list[CalendarDay]
    calendar_text: str
    calendar_label: str
    dose_rows: list[DoseRow]
    outcome_changes: list[OutcomeSummary]
    actions_url: str
    flags: list[Flag]
    conditions: list[str] = [c.value for c in Condition]  # what a clinician may state (D-6)


def _limits(library: Library, exercise_id: str) -> list[dict[str, Any]]:
    ex = library.get(exercise_id)
    return [
        {"key": k, "low": b[0], "high": b[1]}
        for k in ("sets", "reps", "hold_s", "load_kg", "step_cm", "minutes")
        if (b := ex.limits.bounds(k)) is not None
    ]


def _pain_chart(rec: PatientRecord, today: date) -> tuple[str, list[dict[str, Any]]]:
    """Morning and worst-during pain over 4 weeks, with today's pain limit drawn (issue 12 §2)."""
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    morning = {c.date: c.morning_pain for c in rec.history.checkins}
    during = {
        s.date: max((e.pain_during_max for e in s.entries), default=None)
        for s in rec.history.sessions
    }
    svg = pain_chart(
        days,
        {
            "morning knee pain": [morning.get(d) for d in days],
            "worst pain during the session": [during.get(d) for d in days],
        },
        title="Morning and during-session knee pain over 4 weeks, with the pain limit",
    )
    program = rec.course.program
    if program is not None:
        y = _y(program.pain_ceiling)
        limit = (
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#a4262c" '
            f'stroke-width="2" stroke-dasharray="2 3"><title>pain limit '
            f"{program.pain_ceiling}/10</title></line>"
        )
        svg = svg.replace("</svg>", limit + "</svg>")
    rows = [
        {"day": d, "label": short_day(d), "morning": morning.get(d), "during": during.get(d)}
        for d in days
        if d in morning or d in during
    ]
    return svg, rows


def _open_warnings(rec: PatientRecord) -> list[EscalationView]:
    """The E-rules open today (the replayed escalation), each with the first stored day it fired."""
    esc = rec.course.escalation
    out = []
    for rule in sorted((r for r in esc.rules if r.startswith("E")), key=lambda r: r != "E1"):
        stored = [e for e in rec.escalations if rule in e.rules]
        out.append(
            EscalationView(
                rule=rule,
                level=esc.level.value,
                since=stored[0].day if stored else esc.date,
                days=len(stored) or 1,
                message=esc.message,
                can_acknowledge=rule != "E1",
            )
        )
    return out


def _ladder(rec: PatientRecord, exercise_id: str, rungs: int, today: date) -> tuple[str, str]:
    """The exercise's rung on each of the last 4 weeks' days, from the program versions (C-18)."""
    start = rec.course.versions[0].program.item(exercise_id) if rec.course.versions else None
    base = start.dose if start else None
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    values: list[int | None] = []
    for day in days:
        version = next((v for v in reversed(rec.course.versions) if v.date <= day), None)
        item = version.program.item(exercise_id) if version else None
        if item is None or base is None:
            values.append(None)
            continue
        values.append(rec.rungs.get((exercise_id, item.model_dump_json(include={"dose"}))))
    known = [v for v in values if v is not None]
    words = (
        f"Step on its ladder over the last {CHART_DAYS} days: from {known[0]} to {known[-1]} "
        f"of {rungs}."
        if known
        else f"Not on its ladder in the last {CHART_DAYS} days (a dose set off the ladder)."
    )
    return sparkline(values, top=max(rungs, 1), words=words)


def patient_view(
    rec: PatientRecord, *, today: date, library: Library, flags: list[str]
) -> PatientView:
    course, history = rec.course, rec.history
    program = course.program
    locked = course.locked_by is not None
    state = []
    if locked:
        state.append(
            "Locked by a warning sign: every exercise is stopped until you record an assessment."
        )
    if course.progression_held:
        state.append("Nothing steps up: a hold waits (see the timeline).")
    if course.waiting_since:
        state.append(f"{len(course.waiting_since)} exercise(s) paused, waiting for your review.")
    summary = SummaryView(
        condition=rec.condition.replace("_", " "),
        phase=program.phase if program else "—",
        triage=course.triage.level.value,
        triage_rules=list(course.triage.rules),
        pain_limit=f"{program.pain_ceiling}/10" if program else "—",
        pain_limit_rules=list(program.pain_ceiling_rules) if program else [],
        baseline=(
            f"{course.baseline_pain}/10 — {course.baseline_source}"
            if course.baseline_pain is not None
            else "—"
        ),
        adherence=adherence_words(course.adherence_14),
        locked=locked,
        state=" ".join(state) or "Nothing waits for you.",
        review_on=program.review_on if program else None,
        day=(history.today - history.start).days,
    )
    items = []
    for i in rec.items:
        fields = _limits(library, i.exercise_id)
        for f in fields:
            f["value"] = i.dose.get(f["key"])
        rung = (
            f"step {i.rung} of {i.rungs} on its ladder"
            if i.rung is not None
            else f"set off its ladder ({i.rungs} steps)"
        )
        items.append(
            ItemView(
                exercise_id=i.exercise_id,
                name=i.name,
                dose=dose_text(i.dose, per_side=i.per_side),
                status=i.status,
                rung=rung,
                progression_paused=i.progression_paused,
                limits=", ".join(f"{f['key']} {f['low']:g}–{f['high']:g}" for f in fields),
                dose_fields=fields,
                **dict(
                    zip(
                        ("ladder_svg", "ladder_text"),
                        _ladder(rec, i.exercise_id, i.rungs, today),
                        strict=True,
                    )
                ),
            )
        )
    names = {x: e.name for x, e in library.exercises.items()}
    dose_rows = [
        DoseRow(
            date=v.date,
            exercise=names.get(v.exercise_id, v.exercise_id),
            dose=dose_text(it.dose, per_side=it.per_side),
            kind=v.kind,
            reason=v.reason,
        )
        for v in course.versions
        if v.exercise_id and (it := v.program.item(v.exercise_id)) is not None
    ]
    svg, rows = _pain_chart(rec, today)
    done = {s.date for s in history.sessions}
    calendar, cal_text, cal_label = (
        _calendar(today, program, done) if program else ([], "No program.", "")
    )
    return PatientView(
        id=rec.id,
        name=rec.name,
        summary=summary,
        items=items,
        escalations=_open_warnings(rec),
        timeline=[
            TimelineView(
                date=t.date,
                kind=t.kind,
                title=t.title,
                text=t.text,
                rules=list(t.rules),
                who=t.who,
                caused_by=t.caused_by,
            )
            for t in rec.timeline
        ],
        addable=[{"id": x, "name": n, "needs_override": o} for x, n, o in rec.addable],
        notes=[
            NoteView(id=n.id, day=n.day, by=n.by, text=n.text, dismissed=n.dismissed)
            for n in rec.notes
        ],
        pain_chart_svg=svg,
        pain_rows=rows,
        calendar=calendar,
        calendar_text=cal_text,
        calendar_label=cal_label,
        dose_rows=list(reversed(dose_rows)),
        outcome_changes=outcome_summaries(list(history.outcomes), until=today),
        actions_url=f"/clinic/patients/{rec.id}/actions",
        flags=flag_views(flags),
    )
