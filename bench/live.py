"""`make bench` (part 2): simulated live camera-coach sessions against one server worker (issue 13 §4).

K clients each stream a shared landmark file at 30 frames/s over the WebSocket `/api/v1/live` to one
uvicorn worker (a separate process, `kneehab serve`, so its CPU time is its own). Measured per K:

- frame-to-event latency: from writing a frame to the socket to receiving the message it caused (every
  `status`, sent about twice a second, and every rep/hold/cue event carries the time of its frame), p50 and
  p99, and the p99 of frames after the first 2 s of the stream (all K clients connect just before streaming,
  and the garbage collector's full passes, which grow with the connections' objects, fall in that start);
- frames dropped: frames a client could not send on schedule (more than one frame period late, so
  skipped), plus frames lost to a connection the server closed;
- server CPU: the worker's user + system time over the streaming window, as a share of one core, and per
  frame;
- the load generator's own CPU (its processes run on the same 2 CPUs as the server).

The load generator is kept thin so that it is not what is measured: the frames are serialised once per
process as complete WebSocket frames (JSON text, masked, compressed when the server negotiated
permessage-deflate: the extension is offered as a browser does, with no client context takeover so one
compressed frame serves every connection), the clients of a process are driven by one clock in 16 phase
groups spread over the frame period (real clients are not in step), and replies are read with websockets'
sans-I/O protocol. The bytes on the wire are what a browser sends, frame for frame, except that one masking
key serves every frame (a browser draws a new one each time; the server unmasks whatever key it is given).

`python -m bench.live` first prints the in-process per-frame cost table (bench/live_micro.py), then the
table above. `--ks 200` runs one K; `--uvicorn ws=wsproto` (repeatable) starts the worker with that uvicorn
option changed instead of `kneehab serve`, for comparing the server's WebSocket choices.
Nothing here asserts on time; the numbers go in docs/benchmarks.md with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kneehab.library.load import default_library

ROOT = Path(__file__).resolve().parents[1]
LANDMARKS = ROOT / ".." / "shared" / "data" / "exercise_clips" / "landmarks"
CLIP = "nowva_lunge_side"  # 32 s, 1280×720, reps throughout
EXERCISE = "lunge"
FPS = 30.0
SECONDS = 10.0
KS = (1, 50, 100, 200, 400)
CLIENT_PROCESSES = 2
PHASES = 16  # phase groups of clients within one frame period, per client process
STEADY_S = 2.0  # the p99 of frames after this much stream time, apart from the connections' set-up


def _prepare(db_url: str) -> str:
    """A person with a program and a write token (the clients' bearer)."""
    from kneehab import services
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.services import accounts
    from kneehab.store.db import open_database

    db = open_database(db_url)
    now = datetime.now(UTC)
    clinic = accounts.create_clinic(db, "Bench", actor=SERVER_ADMIN, now=now)
    acc = accounts.add_account(
        db, "bench@example.org", role="person", clinic_id=clinic,
        password="a long enough passphrase", actor=SERVER_ADMIN, now=now,
    )  # fmt: skip
    services.enroll(
        db,
        DEMO_INTAKE,
        start=now.date(),
        now=now,
        account_id=acc.account_id,
        library=default_library(),
        actor=SERVER_ADMIN,
    )
    token = accounts.create_token(
        db, "bench@example.org", scope="write", name="bench", actor=SERVER_ADMIN, now=now
    ).secret
    db.close()
    return token


def _frames() -> tuple[dict[str, object], list[str]]:
    """The start message and the frames as JSON text with a `%s` slot for `t` (serialised once), as the
    page sends them (`JSON.stringify` of the pose model's full-precision numbers)."""
    from kneehab.motion.landmark_file import read_landmarks

    seq = read_landmarks(LANDMARKS / f"{CLIP}.landmarks.csv")
    start = {"type": "start", "exercise": EXERCISE, "width": seq.width, "height": seq.height}
    texts = []
    for f in seq.frames:
        lm = json.dumps(f.points.tolist() if f.points is not None else [])
        texts.append('{"type": "frame", "t": %s, "landmarks": ' + lm + "}")
    return start, texts


class _Client(asyncio.Protocol):
    """One simulated page: a WebSocket handshake with a bearer token, `start`, then frames written as
    ready-made bytes; replies parsed by websockets' sans-I/O client protocol."""

    def __init__(self, url: str, token: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        from websockets.uri import parse_uri

        deflate = ClientPerMessageDeflateFactory(client_no_context_takeover=True)
        self.proto = ClientProtocol(parse_uri(url), extensions=[deflate], max_size=2**20)
        self.token = token
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent: dict[float, float] = {}
        self.latency: list[float] = []
        self.at: list[float] = []  # the stream time of each timed frame
        self.closed: int | None = None  # the server's close code, when not 1000
        self.summary = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        request = self.proto.connect()
        request.headers["Authorization"] = f"Bearer {self.token}"
        self.proto.send_request(request)
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.proto.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        now = time.perf_counter()
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Response):
                if self.proto.handshake_exc is not None:
                    self._finish(self.proto.handshake_exc)
                else:
                    self.opened.set_result(None)
            elif event.opcode is Opcode.TEXT:
                msg = json.loads(event.data)
                if not self.ready.done():
                    self.ready.set_result(msg)
                    continue
                t = msg.get("t", msg.get("t_s"))
                if isinstance(t, float | int) and t in self.sent:
                    self.latency.append(now - self.sent[t])
                    self.at.append(t)
                if msg.get("type") == "summary":
                    self.summary = True
            elif event.opcode is Opcode.CLOSE:
                rcvd = self.proto.close_rcvd
                if rcvd is not None and rcvd.code != 1000:
                    self.closed = rcvd.code
        self._flush()  # the close reply, if any

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(exc)

    def _finish(self, exc: BaseException | None) -> None:
        for fut in (self.opened, self.ready):
            if not fut.done():
                fut.set_exception(exc or ConnectionError("closed"))
        if not self.done.done():
            self.done.set_result(None)

    def send_text(self, text: str) -> None:
        from websockets.frames import Frame, Opcode

        frame = Frame(Opcode.TEXT, text.encode())
        assert self.transport is not None
        self.transport.write(frame.serialize(mask=True, extensions=self.proto.extensions))

    @property
    def alive(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()


def _prebuilt(client: _Client, texts: list[str], n: int) -> list[bytes]:
    """Frame i of the stream as bytes on the wire (with the negotiated compression), built once: with no
    client context takeover each compressed message stands alone, so the bytes suit every connection."""
    from websockets.frames import Frame, Opcode

    ext = client.proto.extensions
    return [
        Frame(Opcode.TEXT, (texts[i % len(texts)] % round(i / FPS, 6)).encode()).serialize(
            mask=True, extensions=ext
        )
        for i in range(n)
    ]


async def _clients(
    k: int, url: str, token: str, phase: float, barrier: Any = None
) -> dict[str, list[float]]:
    """K clients in this process: connect and `start` them all, then (once every client process is
    ready: `barrier`) stream on one clock."""
    start, texts = _frames()
    loop = asyncio.get_running_loop()
    from urllib.parse import urlsplit

    where = urlsplit(url)
    clients = []
    for _ in range(k):
        _t, c = await loop.create_connection(
            lambda: _Client(url, token), where.hostname, where.port
        )
        clients.append(c)
    await asyncio.gather(*(c.opened for c in clients))
    for c in clients:
        c.send_text(json.dumps(start))
    await asyncio.gather(*(c.ready for c in clients))
    n = int(SECONDS * FPS)
    wire = _prebuilt(clients[0], texts, n)
    if barrier is not None:  # no process streams while another's clients still set up
        await loop.run_in_executor(None, barrier.wait)
    groups = [clients[g::PHASES] for g in range(PHASES)]
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.05
    t_first = t0
    dropped = 0
    late_max = 0.0
    for i in range(n):
        for g, group in enumerate(groups):
            if not group:
                continue
            due = t0 + (i + (g + phase) / PHASES) / FPS
            now = time.perf_counter()
            if now < due:
                await asyncio.sleep(due - now)
            elif now - due > 1.0 / FPS:
                dropped += len(group)  # the generator fell a whole frame behind: these are skipped
                continue
            late_max = max(late_max, time.perf_counter() - due)
            t = round(i / FPS, 6)
            data = wire[i]
            for c in group:
                if c.alive:
                    c.sent[t] = time.perf_counter()
                    c.transport.write(data)  # type: ignore[union-attr]
    for c in clients:
        if c.alive:
            c.send_text('{"type": "end"}')
    gen_cpu = time.process_time() - cpu0
    t_last = time.perf_counter()
    await asyncio.wait([c.done for c in clients], timeout=60)
    lost = 0.0
    for c in clients:
        if c.transport is not None:
            c.transport.close()
        if not c.summary:
            lost += n - len(c.sent)
    return {
        "latency": [v for c in clients for v in c.latency],
        "steady": [
            v for c in clients for v, t in zip(c.latency, c.at, strict=True) if t >= STEADY_S
        ],
        "dropped": [dropped + lost],
        "sent": [float(sum(len(c.sent) for c in clients))],
        "closed": [
            float(c.closed) if c.closed is not None else 0.0 for c in clients if not c.summary
        ],
        "gen_cpu": [gen_cpu],
        "late_max": [late_max],
        "window": [t_first, t_last],
    }


def _process(args: tuple[int, str, str, float, Any]) -> dict[str, list[float]]:
    return asyncio.run(_clients(*args))


def _cpu(pid: int) -> tuple[float, float]:
    """The process's user and system CPU seconds so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class _CpuSampler:
    """The server's CPU sampled every 50 ms, so that its use over the streaming window alone (not the
    connections' set-up and the summaries) can be read off."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid = pid
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), *_cpu(self.pid)))
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, t0: float, t1: float) -> tuple[float, float, float]:
        """User and system CPU seconds and the wall time between the samples nearest inside [t0, t1]."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1] or self.samples
        (a, ua, sa), (b, ub, sb) = inside[0], inside[-1]
        return ub - ua, sb - sa, b - a


def _run(k: int, url: str, token: str, pid: int) -> dict[str, Any]:
    """K clients spread over up to CLIENT_PROCESSES processes (their phase groups interleaved)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import Manager

    procs = min(CLIENT_PROCESSES, k)
    shares = [k // procs + (1 if i < k % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool, Manager() as manager:
        barrier = manager.Barrier(procs)  # the processes start streaming together (2026-12-07)
        sampler = _CpuSampler(pid)
        try:
            args = [(n, url, token, i / procs, barrier) for i, n in enumerate(shares)]
            parts = list(pool.map(_process, args))
        finally:
            sampler.stop()
    out = {key: [v for p in parts for v in p[key]] for key in parts[0]}
    # The window in which every client process streamed (its first and last 0.2 s left out).
    start = max(p["window"][0] for p in parts) + 0.2
    end = min(p["window"][1] for p in parts) - 0.2
    user, system, wall = sampler.between(start, end)
    rate = k * FPS  # frames a second in that window

    def pct(values: list[float], q: float) -> float:
        v = sorted(values)
        return v[min(len(v) - 1, int(q * len(v)))] * 1000 if v else float("nan")

    lat = out["latency"]
    sent = sum(out["sent"])
    return {
        "k": k, "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "events": len(lat),
        "p99_steady_ms": pct(out["steady"], 0.99),
        "dropped": sum(out["dropped"]), "sent": sent, "closed": len(out["closed"]),
        "codes": ", ".join(f"{int(c)}×{out['closed'].count(c)}" for c in sorted(set(out["closed"]))) or "–",
        "cpu": (user + system) / wall * 100, "sys": system / wall * 100,
        "us_per_frame": (user + system) / wall / rate * 1e6,
        "gen_cpu": sum(out["gen_cpu"]) / SECONDS * 100, "late_ms": max(out["late_max"]) * 1000,
    }  # fmt: skip


HEADER = (
    "| K | p50 ms | p99 ms | p99 ms after the first 2 s | events timed | frames sent | dropped | connections lost "
    "| server CPU (% of a core; system part) | server CPU per frame (µs) "
    "| load generator CPU (% of a core, 2 processes) | generator's worst lateness (ms) "
    "| load average after |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _serve(port: int, overrides: list[str]) -> int:
    """The worker for `--uvicorn KEY=VALUE`: `kneehab serve`'s one process with those uvicorn options
    changed (web/server.py `serve_one_process`)."""
    from kneehab.config import load_settings
    from kneehab.web.app import create_app
    from kneehab.web.server import serve_one_process

    settings = load_settings(os.environ).model_copy(update={"port": port})
    options: dict[str, Any] = {}
    for item in overrides:
        key, _, value = item.partition("=")
        options[key] = {"true": True, "false": False}.get(value.lower(), value)
    serve_one_process(create_app(settings), settings, **options)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live")
    parser.add_argument("--ks", default=",".join(map(str, KS)), help="the Ks to run, e.g. 100,200")
    parser.add_argument("--uvicorn", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-micro", action="store_true", help="skip the in-process table")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the --uvicorn worker itself
    args = parser.parse_args(argv)
    if args.serve is not None:
        return _serve(args.serve, args.uvicorn)
    if not (LANDMARKS / f"{CLIP}.landmarks.csv").is_file():
        print(f"shared landmarks not found in {LANDMARKS}", file=sys.stderr)
        return 1
    if not args.no_micro:
        from bench import live_micro

        live_micro.main()
        print()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = _prepare(db_url)
        port = 8765 + os.getpid() % 1000
        env = {**os.environ, "KNEEHAB_DATABASE_URL": db_url, "KNEEHAB_LOG_LEVEL": "WARNING"}
        if args.uvicorn:
            cmd = [sys.executable, "-m", "bench.live", "--serve", str(port)]
            cmd += [f"--uvicorn={o}" for o in args.uvicorn]
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        else:
            cmd = [sys.executable, "-c", "from kneehab.cli.main import run; run()"]
            cmd += ["serve", "--port", str(port)]
        server = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        print(f"load average before: {_load()}")
        try:
            _wait(port)
            url = f"ws://127.0.0.1:{port}/api/v1/live"
            how = f"uvicorn {' '.join(args.uvicorn)}" if args.uvicorn else "kneehab serve"
            print(
                f"{CLIP} → {EXERCISE}, {FPS:g} frames/s for {SECONDS:g} s per client, one server "
                f"worker ({how})"
            )
            print(HEADER)
            for k in (int(k) for k in args.ks.split(",")):
                r = _run(k, url, token, server.pid)
                print(
                    f"| {k} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p99_steady_ms']:.1f} | {r['events']:.0f} | {r['sent']:.0f} | "
                    f"{r['dropped']:.0f} | {r['closed']:.0f} ({r['codes']}) | {r['cpu']:.0f} ({r['sys']:.0f}) | {r['us_per_frame']:.0f} | "
                    f"{r['gen_cpu']:.0f} | {r['late_ms']:.1f} | {_load()} |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


def _wait(port: int) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the kneehab server did not start")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    raise SystemExit(main())
