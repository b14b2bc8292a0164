"""Every row of a backup or an export is read with the models the app reads it with, before anything
is replaced (issue 11). A row the app cannot read (pain 99, a 5 MB text, `sets_done='many'`, an
exercise the library does not have) would otherwise be restored, and then every page of that person
and even their export would fail. A refusal names the table, the row and the field.

Two layers: each column against its declared type and length (what PostgreSQL would enforce and
SQLite does not), then each health row through its domain model and the exercise library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Boolean, Date, Float, Integer, String, Table, Text
from sqlalchemy.types import JSON

from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.program import Program, Triage
from kneehab.domain.records import (
    CheckIn,
    ClinicianAction,
    OfferAnswer,
    OutcomeRecord,
    Rescreen,
    SessionEntry,
    SwapChoice,
)
from kneehab.domain.types import Dose
from kneehab.domain.validation import describe_errors
from kneehab.store import program_delta
from kneehab.store.tables import Base, UtcDateTime

TEXT_LIMIT = 10_000  # a Text column the app writes holds sentences, never megabytes
MAX_PROBLEMS = 20  # enough to fix a file by; a damaged file could list millions
Row = dict[str, Any]
Check = Callable[[Row, Library], list[str]]


def problems_in(data: dict[str, list[Row]], library: Library) -> list[str]:
    """Each problem as `table row N: field: what is wrong`; empty when every row reads."""
    out: list[str] = []
    for table in Base.metadata.sorted_tables:
        check = _CHECKS.get(table.name)
        rows = data.get(table.name) or []
        if table.name == "program_versions":
            rows = _whole_programs(rows)
        for n, row in enumerate(rows, start=1):
            where = f"{table.name} row {_row_id(table, row, n)}"
            found = _columns(table, row)
            if not found and check is not None:
                found = check(row, library)
            out += [f"{where}: {p}" for p in found]
            if len(out) >= MAX_PROBLEMS:
                return out[:MAX_PROBLEMS]
    return out


def _version_of(item: tuple[int, Row]) -> int:
    version = item[1].get("version")
    return version if isinstance(version, int) else 0


def _whole_programs(rows: list[Row]) -> list[Row]:
    """Program version rows with each program whole (stored as what changed: program_delta.py),
    decoded per person in version order; one that cannot be decoded reads as no program."""
    by_person: dict[Any, list[tuple[int, Row]]] = {}
    for i, row in enumerate(rows):
        by_person.setdefault(row.get("person_id"), []).append((i, row))
    out = list(rows)
    for found in by_person.values():
        found.sort(key=_version_of)
        wholes = program_delta.decode_all(r.get("program") for _, r in found)
        for (i, row), whole in zip(found, wholes, strict=True):
            out[i] = {**row, "program": whole}
    return out


def _row_id(table: Table, row: Row, n: int) -> str:
    """The row's id (a backup), or its place in the table (an export's rows get ids on insert)."""
    keys = [c.name for c in table.primary_key]
    if keys == ["id"]:
        return str(row["id"]) if row.get("id") is not None else f"#{n}"
    return ", ".join(f"{k}={row.get(k)!r}" for k in keys)


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "…"


def _columns(table: Table, row: Row) -> list[str]:
    out: list[str] = []
    for col in table.columns:
        value = row.get(col.name)
        kind = col.type
        if value is None:
            generated = col.primary_key and isinstance(kind, Integer)  # numbered on insert
            if not (col.nullable or generated or col.default or col.server_default):
                out.append(f"{col.name}: is missing")
            continue
        if isinstance(kind, Boolean):
            if value not in (True, False):  # 0/1 compare equal: what SQLite stores
                out.append(f"{col.name}: got {_short(value)}; allowed: true or false")
        elif isinstance(kind, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{col.name}: got {_short(value)}; allowed: a whole number")
        elif isinstance(kind, Float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value):
                out.append(f"{col.name}: got {_short(value)}; allowed: a finite number")
        elif isinstance(kind, String | Text):
            limit = kind.length or TEXT_LIMIT
            if not isinstance(value, str):
                out.append(f"{col.name}: got {_short(value)}; allowed: text")
            elif len(value) > limit:
                out.append(f"{col.name}: {len(value)} characters; allowed: at most {limit}")
            elif "\x00" in value:
                out.append(f"{col.name}: holds a NUL character; allowed: text without it")
        elif isinstance(kind, Date) and not isinstance(value, date):
            out.append(f"{col.name}: got {_short(value)}; allowed: a date")
        elif isinstance(kind, JSON) and not isinstance(value, dict | list):
            out.append(f"{col.name}: got {_short(value)}; allowed: JSON (a list or an object)")
        elif isinstance(kind, UtcDateTime) and getattr(value, "tzinfo", None) is None:
            out.append(f"{col.name}: got {_short(value)}; allowed: a date and time")
    return out


def _model(model: type[BaseModel], data: Any, prefix: str = "") -> tuple[Any, list[str]]:
    try:
        return model.model_validate(data), []
    except ValidationError as err:
        return None, [f"{prefix}{p}"[:300] for p in describe_errors(err.errors())]


def _unknown(ids: Iterable[str | None], library: Library, field: str) -> list[str]:
    return [
        f"{field}: '{i}' is not an exercise in the library"
        for i in dict.fromkeys(ids)
        if i is not None and i not in library.exercises
    ]


def _entry(row: Row, library: Library) -> list[str]:
    data = {f: row.get(f) for f in SessionEntry.model_fields}
    _, found = _model(SessionEntry, data)
    return found + _unknown([row.get("exercise_id")], library, "exercise_id")


def _checkin(row: Row, library: Library) -> list[str]:
    data = {f: row.get(f) for f in CheckIn.model_fields if f != "date"}
    return _model(CheckIn, {"date": row.get("day"), **data})[1]


def _outcome(row: Row, library: Library) -> list[str]:
    data = {f: row.get(f) for f in OutcomeRecord.model_fields if f != "date"}
    return _model(OutcomeRecord, {"date": row.get("day"), **data})[1]


def _rescreen(row: Row, library: Library) -> list[str]:
    data = {f: row.get(f) for f in Rescreen.model_fields if f != "date"}
    found = _model(Rescreen, {"date": row.get("day"), **data})[1]
    return found + _model(Triage, row.get("triage"), "triage.")[1]


def _intake(row: Row, library: Library) -> list[str]:
    found = _model(Intake, row.get("data"), "data.")[1]
    return found + _model(Triage, row.get("triage"), "triage.")[1]


def _program_version(row: Row, library: Library) -> list[str]:
    program, found = _model(Program, row.get("program"), "program.")
    for name in ("from_dose", "to_dose"):
        if row.get(name) is not None:
            found += _model(Dose, row.get(name), f"{name}.")[1]
    ids: list[str | None] = [row.get("exercise_id")]
    if program is not None:
        ids += [i.exercise_id for i in program.items]
        ids += [s.exercise_id for s in program.swaps]
        ids += [o.exercise_id for o in program.later_options]
    return found + _unknown(ids, library, "exercise_id")


_EVENTS: dict[str, type[BaseModel]] = {
    "swap": SwapChoice,
    "offer": OfferAnswer,
    "clinician": ClinicianAction,
}


def _course_event(row: Row, library: Library) -> list[str]:
    kind = row.get("kind")
    model = _EVENTS.get(str(kind))
    if model is None:
        return [f"kind: got {_short(kind)}; allowed: {', '.join(_EVENTS)}"]
    event, found = _model(model, {"date": row.get("day"), **(row.get("data") or {})}, "data.")
    if isinstance(event, SwapChoice):
        found += _unknown([event.swap_in, event.swap_out], library, "data.exercise_id")
    elif isinstance(event, OfferAnswer | ClinicianAction):
        found += _unknown([event.exercise_id], library, "data.exercise_id")
    return found


def _person(row: Row, library: Library) -> list[str]:
    out = []
    ceiling = row.get("pain_ceiling")
    if ceiling is not None and not 2 <= ceiling <= 5:  # RULES D-1: a clinician's 2–5
        out.append(f"pain_ceiling: got {ceiling}; allowed: 2 to 5, or none")
    if row.get("morning_tolerance") not in (0, 1):  # RULES C-5
        out.append(f"morning_tolerance: got {row.get('morning_tolerance')}; allowed: 0 or 1")
    return out


def _player_state(row: Row, library: Library) -> list[str]:
    return [] if isinstance(row.get("state"), dict) else ["state: allowed: a JSON object"]


_CHECKS: dict[str, Check] = {
    "persons": _person,
    "intakes": _intake,
    "program_versions": _program_version,
    "session_entries": _entry,
    "checkins": _checkin,
    "outcomes": _outcome,
    "rescreens": _rescreen,
    "course_events": _course_event,
    "player_states": _player_state,
}
