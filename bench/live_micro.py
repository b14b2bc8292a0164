"""Where one live frame's server CPU goes, in-process (issue 13 §4): `python -m bench.live_micro`.

Each stage is timed on the frames of the bench's clip (as the browser sends them: full-precision floats,
~2.6 KB of JSON a frame), looping over the clip, best of a few repeats, in µs a frame:

- parse: the text of one frame message to a checked message (`live.parse`);
- landmarks check: the 33 × 4 list to a (33, 4) array with strings, booleans and non-finite refused;
- motion core: `motion.Pipeline.push` alone on ready arrays;
- LiveSet.frame: the check of `t`, the landmarks check, the motion core and the reply messages;
- replies: the replies' serialisation, per frame (a `status` twice a second, events as they happen);
- frame end to end: parse + LiveSet.frame + serialised replies (what the route does between two awaits);
- through the ASGI app: the real FastAPI app (middleware, routing, Starlette's WebSocket wrapper and the
  route's loop, rate bound included) driven in memory with no server and no socket: what the app costs a
  frame, minus the WebSocket framing and the event loop's I/O (those are in bench/live.py's numbers).

Nothing asserts on time; numbers go in docs/benchmarks.md with the load average.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.live import CLIP, EXERCISE, LANDMARKS, _frames, _load, _prepare

REPEATS = 5


def _best(fn: Callable[[], int]) -> float:
    """µs per item: the best of REPEATS runs of fn (which returns how many items it did)."""
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        n = fn()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


def _texts() -> list[str]:
    _start, templates = _frames()
    return [tpl % round(i / 30.0, 6) for i, tpl in enumerate(templates)]


def stages() -> list[tuple[str, float]]:
    from kneehab.library.load import default_library
    from kneehab.motion.config import parse_detector
    from kneehab.motion.landmarks import LandmarkFrame
    from kneehab.motion.pipeline import Pipeline
    from kneehab.web import live

    cfg = parse_detector(default_library().exercises[EXERCISE].detector or {})
    texts = _texts()
    msgs = [live.parse(t) for t in texts]
    raw = [json.loads(t)["landmarks"] for t in texts]
    arrays = [live.landmarks(r) for r in raw]
    dumps = json.dumps
    fast = getattr(live, "Frame", None)  # the one-pass frame (2026-12-06); before it, dicts only

    def handle(s: Any, m: Any) -> list[Any]:
        return s.push(m.t, m.points) if fast is not None and isinstance(m, fast) else s.frame(m)

    def parse() -> int:
        for t in texts:
            live.parse(t)
        return len(texts)

    def check() -> int:
        for r in raw:
            live.landmarks(r)
        return len(raw)

    def core() -> int:
        p = Pipeline(cfg, sex="female")
        for i, a in enumerate(arrays):
            p.push(LandmarkFrame(i / 30.0, 1280, 720, a))
        return len(arrays)

    def liveset() -> int:
        s = live.LiveSet(1, EXERCISE, cfg, 1280, 720, sex="female")
        for m in msgs:
            handle(s, m)
        return len(msgs)

    replies: list[Any] = []
    s = live.LiveSet(1, EXERCISE, cfg, 1280, 720, sex="female")
    for m in msgs:
        replies += handle(s, m)

    def serialise() -> int:
        for r in replies:
            dumps(r) if isinstance(r, dict) else r
        return len(msgs)

    def whole() -> int:
        s = live.LiveSet(1, EXERCISE, cfg, 1280, 720, sex="female")
        for t in texts:
            for r in handle(s, live.parse(t)):
                dumps(r) if isinstance(r, dict) else r
        return len(texts)

    return [
        ("parse (text → message)", _best(parse)),
        ("landmarks check (list → (33, 4) array)", _best(check)),
        ("motion core (`Pipeline.push`)", _best(core)),
        (
            "`LiveSet` step (check of t + core + reply messages; + landmarks check before)",
            _best(liveset),
        ),
        (
            f"replies' serialisation ({len(replies) / len(msgs):.3f} replies a frame)",
            _best(serialise),
        ),
        ("frame end to end (parse + `LiveSet.frame` + serialisation)", _best(whole)),
    ]


def through_asgi() -> float:
    """µs a frame through the whole ASGI app in memory (a fresh connection per repeat)."""
    from kneehab.config import Settings
    from kneehab.web.app import create_app

    texts = _texts()
    start, _ = _frames()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'micro.db'}"
        token = _prepare(url)
        settings = Settings(database_url=url, live_max_fps=100_000, live_max_lead_s=1e9)
        app = create_app(settings)
        scope = {
            "type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1", "scheme": "ws", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5000), "root_path": "", "path": "/api/v1/live",
            "raw_path": b"/api/v1/live", "query_string": b"", "subprotocols": [],
            "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode())],
            "state": {}, "extensions": {},
        }  # fmt: skip

        async def one() -> int:
            inbox: list[dict[str, Any]] = [
                {"type": "websocket.connect"},
                {"type": "websocket.receive", "text": json.dumps(start)},
                *({"type": "websocket.receive", "text": t} for t in texts),
                {"type": "websocket.receive", "text": '{"type": "end"}'},
            ]
            inbox.reverse()
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return inbox.pop()

            async def send(m: dict[str, Any]) -> None:
                sent.append(m)

            await app(dict(scope), receive, send)
            assert sent[-1]["type"] == "websocket.close" and sent[-1]["code"] == 1000, sent[-1]
            return len(texts)

        async def run() -> float:
            await one()  # warm: the first start reads the person's intake from the database
            best = float("inf")
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                n = await one()
                best = min(best, (time.perf_counter() - t0) / n * 1e6)
            return best

        return asyncio.run(run())


def main() -> int:
    if not (LANDMARKS / f"{CLIP}.landmarks.csv").is_file():
        print(f"shared landmarks not found in {LANDMARKS}", file=sys.stderr)
        return 1
    print(f"load average before: {_load()}")
    rows = [*stages(), ("through the ASGI app in memory (no socket, no framing)", through_asgi())]
    print(f"{CLIP} → {EXERCISE}, µs a frame (best of {REPEATS})")
    print("| stage | µs a frame |\n|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
