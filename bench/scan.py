"""Issue 11 §3: the nightly scan (`kneehab scan`) at 1k, 5k and 10k people × 90 days on PostgreSQL:
the first night (no kept rows yet) and the next night (the day after, nothing written in between),
ms per person and the growth with people. Not a test: nothing asserts on time. Results go in
docs/benchmarks.md with the load average.

    python -m bench.scan [--people 1000,5000,10000] [--distinct 1000] [--days 90] [--keep-base]

How the people are made, quickly: `kneehab populate` writes `--distinct` people with their own
courses (the engine run forward a day at a time: the slow part, ~0.3-1 s a person on this machine)
into a template database once; each size is then a copy of that database (CREATE DATABASE …
TEMPLATE) whose people are cloned in SQL (INSERT … SELECT, every table that has a person, with new
person ids and e-mails; the rows' `recorded_at` are kept, so each clone's course snapshot is still
valid for it). 10,000 people are the `--distinct` courses, each 10,000 / distinct times. The scan's
cost per person does not depend on which course a person has: nothing is shared between people.

Each night runs in a process of its own, as the timer runs `kneehab scan` (no state of one night in
memory for the next). `--cold` also times a first night without course snapshots (as after a
library or engine change) at the smallest size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, create_engine, inspect, text

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_DB = "test"  # the database we connect to while creating and dropping the others
BASE = "kneehab_scanbench_base"
RUN = "kneehab_scanbench"
START = date(2026, 9, 1)
MARK = "scanbench"  # the template's comment: "scanbench <distinct> <days> <start>"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _admin() -> Engine:
    return create_engine(f"{SERVER}/{ADMIN_DB}", isolation_level="AUTOCOMMIT")


def _drop(conn, name: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _base(distinct: int, days: int, rebuild: bool) -> None:
    """The template database with `distinct` populated people (kept between runs when it matches)."""
    want = f"{MARK} {distinct} {days} {START.isoformat()}"
    admin = _admin()
    with admin.connect() as conn:
        found = conn.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"
            ),
            {"n": BASE},
        ).first()
        if found is not None and found[0] == want and not rebuild:
            print(f"template {BASE}: {distinct} people × {days} days (kept from an earlier run)")
            return
        _drop(conn, BASE)
        conn.execute(text(f'CREATE DATABASE "{BASE}"'))
    from kneehab.library.load import load_library
    from kneehab.services.populate import populate
    from kneehab.store.db import open_database

    db = open_database(f"{SERVER}/{BASE}")
    t0 = time.perf_counter()
    done = populate(
        db, people=distinct, days=days, start=START, library=load_library(),
        now=datetime.combine(START + timedelta(days=days), datetime.min.time(), UTC),
    )  # fmt: skip
    took = time.perf_counter() - t0
    db.close()
    print(
        f"populate {distinct} people × {days} days: {took:.0f} s ({took * 1000 / distinct:.0f} ms "
        f"a person; {done.records} records, {done.versions} program versions), load {_load()}"
    )
    with admin.connect() as conn:
        conn.execute(text(f"COMMENT ON DATABASE \"{BASE}\" IS '{want}'"))
    admin.dispose()


def _clone(url: str, people: int, distinct: int) -> float:
    """Make `people` people out of the template's `distinct`: copies k = 1 … people/distinct - 1
    get person ids + k·distinct, in SQL; returns the seconds it took."""
    copies = people // distinct - 1
    engine = create_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT min(id), max(id), count(*) FROM persons")).one()
        assert tuple(ids) == (1, distinct, distinct), f"template people are not 1..{distinct}"
        if copies > 0:
            insp = inspect(conn)
            tables = [
                t for t in insp.get_table_names()
                if t == "persons" or "person_id" in {c["name"] for c in insp.get_columns(t)}
            ]  # fmt: skip
            tables.sort(key=lambda t: t != "persons")  # the people first (foreign keys)
            params = {"b": distinct, "k": copies}
            for table in tables:
                cols = [c["name"] for c in insp.get_columns(table)]
                pk = insp.get_pk_constraint(table)["constrained_columns"]
                if not conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
                    continue
                if table != "persons" and pk == ["id"]:
                    cols.remove("id")  # a new one from the sequence
                shifted = {
                    "person_id": "person_id + g * :b",
                    "id": "id + g * :b",  # persons only (the others dropped their id above)
                    "email": "'person-' || (person_id + g * :b) || '@example.test'",
                }
                select = ", ".join(shifted.get(c, f'"{c}"') for c in cols)
                names = ", ".join(f'"{c}"' for c in cols)
                key = "id" if table == "persons" else "person_id"
                conn.execute(
                    text(
                        f'INSERT INTO "{table}" ({names}) SELECT {select} FROM "{table}" '
                        f"CROSS JOIN generate_series(1, :k) AS g WHERE {key} <= :b"
                    ),
                    params,
                )
            conn.execute(text("SELECT setval('persons_id_seq', (SELECT max(id) FROM persons))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def _night(url: str, today: date, jobs: int) -> dict[str, object]:
    """One night's scan in a process of its own (as the timer runs it)."""
    argv = [sys.executable, "-W", "ignore", "-m", "bench.scan", "--night", url, today.isoformat()]
    if jobs > 1:
        argv += ["--jobs", str(jobs)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    found: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return found


def _scan_once(url: str, today: date, jobs: int) -> int:
    from kneehab.library.load import load_library
    from kneehab.services.scan import scan
    from kneehab.store.db import open_database

    library = load_library()
    try:  # as `kneehab scan` does before its scan (older code, measured for "before", has no heap)
        from kneehab import heap

        heap.settle()
    except ImportError:
        pass
    db = open_database(url)
    now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=2)
    load = _load()
    kwargs = {"jobs": jobs} if jobs > 1 else {}
    t0 = time.perf_counter()
    report = scan(db, today=today, now=now, library=library, **kwargs)  # type: ignore[arg-type]
    took = time.perf_counter() - t0
    db.close()
    print(
        json.dumps(
            {
                "s": round(took, 2),
                "computed": report.computed,
                "kept": report.kept,
                "escalations": report.escalations,
                "unreadable": len(report.unreadable),
                "load_before": load,
                "load_after": _load(),
            }
        )
    )
    return 0


def main() -> int:  # noqa: PLR0915 - one run, top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", default="1000,5000,10000", help="sizes, comma-separated")
    ap.add_argument("--distinct", type=int, default=1000, help="people populated (the rest clones)")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--jobs", type=int, default=1, help="scan --jobs (worker processes)")
    ap.add_argument("--cold", action="store_true", help="also a first night with no snapshots")
    ap.add_argument("--keep-base", action="store_true", help="keep the template for a re-run")
    ap.add_argument("--rebuild-base", action="store_true")
    ap.add_argument("--night", nargs=2, help=argparse.SUPPRESS)  # internal: one night's scan
    args = ap.parse_args()
    if args.night:
        return _scan_once(args.night[0], date.fromisoformat(args.night[1]), args.jobs)
    sizes = [int(n) for n in args.people.split(",")]
    if any(n % args.distinct for n in sizes):
        ap.error("every size must be a multiple of --distinct")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"bench.scan at {commit or '?'}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, load average {_load()}, jobs {args.jobs}"
    )
    _base(args.distinct, args.days, args.rebuild_base)
    today = START + timedelta(days=args.days)  # populate's courses end yesterday
    url = f"{SERVER}/{RUN}"
    admin = _admin()
    results: list[tuple[int, str, dict[str, object]]] = []
    try:
        for n in sizes:
            with admin.connect() as conn:
                _drop(conn, RUN)
                conn.execute(text(f'CREATE DATABASE "{RUN}" TEMPLATE "{BASE}"'))
            cloned = _clone(url, n, args.distinct)
            print(f"{n} people: cloned in {cloned:.0f} s, load {_load()}", flush=True)
            nights = [("first night", today), ("next night", today + timedelta(days=1))]
            for name, day in nights:
                got = _night(url, day, args.jobs)
                results.append((n, name, got))
                _show(n, name, got)
            if args.cold and n == sizes[0]:
                engine = create_engine(url)
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM course_snapshots"))
                    conn.execute(text("DELETE FROM caseload_rows"))
                engine.dispose()
                got = _night(url, today + timedelta(days=2), args.jobs)
                results.append((n, "no snapshots", got))
                _show(n, "no snapshots (after an engine or library change)", got)
    finally:
        with admin.connect() as conn:
            _drop(conn, RUN)
            if not args.keep_base:
                _drop(conn, BASE)
        admin.dispose()
    print("\npeople | night | s | ms a person | load before → after")
    for n, name, got in results:
        ms = float(got["s"]) * 1000 / n  # type: ignore[arg-type]
        print(f"{n} | {name} | {got['s']} | {ms:.2f} | {got['load_before']} → {got['load_after']}")
    for name in ("first night", "next night"):
        per = {n: float(g["s"]) for n, nm, g in results if nm == name}  # type: ignore[arg-type]
        if len(per) > 1:
            lo, hi = min(per), max(per)
            print(f"{name}: {hi // lo}× the people took {per[hi] / per[lo]:.2f}× the time")
    print(f"load average at end: {_load()}")
    return 0


def _show(n: int, name: str, got: dict[str, object]) -> None:
    ms = float(got["s"]) * 1000 / n  # type: ignore[arg-type]
    print(
        f"  {name}: {got['s']} s = {ms:.2f} ms a person (computed {got['computed']}, "
        f"escalations {got['escalations']}, unreadable {got['unreadable']}), load "
        f"{got['load_before']} → {got['load_after']}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
