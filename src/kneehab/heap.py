"""The process's heap and Python's cyclic garbage collector: the long-lived heap kept out of full
collections (`settle`), and the collector paused while a batch of courses is rebuilt
(`collector_paused`).

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


# Rebuilding a course from its snapshot makes ~1,400 objects and a few thousand containers at once, and
# none of them are garbage yet: with the collector running, each young collection walks them again and
# the older ones soon follow (about half the time of unpickling a 90-day course, and of the nightly scan,
# went to it; docs/benchmarks.md). While it is paused, objects are still freed by their reference counts;
# only cycles wait for the next collection after it.
_pause_lock = threading.Lock()
_pausers = [0, False]  # how many are inside `collector_paused`, and whether it was enabled before


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off while the block runs (process-wide; nested and concurrent uses keep
    it off until the last one leaves, then it is as it was)."""
    with _pause_lock:
        if _pausers[0] == 0:
            _pausers[1] = gc.isenabled()
            gc.disable()
        _pausers[0] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers[0] -= 1
            if _pausers[0] == 0 and _pausers[1]:
                gc.enable()
