"""A person's own records as a file: the JSON export (restorable) and the CSV of sessions and
check-ins, each read in one transaction after access.py's decision.

`download_json` and `download_csv` are the exports people and clinicians ask for: each is in the
audit trail (`export.json`, `export.csv`), the person's own too (issue 14). `export_person` and
`export_csv` are the plain reads under them (restore checks, soak, tests): not an export by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kneehab.access import Action
from kneehab.exports.person_export import person_json, sessions_csv
from kneehab.services.acting import Acting, authorize
from kneehab.services.audit import machine_read
from kneehab.services.people import exported
from kneehab.store.db import Database


def _json(db: Database, who: Acting) -> dict[str, Any]:
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return person_json(s, who.person_id)


def _csv(db: Database, who: Acting) -> str:
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return sessions_csv(s, who.person_id)


def export_person(db: Database, who: Acting) -> dict[str, Any]:
    """The plain read (a server admin's is in the person's trail, audit.machine_read)."""
    data = _json(db, who)
    machine_read(db, who, "export/json")
    return data


def export_csv(db: Database, who: Acting) -> str:
    """The plain read (a server admin's is in the person's trail, audit.machine_read)."""
    text = _csv(db, who)
    machine_read(db, who, "export/csv")
    return text


def download_json(
    db: Database,
    who: Acting,
    *,
    now: datetime,
    resource: str = "export.json",
    request_id: str = "-",
) -> dict[str, Any]:
    """Everything kept about the person, as an export: access decision, read, audit row."""
    return exported(
        db, who.actor, who.person_id, kind="json", resource=resource, now=now,
        request_id=request_id, make=lambda: _json(db, who),
    )  # fmt: skip


def download_csv(
    db: Database, who: Acting, *, now: datetime, resource: str = "export.csv", request_id: str = "-"
) -> str:
    """The sessions and check-ins as CSV, as an export: access decision, read, audit row."""
    return exported(
        db, who.actor, who.person_id, kind="csv", resource=resource, now=now,
        request_id=request_id, make=lambda: _csv(db, who),
    )  # fmt: skip
