"""Rebuilding a person's course from the stored records, and appending what a replay decided.

Every use-case that needs the course goes through `course_in()` inside its own transaction, so what
it checks and what it writes see the same records.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as DbSession

import kneehab.domain as domain_package
from kneehab import heap
from kneehab.domain import course as course_engine
from kneehab.domain import course_snapshot as snapshot_format
from kneehab.domain.course import Course, CourseSnapshot, StaleSnapshot
from kneehab.domain.course_snapshot import history_head, restore_state
from kneehab.domain.course_state import CourseState
from kneehab.domain.escalation import Escalation, EscalationLevel
from kneehab.domain.exercise import Library
from kneehab.domain.progression import Decision
from kneehab.domain.records import (
    ClinicianAction,
    History,
    OfferAnswer,
    Session,
    SessionEntry,
    SwapChoice,
)
from kneehab.errors import Busy, CourseUnreadable, InvalidInput
from kneehab.store import repo, snapshot_repo
from kneehab.store.db import after_commit, session_scope
from kneehab.store.snapshot_repo import StoredSnapshot

# The rule book this kneehab applies (RULES v2). People stored under an earlier one are moved to it
# by `rules_upgrade.upgrade_rules()` with a dated `rules-v2` program version (ADR 0004).
RULES_VERSION = 2
RULES_V2_KIND = "rules-v2"


def _person_history(s: DbSession, person_id: int, today: date) -> tuple[History, int, int]:
    """The history's head (intake, start, settings, `today`) without records, the person's rule
    book, and their revision (read before their records)."""
    person = repo.get_person(s, person_id)
    if today < person.start:
        raise InvalidInput(f"today: {today} is before the program start ({person.start})")
    head = History(
        intake=repo.latest_intake(s, person_id).intake,
        start=person.start,
        today=today,
        pain_ceiling=person.pain_ceiling,
        morning_tolerance=person.morning_tolerance,
        reviewed=person.reviewed,
    )
    return head, person.rules_version, person.revision


def _with_records(
    s: DbSession,
    person_id: int,
    head: History,
    after: date | None,
    events: tuple[tuple[SwapChoice, ...], tuple[OfferAnswer, ...], tuple[ClinicianAction, ...]]
    | None = None,
) -> History:
    """`head` with the person's records dated up to its `today` (and after `after`, when given:
    a snapshot's tail); `events` are the person's swaps, offers and clinician actions when the caller
    read them already. Later, back-dated records are left out of the view."""
    today = head.today
    swaps, offers, clinician = (
        events if events is not None else repo.events(s, person_id, after=after)
    )
    start = after or date.min
    return head.model_copy(
        update={
            "sessions": tuple(
                x for x in repo.sessions(s, person_id, after=after) if x.date <= today
            ),
            "checkins": tuple(
                c for c in repo.checkins(s, person_id, after=after) if c.date <= today
            ),
            "outcomes": tuple(
                o for o in repo.outcomes(s, person_id, after=after) if o.date <= today
            ),
            "rescreens": tuple(
                r for r in repo.rescreens(s, person_id, after=after) if r.date <= today
            ),
            "swaps": tuple(x for x in swaps if start < x.date <= today),
            "offers": tuple(x for x in offers if start < x.date <= today),
            "clinician": tuple(x for x in clinician if start < x.date <= today),
        }
    )


def head_in(s: DbSession, person_id: int, today: date) -> History:
    """The history's head as of `today`: intake, start and settings, no records."""
    return _person_history(s, person_id, today)[0]


def history_in(s: DbSession, person_id: int, today: date) -> History:
    """The person's records as of `today` (later, back-dated records are left out of the view)."""
    head = _person_history(s, person_id, today)[0]
    return _with_records(s, person_id, head, after=None)


@dataclass(frozen=True)
class RecentHistory:
    """What a caseload row reads of a person's records (services/caseload.py): the head, every
    clinician action, the records dated after `since`, and the latest check-in and entry days."""

    history: History
    last_checkin: date | None
    last_entry: date | None


def records_after(history: History, after: date) -> History:
    """`history`'s records dated after `after` (in memory: the records were read already)."""
    return history.model_copy(
        update={
            name: tuple(x for x in getattr(history, name) if x.date > after)
            for name in ("sessions", "checkins", "outcomes", "rescreens", "swaps", "offers")
        }
        | {"clinician": tuple(x for x in history.clinician if x.date > after)}
    )


def recent_course_in(
    s: DbSession, person_id: int, today: date, library: Library, since: date
) -> tuple[Course, RecentHistory]:
    """The course as of `today` (as `course_in`) and the records a caseload row needs, read once:
    the records dated after `since` and up to `today`, every clinician action, and the latest
    check-in and entry days. The course's tail after a snapshot on or after `since` is taken from
    those records instead of being read again (a 90-day history is ~1,000 entries; the caseload
    works out a changed row inside the clinician's request)."""
    head, person_rules, _ = _person_history(s, person_id, today)
    events = repo.events(
        s, person_id
    )  # all of them: a handful, and every clinician action is needed
    clinician = tuple(c for c in events[2] if c.date <= today)
    window = _with_records(s, person_id, head, after=since, events=events)
    try:
        course = _course(s, person_id, today, library, read=(head, person_rules, since, window))
    except course_engine.HistoryMismatch as exc:  # C-13, as course_in
        raise InvalidInput(str(exc)) from None
    last_checkin, last_entry = repo.last_days(s, person_id, today)
    recent = RecentHistory(
        history=window.model_copy(update={"clinician": clinician}),
        last_checkin=last_checkin,
        last_entry=last_entry,
    )
    return course, recent


def course_in(
    s: DbSession, person_id: int, today: date, library: Library, *, proven: int | None = None
) -> Course:
    """The person's course as of `today`: replayed from their snapshot when it still applies
    (course_snapshots.py), else from the start. A write transaction keeps a snapshot after
    yesterday for the next request.

    `proven`: the person's revision that the records this transaction sees are at
    (`repo.revision_when_locked`, in a write that has changed nothing yet). The course a read
    replayed at that same revision is then reused without reading the records again: every change
    to a person's records raises their revision (repo.lock_person), so the same revision is the
    same records."""
    try:
        return _course(s, person_id, today, library, proven=proven)
    except course_engine.HistoryMismatch as exc:  # C-13: a record that does not fit the program
        raise InvalidInput(str(exc)) from None


def replay_readable(history: History, library: Library) -> Course:
    """A full replay of a history already loaded (the clinician's review, the caseload, the scan),
    refused in the same plain words as `course_in` when the library no longer fits it (C-13)."""
    refuse_unreadable_records(history, library)
    try:
        return course_engine.replay(history, library)
    except course_engine.HistoryMismatch as exc:
        raise InvalidInput(str(exc)) from None


def engine_fingerprint() -> str:
    """The replay engine's source (every module of kneehab.domain): any change to the code that a
    snapshot's state was made by makes it stale."""
    if not _ENGINE:
        digest = hashlib.sha256(f"format {snapshot_format.FORMAT}".encode())
        for path in sorted(Path(domain_package.__file__).parent.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _ENGINE.append(digest.hexdigest())
    return _ENGINE[0]


_ENGINE: list[str] = []  # computed once
_LIBRARIES: dict[int, tuple[Library, str]] = {}


def library_fingerprint(library: Library) -> str:
    """The exercise library's content (a snapshot holds items and decisions made from it)."""
    known = _LIBRARIES.get(id(library))
    if known is None or known[0] is not library:
        known = (library, hashlib.sha256(library.model_dump_json().encode()).hexdigest())
        _LIBRARIES[id(library)] = known
    return known[1]


def refuse_unreadable_records(history: History, library: Library) -> None:
    """Refuse, in plain words, a history that names exercises the installed library does not have
    (the library changed since they were logged): every page of the person says so, and so does
    the clinician's view of them, instead of failing."""
    ids = {e.exercise_id for x in history.sessions for e in x.entries}
    ids |= {i for x in history.swaps for i in (x.swap_in, x.swap_out)}
    ids |= {x.exercise_id for x in history.offers}
    ids |= {x.exercise_id for x in history.clinician if x.exercise_id}
    gone = sorted(i for i in ids if i not in library.exercises)
    if gone:
        names = ", ".join(f"'{i}'" for i in gone)
        raise CourseUnreadable(
            f"This program cannot be shown right now. The record holds {len(gone)} exercise(s) "
            f"({names}) that the installed exercise library no longer has, so the course cannot "
            "be rebuilt. Nothing saved is lost, and the clinic sees this same message on this "
            "record. The clinic or the server's administrator can bring the exercise back into "
            "the library.",
            problems=[
                f"exercise_id: '{i}' is not an exercise in the installed library" for i in gone
            ],
        )


def made_with(library: Library, person_rules: int, head: History) -> tuple[str, ...]:
    """What a snapshot for this head and rule book must have been made with (`stored_made_with`)."""
    return (
        engine_fingerprint(),
        library_fingerprint(library),
        str(RULES_VERSION),
        str(person_rules),
        history_head(head),
    )


def stored_made_with(stored: StoredSnapshot) -> tuple[str, ...]:
    """What the stored snapshot was made with, in `made_with`'s order."""
    return (
        stored.engine,
        stored.library,
        str(stored.rules_version),
        str(stored.person_rules),
        stored.head,
    )


def _fits(s: DbSession, person_id: int, found: StoredSnapshot | None, key: tuple[str, ...]) -> bool:
    """The stored snapshot was made by this engine, library and rule book, from this history head
    and from the records up to its day that are still there."""
    if found is None:
        return False
    return stored_made_with(found) == key and (
        # a record written without the ORM hook (plain SQL) is caught here: replay from the start
        snapshot_repo.records_through(s, person_id, found.day) == found.records
    )


# The revision, head (with `today`) and rule book a read saw when it replayed or checked a course.
# A read's records are at least as new as the revision it read first, and a revision only goes up:
# a write that finds the same revision under the person's lock sees exactly those records.
_Proof = tuple[int, History, int]
# The records after a snapshot's day as a write of this process left them, and the revision, head
# and rule book they are at: exact, not "at least" (see `note_written`).
_Written = tuple[int, History, int, History]


# Live states of recent snapshots, so a process deserialises each one once. Only an accelerator:
# the key is the stored row's identity, so another process's newer snapshot (or none) is a miss.
@dataclass
class _Live:
    identity: tuple[object, ...]  # `_identity` of the stored snapshot the state is of
    state: CourseState  # never changed: each replay resumes from a clone
    # The last read replayed from this state: its tail (every record after the snapshot day, and
    # the head with `today`), the library's fingerprint, and the course they gave. The replay is a
    # function of exactly these, so the same tail gives the same course; any new or changed
    # record after the day, another day or another library is a different tail (a miss), and one
    # on or before the day replaces the snapshot itself (another identity). With it, when a read
    # made or checked it, the person's revision it was read at (`_Proof`, see `_proven`).
    last: tuple[History, str, Course, _Proof | None] | None = None
    size: int = 0  # the state's estimated bytes in memory
    # The tail after the last set this process wrote, at the revision that write raised the
    # person's to (`note_written`): a read that finds that revision takes its tail from here.
    written: _Written | None = None


_LIVE: OrderedDict[int, _Live] = OrderedDict()
_LIVE_LOCK = threading.Lock()
_LIVE_SIZE = [0]  # the estimated bytes of every live state held
LIVE_STATES = 256  # people at most
# And at most this much memory a process: a live state, with its snapshot's segments and their
# memo, takes about 17× its snapshot's bytes (tracemalloc, 2026-12-07, FORMAT 3: 2.8 MB for the
# 90-day person's 164 KB, 10.0 MB for the 365-day person's 540 KB), so 256 people at 365 days would
# be ~2.5 GB. The course a read reuses shares the state's objects (~30 KB more).
LIVE_BYTES = 256 * 1024 * 1024
_MEMORY_PER_PICKLE_BYTE = 17.0


def forget_live_states() -> None:
    """Drop every live state this process holds (each next read deserialises the stored one)."""
    with _LIVE_LOCK:
        _LIVE.clear()
        _LIVE_SIZE[0] = 0


def resumed_from_store(person_id: int) -> bool:
    """Whether this process holds a live state of the person's stored snapshot (for tests and
    the benchmark: a read that replayed from the start leaves none)."""
    return person_id in _LIVE


def reused_course(person_id: int) -> Course | None:
    """The course this process last replayed for the person's read, if it holds one (for tests)."""
    live = _LIVE.get(person_id)
    return live.last[2] if live is not None and live.last is not None else None


def written_tail(person_id: int) -> History | None:
    """The tail the last set this process wrote left for the person (`note_written`; for tests)."""
    live = _LIVE.get(person_id)
    return live.written[3] if live is not None and live.written is not None else None


def _identity(stored: StoredSnapshot) -> tuple[object, ...]:
    return (
        stored.day,
        stored.head,
        stored.engine,
        stored.library,
        stored.records,
        stored.created_at,
    )


def live_states_size() -> int:
    """The estimated bytes of the live states this process holds (for tests and /metrics)."""
    return _LIVE_SIZE[0]


def _remember(person_id: int, stored: StoredSnapshot, state: CourseState, pickled: int) -> _Live:
    """Hold the live state of `stored` (its pickle was `pickled` bytes), dropping the least recently
    used ones beyond LIVE_STATES people or LIVE_BYTES of memory (the newest always stays)."""
    live = _Live(_identity(stored), state, size=int(pickled * _MEMORY_PER_PICKLE_BYTE))
    with _LIVE_LOCK:  # requests run on several threads; the states themselves are never changed
        old = _LIVE.pop(person_id, None)
        _LIVE_SIZE[0] += live.size - (old.size if old is not None else 0)
        _LIVE[person_id] = live
        while len(_LIVE) > 1 and (len(_LIVE) > LIVE_STATES or _LIVE_SIZE[0] > LIVE_BYTES):
            _LIVE_SIZE[0] -= _LIVE.popitem(last=False)[1].size
    return live


def _from_snapshot(
    s: DbSession,
    person_id: int,
    stored: StoredSnapshot,
    head: History,
    library: Library,
    keep: date | None,
    window: tuple[date, History] | None = None,
    proof: _Proof | None = None,
    known: History | None = None,
) -> tuple[Course, CourseSnapshot | None, History]:
    """The course from the stored snapshot and the records after it (and a snapshot after
    `keep`, when given), and those records (the tail); the records come from `window` (read
    already, dated after its date) when it covers them. `proof`: what a read saw first, kept with
    the course for a write that finds the same revision (None in a write). `known`: the tail
    itself, when a write of this process left it at the revision the read found (`_written`)."""
    if known is not None:
        tail = known
    elif window is not None and window[0] <= stored.day:
        tail = records_after(window[1], stored.day)
    else:
        tail = _with_records(s, person_id, head, after=stored.day)
    refuse_unreadable_records(
        tail, library
    )  # the records up to the snapshot were read with this library
    with _LIVE_LOCK:
        live = _LIVE.get(person_id)
        if live is not None:
            _LIVE.move_to_end(person_id)  # the least recently used is dropped first
    snap = CourseSnapshot(day=stored.day, head=stored.head, state=b"")
    if live is None or live.identity != _identity(stored):
        state_bytes = snapshot_repo.state_of(s, person_id)
        snap = CourseSnapshot(day=stored.day, head=stored.head, state=state_bytes)
        with heap.collector_paused():  # thousands of new objects, none garbage (kneehab/heap.py)
            restored = restore_state(snap)
        live = _remember(person_id, stored, restored, len(state_bytes))
    elif keep is None and live.last is not None:
        last_tail, last_library, last_course, _ = live.last
        if last_library == library_fingerprint(library) and last_tail == tail:
            if proof is not None:  # the same course, now known at this revision too
                with _LIVE_LOCK:
                    live.last = (last_tail, last_library, last_course, proof)
            return last_course, None, tail
    course, kept = course_engine.replay_from_state(live.state, snap, tail, library, keep=keep)
    if keep is None:  # one that keeps a snapshot is remembered beside the new state (_course)
        with _LIVE_LOCK:
            live.last = (tail, library_fingerprint(library), course, proof)
    return course, kept, tail


def _proven(
    person_id: int,
    found: StoredSnapshot,
    head: History,
    person_rules: int,
    library: Library,
    revision: int,
) -> tuple[Course, History] | None:
    """The course a read replayed (or checked) from this process's live state of `found` at
    `revision`, for the same head, day, rule book and library, and the tail it was replayed from;
    None when there is none."""
    with _LIVE_LOCK:
        live = _LIVE.get(person_id)
        last = live.last if live is not None else None
        same_state = live is not None and live.identity == _identity(found)
    proof = last[3] if same_state and last is not None else None
    if last is None or proof is None:
        return None
    tail, last_library, course, _ = last
    seen, seen_head, seen_rules = proof
    same = seen == revision and seen_rules == person_rules and seen_head == head
    return (course, tail) if same and last_library == library_fingerprint(library) else None


def _written(
    person_id: int, found: StoredSnapshot, head: History, person_rules: int, revision: int
) -> History | None:
    """The tail a write of this process left after `found`'s day at `revision` (`note_written`),
    for the same head and rule book; None when there is none."""
    with _LIVE_LOCK:
        live = _LIVE.get(person_id)
        written = live.written if live is not None and live.identity == _identity(found) else None
    if written is None:
        return None
    at, seen_head, seen_rules, tail = written
    return tail if at == revision and seen_rules == person_rules and seen_head == head else None


# Session.info: person id → what a write's course was proven from (`_course`): the revision, the
# snapshot's identity, the head, the rule book and the tail.
_PROVED = "kneehab_proved_tails"


def note_written(
    s: DbSession, person_id: int, day: date, entries: tuple[SessionEntry, ...]
) -> None:
    """After a write whose course was proven by the revision (`course_in(proven=…)`) and that then
    changed only `entries` of `day`, each upserted (repo.upsert_entry): once it commits, the tail
    after the snapshot's day is the proven one with those entries written in, exactly, at the
    revision this write raised the person's to (nobody else changes their records while it holds
    their lock, and every change raises the revision). The next read at that revision takes the
    tail from here instead of reading it (and the snapshot's count) again; any other change since
    raises the revision, and the read reads them as before."""
    proved = s.info.get(_PROVED, {}).get(person_id)
    if proved is None:
        return
    proven, identity, head, person_rules, tail = proved
    now = repo.revision_now(s, person_id)
    snapshot_day: date = identity[0]
    if now is None or now != proven + 1 or not snapshot_day < day <= head.today:
        return  # another change in this transaction, or records the tail does not hold
    written: _Written = (now, head, person_rules, with_entries(tail, day, entries))

    def remember() -> None:
        with _LIVE_LOCK:
            live = _LIVE.get(person_id)
            if live is not None and live.identity == identity:
                live.written = written

    after_commit(s, remember)


def with_entries(history: History, day: date, entries: tuple[SessionEntry, ...]) -> History:
    """`history` with `entries` written on `day` as the store keeps them (repo.upsert_entry): one a
    (day, exercise, side), a correction in the place of the entry it corrects, a new one after the
    day's others (the store reads a day's entries in the order they were first written)."""
    sessions = list(history.sessions)
    at = next((i for i, x in enumerate(sessions) if x.date == day), None)
    done = list(sessions[at].entries) if at is not None else []
    for entry in entries:
        stored = repo.stored_entry(entry)
        key = (entry.exercise_id, entry.side)
        same = next((i for i, e in enumerate(done) if (e.exercise_id, e.side) == key), None)
        if same is None:
            done.append(stored)
        else:
            done[same] = stored
    session = Session(date=day, entries=tuple(done))
    if at is not None:
        sessions[at] = session
    else:
        sessions.append(session)
        sessions.sort(key=lambda x: x.date)
    return history.model_copy(update={"sessions": tuple(sessions)})


# A read keeps a snapshot too (after its transaction, in a short write of its own) when the person
# has none that fits, or theirs is more than this many days behind: after a deploy or a library
# change, each person's first request replays from the start once, not every request until a write.
READ_KEEPS_AFTER_DAYS = 7


# What a caller read already: the head, the person's rule book, and their records after a date.
_Read = tuple[History, int, date, History]


def _course(
    s: DbSession,
    person_id: int,
    today: date,
    library: Library,
    read: _Read | None = None,
    proven: int | None = None,
) -> Course:
    if read:
        head, person_rules, revision = read[0], read[1], None
    else:
        head, person_rules, revision = _person_history(s, person_id, today)
    writing = bool(s.info.get("write"))
    found = snapshot_repo.load(s, person_id)
    # A course a read made at the revision this write proves: its snapshot fitted then, and the
    # records are the same (neither the snapshot's nor the tail's need reading again).
    proved = (
        _proven(person_id, found, head, person_rules, library, proven)
        if proven is not None and found is not None
        else None
    )
    reused = proved[0] if proved is not None else None
    # A tail a write of this process left at the revision this read found: the same records (as
    # `_proven`, from the other side), so neither the tail nor the snapshot's count is read again.
    known = (
        _written(person_id, found, head, person_rules, revision)
        if revision is not None and found is not None and not writing
        else None
    )
    # What the snapshot must have been made with (its head's hash is worked out only when asked).
    fits = (
        reused is not None
        or known is not None
        or _fits(s, person_id, found, made_with(library, person_rules, head))
    )
    # Keep the state after yesterday: today's records may still change.
    keep: date | None = today - timedelta(days=1)
    behind = found is None or not fits or (today - found.day).days > READ_KEEPS_AFTER_DAYS
    if keep is not None and (keep < head.start or not (writing or behind)):
        keep = None
    # A snapshot that fits and is already after `keep` would not be replaced (below), so there is
    # nothing to keep: the day's later writes then replay like reads, and may reuse the course.
    done = keep is not None and found is not None and fits and found.day >= keep
    resume_keep = None if done else keep
    # The records a kept snapshot is made from, counted before they are read (a write committed in
    # between makes the count newer than the snapshot: it is then not used, never wrongly used).
    mark = (
        snapshot_repo.records_through(s, person_id, resume_keep) if resume_keep is not None else ""
    )
    result: Course | None = None
    kept: CourseSnapshot | None = None
    records: History | None = None  # what the course was replayed from: every record, or a tail
    if found is not None and fits and found.day < today:
        if proved is not None and resume_keep is None:
            assert proven is not None
            s.info.setdefault(_PROVED, {})[person_id] = (
                proven,
                _identity(found),
                head,
                person_rules,
                proved[1],
            )
            return proved[0]
        proof = None if writing or revision is None else (revision, head, person_rules)
        try:
            window = read[2:] if read else None
            result, kept, records = _from_snapshot(
                s, person_id, found, head, library, resume_keep, window, proof, known
            )
        except StaleSnapshot:
            fits, result = False, None
    if result is None:
        if keep is not None and not mark:  # counted before the records are read, as above
            mark = snapshot_repo.records_through(s, person_id, keep)
        records = _with_records(s, person_id, head, after=None)
        refuse_unreadable_records(records, library)
        result, kept = course_engine.replay_keeping(records, library, keep=keep)
    # A later snapshot that still fits is kept rather than replaced by an earlier one (a request
    # for a past day); one that does not fit is always replaced.
    if kept is not None and (found is None or not fits or found.day < kept.day):
        made = StoredSnapshot(
            kept.day,
            engine_fingerprint(),
            library_fingerprint(library),
            RULES_VERSION,
            person_rules,
            kept.head,
            mark,
            kept.state,
        )
        if writing:
            created = snapshot_repo.save(s, person_id, made, now=datetime.now(UTC))
            if kept.live is not None:
                live = _remember(
                    person_id, replace(made, created_at=created), kept.live, len(kept.state)
                )
                # The course just replayed is what the new state and the records after its day
                # give (snapshot + tail = full replay): the next read with that tail reuses it
                # (a check-in's own "what changed" page, the next Today).
                assert records is not None
                with _LIVE_LOCK:
                    live.last = (
                        records_after(records, kept.day),
                        library_fingerprint(library),
                        result,
                        None,  # a write's: its own changes may follow (`_Proof`)
                    )
        else:
            _keep_after_read(s, person_id, made, found)
    return result


def _keep_after_read(
    s: DbSession, person_id: int, made: StoredSnapshot, seen: StoredSnapshot | None
) -> None:
    """Save `made` once the read's transaction has ended, in a write of its own, unless another
    request changed the person's snapshot meanwhile. Best effort: a snapshot only saves work, so a
    busy database or a deleted person just leaves it for the next request."""
    engine = s.get_bind()

    def save(_session: DbSession) -> None:
        try:
            with session_scope(engine, write=True) as w:  # type: ignore[arg-type]
                now = snapshot_repo.load(w, person_id)
                same = (now is None and seen is None) or (
                    now is not None and seen is not None and _identity(now) == _identity(seen)
                )
                if same and snapshot_repo.records_through(w, person_id, made.day) == made.records:
                    snapshot_repo.save(w, person_id, made, now=datetime.now(UTC))
        except (SQLAlchemyError, Busy):  # Busy: SQLite's writers queued past the bound
            pass

    event.listen(s, "after_commit", save, once=True)


def decision_for(course_: Course, day: date, exercise_id: str | None, kind: str) -> Decision | None:
    for d in course_.decisions:
        if d.date == day and d.exercise_id == exercise_id and d.action.value == kind:
            return d
    return None


def persist_decisions(
    s: DbSession, person_id: int, course_: Course, now: datetime
) -> tuple[int, ...]:
    """Append each program version of the replay (C-18: progress, regress, pause, stop, resume,
    phase, unlock, swap, clinician) not yet recorded; none is rewritten, and nothing dated before
    the person's move to rule book v2 is added (ADR 0004)."""
    stored = repo.version_keys(s, person_id)  # the keys only: no stored program is read
    known = set(stored)
    floor = max((when for when, _, kind in stored if kind == RULES_V2_KIND), default=None)
    written: list[int] = []
    for v in course_.versions:
        key = (v.date, v.exercise_id, v.kind)
        if v.kind == "plan" or key in known or (floor is not None and v.date < floor):
            continue
        d = decision_for(course_, v.date, v.exercise_id, v.kind)
        written.append(
            repo.add_program_version(
                s,
                person_id,
                program=v.program,
                effective=v.date,
                now=now,
                kind=v.kind,
                actor=f"rule {v.rules[0]}" if v.rules else "rules",
                rules=v.rules,
                reason=v.reason,
                exercise_id=v.exercise_id,
                from_dose=d.from_dose if d else None,
                to_dose=d.to_dose if d else None,
            )
        )
        known.add(key)
    return tuple(written)


def persist_escalation(s: DbSession, person_id: int, esc: Escalation, now: datetime) -> int | None:
    """Record the day's escalation when there is one (and the day has none yet); its id or None."""
    if esc.level == EscalationLevel.NONE:
        return None
    return repo.add_escalation(
        s,
        person_id,
        day=esc.date,
        level=esc.level.value,
        rules=esc.rules,
        message=esc.message,
        now=now,
    )
