"""`make bench-requests`: the server time of a person's requests against the length of their course
(issue 11 §2). Results and method: docs/benchmarks.md. Nothing here asserts on time.

For each course length (14, 90, 180, 365 days) one person is made with `kneehab populate` into a
SQLite file (cached in bench/.cache). The app runs in-process (httpx over ASGI, no network), signed
in as that person, on the morning after the course's last day:
- GET /api/v1/today and GET /api/v1/progress, N times each;
- POST /api/v1/today/entries (today's first item, re-logged: an upsert) N times, after the day's
  safety questions;
- POST /api/v1/checkins: N mornings, the clock moved on a day before each (one check-in a day);
- GET /api/v1/me, the floor: sign-in, CSRF and the app's middleware around almost no work.
p50 and p99 in milliseconds, with the load average before and after. A repeated GET today is answered
from the view this process kept (web/kept_views.py); `GET today (not kept)` makes it again each time
(the first look after a change, from the live state). `cold` is this code with no live snapshot
states or kept views in the process (each request reads and deserialises the stored state),
as when requests for many people share few processes.

`--code before` measures the same databases with another checkout's sources (default /work/main,
the code before snapshots): each file is copied and its schema taken down to that code's head
revision (the snapshot table is derived data: dropping it loses nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
START = date(2025, 1, 6)  # a Monday
LENGTHS = (14, 90, 180, 365)
# services.populate's person 1 (the code measured "before" has no populate to ask)
EMAIL, PASSWORD = "person-1@example.test", "populate-knee-2025"
CHECK_IDS = ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10", "RF12", "new_injury")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def prepare(length: int, *, before_rev: str | None) -> Path:
    """The populated database for `length` days (made once), or its copy at `before_rev`."""
    from kneehab.library.load import load_library
    from kneehab.services.populate import populate
    from kneehab.store.db import downgrade, make_engine, open_database

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"course-{length}.db"
    if not path.exists():
        db = open_database(f"sqlite:///{path}")
        try:
            now = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
            populate(db, people=1, days=length, start=START, library=load_library(), now=now)
        finally:
            db.close()
    if before_rev is None:
        return path
    old = CACHE / f"course-{length}-{before_rev}.db"
    shutil.copyfile(path, old)
    engine = make_engine(f"sqlite:///{old}")
    try:
        downgrade(engine, before_rev)
    finally:
        engine.dispose()
    return old


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_app(db_path: Path, clock: Callable[[], datetime]) -> Any:
    """The app on a populated database, in-process, as every request benchmark here runs it."""
    from kneehab.config import Settings
    from kneehab.library.load import load_library
    from kneehab.store.db import open_database
    from kneehab.web.app import create_app

    settings = Settings(session_idle_hours=24 * 30, session_max_days=365)
    return create_app(
        settings, db=open_database(f"sqlite:///{db_path}"), library=load_library(), clock=clock
    )


@asynccontextmanager
async def signed_in(
    app: Any, before_each: Callable[[], None] | None = None, *, writes: bool = True
) -> AsyncIterator[Any]:
    """An httpx client over ASGI (no network) signed in as the populated person; with `writes` it
    sends the session's CSRF token with each request (and runs `before_each` before each)."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:

        async def before(request: httpx.Request) -> None:
            token = c.cookies.get("kneehab_csrf")
            if token:
                request.headers["x-csrf-token"] = token
            if before_each is not None:
                before_each()

        if writes:  # a client of reads only does none of this per request (bench.request_floor)
            c.event_hooks["request"].append(before)
        r = await c.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield c


def forget_live_states() -> None:
    """Cold requests: a process always keeps its newest live state, so drop them before each."""
    from kneehab.services import replay

    replay.forget_live_states()


async def _measure(db_path: Path, today: date, n: int, cold: bool = False) -> dict[str, Any]:
    class Clock:
        def __init__(self) -> None:
            self.now = datetime(today.year, today.month, today.day, 7, 30, tzinfo=UTC)

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    app = bench_app(db_path, clock)
    out: dict[str, list[float]] = {}

    views = getattr(
        app.state.web, "views", None
    )  # kept views (web/kept_views.py), where the code has them

    def forget_all() -> None:  # cold: nothing this process kept of the person
        forget_live_states()
        if views is not None:
            views.clear()

    async with signed_in(app, forget_all if cold else None) as c:

        async def timed(name: str, method: str, url: str, body: Any = None, ok: int = 200) -> Any:
            t0 = time.perf_counter()
            r = await c.request(method, url, json=body)
            out.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
            assert r.status_code == ok, (url, r.status_code, r.text[:300])
            return r.json()

        pages = (("GET me (floor)", "/api/v1/me"), ("GET today", "/api/v1/today"),
                 ("GET progress", "/api/v1/progress"))  # fmt: skip
        for name, url in pages:
            await c.get(url)  # warm
            out.setdefault(name, [])
            for _ in range(n):
                await timed(name, "GET", url)
        if views is not None and not cold:  # Today made again (a first look), from the live state
            for _ in range(n):
                views.clear()
                await timed("GET today (not kept)", "GET", "/api/v1/today")
        await c.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
        full = {"answers": {f"RF{k:02d}": False for k in range(1, 17)}}
        await c.post("/api/v1/rescreen", json=full)  # §1.1: the weekly full set, when due
        entry = _first_entry(app.state.web.db, today, app.state.web.library)
        if entry is not None:
            for _ in range(n):
                await timed("POST entry", "POST", "/api/v1/today/entries", entry)
        for _ in range(n):
            clock.now += timedelta(days=1)
            checkin = {
                "date": clock.now.date().isoformat(),
                "morning_pain": 2,
                "morning_stiffness": 2,
            }
            await timed("POST check-in", "POST", "/api/v1/checkins", checkin, ok=201)
    return {
        name: {"n": len(v), "p50": round(statistics.median(v), 1), "p99": round(_pct(v, 0.99), 1)}
        for name, v in out.items()
        if v
    }


def _first_entry(db: Any, today: date, library: Any) -> dict[str, Any] | None:
    """Today's first scheduled item done in full (else the program's first item)."""
    from kneehab import services
    from kneehab.services.acting import on_machine

    who = on_machine(1)
    items = services.today_items(db, who, today=today, library=library)
    program = services.course(db, who, today=today, library=library).program
    item = items[0] if items else (program.items[0] if program else None)
    if item is None:
        return None
    d, sets = item.dose, item.dose.sets or 1
    return {
        "exercise_id": item.exercise_id,
        "sets_done": sets,
        "reps": [d.reps] * sets if d.reps else None,
        "hold_s": [d.hold_s] * sets if d.hold_s else None,
        "minutes": d.minutes,
        "step_cm": d.step_cm,
        "load_kg": d.load_kg,
        "side": "both" if item.per_side else None,
        "pain_during_max": 1,
        "effort": "easy",
    }


def measure_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--today", required=True)
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--cold", action="store_true", help="keep no live snapshot states in memory")
    args = p.parse_args(argv)
    work = args.db.with_suffix(".run.db")
    shutil.copyfile(args.db, work)  # every run starts from the same database
    try:
        result = asyncio.run(_measure(work, date.fromisoformat(args.today), args.n, args.cold))
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
    print(json.dumps(result))
    return 0


STORED = ("program_versions", "session_entries", "checkins", "rescreens", "intakes", "persons",
          "accounts", "course_snapshots")  # fmt: skip


def stored_bytes(path: Path) -> dict[str, int]:
    """Bytes of every column of the person's rows, by table (SQLite's own length of each value)."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        out: dict[str, int] = {}
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in STORED:
            if table not in names:
                continue
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            total = "+".join(f"COALESCE(LENGTH(CAST({c} AS BLOB)),0)" for c in cols)
            out[table] = int(
                con.execute(f"SELECT COALESCE(SUM({total}),0) FROM {table}").fetchone()[0]
            )
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--code", choices=["after", "before", "both"], default="after")
    p.add_argument("--no-cold", action="store_true", help="skip the run without live states")
    p.add_argument("--before-src", type=Path, default=Path("/work/main/src"))
    p.add_argument("--before-rev", default="0007")
    args = p.parse_args(argv)
    codes = ["before", "after"] if args.code == "both" else [args.code]
    if "after" in codes and not args.no_cold:
        codes.append("cold")
    print(f"load average at start: {_load()}  (2 shared cores: other work runs beside this)")
    print(f"{'code':7} {'days':>5} {'request':14} {'n':>3} {'p50 ms':>8} {'p99 ms':>8}  load")
    for length in args.lengths:
        for code in codes:
            db = prepare(length, before_rev=args.before_rev if code == "before" else None)
            cold = ["--cold"] if code == "cold" else []
            src = args.before_src if code == "before" else ROOT / "src"
            env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
            today = START + timedelta(days=length)
            n = args.n if code != "before" or length <= 90 else max(5, args.n // 3)
            cmd = [sys.executable, "-m", "bench.request_cost", "measure", "--db", str(db)]
            cmd += ["--today", today.isoformat(), "--n", str(n), *cold]
            done = subprocess.run(
                cmd, check=False, env=env, cwd=ROOT, capture_output=True, text=True
            )
            if done.returncode != 0:
                print(f"{code:7} {length:>5} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            load = _load()
            for name, r in result.items():
                print(
                    f"{code:7} {length:>5} {name:14} {r['n']:>3} {r['p50']:>8} {r['p99']:>8}  {load}"
                )
    print(f"load average at end: {_load()}")
    for length in args.lengths:
        for code in (c for c in codes if c != "cold"):
            sizes = stored_bytes(
                prepare(length, before_rev=args.before_rev if code == "before" else None)
            )
            parts = ", ".join(f"{t} {b / 1024:.1f}" for t, b in sizes.items() if b)
            print(
                f"storage {code:7} {length:>4} days: {sum(sizes.values()) / 1024:.1f} KB ({parts})"
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        sys.exit(measure_main(sys.argv[2:]))
    sys.exit(main())
