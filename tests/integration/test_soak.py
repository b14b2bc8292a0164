"""Issue 11 §4, the small soak inside the suite: a real `kneehab serve` process is killed with SIGKILL
a few times while people write through the HTTP API; every write it answered 2xx must be stored exactly
once and the database must pass its integrity check. `make soak` runs the same harness 100 times per
store (bench/soak.py; results in docs/benchmarks.md, Durability)."""

from __future__ import annotations

from pathlib import Path

import pytest
from soak_harness import soak_harness

from kneehab.services.acting import on_machine


@pytest.mark.xdist_group("soak")  # two server processes at once would only compete for the CPUs
def test_killed_server_loses_and_duplicates_nothing(db_url: str, tmp_path: Path) -> None:
    soak = soak_harness()
    if db_url.startswith("sqlite"):
        (tmp_path / "data").mkdir(exist_ok=True)
    result = soak.run_soak(db_url, tmp_path / "soak", kills=5, writers=2, writes_between=3)
    acks, found = result.acks, result.findings
    assert not result.failures, result.failures
    # Writes were answered between the kills (the harness kills only after new answers).
    assert acks.total >= 4 and acks.accounts, soak.report_row(result)
    assert acks.refused == []
    assert found.lost == []
    assert found.duplicates == []
    assert found.integrity == []
    assert found.rows["accounts"] >= len(acks.accounts)


@pytest.mark.xdist_group("soak")
def test_online_backup_while_serving_restores_to_an_identical_export(
    db_url: str, tmp_path: Path
) -> None:
    """Issue 11 §4: `kneehab backup` taken while a server is writing (SQLite: the sqlite3 backup API;
    PostgreSQL: one REPEATABLE READ snapshot) restores to a database whose export of each person is
    identical to the snapshot's, and every row in it is the live row (a consistent point in time)."""
    import threading
    import time

    from sqlalchemy import text

    from kneehab import services
    from kneehab.cli.main import main
    from kneehab.store.db import open_database

    soak = soak_harness()
    if db_url.startswith("sqlite"):
        (tmp_path / "data").mkdir(exist_ok=True)
    server = soak.Server(db_url, tmp_path)
    acks, stop = soak.Acks(), threading.Event()
    server.start()
    try:
        assert server.wait_ready(), server.log.read_text()
        writers = [soak.Writer(f"b{i}", server.base_url, acks, stop) for i in range(2)]
        for w in writers:
            w.start()
        while len(acks.entries) < 3:  # a person well into a session before the backup
            assert all(w.is_alive() for w in writers)
            time.sleep(0.02)
        backup = tmp_path / "online.backup"
        env = {"KNEEHAB_DATABASE_URL": db_url}
        assert main(["backup", str(backup)], env) == 0
        written_before = acks.total
        while acks.total <= written_before:  # and the server went on writing after it
            time.sleep(0.02)
    finally:
        stop.set()
        server.stop()
    assert acks.refused == []

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    assert main(["restore", str(backup)], {"KNEEHAB_DATABASE_URL": restored_url}) == 0
    snapshot, restored, live = (
        open_database(f"sqlite:///{backup}"),
        open_database(restored_url),
        open_database(db_url),
    )
    try:
        with restored.engine.connect() as conn:
            people = [r[0] for r in conn.execute(text("SELECT id FROM persons ORDER BY id"))]
        assert people
        for pid in people:
            mine = services.export_person(restored, on_machine(pid))
            assert mine == services.export_person(snapshot, on_machine(pid))
            now = services.export_person(live, on_machine(pid))
            # Nothing in the backup is half-written or unknown to the live database.
            for part in ("intakes", "session_entries", "checkins"):
                assert all(row in now[part] for row in mine[part]), part
    finally:
        for d in (snapshot, restored, live):
            d.close()
