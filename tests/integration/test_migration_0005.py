"""Migration 0005 (issue 10 §7): a database made by the previous release upgrades with every row kept,
and its one person becomes a self-managed account without a password, to be claimed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import inspect

from kneehab import services
from kneehab.demo import seed_demo
from kneehab.library.load import default_library, load_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.db import (
    Database,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    migrate,
)

TODAY = date(2025, 3, 20)
NOW = datetime(2025, 3, 20, 9, tzinfo=UTC)
ACCOUNT_TABLES = {"clinics", "accounts", "auth_sessions", "login_attempts", "one_time_links",
                  "access_tokens", "audit_log", "drafts"}  # fmt: skip
# What later migrations add, and the downgrade to 0004 therefore drops: not 0005's to keep.
LATER_TABLES = {"calendar_feeds", "caseload_rows", "course_snapshots", "audit_head"}
LATER_COLUMNS = {"clinic_id", "timezone", "revision", "camera"}


def test_upgrading_keeps_every_row_and_makes_the_person_an_account(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate(engine)
        db = Database(engine)
        pid = seed_demo(db, today=TODAY, now=NOW, library=load_library()).person_id
        with engine.connect() as conn:
            before = repo.dump_all(conn)
        downgrade(engine, "0004")  # the previous release's schema, with its data
        assert not ACCOUNT_TABLES & set(inspect(engine).get_table_names())
        migrate(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            after = repo.dump_all(conn)
        for table, rows in before.items():
            if table in ACCOUNT_TABLES | LATER_TABLES:
                continue
            kept = [{k: v for k, v in r.items() if k not in LATER_COLUMNS} for r in after[table]]
            assert kept == [{k: v for k, v in r.items() if k not in LATER_COLUMNS} for r in rows], (
                table
            )
        (account,) = after["accounts"]
        assert account["email"] == f"person-{pid}@kneehab.local"
        assert account["person_id"] == pid and account["password_hash"] is None
        assert account["role"] == "person" and account["clinic_id"] is None
        assert (
            services.course(db, on_machine(pid), today=TODAY, library=default_library()).program
            is not None
        )
    finally:
        engine.dispose()
