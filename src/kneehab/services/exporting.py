"""A person's own records as a file: the JSON export (restorable) and the CSV of sessions and
check-ins, each read in one transaction after access.py's decision."""

from __future__ import annotations

from typing import Any

from kneehab.access import Action
from kneehab.exports.person_export import person_json, sessions_csv
from kneehab.services.acting import Acting, audit_machine_read, authorize
from kneehab.store.db import Database


def export_person(db: Database, who: Acting) -> dict[str, Any]:
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        data = person_json(s, who.person_id)
    audit_machine_read(db, who, "export/json")
    return data


def export_csv(db: Database, who: Acting) -> str:
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        text = sessions_csv(s, who.person_id)
    audit_machine_read(db, who, "export/csv")
    return text
