"""The process's long-lived heap, kept out of Python's full garbage collections.

Everything the server holds for its whole life (the modules, the exercise library, the templates, the
app itself) is already built when it starts. Without this, each full (generation 2) collection walks all of
it, about 200,000 objects and ~150 ms on this machine, every few requests that allocate a lot (the caseload
of 500 people: p99 250–420 ms against a p50 of 50–75 ms; docs/benchmarks.md). Frozen once at the first
start-up in a process: objects made later are collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

_frozen = [False]


def settle() -> None:
    """Collect what is garbage now, then move every surviving object out of the collector's way."""
    if _frozen[0]:
        return
    gc.collect()
    gc.freeze()
    _frozen[0] = True


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    settle()
    yield
