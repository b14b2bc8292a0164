"""Demo data: one realistic person, made only through the services (no hand-made rows).

A 58-year-old with medial knee osteoarthritis who started 16 days ago, did every scheduled session
at the prescribed dose with little pain, and checked in each morning: enough for the engine to make
at least one progression, with pain drifting down from 4/10 to 2/10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from kneehab.domain.exercise import Library
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.intake import Intake
from kneehab.domain.program import ProgramItem
from kneehab.domain.records import (
    CheckIn,
    OutcomeRecord,
    PsfsActivity,
    Session,
    SessionEntry,
    done_as_prescribed,
)
from kneehab.domain.red_flags import SHORT_QUESTIONS
from kneehab.services import (
    Enrollment,
    check_in,
    enroll,
    record_outcome,
    rescreen,
    save_session,
    save_session_check,
    session_check,
    today_items,
)
from kneehab.services.accounts import account_actor
from kneehab.services.acting import Acting, on_machine
from kneehab.store.db import Database

DEMO_DAYS = 16
DEMO_INTAKE = Intake(
    age=58,
    sex="female",
    knee="right",
    condition="medial_knee_oa",
    onset="gradual",
    weeks_since_onset=30,
    pain_now=4,
    pain_worst_week=6,
    equipment=("chair", "mat", "strap", "step", "ankle_weights"),
    access=("stationary_bike",),
    goals=("Walk the dog for 30 minutes", "Climb stairs without holding the rail"),
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _did(item: ProgramItem, pain: int) -> SessionEntry:
    """The prescribed dose done in full, rated easy (what a steady week looks like)."""
    return done_as_prescribed(item, pain=pain, effort="easy", rir=3)


def seed_demo(
    db: Database,
    *,
    today: date,
    now: datetime,
    library: Library,
    account_id: int | None = None,
) -> Enrollment:
    """Create the demo person with 16 days of sessions and check-ins (belonging to `account_id`
    when given); returns the enrolment."""
    start = today - timedelta(days=DEMO_DAYS)
    joined = min(now, _at(start, 9))
    enrolment = enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=joined,
        library=library,
        account_id=account_id,
        actor=SERVER_ADMIN,
    )
    pid = enrolment.person_id
    # The demo person's own history is theirs (their account acts), not the server admin's changes.
    who = Acting(account_actor(db, account_id), pid) if account_id is not None else on_machine(pid)
    record_outcome(
        db,
        who,
        OutcomeRecord(
            date=start,
            measure="psfs",
            activities=(
                PsfsActivity(activity="Walking the dog 30 minutes", score=4),
                PsfsActivity(activity="Climbing stairs", score=5),
            ),
        ),
        today=start,
        now=joined,
    )
    record_outcome(
        db,
        who,
        OutcomeRecord(date=start, measure="chair_stand_30s", value=10),
        today=start,
        now=joined,
    )
    if enrolment.program is None:
        return enrolment
    for offset in range(DEMO_DAYS + 1):
        day = start + timedelta(days=offset)
        if offset > 0:
            avg = 4 if offset < 5 else 3 if offset < 11 else 2
            morning = CheckIn(date=day, morning_pain=min(avg, 3), morning_stiffness=2, avg_pain=avg)
            check_in(db, who, morning, today=day, now=_at(day, 8), library=library)
        if day == today:
            break  # today's session is still to do
        items = today_items(db, who, today=day, library=library)
        entries = tuple(_did(item, pain=1 if offset % 3 else 2) for item in items)
        if entries:
            answer_safety_questions(db, who, day, _at(day, 17), library=library)
            save_session(
                db,
                who,
                session=Session(date=day, entries=entries),
                now=_at(day, 18),
                today=day,
                library=library,
            )
    record_outcome(
        db,
        who,
        OutcomeRecord(date=today - timedelta(days=2), measure="chair_stand_30s", value=12),
        today=today,
        now=_at(today - timedelta(days=2), 18),
    )
    return enrolment


def answer_safety_questions(
    db: Database, who: Acting, day: date, now: datetime, *, library: Library
) -> None:
    """RULES §1.1 as a well person answers it before a session: the short set all no, and the full
    set all no when the day asks for it (weekly, or the day after a stop)."""
    answers = {q.id: False for q in SHORT_QUESTIONS}
    save_session_check(
        db, who, day=day, answers=answers, new_injury=False, now=now, library=library
    )
    check = session_check(db, who, day=day)
    if check is not None and not check["cleared"]:
        rescreen(db, who, now=now, today=day, clears_check=True, library=library)
