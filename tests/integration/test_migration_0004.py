"""Migration 0004: re-screens say whether they were the full set (RULES §1.1). Rows stored before it
cannot tell and come out as short sets, the conservative reading: the weekly full set is asked sooner."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from kneehab.store import repo
from kneehab.store.db import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
)


def test_a_rescreen_stored_before_0004_counts_as_a_short_set(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO persons (id, created_at, start, morning_tolerance, reviewed, "
                    "rules_version) VALUES (7, '2025-03-03 09:00:00+00', '2025-03-03', 1, false, 2)"
                )
            )
            triage = {"level": "ok", "rules": [], "message": "", "reasons": []}
            conn.execute(
                text(
                    "INSERT INTO rescreens (id, person_id, day, red_flags, cold_foot, "
                    "chest_symptoms, new_injury, triage_level, triage, recorded_at) VALUES "
                    "(1, 7, '2025-03-05', '[]', false, false, false, 'ok', :triage, "
                    "'2025-03-05 09:00:00+00')"
                ),
                {"triage": json.dumps(triage)},
            )
        migrate(engine)
        assert current_revision(engine) == head_revision()
        with Database(engine).read() as s:
            (kept,) = repo.rescreens(s, 7)
        assert kept.full_set is False
        downgrade(engine, "0003")
        assert "full_set" not in {c["name"] for c in inspect(engine).get_columns("rescreens")}
    finally:
        engine.dispose()
