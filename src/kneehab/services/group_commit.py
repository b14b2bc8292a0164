"""Group commit: small writes that many requests make at once land in one transaction.

A bearer token's use is a write (its trail row and last-used time, docs/security.md) on every request
that carries one, and each write transaction waits for the database's write lock and its own sync to
disk. Under concurrent requests those waits, not the work, set the rate (issue 11 §5). Whoever finds no
batch being written starts one: everything queued by then, its own item included, is written in one
transaction and each caller gets its own result; whoever queued meanwhile is the next batch. Nobody's
answer goes out before their write is committed, and a lone caller writes at once, as before.

Two kinds of caller: a thread (`submit`) waits for its batch and, when it is first in line, writes
the next batch itself; a coroutine (`submit_async`, the web app's requests) waits without a thread of
its own. A batch whose first caller is a coroutine is written on one worker thread, which goes on
with the next batch while coroutines are first in line: one thread hop a batch, not one a request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Waiter(Generic[Item, Result]):
    __slots__ = ("done", "error", "future", "item", "lead", "loop", "result")

    def __init__(
        self,
        item: Item,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[Result] | None = None,
    ) -> None:
        self.item = item
        self.loop, self.future = loop, future  # a coroutine's; None for a thread
        self.done = threading.Event()  # a thread's
        self.lead = False  # set (before `done`) when this thread is to write the next batch
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` (or `await submit_async(item)`) gives `write_many([... item ...])`'s result for
    that item; `write_many` runs one transaction for the whole batch and returns one result per item,
    in order. If it raises, every caller of that batch gets the error (the transaction wrote none of
    them)."""

    def __init__(
        self,
        write_many: Callable[[Sequence[Item]], Sequence[Result]],
        turn: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._write_many = write_many
        # Held while a batch is taken and written (SQLite's writers' turn): whoever queues while
        # the leader waits for it is in the batch, not left for the next turn.
        self._turn = turn
        self._lock = threading.Lock()
        self._queue: list[_Waiter[Item, Result]] = []
        self._writing = False
        self.batches = 0  # batches written so far (tests and benchmarks read it)

    def submit(self, item: Item) -> Result:
        me: _Waiter[Item, Result] = _Waiter(item)
        with self._lock:
            self._queue.append(me)
            if not self._writing:
                self._writing = me.lead = True
        if not me.lead:
            me.done.wait()
            if not me.lead:  # another caller wrote it
                return self._outcome(me)
        self._lead()
        return self._outcome(me)

    async def submit_async(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        me: _Waiter[Item, Result] = _Waiter(item, loop, loop.create_future())
        assert me.future is not None
        with self._lock:
            self._queue.append(me)
            start = not self._writing
            self._writing = self._writing or start
        if start:
            # Not awaited: the batch's callers wait on their futures (one call into their loop a
            # batch); `_lead` hands every error to them and raises nothing itself.
            loop.run_in_executor(None, self._lead)
        # A caller that is cancelled meanwhile (its client gone) stays in its batch: the write of
        # its item does not depend on anyone waiting for it.
        return await me.future

    def _lead(self) -> None:
        """Write the queued batch; then the next one too while a coroutine is first in line (a thread
        first in line is handed the next batch and writes it itself)."""
        while True:
            batch: list[_Waiter[Item, Result]] = []
            try:
                with self._turn():
                    with self._lock:
                        batch, self._queue = self._queue, []
                    results = self._write_many([w.item for w in batch])
                if len(results) != len(batch):
                    raise RuntimeError("a group commit gave a result count unlike its batch")
                for waiter, result in zip(batch, results, strict=True):
                    waiter.result = result
            except BaseException as exc:  # every caller of the batch gets it, from its own call
                if not batch:  # the turn was refused (Busy): to everyone queued for it
                    with self._lock:
                        batch, self._queue = self._queue, []
                for waiter in batch:
                    waiter.error = exc
            finally:
                with self._lock:
                    self.batches += 1
                    head = self._queue[0] if self._queue else None
                    if head is None:
                        self._writing = False
                    elif head.future is None:  # a thread: it writes the next batch itself
                        head.lead = True
                        head.done.set()
                _wake(batch)
            if head is None or head.future is None:
                return

    @staticmethod
    def _outcome(waiter: _Waiter[Item, Result]) -> Result:
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]


def _wake(batch: Sequence[_Waiter[Item, Result]]) -> None:
    """Tell every caller of a written batch: threads by their event, coroutines by one call into
    each event loop (not one a caller)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Waiter[Item, Result]]] = {}
    for waiter in batch:
        if waiter.loop is None:
            waiter.lead = False
            waiter.done.set()
        else:
            by_loop.setdefault(waiter.loop, []).append(waiter)
    for loop, waiters in by_loop.items():
        with suppress(RuntimeError):  # the loop is closed: nobody is left to answer
            loop.call_soon_threadsafe(_settle, waiters)


def _settle(waiters: Sequence[_Waiter[Item, Result]]) -> None:
    for waiter in waiters:
        future = waiter.future
        if future is None or future.done():
            continue
        if waiter.error is not None:
            future.set_exception(waiter.error)
        else:
            future.set_result(waiter.result)  # type: ignore[arg-type]
