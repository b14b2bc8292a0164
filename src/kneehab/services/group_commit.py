"""Group commit: small writes that many requests make at once land in one transaction.

A bearer token's use is a write (its trail row and last-used time, docs/security.md) on every request
that carries one, and each write transaction waits for the database's write lock and its own sync to
disk. Under concurrent requests those waits, not the work, set the rate (issue 11 §5). Here the first
caller that finds no batch being written becomes the leader: it writes everything queued by then, its own
item included, in one transaction, and hands each caller its own result; whoever queued meanwhile is the
next batch, led by its first caller. Nobody's answer goes out before their write is committed, and a
lone caller writes at once, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Waiter(Generic[Item, Result]):
    __slots__ = ("done", "error", "item", "lead", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = threading.Event()
        self.lead = False  # set (before `done`) when this caller is to write the next batch
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` gives `write_many([... item ...])`'s result for that item; `write_many` runs one
    transaction for the whole batch and returns one result per item, in order. If it raises, every
    caller of that batch gets the error (the transaction wrote none of them)."""

    def __init__(self, write_many: Callable[[Sequence[Item]], Sequence[Result]]) -> None:
        self._write_many = write_many
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

    def _lead(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            results = self._write_many([w.item for w in batch])
            if len(results) != len(batch):
                raise RuntimeError("a group commit gave a result count unlike its batch")
            for waiter, result in zip(batch, results, strict=True):
                waiter.result = result
        except BaseException as exc:  # every caller of the batch learns it, then it propagates
            for waiter in batch:
                waiter.error = exc
        finally:
            with self._lock:
                self.batches += 1
                if self._queue:  # the next batch: its first caller writes it
                    self._queue[0].lead = True
                    self._queue[0].done.set()
                else:
                    self._writing = False
            for waiter in batch:
                waiter.lead = False
                waiter.done.set()

    @staticmethod
    def _outcome(waiter: _Waiter[Item, Result]) -> Result:
        if waiter.error is not None:
            raise waiter.error
        return waiter.result  # type: ignore[return-value]
