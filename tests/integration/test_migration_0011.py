"""Migration 0008 (issue 11 §2): program versions written whole by the previous release are stored as
what changed, every version still reads the same program, and going back down writes them whole."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import Connection, inspect, select

from kneehab.library.load import default_library
from kneehab.services.populate import populate
from kneehab.store import repo
from kneehab.store.db import Database, downgrade, make_engine, migrate
from kneehab.store.tables import ProgramVersionRow

START = date(2025, 3, 3)
NOW = datetime(2025, 3, 3, 9, tzinfo=UTC)


def _versions(conn: Connection) -> list[dict[str, object]]:
    """program_versions as dump_all has them (dump_all itself reads tables later migrations add)."""
    table = ProgramVersionRow.__table__
    return [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key)).mappings()]


def _size(rows: list[dict[str, object]]) -> int:
    return sum(len(json.dumps(r["program"])) for r in rows)


def test_versions_are_stored_as_changes_and_read_the_same(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        db = Database(engine)
        populate(db, people=2, days=40, start=START, library=default_library(), now=NOW)
        with db.read() as s:
            programs = {pid: repo.program_versions(s, pid) for pid in repo.person_ids(s)}
        with engine.connect() as conn:
            changes = repo.dump_all(conn)["program_versions"]
        downgrade(engine, "0010")  # the previous release: every program whole
        assert "course_snapshots" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            whole = _versions(conn)
        by_row = {(v.version, pid): v.program for pid, vs in programs.items() for v in vs}
        assert [r["program"] for r in whole] == [
            by_row[(r["version"], r["person_id"])].model_dump(mode="json") for r in whole
        ]
        assert _size(changes) < _size(whole) / 10
        migrate(engine)
        with engine.connect() as conn:
            assert repo.dump_all(conn)["program_versions"] == changes
        with db.read() as s:
            assert {pid: repo.program_versions(s, pid) for pid in repo.person_ids(s)} == programs
    finally:
        engine.dispose()
