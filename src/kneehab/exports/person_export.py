"""A person's full export (JSON, restorable) and their sessions and check-ins as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session as DbSession

from kneehab.store import repo

EXPORT_FORMAT = "kneehab-person-export"
CSV_COLUMNS = (
    "date",
    "record",
    "exercise_id",
    "side",
    "sets_done",
    "reps",
    "hold_s",
    "load_kg",
    "step_cm",
    "minutes",
    "pain_during_max",
    "effort",
    "rir",
    "sharp_pain",
    "skipped",
    "skip_reason",
    "paused_when_logged",
    "morning_pain",
    "morning_stiffness",
    "avg_pain",
    "new_symptoms",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person_json(s: DbSession, person_id: int) -> dict[str, Any]:
    """Everything kept about a person, JSON-able and deterministic (no clock read here); the caller
    has decided who may read it (services.exporting)."""
    p = repo.get_person(s, person_id)
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "format_version": 1,
        "person": {
            "id": p.id,
            "created_at": _iso(p.created_at),
            "start": p.start.isoformat(),
            "pain_ceiling": p.pain_ceiling,
            "morning_tolerance": p.morning_tolerance,
            "rules_version": p.rules_version,
            "timezone": repo.person_timezone(s, person_id),
            "reviewed": p.reviewed,
            "reviewed_at": _iso(p.reviewed_at),
            "reviewed_by": p.reviewed_by,
        },
        "intakes": [
            {
                "recorded_at": _iso(i.recorded_at),
                "intake": i.intake.model_dump(mode="json"),
                "triage": i.triage.model_dump(mode="json"),
            }
            for i in repo.intakes(s, person_id)
        ],
        "program_versions": [
            {
                "version": v.version,
                "effective": v.effective.isoformat(),
                "created_at": _iso(v.created_at),
                "kind": v.kind,
                "actor": v.actor,
                "rules": list(v.rules),
                "reason": v.reason,
                "exercise_id": v.exercise_id,
                "from": v.from_dose.as_dict() if v.from_dose else None,
                "to": v.to_dose.as_dict() if v.to_dose else None,
                "program": v.program.model_dump(mode="json"),
            }
            for v in repo.program_versions(s, person_id)
        ],
        "session_entries": [
            {
                "date": e.day.isoformat(),
                **e.entry.model_dump(mode="json"),
                "paused_when_logged": e.paused_when_logged,
                "recorded_at": _iso(e.recorded_at),
            }
            for e in repo.entries(s, person_id)
        ],
        "checkins": [c.model_dump(mode="json") for c in repo.checkins(s, person_id)],
        "outcomes": [o.model_dump(mode="json") for o in repo.outcomes(s, person_id)],
        "rescreens": [
            {
                **r.rescreen.model_dump(mode="json"),
                "triage": r.triage.model_dump(mode="json"),
                "recorded_at": _iso(r.recorded_at),
            }
            for r in repo.rescreen_records(s, person_id)
        ],
        "course_events": _events_json(s, person_id),
        "escalations": [
            {
                "id": e.id,
                "date": e.day.isoformat(),
                "level": e.level,
                "rules": list(e.rules),
                "message": e.message,
                "created_at": _iso(e.created_at),
                "seen_at": _iso(e.seen_at),
                "acknowledged_at": _iso(e.acknowledged_at),
                "acknowledged_by": e.acknowledged_by,
            }
            for e in repo.escalations(s, person_id)
        ],
    }
    return data


def _events_json(s: DbSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """The v2 dated events in the history-file shape (EXAMPLES contract)."""
    swaps, offers, clinician = repo.events(s, person_id)
    return {
        "swaps": [x.model_dump(mode="json", by_alias=True) for x in swaps],
        "offers": [x.model_dump(mode="json") for x in offers],
        "clinician": [x.model_dump(mode="json") for x in clinician],
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value)
    return str(value)


def sessions_csv(s: DbSession, person_id: int) -> str:
    """Sessions and check-ins as one CSV, oldest first (a session's entries before that day's check-in)."""
    repo.get_person(s, person_id)
    entries, checkins = repo.entries(s, person_id), repo.checkins(s, person_id)
    rows: list[tuple[date, int, dict[str, object]]] = []
    for e in entries:
        data = e.entry.model_dump()
        data.update(date=e.day, record="session", paused_when_logged=e.paused_when_logged)
        rows.append((e.day, 0, data))
    for c in checkins:
        rows.append((c.date, 1, {**c.model_dump(), "record": "checkin"}))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for _day, _order, data in sorted(rows, key=lambda r: (r[0], r[1])):
        writer.writerow([_cell(data.get(col)) for col in CSV_COLUMNS])
    return out.getvalue()
