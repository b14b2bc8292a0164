"""The floor of an API request (issue 11 §2/§5): what a signed-in request that does almost nothing costs
in-process, beside the bare probe. Results and method: docs/benchmarks.md. Nothing here asserts on time.

`python -m bench.request_floor [--n 300] [--profile ROUTE]` signs in as bench.request_cost's populated
90-day person (bench/.cache, made on first use) and times `GET /healthz`, `GET /api/v1/me` and
`GET /api/v1/today`, each N times after a warm-up, in one process: through httpx over ASGI (no network),
then as `(server)`: the app called directly as a server calls it, without the client's own work. Printed
per request: wall p50 / p99 and the process's CPU time (`time.process_time`, every thread: sync routes and
dependencies run in the thread pool) p50 and mean, in ms, with the load average at start and end.
`--profile ROUTE` runs that route under cProfile instead, with sync work run on the event loop's thread
(one profiler sees it all), and prints the top functions by own and by cumulative time. `--token` sends
the person's write token (`Authorization: Bearer`, as an app does) instead of the session cookie: each
such request also writes its token-use trail row (services/accounts.py).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.request_cost import EMAIL, START, _load, _pct, bench_app, prepare, signed_in

ROUTES = ("/healthz", "/api/v1/me", "/api/v1/today")
DAYS = 90


def _write_token(app: Any) -> str:
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.services import accounts

    made = accounts.create_token(
        app.state.web.db, EMAIL, scope="write", name="bench", actor=SERVER_ADMIN,
        now=datetime.now(UTC),
    )  # fmt: skip
    return made.secret


async def _run(
    db_path: Path, n: int, profile: str | None, token: bool = False
) -> dict[str, dict[str, float]]:
    today = START + timedelta(days=DAYS)
    clock_now = datetime(today.year, today.month, today.day, 7, 30, tzinfo=UTC)
    app = bench_app(db_path, lambda: clock_now)
    out: dict[str, dict[str, float]] = {}
    async with signed_in(app, writes=False) as c:
        if token:
            c.cookies.clear()
            c.headers["authorization"] = f"Bearer {_write_token(app)}"
        for url in (profile,) if profile else ROUTES:
            for _ in range(20):  # warm: imports, the live course, the thread pool
                assert (await c.get(url)).status_code == 200
            if profile:
                prof = cProfile.Profile(builtins=False)
                prof.enable()
                for _ in range(n):
                    await c.get(url)
                prof.disable()
                pstats.Stats(prof).sort_stats("tottime").print_stats(40)
                pstats.Stats(prof).sort_stats("cumtime").print_stats(60)
                return out
            walls: list[float] = []
            cpus: list[float] = []
            for _ in range(n):
                w0, c0 = time.perf_counter(), time.process_time()
                r = await c.get(url)
                cpus.append((time.process_time() - c0) * 1000)
                walls.append((time.perf_counter() - w0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            out[url] = _summary(walls, cpus)
            cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items()).encode()
            auth = [(b"authorization", c.headers["authorization"].encode())] if token else []
            out[f"{url} (server)"] = await _server_only(app, url, cookie, n, auth)
    return out


def _summary(walls: list[float], cpus: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(walls),
        "p99": _pct(walls, 0.99),
        "cpu p50": statistics.median(cpus),
        "cpu mean": statistics.fmean(cpus),
    }


async def _server_only(
    app: Any, url: str, cookie: bytes, n: int, extra: list[tuple[bytes, bytes]] | None = None
) -> dict[str, float]:
    """The app called as the server calls it, without an HTTP client's own work (httpx's request
    building and cookie jar are about 0.3 ms of each request above)."""
    headers = [(b"host", b"127.0.0.1"), (b"cookie", cookie), (b"accept", b"*/*"), *(extra or [])]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": url, "raw_path": url.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 123),
             "server": ("127.0.0.1", 80)}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        await app(dict(scope), receive, send)
        cpus.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - w0) * 1000)
    assert set(status) == {200}, (url, set(status))
    return _summary(walls, cpus)


def _inline_thread_pool() -> None:
    """For --profile only: sync routes and dependencies run on the event loop's thread, so one
    profiler sees all of a request (the hops themselves then cost nothing: measure those without)."""
    import anyio.to_thread

    async def run_sync(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--profile", choices=ROUTES)
    p.add_argument("--token", action="store_true", help="a bearer token instead of the session")
    args = p.parse_args(argv)
    print(f"load average at start: {_load()}")
    if args.profile:
        _inline_thread_pool()
    db = prepare(DAYS, before_rev=None)
    work = db.with_suffix(".floor.db")
    shutil.copyfile(db, work)
    try:
        result: dict[str, Any] = asyncio.run(_run(work, args.n, args.profile, args.token))
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
    for url, r in result.items():
        print(
            f"{url:25} n={args.n}  wall p50 {r['p50']:.2f} p99 {r['p99']:.2f}  "
            f"cpu p50 {r['cpu p50']:.2f} mean {r['cpu mean']:.2f} ms"
        )
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
