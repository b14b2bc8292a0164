"""Where one live frame's server CPU goes, in-process (issue 13 §4): `python -m bench.live_micro`.

Each stage is timed on the frames of the bench's clip (as the browser sends them: full-precision floats,
~2.6 KB of JSON a frame), looping over the clip, best of a few repeats, in µs a frame:

- parse: the text of one frame message to a checked message (`live.parse`);
- landmarks check: the 33 × 4 list to a (33, 4) array with strings, booleans and non-finite refused;
- motion core: `motion.Pipeline.push` alone on ready arrays (`kneehab analyze`'s way), and
  `Pipeline.push_rows` on the rows as a live frame carries them (the live coach's way, since 2026-12-07);
- LiveSet.frame: the check of `t`, the landmarks check, the motion core and the reply messages;
- replies: the replies' serialisation, per frame (a `status` twice a second, events as they happen);
- frame end to end: parse + LiveSet.frame + serialised replies (what the route does between two awaits);
- through the ASGI app: the real FastAPI app (middleware, routing, Starlette's WebSocket wrapper and the
  route's loop, rate bound included) driven in memory with no server and no socket: what the app costs a
  frame, minus the WebSocket framing and the event loop's I/O (those are in bench/live.py's numbers);
- through uvicorn's WebSocket protocol: the same, with each frame handed as bytes on the wire (masked,
  compressed when permessage-deflate is negotiated) to one of uvicorn's WebSocket implementations on an
  in-memory transport, one frame at a time, as frames arrive at 30 a second: the framing, the extension,
  uvicorn's queue and the event loop's wake-ups, minus the system calls.

Times are the process's CPU time (since 2026-12-07; the wall clock before). Nothing asserts on time;
numbers go in docs/benchmarks.md with the load average.
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
# The process's own CPU time, not the wall clock: on a machine shared with other work, time spent waiting
# for a CPU is not this code's cost (it still sees the caches the other work leaves).
_clock = time.process_time


def _best(fn: Callable[[], int]) -> float:
    """µs per item: the best of REPEATS runs of fn (which returns how many items it did)."""
    best = float("inf")
    for _ in range(REPEATS):
        t0 = _clock()
        n = fn()
        best = min(best, (_clock() - t0) / n * 1e6)
    return best


def _texts() -> list[str]:
    _start, templates = _frames()
    return [tpl % round(i / 30.0, 6) for i, tpl in enumerate(templates)]


def stages() -> list[tuple[str, float]]:
    import numpy as np

    from kneehab.library.load import default_library
    from kneehab.motion.config import parse_detector
    from kneehab.motion.landmarks import LandmarkFrame
    from kneehab.motion.pipeline import Pipeline
    from kneehab.web import live

    cfg = parse_detector(default_library().exercises[EXERCISE].detector or {})
    texts = _texts()
    msgs = [live.parse(t) for t in texts]
    raw = [json.loads(t)["landmarks"] for t in texts]
    arrays = [None if r == [] else np.array(r, dtype=np.float64) for r in raw]
    rows = [None if a is None else a.tolist() for a in arrays]
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

    def core_rows() -> int:
        p = Pipeline(cfg, sex="female")
        for i, r in enumerate(rows):
            p.push_rows(i / 30.0, 1280, 720, r)
        return len(rows)

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
        ("motion core (`Pipeline.push`, arrays)", _best(core)),
        *(
            [("motion core (`Pipeline.push_rows`, rows)", _best(core_rows))]
            if hasattr(Pipeline, "push_rows")
            else []
        ),
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
                t0 = _clock()
                n = await one()
                best = min(best, (_clock() - t0) / n * 1e6)
            return best

        return asyncio.run(run())


class _Transport:
    """Just enough of an asyncio transport for uvicorn's WebSocket protocols; writes are dropped."""

    def __init__(self) -> None:
        self.closing = False

    def write(self, data: bytes) -> None:
        pass

    def writelines(self, chunks: list[bytes]) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


def _handshake(token: str) -> tuple[Any, bytes]:
    """A client's upgrade request as uvicorn's HTTP protocol hands it over (header names in lower
    case, as ASGI has them), offering permessage-deflate as a browser does."""
    from websockets.client import ClientProtocol
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
    from websockets.uri import parse_uri

    client = ClientProtocol(
        parse_uri("ws://127.0.0.1:8000/api/v1/live"),
        extensions=[ClientPerMessageDeflateFactory(client_no_context_takeover=True)],
    )
    request = client.connect()
    request.headers["Authorization"] = f"Bearer {token}"
    client.send_request(request)
    head, *lines = b"".join(client.data_to_send()).split(b"\r\n")
    named = (x.partition(b":") for x in lines)
    return client, b"\r\n".join(
        [head, *(n.lower() + b":" + v for n, _, v in named if n)]
    ) + b"\r\n\r\n"


async def _one_connection(config: Any, token: str, pushed: list[int]) -> float:
    """µs a frame for one connection's set, each frame handed over alone and processed."""
    from uvicorn.server import ServerState
    from websockets.frames import Frame, Opcode
    from websockets.http11 import Response

    client, handshake = _handshake(token)
    replies: list[bytes] = []
    transport = _Transport()
    transport.write = replies.append  # type: ignore[method-assign, assignment]
    proto = config.ws_protocol_class(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )
    proto.connection_made(transport)
    proto.data_received(handshake)
    while not replies:
        await asyncio.sleep(0)
    client.receive_data(b"".join(replies))
    assert isinstance(client.events_received()[0], Response), "handshake"
    ext = client.extensions
    start, _ = _frames()
    wire = [Frame(Opcode.TEXT, t.encode()).serialize(mask=True, extensions=ext) for t in _texts()]
    proto.data_received(
        Frame(Opcode.TEXT, json.dumps(start).encode()).serialize(mask=True, extensions=ext)
    )
    for _ in range(1000):  # `start` reads the intake on a worker thread
        await asyncio.sleep(0.001)
        if len(replies) > 1:
            break
    pushed[0] = 0
    t0 = _clock()
    for i, data in enumerate(wire):
        proto.data_received(data)
        while pushed[0] <= i:
            await asyncio.sleep(0)
    us = (_clock() - t0) / len(wire) * 1e6
    transport.close()
    proto.connection_lost(None)
    await asyncio.sleep(0.01)
    return us


def through_uvicorn(**options: Any) -> float:
    """µs a frame through the app behind one of uvicorn's WebSocket protocols, in memory."""
    import uvicorn

    from kneehab.config import Settings
    from kneehab.web import live
    from kneehab.web.app import create_app

    pushed = [0]
    step = (
        "push" if hasattr(live.LiveSet, "push") else "frame"
    )  # `frame` before the one-pass decode
    push = getattr(live.LiveSet, step)

    def counting(self: Any, *args: Any) -> Any:
        pushed[0] += 1
        return push(self, *args)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'micro.db'}"
        token = _prepare(url)
        settings = Settings(database_url=url, live_max_fps=100_000, live_max_lead_s=1e9)
        config = uvicorn.Config(create_app(settings), log_level="warning", **options)
        config.load()

        async def run() -> float:
            setattr(live.LiveSet, step, counting)
            try:
                await _one_connection(config, token, pushed)
                return min([await _one_connection(config, token, pushed) for _ in range(REPEATS)])
            finally:
                setattr(live.LiveSet, step, push)

        return asyncio.run(run())


# uvicorn's `ws=websockets` (the legacy protocol) is deprecated by uvicorn itself, which will point the name at
# websockets-sansio; `auto` is websockets-sansio when websockets is installed.
UVICORN = (
    ("websockets-sansio", True),
    ("websockets-sansio", False),
    ("wsproto", True),
    ("wsproto", False),
)


def main() -> int:
    if not (LANDMARKS / f"{CLIP}.landmarks.csv").is_file():
        print(f"shared landmarks not found in {LANDMARKS}", file=sys.stderr)
        return 1
    print(f"load average before: {_load()}")
    rows = [*stages(), ("through the ASGI app in memory (no socket, no framing)", through_asgi())]
    for ws, deflate in UVICORN:
        try:
            us = through_uvicorn(ws=ws, ws_per_message_deflate=deflate)
        except ImportError:
            continue  # wsproto is not installed
        rows.append(
            (
                f"through uvicorn `ws={ws}`, permessage-deflate {'on' if deflate else 'off'}, in memory",
                us,
            )
        )
    print(f"{CLIP} → {EXERCISE}, µs a frame (best of {REPEATS})")
    print("| stage | µs a frame |\n|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
