"""GET /api/v1/today in-process after a change, a repeat read and a cold read (issue 11 §2).

On a copy of bench.request_cost's populated database (`prepare(days)`), signed in as its person on
the morning after the course: the day's safety questions, then N rounds of

- POST /api/v1/today/entries (today's first item, its reported pain alternating 1 and 2, so each
  write changes the day's records and the next read cannot reuse the last course), then
- GET /api/v1/today (*first read after a change*: replays the tail from the snapshot), then
- GET /api/v1/today again (*repeat*: reuses the course);

and with `--cold` no live states are kept (every read reads and unpickles the stored snapshot).
Prints p50 / min of the wall time and of the process CPU time (`time.process_time`: the endpoint
runs on a worker thread) of each GET, in ms, with the load average. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.request_cost import (
    CHECK_IDS,
    START,
    _first_entry,
    _load,
    bench_app,
    forget_live_states,
    prepare,
    signed_in,
)


async def _rounds(
    db_path: Path, days: int, n: int, cold: bool
) -> dict[str, dict[str, list[float]]]:
    today = START + timedelta(days=days)
    now = datetime(today.year, today.month, today.day, 7, 30, tzinfo=UTC)
    app = bench_app(db_path, lambda: now)
    out: dict[str, dict[str, list[float]]] = {}
    async with signed_in(app, forget_live_states if cold else None) as c:
        await c.get("/api/v1/today")  # warm (and keeps a snapshot when the engine changed)
        await c.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
        full = {"answers": {f"RF{k:02d}": False for k in range(1, 17)}}
        await c.post("/api/v1/rescreen", json=full)  # §1.1: the weekly full set, when due
        entry = _first_entry(app.state.web.db, today, app.state.web.library)
        assert entry is not None

        async def timed(name: str) -> Any:
            w0, c0 = time.perf_counter(), time.process_time()
            r = await c.get("/api/v1/today")
            w1, c1 = time.perf_counter(), time.process_time()
            assert r.status_code == 200, r.text[:300]
            got = out.setdefault(name, {"wall": [], "cpu": []})
            got["wall"].append((w1 - w0) * 1000)
            got["cpu"].append((c1 - c0) * 1000)
            return r.json()

        for i in range(n + 2):
            body = {**entry, "pain_during_max": 1 + i % 2}
            r = await c.post("/api/v1/today/entries", json=body)
            assert r.status_code == 200, r.text[:300]
            first = await timed("after a change")
            again = await timed("cold again" if cold else "repeat")
            assert first == again
        for got in out.values():  # the first two rounds warm the caches
            got["wall"], got["cpu"] = got["wall"][2:], got["cpu"][2:]
    return out


def run(days: int, n: int, cold: bool) -> dict[str, Any]:
    work = prepare(days, before_rev=None).with_suffix(".first.db")
    shutil.copyfile(prepare(days, before_rev=None), work)
    try:
        got = asyncio.run(_rounds(work, days, n, cold))
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
    return {
        name: {
            kind: (round(statistics.median(v), 2), round(min(v), 2)) for kind, v in times.items()
        }
        for name, times in got.items()
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--cold", action="store_true")
    args = p.parse_args()
    start = _load()
    result = run(args.days, args.n, args.cold)
    print(json.dumps({"days": args.days, "cold": args.cold, "load": [start, _load()], **result}))


if __name__ == "__main__":
    main()
