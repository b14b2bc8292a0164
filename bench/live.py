"""`make bench` (part 2): simulated live camera-coach sessions against one server worker (issue 13 §4).

K clients each stream a shared landmark file at 30 frames/s over the WebSocket `/api/v1/live` to one
uvicorn worker (a separate process, so its CPU time is its own). Measured per K:

- frame-to-event latency: from sending a frame to receiving the message it caused (every `status`,
  sent about twice a second, and every rep/hold/cue event carries the time of its frame), p50 and p99;
- frames dropped: frames a client could not send on schedule (more than one frame period late, so
  skipped), plus frames lost to a connection the server closed;
- server CPU: the worker's user + system time over the streaming window, as a share of one core.

Nothing here asserts on time; the numbers go in docs/benchmarks.md with the load average.
"""

from __future__ import annotations

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
    """The start message and the frames as JSON text with a `{t}` slot (serialised once)."""
    from kneehab.motion.landmark_file import read_landmarks

    seq = read_landmarks(LANDMARKS / f"{CLIP}.landmarks.csv")
    start = {"type": "start", "exercise": EXERCISE, "width": seq.width, "height": seq.height}
    texts = []
    for f in seq.frames:
        lm = json.dumps(f.points.tolist() if f.points is not None else [])
        texts.append('{"type": "frame", "t": %s, "landmarks": ' + lm + "}")
    return start, texts


async def _client(
    url: str, token: str, start: dict[str, object], texts: list[str], out: dict[str, list[float]]
) -> None:
    import websockets

    n = int(SECONDS * FPS)
    sent: dict[float, float] = {}
    async with websockets.connect(
        url, additional_headers={"authorization": f"Bearer {token}"}, max_size=2**20
    ) as ws:
        await ws.send(json.dumps(start))
        json.loads(await ws.recv())  # ready

        async def receive() -> None:
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                t = msg.get("t", msg.get("t_s"))
                if isinstance(t, float | int) and t in sent:
                    out["latency"].append(now - sent[t])

        reader = asyncio.create_task(receive())
        t0 = time.perf_counter()
        dropped = 0
        try:
            for i in range(n):
                due = t0 + i / FPS
                now = time.perf_counter()
                if now < due:
                    await asyncio.sleep(due - now)
                elif now - due > 1.0 / FPS:
                    dropped += 1  # this client fell a whole frame behind: the frame is skipped
                    continue
                t = round(i / FPS, 6)
                sent[t] = time.perf_counter()
                await ws.send(texts[i % len(texts)] % t)
            await ws.send('{"type": "end"}')
            await asyncio.wait_for(reader, timeout=30)
        except Exception as err:  # the close code says why (4429: the server saw frames in a burst)
            dropped += n - len(sent)
            rcvd = getattr(err, "rcvd", None)
            out["closed"].append(float(rcvd.code) if rcvd is not None else 0.0)
        finally:
            reader.cancel()
        out["dropped"].append(float(dropped))
        out["sent"].append(float(len(sent)))


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _clients(k: int, url: str, token: str) -> dict[str, list[float]]:
    start, texts = _frames()
    out: dict[str, list[float]] = {"latency": [], "dropped": [], "sent": [], "closed": []}
    await asyncio.gather(*(_client(url, token, start, texts, out) for _ in range(k)))
    return out


def _process(args: tuple[int, str, str]) -> dict[str, list[float]]:
    return asyncio.run(_clients(*args))


def _run(k: int, url: str, token: str, pid: int) -> dict[str, Any]:
    """K clients spread over up to CLIENT_PROCESSES processes (one Python process cannot drive 400
    sockets at 30 frames/s on this machine)."""
    from concurrent.futures import ProcessPoolExecutor

    procs = min(CLIENT_PROCESSES, k)
    shares = [k // procs + (1 if i < k % procs else 0) for i in range(procs)]
    with ProcessPoolExecutor(procs) as pool:
        cpu0, w0 = _cpu(pid), time.perf_counter()
        parts = list(pool.map(_process, [(n, url, token) for n in shares]))
        cpu_s = _cpu(pid) - cpu0
        wall = time.perf_counter() - w0
    out = {key: [v for p in parts for v in p[key]] for key in parts[0]}
    lat = sorted(out["latency"])
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    sent = sum(out["sent"])
    return {
        "k": k, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "events": len(lat),
        "dropped": sum(out["dropped"]), "sent": sent, "closed": len(out["closed"]),
        "codes": ", ".join(f"{int(c)}×{out['closed'].count(c)}" for c in sorted(set(out["closed"]))) or "–",
        "cpu": cpu_s / wall * 100, "us_per_frame": cpu_s / sent * 1e6 if sent else float("nan"),
    }  # fmt: skip


def main() -> int:
    if not (LANDMARKS / f"{CLIP}.landmarks.csv").is_file():
        print(f"shared landmarks not found in {LANDMARKS}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = _prepare(db_url)
        port = 8765 + os.getpid() % 1000
        env = {**os.environ, "KNEEHAB_DATABASE_URL": db_url, "KNEEHAB_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen(
            [sys.executable, "-c", "from kneehab.cli.main import run; run()", "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"load average before: {_load()}")
        try:
            _wait(port)
            url = f"ws://127.0.0.1:{port}/api/v1/live"
            print(
                f"{CLIP} → {EXERCISE}, {FPS:g} frames/s for {SECONDS:g} s per client, one server worker"
            )
            print(
                "| K | p50 ms | p99 ms | events timed | frames sent | dropped | connections lost | server CPU (% of a core) | server CPU per frame (µs) | load average after |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|")
            for k in KS:
                r = _run(k, url, token, server.pid)
                print(
                    f"| {k} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['events']:.0f} | {r['sent']:.0f} | "
                    f"{r['dropped']:.0f} | {r['closed']:.0f} ({r['codes']}) | {r['cpu']:.0f} | {r['us_per_frame']:.0f} | {_load()} |",
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
