"""services/group_commit.py: callers who come while a batch is being written are written together in
the next batch, each gets its own result, in order; an error reaches every caller of its batch and
the next batch is written as usual."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from kneehab.services.group_commit import GroupCommit


class _Writer:
    """Doubles each item; the first batch waits until `release` so that others queue behind it."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.started, self.release = threading.Event(), threading.Event()
        self.fail_on = fail_on

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.started.set()
            assert self.release.wait(5)
        if self.fail_on in items:
            raise RuntimeError(f"cannot write {self.fail_on}")
        return [2 * x for x in items]


def _queued(group: GroupCommit[int, int], waiting: int) -> None:
    for _ in range(500):  # until `waiting` callers sit in the queue behind the first batch
        with group._lock:
            if len(group._queue) >= waiting:
                return
        threading.Event().wait(0.01)
    raise AssertionError("the callers never queued")


def _first_then_queued(
    writer: _Writer, others: list[int]
) -> tuple[GroupCommit[int, int], dict[int, object]]:
    """Caller 0 writes a batch alone; `others` call while it is being written (and queue behind it);
    then the first batch ends. The group, and each caller's result or the text of its error."""
    group: GroupCommit[int, int] = GroupCommit(writer)
    results: dict[int, object] = {}

    def call(x: int) -> None:
        try:
            results[x] = group.submit(x)
        except RuntimeError as exc:
            results[x] = str(exc)

    first = threading.Thread(target=call, args=(0,))
    first.start()
    assert writer.started.wait(5)
    queued = [threading.Thread(target=call, args=(x,)) for x in others]
    for t in queued:
        t.start()
    _queued(group, len(others))
    writer.release.set()
    for t in [first, *queued]:
        t.join(5)
    assert group.batches == len(writer.batches)
    return group, results


def test_a_lone_caller_writes_its_own_batch_at_once() -> None:
    writer = _Writer()
    writer.release.set()
    group = GroupCommit(writer)
    assert group.submit(21) == 42
    assert writer.batches == [[21]] and group.batches == 1


def test_callers_arriving_during_a_write_share_the_next_batch_and_get_their_own_results() -> None:
    writer = _Writer()
    _group, results = _first_then_queued(writer, list(range(1, 9)))
    assert results == {x: 2 * x for x in range(9)}
    assert writer.batches[0] == [0]
    assert sorted(writer.batches[1]) == list(range(1, 9))  # one transaction for the eight
    assert len(writer.batches) == 2


def test_an_error_reaches_every_caller_of_its_batch_and_the_next_batch_still_writes() -> None:
    writer = _Writer(fail_on=3)
    group, results = _first_then_queued(writer, [2, 3, 4])
    assert results[0] == 0
    assert results[2] == results[3] == results[4] == "cannot write 3"
    writer.fail_on = None
    assert group.submit(5) == 10  # nobody is left leading a batch that never ends


def test_a_result_count_unlike_the_batch_is_an_error_not_a_wrong_answer() -> None:
    group: GroupCommit[int, int] = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="result count"):
        group.submit(1)


def test_callers_who_queue_while_the_leader_waits_for_its_turn_are_in_its_batch() -> None:
    """The batch is taken once the turn (SQLite's writers' turn) is held, not before: whoever came
    while the leader waited for it is written in the same transaction, not in one more."""
    turn = threading.Lock()
    writer = _Writer()
    writer.release.set()
    group: GroupCommit[int, int] = GroupCommit(writer, lambda: turn)
    results: dict[int, int] = {}

    def call(x: int) -> None:
        results[x] = group.submit(x)

    turn.acquire()  # another writer has the turn
    callers = [threading.Thread(target=call, args=(x,)) for x in range(6)]
    for t in callers:
        t.start()
    _queued(group, 6)
    turn.release()
    for t in callers:
        t.join(5)
    assert results == {x: 2 * x for x in range(6)}
    assert len(writer.batches) == 1 and sorted(writer.batches[0]) == list(range(6))


def test_coroutines_share_batches_and_each_gets_its_own_result_or_error() -> None:
    """`submit_async`: coroutines that come while a batch is written wait on the event loop (no
    thread each) and are written together in the next batch; an error reaches its batch's callers."""
    writer = _Writer(fail_on=13)

    async def main() -> dict[int, object]:
        group: GroupCommit[int, int] = GroupCommit(writer)
        out: dict[int, object] = {}

        async def call(x: int) -> None:
            try:
                out[x] = await group.submit_async(x)
            except RuntimeError as exc:
                out[x] = str(exc)

        first = asyncio.ensure_future(call(0))
        await asyncio.get_running_loop().run_in_executor(None, writer.started.wait, 5)
        others = [asyncio.ensure_future(call(x)) for x in range(1, 9)]
        await asyncio.sleep(0)  # they are queued behind the first batch
        writer.release.set()
        await asyncio.gather(first, *others)
        await call(13)  # a lone caller's batch fails: its error, and the next batch still writes
        await call(14)
        assert group.batches == len(writer.batches) == 4
        return out

    results = asyncio.run(main())
    assert results == {**{x: 2 * x for x in range(9)}, 13: "cannot write 13", 14: 28}
    assert writer.batches[:2] == [[0], list(range(1, 9))]
