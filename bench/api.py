"""`make bench-api`: the HTTP API under wrk, on SQLite and PostgreSQL, with 2 app workers.

For each store: a fresh database brought up by `kneehab db upgrade`, one person with a 30-day course
(every session done, a check-in each morning; `kneehab populate` is not on main yet, so it is seeded
here through the services, as tests/history_seed.py does), a write token from the services (what
`kneehab token create` makes), then `kneehab serve --workers 2`; wrk at 1 and 32 connections on:

  floor    GET  /healthz             (no database, no session: the bare cost of a request)
  today    GET  /api/v1/today
  entry    POST /api/v1/today/entries (one exercise of today, saved again each time: a correction)
  history  GET  /api/v1/progress     (the 30 days' pain trend, sessions and doses)

each with person 1's write token; then today and entry spread over 32 people (a token each), and
today and entry as a signed-in browser sends them (person 1's session cookie and CSRF token).

Reported: requests/s, p50, p99, errors (non-2xx and socket errors), and each as a ratio to the floor
at the same connections. `--servers` compares server set-ups on the floor and today (ADR 0006),
with how the requests spread over the two workers (from the access log's pid). Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from kneehab.services.acting import on_machine

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "KNEEHAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LUA = r"""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body end
-- A signed-in browser (BENCH_COOKIE: the session's cookies, BENCH_CSRF its token), or an access token.
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
  wrk.headers["X-CSRF-Token"] = os.getenv("BENCH_CSRF")
  wrk.headers["Sec-Fetch-Site"] = "same-origin"
else
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end
wrk.headers["Content-Type"] = "application/json"
-- Several people (BENCH_TOKENS, BENCH_BODIES: one per person, in the same order): each request is
-- the next person's, so writes are spread over people rather than queued on one person's lock.
local tokens, bodies = {}, {}
for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do table.insert(tokens, t) end
for b in string.gmatch(os.getenv("BENCH_BODIES") or "", "[^\n]+") do table.insert(bodies, b) end
local n, threads = 0, 0
function setup(thread)  -- each thread starts at another person
  thread:set("first", threads * 7)
  threads = threads + 1
end
function init(args) n = first or 0 end
if #tokens > 1 then
  request = function()
    n = n + 1
    local i = (n % #tokens) + 1
    local headers = {["Authorization"] = "Bearer " .. tokens[i],
                     ["Content-Type"] = "application/json"}
    local body = nil
    if wrk.method == "POST" then body = bodies[i] end
    return wrk.format(wrk.method, wrk.path, headers, body)
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kneehab() -> list[str]:
    return [sys.executable, "-c", "from kneehab.cli.main import run; run()"]


# ---- the database --------------------------------------------------------------------------------


def _pg_schema() -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", schema


def _drop_pg_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed(url: str, days: int, today: date, people: int = 1) -> list[tuple[str, dict[str, object]]]:
    """`people` with `days` of history ending yesterday (`kneehab populate`'s people: sessions on
    their schedule, a check-in most mornings, flares and regressions as the rules allow), today's
    safety questions answered; for each, a write token and a body for today's first exercise."""
    from kneehab import services
    from kneehab.demo import answer_safety_questions
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.domain.records import done_as_prescribed
    from kneehab.library.load import load_library
    from kneehab.services import accounts
    from kneehab.services.populate import email_of, populate
    from kneehab.store.db import open_database

    library = load_library()
    db = open_database(url, upgrade=False)  # `kneehab db upgrade` made the schema
    start = today - timedelta(days=days)
    populate(db, people=people, days=days, start=start, library=library, now=_at(start, 8))
    made = []
    for n, pid in enumerate(services.people_ids(db), start=1):  # a fresh database: populate's
        who = on_machine(pid)
        answer_safety_questions(db, who, today, datetime.now(UTC), library=library)
        first = services.today_items(db, who, today=today, library=library)[0]
        entry = done_as_prescribed(first, pain=1, effort="easy", rir=3)
        token = accounts.create_token(
            db, email_of(n), scope="write", name="bench", actor=SERVER_ADMIN,
            now=datetime.now(UTC),
        ).secret  # fmt: skip
        made.append((token, entry.model_dump(mode="json", exclude_none=True)))
    db.close()
    return made


# ---- the server ------------------------------------------------------------------------------------


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path


def start_server(kind: str, env: dict[str, str], port: int, folder: Path) -> Running:
    log = folder / f"server-{kind}-{port}.log"
    if kind == "gunicorn":  # the chosen set-up: kneehab serve --workers 2 (reuse_port)
        cmd = [*_kneehab(), "serve", "--port", str(port), "--workers", "2"]
    elif kind == "gunicorn-shared-socket":  # the same, one listening socket shared by the workers
        conf = folder / "shared_socket_conf.py"
        conf.write_text("from kneehab.web.gunicorn_conf import *  # noqa\nreuse_port = False\n")
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(conf), "kneehab.web.asgi:app"]
        env = {**env, "KNEEHAB_PORT": str(port), "KNEEHAB_WORKERS": "2"}
    elif kind == "uvicorn-workers":  # uvicorn's own supervisor
        cmd = [sys.executable, "-m", "uvicorn", "kneehab.web.asgi:app", "--port", str(port),
               "--workers", "2", "--no-access-log", "--no-server-header"]  # fmt: skip
    else:
        raise SystemExit(f"unknown server set-up {kind}")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, url + "/readyz", log, "the server")
    return Running(proc, url, log)


def wait_ready(proc: subprocess.Popen[bytes], probe: str, log: Path, name: str) -> None:
    """Until `probe` answers 200 (then a moment for the second worker), for at most 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as r:
                if r.status == 200:
                    time.sleep(1.5)  # the second worker, too
                    return
        except OSError:
            time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    raise SystemExit(f"{name} did not become ready in 60 s")


def stop_server(running: Running) -> None:
    running.proc.send_signal(signal.SIGTERM)
    try:
        running.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        running.proc.kill()
        running.proc.wait()


def worker_share(log: Path, route: str) -> str:
    """How the requests of `route` spread over worker processes (from kneehab's access lines)."""
    pids: Counter[int] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if '"kneehab.access"' in line and f'"route": "{route}"' in line:
            pids[json.loads(line)["pid"]] += 1
    total = sum(pids.values()) or 1
    return " / ".join(f"{100 * n / total:.0f}%" for _, n in pids.most_common()) or "-"


# ---- wrk -----------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    conns: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def settle(url: str, quiet_ms: float = 50.0, deadline_s: float = 120.0) -> None:
    """Wait until the workers have finished what an earlier run left queued (a run that ends with
    requests in flight would otherwise slow the next one): /readyz runs in a worker's thread pool,
    behind any queued request, so six fast answers on new connections in a row mean both are idle."""
    fast, end = 0, time.monotonic() + deadline_s
    while fast < 6 and time.monotonic() < end:
        began = time.perf_counter()
        with urllib.request.urlopen(url + "/readyz", timeout=deadline_s) as r:
            r.read()
        fast = fast + 1 if (time.perf_counter() - began) * 1000 < quiet_ms else 0
        time.sleep(0.05)


def run_wrk(
    name: str, url: str, conns: int, seconds: int, lua: Path, env: dict[str, str]
) -> Result:
    threads = 1 if conns == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", str(lua), url]  # fmt: skip
    done = subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    secs = data["duration_us"] / 1e6
    return Result(
        name, conns, data["requests"] / secs, data["p50_us"] / 1000, data["p99_us"] / 1000,
        data["status_errors"] + data["socket_errors"], data["requests"],
    )  # fmt: skip


SPREAD = 32  # people for the rows whose requests go to a different person each time


PASSWORD = "populate-knee-2025"  # services.populate's people (test data only)


def browser_session(url: str) -> dict[str, str]:
    """Person 1 signed in as a browser is (POST /api/v1/auth/login): wrk's Cookie and CSRF headers."""
    from kneehab.services.populate import email_of

    body = json.dumps({"email": email_of(1), "password": PASSWORD}).encode()
    request = urllib.request.Request(
        url + "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        cookies = dict(
            c.split(";", 1)[0].split("=", 1) for c in r.headers.get_all("Set-Cookie") or []
        )
    return {
        "BENCH_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "BENCH_CSRF": cookies["kneehab_csrf"],
    }


def endpoints(
    made: list[tuple[str, dict[str, object]]], browser: dict[str, str] | None = None
) -> list[tuple[str, str, str, dict[str, str]]]:
    """(name, method, path, wrk's environment): person 1 alone, then requests spread over everyone,
    then person 1 as a signed-in browser (the session cookie) when `browser` is given."""
    token, body = made[0]
    one = {"BENCH_TOKEN": token}
    spread = {
        "BENCH_TOKEN": token,
        "BENCH_TOKENS": ",".join(t for t, _ in made),
        "BENCH_BODIES": "\n".join(json.dumps(b) for _, b in made),
    }
    entry = {"BENCH_METHOD": "POST", "BENCH_BODY": json.dumps(body)}
    return [
        ("floor GET /healthz", "GET", "/healthz", one),
        ("today GET /api/v1/today", "GET", "/api/v1/today", one),
        ("entry POST /api/v1/today/entries", "POST", "/api/v1/today/entries", one | entry),
        ("history GET /api/v1/progress (30 days)", "GET", "/api/v1/progress", one),
        (f"today, {len(made)} people", "GET", "/api/v1/today", spread),
        (f"entry, {len(made)} people", "POST", "/api/v1/today/entries", spread | entry),
    ] + (
        [
            ("today, signed-in browser", "GET", "/api/v1/today", browser),
            ("entry, signed-in browser", "POST", "/api/v1/today/entries", browser | entry),
        ]
        if browser is not None
        else []
    )


def _chosen(name: str, only: str) -> bool:
    """`--only`: the floor always (every ratio is to it), and the rows naming any of the words."""
    words = [w.strip() for w in only.split(";") if w.strip()]
    return not words or name.startswith("floor") or any(w in name for w in words)


def table(store: str, results: list[Result]) -> list[str]:
    floor = {r.conns: r for r in results if r.name.startswith("floor")}
    rows = []
    for r in results:
        f = floor[r.conns]
        rows.append(
            f"| {store} | {r.name} | {r.conns} | {r.rps:,.0f} | {r.rps / f.rps:.3f}× | "
            f"{r.p50_ms:.1f} | {r.p50_ms / f.p50_ms:.1f}× | {r.p99_ms:.1f} | "
            f"{r.p99_ms / f.p99_ms:.1f}× | {r.errors} of {r.requests:,} |"
        )
    return rows


HEADER = [
    "| store | endpoint | conns | req/s | ×floor | p50 ms | ×floor | p99 ms | ×floor | errors |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def bench_store(store: str, args: argparse.Namespace, folder: Path, lua: Path) -> list[str]:
    schema = None
    if store == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        url, schema = _pg_schema()
    env = {**os.environ, "KNEEHAB_DATABASE_URL": url, "KNEEHAB_LOG_LEVEL": "info"}
    try:
        subprocess.run([*_kneehab(), "db", "upgrade"], env=env, check=True, capture_output=True)
        began = time.perf_counter()
        made = seed(url, args.days, date.today(), people=SPREAD)
        print(
            f"  {store}: seeded {SPREAD} × {args.days} days in {time.perf_counter() - began:.0f} s"
        )
        running = start_server("gunicorn", env, _free_port(), folder)
        results = []
        try:
            print(f"  {store}: load average before: {_load()}")
            for name, method, path, extra in endpoints(made, browser_session(running.url)):
                if not _chosen(name, args.only):
                    continue
                for conns in (1, 32):
                    wrk_env = {"BENCH_METHOD": method, **extra}
                    settle(running.url)
                    r = run_wrk(name, running.url + path, conns, args.seconds, lua, wrk_env)
                    print(f"    {name} c={conns}: {r.rps:.0f} req/s p50 {r.p50_ms:.1f} ms "
                          f"p99 {r.p99_ms:.1f} ms errors {r.errors}")  # fmt: skip
                    results.append(r)
            print(f"  {store}: load average after: {_load()}")
        finally:
            stop_server(running)
        return table(store, results)
    finally:
        if schema is not None:
            _drop_pg_schema(schema)


def compare_servers(args: argparse.Namespace, folder: Path, lua: Path) -> list[str]:
    """ADR 0006: the floor and today under each server set-up, on SQLite, with the workers' shares."""
    url = f"sqlite:///{folder / 'servers.db'}"
    env = {**os.environ, "KNEEHAB_DATABASE_URL": url, "KNEEHAB_LOG_LEVEL": "info"}
    subprocess.run([*_kneehab(), "db", "upgrade"], env=env, check=True, capture_output=True)
    token, _ = seed(url, args.days, date.today())[0]
    rows = [
        "| server set-up | endpoint | conns | req/s | p50 ms | p99 ms | errors | share per worker |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind in ("uvicorn-workers", "gunicorn-shared-socket", "gunicorn"):
        running = start_server(kind, env, _free_port(), folder)
        try:
            for name, _method, path, _ in endpoints([(token, {})])[:2]:
                for conns in (1, 32):
                    settle(running.url)
                    mark = running.log.stat().st_size
                    r = run_wrk(name, running.url + path, conns, args.seconds, lua,
                                {"BENCH_TOKEN": token})  # fmt: skip
                    part = folder / "part.log"
                    with running.log.open("rb") as f:
                        f.seek(mark)
                        part.write_bytes(f.read())
                    share = worker_share(part, path)
                    rows.append(f"| {kind} | {name} | {conns} | {r.rps:,.0f} | {r.p50_ms:.1f} | "
                                f"{r.p99_ms:.1f} | {r.errors} | {share} |")  # fmt: skip
                    print(rows[-1])
        finally:
            stop_server(running)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--servers", action="store_true", help="compare server set-ups (ADR 0006)")
    parser.add_argument(
        "--only", default="", help="rows whose name holds any of these words, separated by ';' "
        "(e.g. 'signed-in browser'); the floor is always measured"
    )  # fmt: skip
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: `make wrk` installs Debian's package", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="kneehab-bench-api-"))
    lua = folder / "bench.lua"
    lua.write_text(LUA)
    print(
        f"load average at start: {_load()}  ({os.cpu_count()} CPUs; wrk runs on the same machine)"
    )
    lines: list[str] = []
    if args.servers:
        lines += compare_servers(args, folder, lua)
    else:
        lines += HEADER
        for store in args.stores.split(","):
            lines += bench_store(store.strip(), args, folder, lua)
    print(f"load average at end: {_load()}")
    print("\n".join(lines))
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
