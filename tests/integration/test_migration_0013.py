"""Migration 0013: the audit trail's anchor is filled from the trail as it stands, so a database
upgraded with rows in its trail verifies, and removing its newest rows afterwards shows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import accounts, audit
from kneehab.store.db import Database, downgrade, make_engine, migrate

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def test_the_anchor_is_filled_from_the_trail(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        db = Database(engine)
        for name in ("North", "South", "East"):
            accounts.create_clinic(db, name, actor=SERVER_ADMIN, now=NOW)
        downgrade(engine, "0012")
        migrate(engine)
        result = audit.verify(db)
        assert result.ok and result.rows == 3
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"))
        assert audit.verify(db).end is not None
    finally:
        engine.dispose()
