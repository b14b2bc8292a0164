"""A process killed mid-write loses nothing it acknowledged, and SQLite stays intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, timedelta

from kneehab import services
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store.db import open_database, sqlite_path

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, date, datetime, timedelta
    from kneehab import services
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.domain.intake import Intake
    from kneehab.domain.records import CheckIn
    from kneehab.library.load import load_library
    from kneehab.services.acting import on_machine
    from kneehab.store.db import open_database

    db, library = open_database(sys.argv[1]), load_library()
    start = date(2025, 1, 6)
    intake = Intake(age=60, knee="left", condition="medial_knee_oa", onset="gradual",
                    weeks_since_onset=30, pain_now=4, pain_worst_week=6)
    pid = services.enroll(db, intake, actor=SERVER_ADMIN, start=start, library=library,
                          now=datetime(2025, 1, 6, tzinfo=UTC)).person_id
    who = on_machine(pid)
    print("enrolled", pid, flush=True)
    for n in range(1, 400):
        day = start + timedelta(days=n)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        services.check_in(db, who, CheckIn(date=day, morning_pain=n % 4, avg_pain=3),
                          today=day, now=now, library=library)
        services.save_player_position(db, who, day=day, state={"n": n, "pad": "x" * 2000}, now=now)
        print("ack", day.isoformat(), flush=True)  # only after both commits returned
    """
)


def test_killed_writer_keeps_every_acknowledged_write(db_url: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Create the schema first so the child only writes data.
    open_database(db_url).close()
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url], stdout=subprocess.PIPE, text=True, env=env
    )
    acked: list[date] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ack"):
                acked.append(date.fromisoformat(line.split()[1]))
            if len(acked) >= 12:
                break
    finally:
        child.send_signal(signal.SIGKILL)  # no cleanup, no chance to finish the current write
        child.wait(timeout=30)
    assert len(acked) >= 12

    db = open_database(db_url)
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        kept = {c.date for c in services.history(db, on_machine(pid)).checkins}
        assert set(acked) <= kept
        for day in acked:
            assert services.load_player_state(db, on_machine(pid), day=day) is not None
        last = max(kept)
        services.status(
            db, on_machine(pid), today=last + timedelta(days=1), library=default_library()
        )  # still replays cleanly
    finally:
        db.close()
    path = sqlite_path(db_url)
    if path is not None:
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
