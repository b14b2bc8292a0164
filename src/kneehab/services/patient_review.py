"""One person as their physical therapist sees them (issue 12 §2), and the clinician's actions on
them (§3, RULES D-7, D-8). Every read and every action goes through access.py and the audit trail
(services.people.open_record); an action the program cannot take is refused naming the field, and
nothing is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.access import Action as Permission
from kneehab.domain.clinician_checks import refusal
from kneehab.domain.clinician_limits import rung_of
from kneehab.domain.course import Course
from kneehab.domain.exercise import Library, Role
from kneehab.domain.identity import Actor
from kneehab.domain.planning import program_item_for
from kneehab.domain.progression import Action as DecisionAction
from kneehab.domain.records import ClinicianAction, History
from kneehab.domain.types import Dose
from kneehab.errors import InvalidInput, UserError
from kneehab.services import people, review
from kneehab.services.acting import Acting
from kneehab.services.caseload import stated_condition
from kneehab.services.replay import history_in, replay_readable
from kneehab.store import account_repo, note_repo, repo
from kneehab.store.db import Database

ACTIONS_RESOURCE = "patients/{id}/actions"


@dataclass(frozen=True)
class TimelineEntry:
    date: date
    kind: str  # plan | rule | escalation | clinician | session | checkin | note
    title: str
    text: str
    rules: tuple[str, ...] = ()
    who: str = ""  # the clinician's name, or "rules" for an automatic decision
    caused_by: str = ""  # the entry and morning behind an automatic decision, in words


@dataclass(frozen=True)
class ItemState:
    exercise_id: str
    name: str
    dose: Dose
    per_side: bool
    status: str
    rung: int | None  # position on its ladder (0 = the start dose); None: off the ladder
    rungs: int
    progression_paused: bool


@dataclass(frozen=True)
class OpenEscalation:
    id: int
    day: date
    level: str
    rules: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class PatientRecord:
    id: int
    name: str
    history: History
    course: Course
    condition: str
    items: tuple[ItemState, ...]
    timeline: tuple[TimelineEntry, ...]  # newest first
    escalations: tuple[OpenEscalation, ...]  # stored, not yet acknowledged
    addable: tuple[tuple[str, str, bool], ...]  # (exercise id, name, needs an avoid override)
    notes: tuple[note_repo.NoteRecord, ...] = field(default=())
    # (exercise id, dose as JSON) → its rung on the ladder, for every dose a version held (charts)
    rungs: dict[tuple[str, str], int | None] = field(default_factory=dict)


def clinician_name(db: Database, actor: Actor) -> str:
    """The name the person reads on a change (D-7): the account's name, else its email."""
    with db.read() as s:
        return clinician_name_tx(s, actor)


def clinician_name_tx(s: DbSession, actor: Actor) -> str:
    if actor.account_id is None:
        return "the server admin"
    row = account_repo.account(s, actor.account_id)
    return (row.name if row and row.name else "") or actor.email


def _progression_paused(history: History) -> set[str]:
    paused: set[str] = set()
    for c in history.clinician:
        if c.action == "pause_progression" and c.exercise_id:
            paused.add(c.exercise_id)
        elif c.action == "resume_progression" and c.exercise_id:
            paused.discard(c.exercise_id)
    return paused


def _items(course: Course, history: History, library: Library) -> tuple[ItemState, ...]:
    if course.program is None:
        return ()
    held = _progression_paused(history)
    out = []
    for item in course.program.items:
        start = library.get(item.exercise_id).dose.to_dose()
        first = next((v for v in course.versions if v.kind == "plan"), None)
        planned = first.program.item(item.exercise_id) if first else None
        rung, rungs = rung_of(
            item.exercise_id, planned.dose if planned else start, item.dose, library
        )
        out.append(
            ItemState(
                item.exercise_id,
                item.name,
                item.dose,
                item.per_side,
                item.status.value,
                rung,
                rungs,
                item.exercise_id in held,
            )
        )
    return tuple(out)


def _rungs(course: Course, library: Library) -> dict[tuple[str, str], int | None]:
    if course.program is None or not course.versions:
        return {}
    plan = course.versions[0].program
    out: dict[tuple[str, str], int | None] = {}
    for item in course.program.items:
        first = plan.item(item.exercise_id)
        start = first.dose if first else library.get(item.exercise_id).dose.to_dose()
        for v in course.versions:
            found = v.program.item(item.exercise_id)
            key = (item.exercise_id, found.model_dump_json(include={"dose"})) if found else None
            if found is not None and key is not None and key not in out:
                out[key] = rung_of(item.exercise_id, start, found.dose, library)[0]
    return out


def _caused_by(history: History, day: date) -> str:
    """The morning and the last session before it: what an automatic decision read (C-6)."""
    morning = next((c for c in history.checkins if c.date == day), None)
    session = max((s for s in history.sessions if s.date < day), key=lambda s: s.date, default=None)
    parts = []
    if morning is not None:
        parts.append(f"morning check-in {day}: knee pain {morning.morning_pain}/10")
    if session is not None:
        worst = max((e.pain_during_max for e in session.entries), default=0)
        parts.append(f"session {session.date}: worst pain during {worst}/10")
    return "; ".join(parts)


def _timeline(
    course: Course, history: History, escalations: list[repo.EscalationRecord], library: Library
) -> tuple[TimelineEntry, ...]:
    names = {x: e.name for x, e in library.exercises.items()}
    out: list[TimelineEntry] = []
    for v in course.versions:
        if v.kind == "plan":
            out.append(TimelineEntry(v.date, "plan", "Program planned", v.reason, v.rules, "rules"))
    for d in course.decisions:
        if d.action == DecisionAction.HOLD:
            continue
        title = f"{names.get(d.exercise_id, d.exercise_id)}: {d.action.value}"
        out.append(
            TimelineEntry(
                d.date, "rule", title, d.reason, d.rules, "rules", _caused_by(history, d.date)
            )
        )
    for e in escalations:
        state = f"acknowledged by {e.acknowledged_by}" if e.acknowledged_at else "open"
        out.append(
            TimelineEntry(
                e.day, "escalation", f"Escalation ({e.level}, {state})", e.message, e.rules
            )
        )
    for c in history.clinician:
        what = c.action.replace("_", " ")
        if c.exercise_id:
            what += f" — {names.get(c.exercise_id, c.exercise_id)}"
        text = c.reason if c.action != "note" else f"Note to the person: {c.value}. {c.reason}"
        if c.override:
            text += f" (override of an avoid cell: {c.override})"
        out.append(TimelineEntry(c.date, "clinician", what, text, ("D-7",), c.by or "a clinician"))
    for s in history.sessions:
        done = ", ".join(names.get(e.exercise_id, e.exercise_id) for e in s.entries)
        out.append(TimelineEntry(s.date, "session", "Session", done))
    for ci in history.checkins:
        words = f"knee pain {ci.morning_pain}/10 this morning"
        if ci.new_symptoms:
            words += "; new: " + ", ".join(ci.new_symptoms)
        out.append(TimelineEntry(ci.date, "checkin", "Morning check-in", words))
    order = {"clinician": 0, "rule": 1, "escalation": 2, "checkin": 3, "session": 4, "plan": 5}
    return tuple(sorted(out, key=lambda t: (t.date, -order.get(t.kind, 9)), reverse=True))


def _addable(
    course: Course, history: History, library: Library
) -> tuple[tuple[str, str, bool], ...]:
    if course.program is None:
        return ()
    found = []
    for x, ex in library.exercises.items():
        if ex.role != Role.PROGRAM or course.program.item(x) is not None:
            continue
        args = (history.intake, course.triage, library, x)
        if program_item_for(*args, start=history.start, on=history.today, override_avoid=True):
            plain = program_item_for(*args, start=history.start, on=history.today)
            found.append((x, ex.name, plain is None))
    return tuple(found)


def patient_record(
    db: Database,
    actor: Actor,
    person_id: int,
    *,
    today: date,
    now: datetime,
    library: Library,
    request_id: str = "-",
) -> PatientRecord:
    """Everything the review screen shows, as of `today`; the look is audited."""
    people.open_record(
        db, actor, person_id, action=Permission.READ_HEALTH, resource="patients/{id}",
        now=now, request_id=request_id,
    )  # fmt: skip
    with db.read() as s:
        person = repo.get_person(s, person_id)
        history = history_in(s, person_id, max(today, person.start))
        stored = repo.escalations(s, person_id)
        account = account_repo.account_of_person(s, person_id)
        notes = note_repo.notes(s, person_id)
    course = replay_readable(history, library)
    name = (account.name or account.email) if account else f"person {person_id}"
    return PatientRecord(
        id=person_id,
        name=name,
        history=history,
        course=course,
        condition=stated_condition(history),
        items=_items(course, history, library),
        timeline=_timeline(course, history, stored, library),
        escalations=tuple(
            OpenEscalation(e.id, e.day, e.level, e.rules, e.message)
            for e in stored
            if e.acknowledged_at is None
        ),
        addable=_addable(course, history, library),
        notes=tuple(notes),
        rungs=_rungs(course, library),
    )


def act(
    db: Database,
    actor: Actor,
    person_id: int,
    action: ClinicianAction,
    *,
    today: date,
    now: datetime,
    library: Library,
    request_id: str = "-",
) -> ClinicianAction:
    """One D-7 action by `actor`, dated today and signed with their name; refused (InvalidInput
    naming the field, nothing kept) when the program cannot take it. Returns what was kept. One
    transaction: access.py's decision (with its audit row and the person's lock), the D-8 check
    and the write. A refused action leaves the look in the trail and nothing else."""
    refused: UserError | None = None
    with db.write() as s:
        refused = people.open_record_tx(
            s, actor, person_id, action=Permission.CLINICAL_ACTION, resource=ACTIONS_RESOURCE,
            now=now, request_id=request_id,
        )  # fmt: skip
        if refused is None:
            try:
                with s.begin_nested():  # undone alone when refused: the audit row stays
                    kept = _act_tx(
                        s, actor, person_id, action, today=today, now=now, library=library
                    )
            except UserError as err:
                refused = err
    if refused is not None:
        raise refused
    return kept


def _act_tx(
    s: DbSession,
    actor: Actor,
    person_id: int,
    action: ClinicianAction,
    *,
    today: date,
    now: datetime,
    library: Library,
) -> ClinicianAction:
    history = history_in(s, person_id, today)
    course = replay_readable(history, library)
    update: dict[str, object] = {"date": today, "by": clinician_name_tx(s, actor)}
    item = (
        course.program.item(action.exercise_id) if course.program and action.exercise_id else None
    )
    if action.action in ("set_dose", "resume") and isinstance(action.value, dict) and item:
        update["value"] = {**item.dose.model_dump(), **action.value}  # the keys not named stay
    kept = action.model_copy(update=update)
    problem = refusal(kept, history, course, library)
    if problem:
        raise InvalidInput(problem)
    review.record_event_tx(
        s, Acting(actor, person_id), kept, today=today, now=now, by=actor.label, library=library
    )
    if kept.action == "acknowledge":
        for e in repo.escalations(s, person_id):
            if e.acknowledged_at is None and str(kept.value) in e.rules:
                repo.acknowledge_escalation(s, person_id, e.id, now=now, by=str(update["by"]))
    return kept
