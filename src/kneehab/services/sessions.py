"""Recording sessions (RULES C-13) and the session player's saved position.

Today's entries pass the safety gate (`safety.require_session_allowed`) in the same transaction
that writes them; entries of an earlier day are records of what was done then and need no check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kneehab.access import Action
from kneehab.domain import course as course_engine
from kneehab.domain.exercise import Library
from kneehab.domain.program import ItemStatus, Program, ProgramItem
from kneehab.domain.progression import PAIN_STOP
from kneehab.domain.records import Session, SessionEntry
from kneehab.domain.stops import is_stop
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting, authorize
from kneehab.services.replay import course_in, note_written
from kneehab.services.rules_upgrade import ensure_rules
from kneehab.services.safety import SESSION_CHECK_KEY, require_session_allowed
from kneehab.store import repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class EntryResult:
    exercise_id: str
    day: date
    paused: bool  # RULES C-13: accepted and flagged `logged_while_paused`
    stop: bool  # P1: pain at or above the stop level, or sharp pain
    message: str  # plain words, no rule id (D-13)
    not_in_session: bool = False  # C-13: a swap or an offered option, outside the session
    rules: tuple[str, ...] = ()  # the rules behind the message, shown apart (D-13)


# The owners of the programs recently checked against (a program and a library never change: the
# course a set's write reuses is the same object, so each set does not walk every ladder again).
_OWNERS: dict[tuple[int, int], tuple[Program, Library, dict[str, str]]] = {}
_OWNERS_KEPT = 256


def _owners(program: Program, library: Library) -> dict[str, str]:
    key = (id(program), id(library))
    found = _OWNERS.get(key)
    if found is not None and found[0] is program and found[1] is library:
        return found[2]
    owners = course_engine.owners(program, library)
    if len(_OWNERS) >= _OWNERS_KEPT:
        _OWNERS.clear()
    _OWNERS[key] = (program, library, owners)  # held with them: their ids are not reused meanwhile
    return owners


def _owner(program: Program, exercise_id: str, library: Library) -> ProgramItem | None:
    """The program item an exercise id belongs to: the item itself or a variant on its ladders."""
    owner = _owners(program, library).get(exercise_id)
    return program.item(owner) if owner is not None else None


def _swap_or_offered(program: Program) -> set[str]:
    """C-13 (v2): the swaps (D-10) and the later options offered now or in the program (D-12)."""
    ids = {sw.item.exercise_id for sw in program.swaps}
    ids |= {o.exercise_id for o in program.later_options if o.state in ("offered", "in_program")}
    return ids


def _check_entry(
    entry: SessionEntry, day: date, program: Program | None, library: Library
) -> EntryResult:
    """RULES C-13 (v2): what is rejected (InvalidInput naming the field) and what is accepted and
    flagged (`logged_while_paused`; `not_in_session` for a swap or an offered option)."""
    ex_id = entry.exercise_id
    if ex_id not in library.exercises:
        raise InvalidInput(f"exercise_id: '{ex_id}' is not an exercise in the library")
    if is_stop(entry):
        raise InvalidInput("skip_reason: a stop is recorded by 'Stop — it hurts' only")
    item = _owner(program, ex_id, library) if program is not None else None
    outside = program is not None and item is None and ex_id in _swap_or_offered(program)
    if item is None and not outside:
        raise InvalidInput(
            f"exercise_id: '{ex_id}' is neither in your program nor on your swap or offered list"
        )
    name = item.name if item is not None else library.get(ex_id).name
    paused = item is not None and item.status != ItemStatus.ACTIVE
    stop = not entry.skipped and (entry.pain_during_max >= PAIN_STOP or entry.sharp_pain)
    rules: tuple[str, ...] = ()
    if stop:
        message = (
            f"Stop {name} for today: pain {entry.pain_during_max}/10"
            f"{' with sharp or catching pain' if entry.sharp_pain else ''}. Answer the "
            "warning-sign questions again before you exercise."
        )
        rules = ("P1", "§1.1")
    elif paused and item is not None:
        message = (
            f"Recorded. {name} is {item.status.value} in your program, so this is noted for "
            "your physio and does not change your program."
        )
        rules = ("C-13",)
    elif outside:
        message = (
            f"Recorded. {name} is not in your session (it is one you may choose instead), so "
            "this is noted for your physio and does not change your program."
        )
        rules = ("C-13", "D-10")
    else:
        message = "Recorded."
    return EntryResult(ex_id, day, paused, stop, message, not_in_session=outside, rules=rules)


def save_entry(
    db: Database,
    who: Acting,
    *,
    day: date,
    entry: SessionEntry,
    now: datetime,
    today: date,
    library: Library,
) -> EntryResult:
    """Insert or correct one exercise entry. `today` defaults to the date of `now`."""
    return save_session(
        db,
        who,
        session=Session(date=day, entries=(entry,)),
        now=now,
        today=today,
        library=library,
    )[0]


def save_session(
    db: Database,
    who: Acting,
    *,
    session: Session,
    now: datetime,
    today: date,
    library: Library,
) -> list[EntryResult]:
    """Save every entry of a session, or none of them if any is rejected."""
    person_id = who.person_id
    lib, today_, day = library, today, session.date
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        # Nothing is changed before the course is read (unless the rule book moves): the revision
        # found under the lock then proves a course the route's check just read (replay.course_in).
        proven = repo.revision_when_locked(s, person_id)
        if ensure_rules(s, person_id, today_, now, lib):
            proven = None
        start = repo.get_person(s, person_id).start
        if day > today_:
            raise InvalidInput(
                f"date: {day} is after today ({today_}); a session cannot be logged in advance"
            )
        if day < start:
            raise InvalidInput(f"date: {day} is before the program start ({start})")
        # The program as it stood on that day decides what may be logged and what is paused.
        program = course_in(s, person_id, day, lib, proven=proven).program
        results = [_check_entry(e, day, program, lib) for e in session.entries]
        if day == today_ and program is not None:
            ids = tuple(e.exercise_id for e in session.entries)
            require_session_allowed(s, person_id, day, ids, lib)
        for entry, result in zip(session.entries, results, strict=True):
            repo.upsert_entry(s, person_id, day, entry, now=now, paused=result.paused)
        # Those entries are all this write changed: the next read takes its records from here.
        note_written(s, person_id, day, session.entries)
    return results


def load_player_state(db: Database, who: Acting, *, day: date) -> dict[str, Any] | None:
    person_id = who.person_id
    with db.read() as s:
        authorize(s, who, Action.READ_HEALTH)
        return repo.get_player_state(s, person_id, day)


def save_player_position(
    db: Database, who: Acting, *, day: date, state: dict[str, Any], now: datetime
) -> None:
    """Save the player's state for the day, keeping that day's safety answers (the client cannot
    change or drop them)."""
    person_id = who.person_id
    with db.write() as s:
        authorize(s, who, Action.WRITE_HEALTH)
        repo.get_person(s, person_id)
        kept = (repo.get_player_state(s, person_id, day) or {}).get(SESSION_CHECK_KEY)
        new = {k: v for k, v in state.items() if k != SESSION_CHECK_KEY}
        if kept is not None:
            new[SESSION_CHECK_KEY] = kept
        repo.set_player_state(s, person_id, day, new, now=now)
