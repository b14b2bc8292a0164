"""The cyclic collector paused while courses are rebuilt (kneehab/heap.py): off inside, back as it was
after, with nested and concurrent uses; objects are still freed by reference counts meanwhile."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from kneehab.heap import collector_paused


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_off_inside_and_on_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_uses_keep_it_off_until_the_outer_one_leaves() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_turns_it_back_on() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_overlapping_threads_keep_it_off_until_the_last_one_leaves() -> None:
    inside, leave_first, first_left = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with collector_paused():
            inside.set()
            leave_first.wait(5)
        first_left.set()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(5)
    with collector_paused():
        leave_first.set()
        assert first_left.wait(5)
        assert not gc.isenabled()  # the first thread left; this one is still inside
    thread.join(5)
    assert gc.isenabled()


def test_objects_without_cycles_are_still_freed_while_paused() -> None:
    class Thing:
        pass

    with collector_paused():
        thing = Thing()
        ref = weakref.ref(thing)
        del thing
        assert ref() is None
