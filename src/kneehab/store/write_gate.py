"""One SQLite writer at a time, in the order they came, for a bounded wait (issue 11 §2, §5).

SQLite lets one transaction write at a time. A writer that finds the lock taken waits in SQLite's
busy handler, which sleeps and polls with growing pauses (1, 2, 5 … 100 ms): a writer that comes
just as the lock is freed takes it ahead of one that has been asleep for a while, so under load a
few writes waited seconds (p99 2–5 s at 32 connections, docs/benchmarks.md) while the lock sat idle
between the sleeps. Kneehab's writers queue here instead, before `BEGIN IMMEDIATE`:

- in a process, on `Turns`: a lock handed to the waiting threads in the order they asked;
- across processes (app workers, the command line), on an `flock` of a file beside the database,
  which the kernel gives to a waiting process as soon as it is released.

A writer that waits longer than the bound is refused like SQLite's own timeout (`Busy`, a 503 to
retry); nothing of it was written. Reads never come here (WAL lets them run beside the writer), and
PostgreSQL never does (each person's row lock orders its writes). SQLite's busy handler stays set
for writers that do not queue here (migrations, `VACUUM`, another program on the file).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

from kneehab.errors import Busy

BUSY_MESSAGE = "database: busy with other writes; try again in a moment"


class Turns:
    """A lock taken in the order it was asked for (`threading.Lock` wakes any waiter): the holder
    hands it straight to the first thread in line."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._line: deque[threading.Lock] = deque()  # each waiter's own lock, held until handed

    @property
    def waiting(self) -> int:
        """Threads in line (for tests)."""
        return len(self._line)

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            mine = threading.Lock()
            mine.acquire()
            self._line.append(mine)
        if mine.acquire(timeout=max(timeout, 0.0)):
            return True  # handed over by `release`
        with self._mutex:
            if mine in self._line:
                self._line.remove(mine)
                return False
        return True  # handed over between the timeout and the line's mutex: it is ours

    def release(self) -> None:
        with self._mutex:
            if self._line:
                self._line.popleft().release()  # still held: now by the first in line
            else:
                self._held = False


@dataclass
class _Wait:
    """A helper thread blocked in `flock` for this process, and whether a writer still wants it."""

    wanted: bool = True
    got: threading.Event = field(default_factory=threading.Event)


class FileLock:
    """An exclusive `flock` of `path` held by at most one thread of this process at a time (the
    holder of the process's `Turns`). A wait that must be able to end is done by a helper thread in
    the kernel's queue: `flock` itself cannot time out, and polling would be unfair again."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._pid = 0
        self._mutex = threading.Lock()
        self._wait: _Wait | None = None

    def _file(self) -> int:
        # A lock belongs to the open file: a forked worker opens its own, or it would share its
        # parent's (and both would hold it at once).
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
            self._wait = None  # a parent's helper thread does not live on in a child
        return self._fd

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            fd = self._file()
            wait = self._wait
            if wait is None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    wait = self._wait = _Wait()
                    helper = threading.Thread(
                        target=self._wait_for, args=(fd, wait), name="kneehab-write-gate",
                        daemon=True,
                    )  # fmt: skip
                    helper.start()
            wait.wanted = True  # a helper left waiting by a writer that gave up serves this one
        if not wait.got.wait(max(timeout, 0.0)):
            with self._mutex:
                if not wait.got.is_set():
                    wait.wanted = False
                    return False
        with self._mutex:
            self._wait = None
        return True

    def _wait_for(self, fd: int, wait: _Wait) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            with self._mutex:
                self._wait = None
            return  # the writer waiting on it times out and is refused
        with self._mutex:
            if wait.wanted:
                wait.got.set()
            else:  # its writer gave up meanwhile and nobody took its place: let others in
                fcntl.flock(fd, fcntl.LOCK_UN)
                self._wait = None

    def release(self) -> None:
        with self._mutex:
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_UN)


class WriteGate:
    """The queue of one SQLite file's writers (one per file and process: `gate_for`)."""

    def __init__(self, lock_path: Path) -> None:
        self.turns = Turns()
        self.file = FileLock(lock_path)
        self._holder = threading.local()

    @contextmanager
    def held(self, timeout: float) -> Iterator[None]:
        """Hold the gate for a write transaction, or raise Busy after `timeout` seconds. A thread
        that holds it already (a write begun inside its own write) goes on: SQLite's busy handler
        then decides, as before."""
        if getattr(self._holder, "depth", 0):
            self._holder.depth += 1
            try:
                yield
            finally:
                self._holder.depth -= 1
            return
        deadline = monotonic() + timeout
        if not self.turns.acquire(timeout):
            raise Busy(BUSY_MESSAGE)
        try:
            if not self.file.acquire(deadline - monotonic()):
                raise Busy(BUSY_MESSAGE)
            try:
                self._holder.depth = 1
                try:
                    yield
                finally:
                    self._holder.depth = 0
            finally:
                self.file.release()
        finally:
            self.turns.release()


class _Gates:
    """Every gate of this process: by the file's resolved path, and by the path as an engine's URL
    names it (so a write does not resolve the path again)."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        self.lock = threading.Lock()
        self.by_file: dict[Path, WriteGate] = {}
        self.by_name: dict[str, WriteGate] = {}


_ALL = _Gates()
# A forked child (an app worker) starts with no gates: a parent's may be held by a thread that does
# not exist in the child, and its lock file is the parent's open file.
os.register_at_fork(after_in_child=_ALL.forget)


def lock_path(database: Path) -> Path:
    """The lock file beside a database file (`kneehab.db` → `kneehab.db-writer`), like SQLite's own
    `-wal` and `-shm` files."""
    return database.with_name(database.name + "-writer")


def gate_for(database: str) -> WriteGate:
    """The gate of the SQLite file `database`, shared by every engine of this process on it."""
    gate = _ALL.by_name.get(database)
    if gate is not None:
        return gate
    key = Path(database).resolve()
    with _ALL.lock:
        gate = _ALL.by_file.get(key)
        if gate is None:
            gate = _ALL.by_file[key] = WriteGate(lock_path(key))
        _ALL.by_name[database] = gate
        return gate
