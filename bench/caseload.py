"""Issue 12 §5: the caseload page and its JSON with a clinic of N people on 90-day courses, on SQLite
and PostgreSQL: p50 / p99 over R requests, and SQL queries per request. Not a test: nothing asserts on
time. Results go in docs/benchmarks.md with the load average.

    python -m bench.caseload --people 500 --days 90 --requests 50 [--store sqlite|postgres]

The courses are written straight through the store (enrol through the service, then 90 days of
check-ins and sessions as prescribed by the plan), so seeding does not replay each day; the requests
then run the real app (create_app) in-process through the ASGI stack.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, text

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def _seed(db, library, n: int, days: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    from kneehab import services
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.domain.records import CheckIn, SessionEntry
    from kneehab.services import accounts
    from kneehab.store import repo

    rnd = random.Random(12)
    clinic = accounts.create_clinic(db, "Bench", actor=SERVER_ADMIN, now=now)
    accounts.add_account(db, "physio@example.org", role="clinician", clinic_id=clinic,
                         name="Bench Physio", password="bench-password-1", actor=SERVER_ADMIN,
                         now=now)  # fmt: skip
    today = now.date()
    start = today - timedelta(days=days)
    for i in range(n):
        account = accounts.add_account(
            db, f"p{i}@example.org", role="person", clinic_id=clinic, name=f"Person {i:03d}",
            password=None, actor=SERVER_ADMIN, now=now,
        )  # fmt: skip
        made = services.enroll(
            db, DEMO_INTAKE, actor=SERVER_ADMIN, start=start, now=now, library=library,
            account_id=account.account_id,
        )  # fmt: skip
        program = made.program
        assert program is not None
        quits = start + timedelta(days=rnd.randint(30, days + 30))  # some stop part-way
        with db.write() as s:
            for d in range(1, days):  # up to yesterday: this morning's check-ins come in below
                day = start + timedelta(days=d)
                if day > quits:
                    break
                pain = rnd.choice((1, 2, 2, 2, 3, 3, 4))
                repo.add_checkin(s, made.person_id, CheckIn(date=day, morning_pain=pain), now=now)
                for item in program.items_on(day):
                    dose = item.dose
                    sets = dose.sets or 1
                    entry = SessionEntry(
                        exercise_id=item.exercise_id, sets_done=sets,
                        reps=(dose.reps,) * sets if dose.reps else None,
                        hold_s=(dose.hold_s,) * sets if dose.hold_s else None,
                        load_kg=dose.load_kg, step_cm=dose.step_cm, minutes=dose.minutes,
                        side="both" if item.per_side else None, pain_during_max=pain - 1 or 1,
                    )  # fmt: skip
                    repo.upsert_entry(s, made.person_id, day, entry, now=now, paused=False)


def _check_in(db, person: int, day, now: datetime, library) -> None:  # type: ignore[no-untyped-def]
    """A check-in for `day` (any write, when that day has one already): the person's row is stale."""
    from kneehab import services
    from kneehab.domain.records import CheckIn
    from kneehab.services.acting import on_machine

    who = on_machine(person)
    try:
        services.check_in(db, who, CheckIn(date=day, morning_pain=2), today=now.date(), now=now,
                          library=library)  # fmt: skip
    except Exception:
        services.record_outcomes(db, who, [], today=now.date(), now=now)


def _run(url: str, n: int, days: int, requests: int) -> dict[str, object]:
    from kneehab import heap
    from kneehab.config import Settings
    from kneehab.library.load import load_library
    from kneehab.store.db import open_database
    from kneehab.web.app import create_app

    now = datetime.now(UTC)
    library = load_library()
    db = open_database(url)
    t0 = time.perf_counter()
    _seed(db, library, n, days, now)
    seeded = time.perf_counter() - t0
    queries = [0]

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        queries[0] += 1

    from kneehab import services
    from kneehab.services.scan import scan

    # The nightly scan first (issue 11 §3): every row worked out and kept for today.
    t0 = time.perf_counter()
    report = scan(db, today=now.date(), now=now, library=library)
    scan_s = time.perf_counter() - t0
    app = create_app(Settings(database_url=url), db=db, library=library, clock=lambda: now)
    out: dict[str, object] = {
        "people": n, "days": days, "seed_s": round(seeded, 1), "scan_s": round(scan_s, 1),
        "scan_ms_per_person": round(scan_s * 1000 / max(report.computed, 1), 1),
    }  # fmt: skip
    # httpx over ASGI, as a server calls the app: Starlette's TestClient advertises the
    # `http.response.debug` extension, to which every page response sends its template context, and
    # its transport's closures keep that context in reference cycles (each page look left ~9,000
    # objects of cyclic garbage, freed in one full collection of 200-550 ms). uvicorn has no such
    # extension. The heap is settled as the server's start-up does (kneehab/heap.py).
    heap.settle()
    ids = services.people_ids(db)
    asyncio.run(_timed(app, db, ids, library, now, requests, out, queries))
    db.close()
    return out


async def _timed(app, db, ids, library, now, requests, out, queries) -> None:  # type: ignore[no-untyped-def]
    """The timed requests of each series, through the whole ASGI stack in this process."""
    import httpx

    rnd = random.Random(7)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:

        async def add_csrf(request: httpx.Request) -> None:
            token = c.cookies.get("kneehab_csrf")
            if token:
                request.headers["x-csrf-token"] = token

        c.event_hooks["request"].append(add_csrf)
        r = await c.post("/api/v1/auth/login",
                   json={"email": "physio@example.org", "password": "bench-password-1"})  # fmt: skip
        assert r.status_code == 200, r.text
        # "after the scan": nothing newer than the kept rows; "a check-in before each": one person
        # checked in just before every request, so that row is worked out again (never stale).
        todo = list(ids)
        rnd.shuffle(todo)  # people who have not checked in this morning yet
        for name, path, fresh in (
            ("page", "/clinic", None),
            ("json", "/api/v1/patients", None),
            ("json, a check-in this morning before each", "/api/v1/patients", "today"),
            ("json, a back-dated check-in before each", "/api/v1/patients", "back"),
        ):
            await c.get(path)  # warm (library caches, first connection)
            times, counts = [], []
            for i in range(requests):
                if fresh == "today":  # the morning flow: a new check-in must show at once
                    _check_in(db, todo.pop(), now.date(), now, library)
                elif fresh == "back":  # a correction of an earlier day: that course is replayed
                    _check_in(db, rnd.choice(ids), now.date() - timedelta(days=2 + i), now, library)
                queries[0] = 0
                t = time.perf_counter()
                r = await c.get(path)
                times.append((time.perf_counter() - t) * 1000)
                counts.append(queries[0])
                assert r.status_code == 200
            times.sort()
            p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
            out[name] = {
                "p50_ms": round(statistics.median(times)), "p99_ms": round(p99),
                "queries": statistics.median(counts), "requests": requests,
            }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=500)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    args = ap.parse_args()
    if args.store == "both":  # each store in a process of its own, as a server runs one app
        for store in ("sqlite", "postgres"):
            argv = [sys.executable, "-W", "ignore", "-m", "bench.caseload", "--store", store,
                    "--people", str(args.people), "--days", str(args.days),
                    "--requests", str(args.requests)]  # fmt: skip
            if subprocess.run(argv, check=False).returncode:
                return 1
        return 0
    print(f"load average at start: {_load()}")
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            print("sqlite", _run(url, args.people, args.days, args.requests), flush=True)
    if args.store in ("postgres", "both"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{PG}?options=-csearch_path%3D{schema}"
            print("postgres", _run(url, args.people, args.days, args.requests), flush=True)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
