"""The process's long-lived heap, kept out of Python's full garbage collections.

Everything the server holds for its whole life (the modules, the exercise library, the templates, the
app itself) is already built when it starts. Without this, each full (generation 2) collection walks all of
it, about 200,000 objects and ~150 ms on this machine, every few requests that allocate a lot (the caseload
of 500 people: p99 250–420 ms against a p50 of 50–75 ms; docs/benchmarks.md). Frozen once at the first
start-up in a process: objects made later are collected as usual.

Full collections are also rarer: one is considered after `FULL_AFTER` collections of the middle
generation instead of Python's 10. The objects a server makes later are mostly its open connections' (each
live coach set holds a pipeline, a WebSocket protocol and a task); with 200 live sets a full collection walks
them in 70–150 ms, stalling every set, and at 10 one fell every few seconds of streaming, enough alone to put
the coach's p99 over 50 ms. At 100 it falls about once in half a minute at that load (docs/benchmarks.md);
young garbage is collected as before, and cycles that live long are only freed later.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

_frozen = [False]
# Middle-generation collections before a full one is considered (Python's default: 10).
FULL_AFTER = 100


def settle() -> None:
    """Collect what is garbage now, then move every surviving object out of the collector's way."""
    if _frozen[0]:
        return
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_AFTER)
    _frozen[0] = True


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    settle()
    yield
