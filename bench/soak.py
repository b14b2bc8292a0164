"""`make soak`: kill -9 the web server at random moments while people write through the HTTP API, then
prove nothing acknowledged was lost or duplicated and the database is sound (issue 11 §4).

The server runs as its own process, started exactly as an operator starts it (`server_command`, the one
place to change when serving gains a separate migration step). Writer threads sign up people and walk
each through what a person writes: sign-up, enrolment, a morning check-in, today's safety questions and
one entry per exercise. Every write carries values that identify it (the person's email; reps and pain
derived from a running write number), and each answered 2xx is recorded. A write whose answer never
came (the server died under it) may or may not be stored: both are correct, so it is not counted.

After every kill the server is started again on the same database; at the end the database is read
directly and every acknowledged write must be there exactly once, with its values, and the store's
integrity check must pass. `python -m bench.soak --kills 100 --store both` is what `make soak` runs;
tests/integration/test_soak.py runs a few kills per store inside the normal suite.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak test passphrase"
INTAKE = {
    "age": 58,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 3,
    "pain_worst_week": 4,
    "red_flags": [],
}
CHECK_IDS = ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10", "RF12", "new_injury")
POSTGRES_URL = os.environ.get(
    "KNEEHAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# --- the server ------------------------------------------------------------------------------------


def server_command(port: int, db_url: str, data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """How the server is started, the way `make run` starts it: `kneehab db upgrade` once (servers
    never migrate, ADR 0006; `Server.start` runs it before the first start), then `kneehab serve`."""
    env = {
        **os.environ,
        "KNEEHAB_DATABASE_URL": db_url,
        "KNEEHAB_DATA_DIR": str(data_dir),
        "KNEEHAB_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    argv = [sys.executable, "-c", "from kneehab.cli.main import run; run()", "serve"]
    argv += ["--host", "127.0.0.1"]
    return [*argv, "--port", str(port)], env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `kneehab serve` process at a time on a fixed port; `kill` is SIGKILL, nothing graceful."""

    def __init__(self, db_url: str, work: Path) -> None:
        self.port = free_port()
        self.db_url, self.work = db_url, work
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = work / "server.log"
        self.upgraded = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.kill()  # one process at a time: a previous one is never left behind
        argv, env = server_command(self.port, self.db_url, self.work)
        if not self.upgraded:  # the migration step, once, as `make run` does before serving
            upgrade = [*argv[: argv.index("serve")], "db", "upgrade"]
            subprocess.run(upgrade, env=env, check=True, capture_output=True)
            self.upgraded = True
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 300.0) -> bool:
        """True once the server answers; False when it died first (its log says why)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                r = httpx.get(f"{self.base_url}/api/v1/screening", timeout=2.0)
                if r.status_code < 500:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# --- writers ---------------------------------------------------------------------------------------


@dataclass
class Acks:
    """Everything the server answered 2xx, by kind; guarded by one lock (several writer threads)."""

    accounts: set[str] = field(default_factory=set)
    enrolled: set[str] = field(default_factory=set)
    checkins: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # (email, day) → morning pain
    entries: dict[tuple[str, str], tuple[int, ...]] = field(
        default_factory=dict
    )  # (email, ex) → reps
    unanswered: int = 0  # writes the server died under (stored or not: both are correct)
    refused: list[str] = field(default_factory=list)  # 4xx/5xx answers: none are expected
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return len(self.accounts) + len(self.enrolled) + len(self.checkins) + len(self.entries)


class ServerGone(Exception):
    """The request got no answer (connection refused, reset or cut)."""


class Refused(Exception):
    """The server answered, but not 2xx: recorded in `Acks.refused`; the person is dropped."""


def _send_csrf(client: httpx.Client) -> Any:
    """Send the session's CSRF token on every request, as kneehab's own pages do."""

    def add(request: httpx.Request) -> None:
        token = client.cookies.get("kneehab_csrf")
        if token:
            request.headers["x-csrf-token"] = token

    return add


class Writer(threading.Thread):
    def __init__(self, name: str, base_url: str, acks: Acks, stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.base_url, self.acks, self.stop_flag = base_url, acks, stop
        self.counter = 0

    def run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                self.one_person()
            except ServerGone:
                self.wait_for_server()
            except Refused:
                pass

    def wait_for_server(self) -> None:
        while not self.stop_flag.is_set():
            try:
                httpx.get(f"{self.base_url}/api/v1/screening", timeout=2.0)
                return
            except httpx.HTTPError:
                time.sleep(0.05)

    def call(self, client: httpx.Client, method: str, url: str, body: Any) -> httpx.Response:
        try:
            r = client.request(method, url, json=body)
        except httpx.HTTPError as err:  # no answer: the server was killed under this request
            with self.acks.lock:
                self.acks.unanswered += 1
            raise ServerGone from err
        if r.status_code >= 300:
            with self.acks.lock:
                self.acks.refused.append(f"{method} {url}: {r.status_code} {r.text[:200]}")
            raise Refused  # a refused step ends this person; the next one starts afresh
        return r

    def one_person(self) -> None:
        self.counter += 1
        email = f"{self.name}-{self.counter}-{uuid.uuid4().hex[:6]}@example.test"
        with httpx.Client(base_url=self.base_url, timeout=30.0) as c:
            c.event_hooks["request"].append(_send_csrf(c))
            self.call(c, "POST", "/api/v1/auth/signup", {"email": email, "password": PASSWORD})
            self._ack("accounts", email)
            self.call(c, "POST", "/api/v1/enroll", INTAKE)
            self._ack("enrolled", email)
            # Each later write is independent: one the server died under does not end the person.
            day = datetime.now().astimezone().date().isoformat()
            pain = self.counter % 3
            if self._try(c, "/api/v1/checkins", {"date": day, "morning_pain": pain}):
                self._ack("checkins", (email, day), pain)
            answers = {"answers": {q: False for q in CHECK_IDS}}
            while not self._try(c, "/api/v1/today/check", answers):
                if self.stop_flag.is_set():
                    return
            plan = self.call(c, "GET", "/api/v1/today", None).json()["plan"]
            for ex in plan["exercises"]:
                if self.stop_flag.is_set():
                    return
                self.counter += 1
                reps = (self.counter % 50 + 1, self.counter // 50 % 50 + 1)
                body = {
                    "exercise_id": ex["id"],
                    "sets_done": 2,
                    "reps": list(reps),
                    "pain_during_max": self.counter % 3,
                    "side": "both",
                }
                if self._try(c, "/api/v1/today/entries", body):
                    self._ack("entries", (email, ex["id"]), reps)

    def _try(self, c: httpx.Client, url: str, body: Any) -> bool:
        """POST; False when the server died under it (after waiting for it to come back)."""
        try:
            self.call(c, "POST", url, body)
            return True
        except ServerGone:
            self.wait_for_server()
            return False

    def _ack(self, kind: str, key: Any, value: Any = None) -> None:
        with self.acks.lock:
            found = getattr(self.acks, kind)
            if isinstance(found, set):
                found.add(key)
            else:
                found[key] = value


# --- the check -------------------------------------------------------------------------------------


@dataclass
class Findings:
    lost: list[str]
    duplicates: list[str]
    integrity: list[str]
    rows: dict[str, int]


# Natural keys nothing may hold twice, whether or not its write was answered.
NATURAL_KEYS = {
    "accounts": ("email",),
    "intakes": ("person_id",),
    "checkins": ("person_id", "day"),
    "session_entries": ("person_id", "day", "exercise_id", "side_key"),
    "program_versions": ("person_id", "version"),
}


def check_database(db_url: str, acks: Acks) -> Findings:
    from kneehab.store.tables import Base

    engine = create_engine(db_url)
    lost: list[str] = []
    dups: list[str] = []
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            q = conn.execute
            rows = {
                t.name: int(q(text(f"SELECT count(*) FROM {t.name}")).scalar_one())
                for t in Base.metadata.sorted_tables
            }
            person_of = {e: p for e, p in q(text("SELECT email, person_id FROM accounts")).all()}
            for email in sorted(acks.accounts - person_of.keys()):
                lost.append(f"account {email}")
            for email in sorted(acks.enrolled):
                if person_of.get(email) is None:
                    lost.append(f"enrolment {email}")
            for (email, day), pain in sorted(acks.checkins.items()):
                found = q(
                    text("SELECT morning_pain FROM checkins WHERE person_id = :p AND day = :d"),
                    {"p": person_of.get(email), "d": day},
                ).all()
                if [r[0] for r in found] != [pain]:
                    lost.append(f"check-in {email} {day}: stored {found}, answered {pain}")
            for (email, ex), reps in sorted(acks.entries.items()):
                found = q(
                    text(
                        "SELECT reps FROM session_entries WHERE person_id = :p AND exercise_id = :e"
                    ),
                    {"p": person_of.get(email), "e": ex},
                ).all()
                got = [tuple(r[0] if isinstance(r[0], list) else _json(r[0])) for r in found]
                if got != [reps]:
                    lost.append(f"entry {email} {ex}: stored {got}, answered {reps}")
            for table, cols in NATURAL_KEYS.items():
                key = ", ".join(cols)
                for row in q(
                    text(f"SELECT {key}, count(*) FROM {table} GROUP BY {key} HAVING count(*) > 1")
                ).all():
                    dups.append(f"{table} {tuple(row)}")
            # A write is all or nothing: every person belongs to one account and has their intake
            # and first program; none is half-enrolled after a kill.
            for (pid,) in q(
                text(
                    "SELECT id FROM persons p WHERE (SELECT count(*) FROM accounts a "
                    "WHERE a.person_id = p.id) != 1 OR NOT EXISTS (SELECT 1 FROM intakes i "
                    "WHERE i.person_id = p.id) OR NOT EXISTS (SELECT 1 FROM program_versions v "
                    "WHERE v.person_id = p.id)"
                )
            ).all():
                problems.append(
                    f"person {pid} is half-written (account, intake or program missing)"
                )
            problems += _orphans(conn, Base.metadata.sorted_tables)
            if engine.dialect.name == "sqlite":
                result = [r[0] for r in q(text("PRAGMA integrity_check")).all()]
                if result != ["ok"]:
                    problems.append(f"integrity_check: {result[:5]}")
                bad = q(text("PRAGMA foreign_key_check")).all()
                if bad:
                    problems.append(f"foreign_key_check: {bad[:5]}")
    finally:
        engine.dispose()
    return Findings(lost, dups, problems, rows)


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _orphans(conn: Any, tables: list[Any]) -> list[str]:
    """Rows pointing at a missing parent (PostgreSQL enforces it; this proves it on both)."""
    out = []
    for table in tables:
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            n = conn.execute(
                text(
                    f"SELECT count(*) FROM {table.name} c WHERE c.{child.name} IS NOT NULL AND "
                    f"NOT EXISTS (SELECT 1 FROM {parent.table.name} p "
                    f"WHERE p.{parent.name} = c.{child.name})"
                )
            ).scalar_one()
            if n:
                out.append(f"{table.name}.{child.name}: {n} row(s) point at no {parent.table.name}")
    return out


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class SoakResult:
    store: str
    kills: int
    acks: Acks
    findings: Findings
    seconds: float
    load_before: str
    load_after: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        f = self.findings
        return not (f.lost or f.duplicates or f.integrity or self.acks.refused or self.failures)


def run_soak(
    db_url: str,
    work: Path,
    *,
    kills: int,
    writers: int = 3,
    seed: int = 11,
    writes_between: int = 8,
    max_delay_s: float = 0.3,
    store: str = "",
    progress: bool = False,
) -> SoakResult:
    """Start, write, kill -9, restart … `kills` times; then stop cleanly and check the database."""
    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    server = Server(db_url, work)
    acks, stop = Acks(), threading.Event()
    failures: list[str] = []
    load_before, t0 = _load(), time.perf_counter()
    threads: list[Writer] = []
    try:
        for k in range(kills):
            server.start()
            if rng.random() < 0.1:  # now and then during start-up (migrations, rule upgrade)
                time.sleep(rng.uniform(0.0, 1.0))
            elif not server.wait_ready():
                failures.append(f"start {k + 1}: the server did not come up (see {server.log})")
                server.kill()  # never leave a slow starter running behind the next start
                break
            else:
                if not threads:
                    threads = [Writer(f"w{i}", server.base_url, acks, stop) for i in range(writers)]
                    for t in threads:
                        t.start()
                # A random moment, counted in progress rather than seconds so a loaded machine
                # still writes between kills: after 1–n more answered writes, plus a random delay
                # that often lands in the middle of the next request.
                target = acks.total + rng.randint(1, writes_between)
                deadline = time.monotonic() + 300
                while acks.total < target and time.monotonic() < deadline:
                    time.sleep(0.02)
                if acks.total < target:
                    failures.append(f"run {k + 1}: no write was answered within 300 s")
                time.sleep(rng.uniform(0.0, max_delay_s))
            server.kill()
            if progress:
                print(f"  kill {k + 1}/{kills}: {acks.total} acknowledged", flush=True)
        # A last clean start: the store must open after the last kill, and writers stop.
        server.start()
        if not server.wait_ready():
            failures.append(f"final start: the server did not come up (see {server.log})")
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        stop.set()
        server.stop()
    seconds = time.perf_counter() - t0
    findings = check_database(db_url, acks)
    return SoakResult(store, kills, acks, findings, seconds, load_before, _load(), failures)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


@contextmanager
def postgres_schema(base_url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh schema for one run (dropped afterwards); the URL's search_path points at it."""
    schema = f"soak_{uuid.uuid4().hex[:10]}"
    admin: Engine = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def report_row(r: SoakResult) -> str:
    a, f = r.acks, r.findings
    return (
        f"| {r.store} | {r.kills} | {a.total} ({len(a.accounts)} sign-ups, {len(a.enrolled)} "
        f"enrolments, {len(a.checkins)} check-ins, {len(a.entries)} entries) | {a.unanswered} | "
        f"{len(f.lost)} | {len(f.duplicates)} | {'ok' if not f.integrity else 'FAILED'} | "
        f"{len(a.refused)} | {r.seconds:.0f} s | {r.load_before} → {r.load_after} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", type=Path, default=ROOT / ".soak")
    args = parser.parse_args(argv)
    # Stopped from outside: leave through `finally`, which stops the server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    results = []
    for store in stores:
        work = args.work / f"{store}-{uuid.uuid4().hex[:6]}"
        print(f"{store}: {args.kills} kills, {args.writers} writers (logs in {work})", flush=True)
        if store == "sqlite":
            work.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{work / 'kneehab.db'}"
            results.append(
                run_soak(url, work, kills=args.kills, writers=args.writers, seed=args.seed,
                         store=store, progress=True)
            )  # fmt: skip
        else:
            with postgres_schema() as url:
                results.append(
                    run_soak(url, work, kills=args.kills, writers=args.writers, seed=args.seed,
                             store=store, progress=True)
                )  # fmt: skip
    print()
    print("| store | kills | acknowledged writes | unanswered | lost | duplicated | integrity "
          "| refused | time | load average (1/5/15 min) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(report_row(r))
    bad = False
    for r in results:
        f = r.findings
        for line in (*f.lost, *f.duplicates, *f.integrity, *r.acks.refused, *r.failures):
            print(f"{r.store}: {line}")
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
