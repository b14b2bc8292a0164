"""SQLite's writers take turns in the order they came (store/write_gate.py, issue 11 §2 and §5): in a
process on a queue of threads, across processes on a lock file beside the database, for a bounded
wait that ends in Busy (a 503), never in SQLite's busy handler's back-off sleeps, which made a few
writes of a loaded server wait seconds while newer ones went first. Reads never wait for it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import CheckIn
from kneehab.errors import Busy
from kneehab.library.load import default_library
from kneehab.store import db as db_module
from kneehab.store import repo
from kneehab.store.db import Database, open_database

START = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kneehab.db"


def _person(db: Database) -> int:
    return services.enroll(
        db, DEMO_INTAKE, actor=SERVER_ADMIN, start=START, now=NOW, library=default_library()
    ).person_id


@contextmanager
def another_process_writing(database: Path) -> Iterator[None]:
    """The gate held as another kneehab process holds it mid-write: the lock file beside the
    database, locked through an open file of its own."""
    fd = os.open(f"{database}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _checkin_days(db: Database, pid: int) -> list[date]:
    with db.read() as s:  # a plain read (the machine's `services.history` is audited: a write)
        return [c.date for c in repo.checkins(s, pid)]


def test_a_write_waits_for_another_process_then_is_refused_busy_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(f"sqlite:///{_file(tmp_path)}")
    try:
        pid = _person(db)
        monkeypatch.setattr(db_module, "WRITE_WAIT_S", 0.2)
        day = START + timedelta(days=1)
        with another_process_writing(_file(tmp_path)):
            with pytest.raises(Busy, match="try again"), db.write() as s:
                repo.add_checkin(s, pid, CheckIn(date=day, morning_pain=1), now=NOW)
            # Reads go on meanwhile: they never queue for the writers' turn.
            assert _checkin_days(db, pid) == []
            with db.read() as s:
                assert repo.get_person(s, pid).start == START
        with db.write() as s:  # its turn, now the other process is done
            repo.add_checkin(s, pid, CheckIn(date=day, morning_pain=1), now=NOW)
        assert _checkin_days(db, pid) == [day]
    finally:
        db.close()


def test_threads_take_their_turns_in_the_order_they_came() -> None:
    from kneehab.store.write_gate import Turns

    turns, order = Turns(), []
    assert turns.acquire(1)

    def writer(n: int) -> None:
        assert turns.acquire(60)
        order.append(n)
        turns.release()

    threads = []
    for n in range(8):
        threads.append(threading.Thread(target=writer, args=(n,)))
        threads[-1].start()
        while turns.waiting < n + 1:  # in line before the next one comes
            threads[-1].join(0.001)
    turns.release()
    for t in threads:
        t.join()
    assert order == list(range(8))


def test_a_thread_that_gives_up_leaves_the_line_and_the_next_is_served() -> None:
    from kneehab.store.write_gate import Turns

    turns = Turns()
    assert turns.acquire(1)
    assert not turns.acquire(0.01)  # gave up: out of the line
    assert turns.waiting == 0
    turns.release()
    assert turns.acquire(0)  # free again, nobody was handed it
    turns.release()


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, date, datetime, timedelta
    from kneehab.domain.records import CheckIn
    from kneehab.store import repo
    from kneehab.store.db import open_database

    db = open_database(sys.argv[1], upgrade=False)
    pid, first, n = int(sys.argv[2]), date.fromisoformat(sys.argv[3]), int(sys.argv[4])
    for i in range(n):
        with db.write() as s:
            repo.add_checkin(s, pid, CheckIn(date=first + timedelta(days=i), morning_pain=i % 5),
                             now=datetime.now(UTC))
        print("ack", i, flush=True)
    """
)


def test_32_writers_over_two_databases_and_another_process_lose_and_duplicate_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{_file(tmp_path)}"
    one, two = open_database(url), open_database(url)
    try:
        pid = _person(one)
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(pid), (START + timedelta(days=100)).isoformat(),
             "32"],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        days = [START + timedelta(days=d) for d in range(1, 33)]

        def write(n: int) -> str:
            db = (one, two)[n % 2]
            with db.write() as s:
                repo.add_checkin(s, pid, CheckIn(date=days[n], morning_pain=n % 5), now=NOW)
            return "ok"

        with ThreadPoolExecutor(max_workers=32) as pool:
            ends = list(pool.map(write, range(32)))
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0 and out.count("ack") == 32
        assert ends == ["ok"] * 32
        theirs = [START + timedelta(days=100 + i) for i in range(32)]
        assert _checkin_days(two, pid) == days + theirs  # each once, none lost
    finally:
        one.close()
        two.close()
