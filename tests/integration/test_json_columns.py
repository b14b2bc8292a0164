"""JSON columns are written without the spaces `json.dumps` puts after "," and ":" (issue 11 §2:
storage per person), on SQLite and PostgreSQL, and read back as the same values."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text

from history_seed import seed_history
from kneehab.library.load import default_library
from kneehab.store import repo
from kneehab.store.db import Database

TODAY = date(2025, 3, 20)


def test_json_columns_are_stored_compact_and_read_back_the_same(db: Database) -> None:
    pid = seed_history(db, default_library(), TODAY, days=12)
    with db.read() as s:
        raw = s.execute(
            text(
                "SELECT CAST(program AS TEXT), CAST(rules AS TEXT) FROM program_versions "
                "WHERE person_id = :p ORDER BY version"
            ),
            {"p": pid},
        ).all()
        entries = s.execute(
            text("SELECT CAST(reps AS TEXT) FROM session_entries WHERE reps IS NOT NULL")
        ).scalars()
        versions = repo.program_versions(s, pid)
    texts = [t for row in raw for t in row] + list(entries)
    assert len(raw) == len(versions) >= 1 and texts
    for stored in texts:
        assert stored == json.dumps(json.loads(stored), separators=(",", ":"))  # no spaces
    assert all(v.program_json for v in versions)  # every version still decodes whole
