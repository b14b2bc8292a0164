"""`make bench-wger`: wger 2.1's REST API under the same wrk load as `make bench-api` (issue 11).

Issue 11 measures kneehab "beside wger rebuilt locally (its REST API, not its code, is the
reference)". wger is never part of kneehab: it is installed in a venv of its own, outside the repo,

    python3 -m venv /tmp/wger-venv && /tmp/wger-venv/bin/pip install wger==2.1 gunicorn

and this script, given that venv and a data folder (default /tmp/wger-data, made if missing):

- writes wger's settings there (DEBUG off, SQLite, wger's own local-memory cache, no e-mail),
- seeds a template database once (bench/wger_seed.py, run by wger's interpreter: its bundled
  fixtures, one person with a DRF token, a workout with one exercise, 30 days of logged sets), and
  copies it afresh for each run, so every run starts from the same data;
- starts wger under gunicorn, 2 workers (gthread, 4 threads each by default: `--worker-class`),
  on 127.0.0.1 at a free port, and runs wrk at 1 and 32 connections on

    floor    GET  /api/v2/language/     (answered from wger's page cache: no session, no database)
    version  GET  /api/v2/version/      (wger's cheapest uncached API view: DRF checks the token)
    today    GET  /api/v2/workout/{id}/canonical_representation/  (the plan: days, sets, exercise)
    history  GET  /api/v2/workoutlog/?workout={id}&limit=100      (30 days of logged sets)
    entry    POST /api/v2/workoutlog/   (logging a set: a new row each time)

As wger ships (settings.tpl), every request that reaches DRF without a session cookie (wrk, like an
app with a token, sends none) also writes a new session row: wger's middleware marks the session on
reading the user. So two set-ups (`--setups`): "shipped", settings.tpl as it is, and "best",
sessions in each worker's memory (settings.tpl's commented-out line) and SQLite in WAL mode.
`--kneehab` then runs kneehab's floor, today, entry and history rows as `make bench-api` does on
SQLite (bench/api.py's seed, server and wrk script) and prints kneehab req/s ÷ wger req/s.

each with `Authorization: Token …` (bench/api.py's wrk script, its header swapped). Reported as
bench/api.py reports: requests/s, p50, p99, errors. Nothing asserts; not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.api import (
    LUA,
    SPREAD,
    Result,
    _chosen,
    _free_port,
    _kneehab,
    _load,
    run_wrk,
    seed,
    settle,
    start_server,
    stop_server,
    wait_ready,
)
from bench.api import endpoints as kneehab_endpoints

HERE = Path(__file__).resolve().parent
# kneehab's wrk script sends an access token as "Bearer"; DRF's TokenAuthentication wants "Token".
WGER_LUA = LUA.replace('"Bearer " ..', '"Token " ..')
SETTINGS = """\
# Written by kneehab's bench/wger.py: wger 2.1 for a benchmark, never a deployment.
import os

from wger.settings_global import *  # noqa: F401,F403

DEBUG = False
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3",
                          "NAME": os.environ.get("WGER_BENCH_DB", {db!r})}}}}
SECRET_KEY = "bench-only-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_URL = "http://127.0.0.1"
MEDIA_ROOT = {media!r}
TIME_ZONE = "UTC"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# settings_global's cache, said again: local memory in each worker, no cache server.
CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                        "LOCATION": "wger-cache", "TIMEOUT": 30 * 24 * 60 * 60}}}}
# pip brings DRF 3.15 (wger 2.1 asks ~=3.14), which logs a warning for each float-bounded
# DecimalField a serializer builds: a line to stderr per request that wger 2.1 never wrote.
LOGGING["loggers"]["rest_framework.fields"] = {{"level": "ERROR"}}  # noqa: F405
"""
# The line wger's settings.tpl leaves commented out ("a good idea if you setup redis"): sessions in
# the cache (here each worker's local memory) instead of a row written to the database.
CACHE_SESSIONS = 'SESSION_ENGINE = "django.contrib.sessions.backends.cache"\n'


def prepare(
    venv: Path, data: Path, days: int, cache_sessions: bool, wal: bool
) -> dict[str, object]:
    """The settings and the template database (seeded once), then a fresh copy to run on."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "media").mkdir(exist_ok=True)
    settings = SETTINGS.format(db=str(data / "seed.sqlite"), media=str(data / "media"))
    (data / "settings.py").write_text(settings + (CACHE_SESSIONS if cache_sessions else ""))
    env = _wger_env(data, data / "seed.sqlite")
    began = time.perf_counter()
    # run_path, from the data folder: run as a script, wger_seed.py would put bench/ first on
    # sys.path, where this file's name hides wger's package.
    code = (
        f"import runpy, sys; sys.argv[1:] = [{str(days)!r}]; "
        f"runpy.run_path({str(HERE / 'wger_seed.py')!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        env=env, cwd=data, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"seeding wger failed:\n{done.stderr[-3000:]}")
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  wger: data ready in {time.perf_counter() - began:.0f} s: {seeded}")
    for stale in ("run.sqlite", "run.sqlite-wal", "run.sqlite-shm", "run.sqlite-journal"):
        (data / stale).unlink(missing_ok=True)
    shutil.copyfile(data / "seed.sqlite", data / "run.sqlite")
    # Django 3.2 cannot set a journal mode per connection; WAL is kept in the file itself.
    with sqlite3.connect(data / "run.sqlite") as db:
        db.execute(f"PRAGMA journal_mode={'wal' if wal else 'delete'}")
    return seeded


def _wger_env(data: Path, db: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "settings",
        "PYTHONPATH": str(data),
        "WGER_BENCH_DB": str(db),
    }


def start_wger(
    venv: Path, data: Path, port: int, worker_class: str, threads: int
) -> tuple[subprocess.Popen[bytes], str]:
    log = data / "gunicorn.log"  # the last run's
    cmd = [
        str(venv / "bin" / "gunicorn"), "wger.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--worker-class", worker_class, "--threads", str(threads),
        "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=_wger_env(data, data / "run.sqlite"), cwd=data, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_ready(proc, url + "/api/v2/version/", log, "wger's gunicorn")
    return proc, url


def check(url: str, token: str, method: str, path: str, body: str | None) -> int:
    """One request before wrk, so a wrong path or token shows as itself, not as wrk's errors."""
    request = urllib.request.Request(
        url + path, method=method, data=body.encode() if body else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as r:
        r.read()
        return int(r.status)


def endpoints(seeded: dict[str, object]) -> list[tuple[str, str, str, str | None]]:
    w, ex = seeded["workout"], seeded["exercise_base"]
    entry = json.dumps({
        "workout": w, "exercise_base": ex, "reps": 10, "weight": "20.00",
        "date": date.today().isoformat(), "rir": "2", "repetition_unit": 1, "weight_unit": 1,
    })  # fmt: skip
    return [  # history before entry: entry adds rows the history would then count
        ("floor GET /api/v2/language/", "GET", "/api/v2/language/", None),
        ("version GET /api/v2/version/", "GET", "/api/v2/version/", None),
        ("today GET workout canonical_representation", "GET",
         f"/api/v2/workout/{w}/canonical_representation/", None),
        ("history GET workoutlog (30 days)", "GET", f"/api/v2/workoutlog/?workout={w}&limit=100",
         None),
        ("entry POST /api/v2/workoutlog/", "POST", "/api/v2/workoutlog/", entry),
    ]  # fmt: skip


SETUPS = {  # name: (sessions in each worker's memory, SQLite in WAL mode)
    "shipped": (False, False),  # settings.tpl as it is: a session row per request, rollback journal
    "best": (True, True),  # settings.tpl's commented-out cache sessions, and WAL
}


def run_wger(args: argparse.Namespace, setup: str) -> list[Cell]:
    cache_sessions, wal = SETUPS[setup]
    data = args.data.resolve()
    seeded = prepare(args.venv, data, args.days, cache_sessions, wal)
    token = str(seeded["token"])
    folder = Path(tempfile.mkdtemp(prefix="kneehab-bench-wger-"))
    lua = folder / "wger.lua"
    lua.write_text(WGER_LUA)
    proc, url = start_wger(args.venv, data, _free_port(), args.worker_class, args.threads)
    results: list[Cell] = []
    try:
        print(f"  wger {setup}: load average before: {_load()}")
        for name, method, path, body in endpoints(seeded):
            if not _chosen(name, args.only):
                continue
            print(f"  {name}: one request answered {check(url, token, method, path, body)}")
            for conns in (1, 32):
                env = {"BENCH_METHOD": method, "BENCH_TOKEN": token, "BENCH_BODY": body or ""}
                r = measured(proc.pid, name, url + path, conns, args.seconds, lua, env)
                _say(r)
                results.append(r)
                time.sleep(1)  # let a run's queued requests drain before the next
        print(f"  wger {setup}: load average after: {_load()}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return results


def run_kneehab(args: argparse.Namespace) -> list[Cell]:
    """kneehab's floor, today, entry and history rows as `make bench-api` runs them on SQLite
    (bench/api.py's own seed, server and wrk script: 32 people × 30 days, person 1's token)."""
    folder = Path(tempfile.mkdtemp(prefix="kneehab-bench-beside-wger-"))
    lua = folder / "bench.lua"
    lua.write_text(LUA)
    url = f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "KNEEHAB_DATABASE_URL": url, "KNEEHAB_LOG_LEVEL": "info"}
    results: list[Cell] = []
    try:
        subprocess.run([*_kneehab(), "db", "upgrade"], env=env, check=True, capture_output=True)
        made = seed(url, args.days, date.today(), people=SPREAD)
        running = start_server("gunicorn", env, _free_port(), folder)
        try:
            print(f"  kneehab: load average before: {_load()}")
            for name, method, path, extra in kneehab_endpoints(made)[:4]:
                if not _chosen(name, args.only):
                    continue
                for conns in (1, 32):
                    settle(running.url)
                    r = measured(running.proc.pid, name, running.url + path, conns, args.seconds,
                                 lua, {"BENCH_METHOD": method, **extra})  # fmt: skip
                    _say(r)
                    results.append(r)
            print(f"  kneehab: load average after: {_load()}")
        finally:
            stop_server(running)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


@dataclass
class Cell(Result):
    cpu_ms: float = 0.0  # the server's CPU (all its processes, user + system) a request


def _tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by `root` and its descendants (gunicorn's master and workers), from
    /proc: the load other work puts on the machine stretches wall times far more than this."""
    parent, ticks = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parent[int(d.name)] = int(fields[1])
        ticks[int(d.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    tree, todo = {root}, [root]
    while todo:
        here = todo.pop()
        kids = [pid for pid, up in parent.items() if up == here and pid not in tree]
        tree.update(kids)
        todo += kids
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def measured(root: int, *wrk_args: Any) -> Cell:
    """bench/api.py's run_wrk, and the server's CPU time over the run divided by its requests."""
    before = _tree_cpu_s(root)
    r = run_wrk(*wrk_args)
    cpu = _tree_cpu_s(root) - before
    return Cell(**vars(r), cpu_ms=1000 * cpu / max(r.requests, 1))


def _say(r: Cell) -> None:
    print(f"    {r.name} c={r.conns}: {r.rps:.0f} req/s p50 {r.p50_ms:.1f} ms "
          f"p99 {r.p99_ms:.1f} ms errors {r.errors} server CPU {r.cpu_ms:.1f} ms/req  (load {_load()})")  # fmt: skip


def _kind(r: Cell) -> str:
    return r.name.split()[0]  # floor, version, today, history, entry


def side_by_side(wger: dict[str, list[Cell]], kneehab: list[Cell]) -> list[str]:
    """For each kind of request and connection count: kneehab req/s ÷ wger req/s, and wger's server
    CPU a request ÷ kneehab's (how many of kneehab's requests one of wger's costs)."""
    setups = list(wger)
    head = "| request | conns | kneehab req/s, CPU ms/req | " + " | ".join(
        f"wger {s} req/s, CPU ms/req | req/s kneehab ÷ wger {s} | CPU wger {s} ÷ kneehab"
        for s in setups
    )
    rows = [head + " |", "|---|---:|---:|" + "---:|---:|---:|" * len(setups)]
    for k in kneehab:
        cells = []
        for s in setups:
            w = next((r for r in wger[s] if _kind(r) == _kind(k) and r.conns == k.conns), None)
            cells += [
                f"{w.rps:,.0f}, {w.cpu_ms:.1f}", f"**{k.rps / w.rps:.2f}×**",
                f"{w.cpu_ms / k.cpu_ms:.2f}×" if k.cpu_ms else "-",
            ] if w else ["-", "-", "-"]  # fmt: skip
        rows.append(f"| {_kind(k)} | {k.conns} | {k.rps:,.0f}, {k.cpu_ms:.1f} | "
                    + " | ".join(cells) + " |")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/wger-venv"))
    parser.add_argument("--data", type=Path, default=Path("/tmp/wger-data"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument(
        "--setups", default="shipped,best",
        help="shipped: wger's settings.tpl as it is; best: sessions in memory and SQLite in WAL",
    )  # fmt: skip
    parser.add_argument(
        "--kneehab", action="store_true",
        help="then kneehab's floor/today/entry/history on SQLite, and the ratios",
    )  # fmt: skip
    parser.add_argument("--only", default="", help="rows whose name holds any of these words (;)")
    args = parser.parse_args(argv)
    if not (args.venv / "bin" / "gunicorn").exists():
        print(f"no wger at {args.venv}: python3 -m venv {args.venv} && "
              f"{args.venv}/bin/pip install wger==2.1 gunicorn", file=sys.stderr)  # fmt: skip
        return 1
    if shutil.which("wrk") is None:
        print("wrk is not installed: `make wrk` installs Debian's package", file=sys.stderr)
        return 1
    print(
        f"load average at start: {_load()}  ({os.cpu_count()} CPUs; wrk runs on the same machine)"
    )
    server = args.worker_class + (
        f", {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    wger: dict[str, list[Cell]] = {}
    for setup in [s.strip() for s in args.setups.split(",") if s.strip()]:
        wger[setup] = run_wger(args, setup)
    kneehab = run_kneehab(args) if args.kneehab else []
    print(f"load average at end: {_load()}")
    for setup, results in wger.items():
        print(
            f"\nwger 2.1 {setup}, gunicorn 2 workers ({server}), SQLite, {args.seconds} s a cell\n"
        )
        print("| endpoint | conns | req/s | p50 ms | p99 ms | server CPU ms/req | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(f"| {r.name} | {r.conns} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                  f"{r.cpu_ms:.1f} | {r.errors} of {r.requests:,} |")  # fmt: skip
    if kneehab:
        print(
            f"\nkneehab (SQLite, `kneehab serve --workers 2`) beside wger, {args.seconds} s a cell\n"
        )
        print("\n".join(side_by_side(wger, kneehab)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
