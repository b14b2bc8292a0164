"""Restore a person from the JSON export (`/api/v1/export`, the My data page's JSON).

The export (`services.export_person`, format `kneehab-person-export` version 1) holds everything kept about
one person. Restoring it replaces the database's content with that person, like restoring a backup: every
part is validated through the domain models first, and the rows are written in one transaction, so a bad
file changes nothing. Values the export does not carry get a stated default: the rule book version (given
by the caller; an export of a stored course is written by a kneehab that has already moved it to the current
rules), and the instant a check-in, outcome or course event was recorded (the export's own dates, at 00:00
UTC). A guided session in progress (player state) is not part of the export and is not restored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from kneehab.domain.exercise import Library
from kneehab.domain.intake import Intake
from kneehab.domain.local_time import known_zone
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
from kneehab.domain.validation import describe_errors
from kneehab.errors import InvalidInput, NotFound
from kneehab.store import account_repo, repo
from kneehab.store.backup import refuse_unreadable
from kneehab.store.db import Database
from kneehab.store.tables import (
    AccountRow,
    Base,
    CheckInRow,
    CourseEventRow,
    EntryRow,
    EscalationRow,
    IntakeRow,
    OutcomeRow,
    PersonRow,
    ProgramVersionRow,
    RescreenRow,
)

EXPORT_FORMAT = "kneehab-person-export"
FORMAT_VERSIONS = (1,)

M = TypeVar("M", bound=BaseModel)
_INSTANT: TypeAdapter[datetime] = TypeAdapter(datetime)
_DAY: TypeAdapter[date] = TypeAdapter(date)


def is_export(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == EXPORT_FORMAT


def _fail(where: str, problem: str) -> InvalidInput:
    head = f"export is not valid: {where}: {problem}"
    return InvalidInput(head)


def _model(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = describe_errors(err.errors())
        head = f"export is not valid: {where}: {problems[0]}"
        raise InvalidInput(head, problems=[head, *problems[1:]]) from None


def _instant(value: Any, where: str, *, default: datetime | None = None) -> datetime:
    if value is None and default is not None:
        return default
    try:
        found = _INSTANT.validate_python(value)
    except ValidationError:
        raise _fail(where, f"'{value}' is not a date and time (ISO 8601)") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _maybe_instant(value: Any, where: str) -> datetime | None:
    return None if value is None else _instant(value, where)


def _day(value: Any, where: str) -> date:
    try:
        return _DAY.validate_python(value)
    except ValidationError:
        raise _fail(where, f"'{value}' is not a date (YYYY-MM-DD)") from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _fail(key, "must be a list")
    return value


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    return value


def _person(p: dict[str, Any], rules_version: int) -> dict[str, Any]:
    pid = p.get("id")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid < 1:
        raise _fail("person.id", "must be a whole number, 1 or more")
    created = _instant(p.get("created_at"), "person.created_at")
    person = {
        "id": pid,
        "created_at": created,
        "start": _day(p.get("start"), "person.start"),
        "pain_ceiling": p.get("pain_ceiling"),
        "morning_tolerance": p.get("morning_tolerance", 1),
        "reviewed": bool(p.get("reviewed", False)),
        "reviewed_at": _maybe_instant(p.get("reviewed_at"), "person.reviewed_at"),
        "reviewed_by": p.get("reviewed_by"),
        "rules_version": p.get("rules_version", rules_version),
        "timezone": _zone(p.get("timezone")),
        "revision": repo.fresh_revision(),  # never an earlier life's (web/kept_views.py)
    }
    return person


def _zone(value: Any) -> str | None:
    """The person's timezone as exported (none in exports made before it was kept)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not known_zone(value):
        raise _fail("person.timezone", "must be a timezone name such as Europe/Berlin, or left out")
    return value


def rows_from_export(data: Any, *, rules_version: int) -> dict[str, list[dict[str, Any]]]:
    """The table rows for an export, every value checked (InvalidInput names the part that is wrong)."""
    if not is_export(data):
        raise _fail("format", f"must be '{EXPORT_FORMAT}'")
    if data.get("format_version") not in FORMAT_VERSIONS:
        raise _fail(
            "format_version",
            f"'{data.get('format_version')}' is not one this kneehab reads "
            f"({', '.join(map(str, FORMAT_VERSIONS))}); upgrade kneehab to restore it",
        )
    person = _person(_obj(data.get("person"), "person"), rules_version)
    pid = person["id"]
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in Base.metadata.sorted_tables}
    rows[PersonRow.__tablename__] = [person]
    intakes = _list(data, "intakes")
    if not intakes:
        raise _fail("intakes", "the export has no intake; a person cannot be restored without one")
    for i, raw in enumerate(intakes):
        where = f"intakes[{i}]"
        rec = _obj(raw, where)
        intake = _model(Intake, rec.get("intake"), f"{where}.intake")
        triage = _model(Triage, rec.get("triage"), f"{where}.triage")
        rows[IntakeRow.__tablename__].append(
            {
                "person_id": pid,
                "recorded_at": _instant(rec.get("recorded_at"), f"{where}.recorded_at"),
                "data": intake.model_dump(mode="json"),
                "triage_level": triage.level.value,
                "triage": triage.model_dump(mode="json"),
            }
        )
    for i, raw in enumerate(_list(data, "program_versions")):
        where = f"program_versions[{i}]"
        v = _obj(raw, where)
        program = _model(Program, v.get("program"), f"{where}.program")
        rows[ProgramVersionRow.__tablename__].append(
            {
                "person_id": pid,
                "version": v.get("version"),
                "effective": _day(v.get("effective"), f"{where}.effective"),
                "created_at": _instant(v.get("created_at"), f"{where}.created_at"),
                "kind": v.get("kind"),
                "actor": v.get("actor"),
                "rules": list(v.get("rules") or []),
                "reason": v.get("reason") or "",
                "exercise_id": v.get("exercise_id"),
                "from_dose": v.get("from"),
                "to_dose": v.get("to"),
                "program": program.model_dump(mode="json"),
            }
        )
    for i, raw in enumerate(_list(data, "session_entries")):
        where = f"session_entries[{i}]"
        e = dict(_obj(raw, where))
        day = _day(e.pop("date", None), f"{where}.date")
        paused = bool(e.pop("paused_when_logged", False))
        recorded = _instant(
            e.pop("recorded_at", None), f"{where}.recorded_at", default=_midnight(day)
        )
        entry = _model(SessionEntry, e, where)
        values = entry.model_dump(mode="json")
        rows[EntryRow.__tablename__].append(
            {
                "person_id": pid,
                "day": day,
                **values,
                "side_key": entry.side or "",
                "paused_when_logged": paused,
                "recorded_at": recorded,
            }
        )
    for i, raw in enumerate(_list(data, "checkins")):
        c = _model(CheckIn, raw, f"checkins[{i}]")
        rows[CheckInRow.__tablename__].append(
            {
                "person_id": pid,
                "day": c.date,
                **c.model_dump(mode="json", exclude={"date"}),
                "recorded_at": _midnight(c.date),
            }
        )
    for i, raw in enumerate(_list(data, "outcomes")):
        o = _model(OutcomeRecord, raw, f"outcomes[{i}]")
        rows[OutcomeRow.__tablename__].append(
            {
                "person_id": pid,
                "day": o.date,
                **o.model_dump(mode="json", exclude={"date"}),
                "recorded_at": _midnight(o.date),
            }
        )
    for i, raw in enumerate(_list(data, "rescreens")):
        where = f"rescreens[{i}]"
        r = dict(_obj(raw, where))
        triage = _model(Triage, r.pop("triage", None), f"{where}.triage")
        recorded = r.pop("recorded_at", None)
        rescreen = _model(Rescreen, r, where)
        rows[RescreenRow.__tablename__].append(
            {
                "person_id": pid,
                "day": rescreen.date,
                **rescreen.model_dump(mode="json", exclude={"date"}),
                "triage_level": triage.level.value,
                "triage": triage.model_dump(mode="json"),
                "recorded_at": _instant(
                    recorded, f"{where}.recorded_at", default=_midnight(rescreen.date)
                ),
            }
        )
    events = _obj(data.get("course_events", {}), "course_events")
    kinds: tuple[tuple[str, str, type[BaseModel]], ...] = (
        ("swaps", "swap", SwapChoice),
        ("offers", "offer", OfferAnswer),
        ("clinician", "clinician", ClinicianAction),
    )
    for key, kind, model in kinds:
        for i, raw in enumerate(_list(events, key)):
            where = f"course_events.{key}[{i}]"
            event = _model(model, raw, where)
            day = _day(_obj(raw, where).get("date"), f"{where}.date")
            rows[CourseEventRow.__tablename__].append(
                {
                    "person_id": pid,
                    "day": day,
                    "kind": kind,
                    "data": event.model_dump(mode="json", by_alias=True, exclude={"date"}),
                    "recorded_by": None,
                    "recorded_at": _midnight(day),
                }
            )
    for i, raw in enumerate(_list(data, "escalations")):
        where = f"escalations[{i}]"
        e = _obj(raw, where)
        rows[EscalationRow.__tablename__].append(
            {
                "person_id": pid,
                "day": _day(e.get("date"), f"{where}.date"),
                "level": e.get("level"),
                "rules": list(e.get("rules") or []),
                "message": e.get("message") or "",
                "created_at": _instant(e.get("created_at"), f"{where}.created_at"),
                "seen_at": _maybe_instant(e.get("seen_at"), f"{where}.seen_at"),
                "acknowledged_at": _maybe_instant(
                    e.get("acknowledged_at"), f"{where}.acknowledged_at"
                ),
                "acknowledged_by": e.get("acknowledged_by"),
            }
        )
    # Issue 10 §7: the restored course belongs to an account waiting to be claimed (from the machine
    # itself at /claim, or with `kneehab user reset`), as an upgraded database's course does.
    rows[AccountRow.__tablename__] = [
        {
            "email": account_repo.unclaimed_email(pid),
            "name": "",
            "role": "person",
            "clinic_id": None,
            "person_id": pid,
            "password_hash": None,
            "created_at": person["created_at"],
            "removed_at": None,
        }
    ]
    return rows


def restore_export(db: Database, data: Any, *, rules_version: int, library: Library) -> int:
    """Replace the database's content with the person in export `data`; returns their id."""
    rows = rows_from_export(data, rules_version=rules_version)
    refuse_unreadable(rows, library, shown="export is not valid")
    try:
        with db.write() as session:
            repo.replace_all(session.connection(), rows)
    except SQLAlchemyError as err:  # a value the models accept but a column does not
        cause = type(getattr(err, "orig", None) or err).__name__
        raise InvalidInput(
            f"export is not valid: it does not fit this database ({cause}); nothing was changed"
        ) from None
    return int(rows[PersonRow.__tablename__][0]["id"])


def add_export(
    db: Database,
    data: Any,
    *,
    email: str,
    replace: bool,
    rules_version: int,
    library: Library,
) -> int:
    """Restore one person's export into the account `email`, keeping everyone else (issue 10): the
    course gets a new id in this database, joins the account's clinic, and the account owns it. An
    account that already has a program keeps it unless `replace`. Returns the new person id."""
    rows = rows_from_export(data, rules_version=rules_version)
    refuse_unreadable(rows, library, shown="export is not valid")
    person = dict(rows[PersonRow.__tablename__][0])
    person.pop("id")
    children = {
        name: [{k: v for k, v in r.items() if k not in ("id", "person_id")} for r in found]
        for name, found in rows.items()
        if name not in (PersonRow.__tablename__, AccountRow.__tablename__) and found
    }
    try:
        with db.write() as s:
            owner = account_repo.account_by_email(s, email)
            if owner is None or owner.role != "person":
                raise NotFound(f"--person: no person's account with {email}")
            if owner.person_id is not None and not replace:
                raise InvalidInput(
                    f"--replace: {email} already has a program; add --replace to delete it and "
                    "restore this one in its place"
                )
            if owner.person_id is not None:
                repo.delete_person(s, owner.person_id)
            conn = s.connection()
            tables = {t.name: t for t in Base.metadata.sorted_tables}
            made = conn.execute(
                insert(tables[PersonRow.__tablename__]).values(**person, clinic_id=owner.clinic_id)
            )
            assert made.inserted_primary_key is not None  # an INSERT of one row
            pid = int(made.inserted_primary_key[0])
            for name, found in children.items():
                conn.execute(insert(tables[name]), [{**r, "person_id": pid} for r in found])
            owner.person_id = pid
    except SQLAlchemyError as err:  # a value the models accept but a column does not
        cause = type(getattr(err, "orig", None) or err).__name__
        raise InvalidInput(
            f"export is not valid: it does not fit this database ({cause}); nothing was changed"
        ) from None
    return pid
