"""The demo clinic for `make run` (`kneehab serve --demo`, issue 10 §3): a clinic admin, a clinician and
four people whose courses differ, each made only through the services (no hand-made rows):

- a steady improver (the 16-day demo course),
- a flare-up after a step up, and the step back it led to (RULES P8),
- an open urgent escalation from a warning sign re-screened yesterday (E1),
- someone who stopped doing sessions ten days ago.

Every demo account has the password DEMO_PASSWORD; the sign-in page lists them in demo mode only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kneehab.demo import DEMO_INTAKE, _at, _did, answer_safety_questions, seed_demo
from kneehab.domain.exercise import Library
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.progression import Action
from kneehab.domain.records import CheckIn, Session
from kneehab.services import accounts, check_in, enroll, rescreen, save_session, today_items
from kneehab.services.acting import Acting
from kneehab.store.db import Database

DEMO_PASSWORD = "kneehab-demo"
CLINIC_NAME = "Riverside Physio (demo)"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    who: str  # what the sign-in page says about it
    password: str = DEMO_PASSWORD


ADMIN = DemoAccount("anna.admin@example.org", "clinic admin at the demo clinic")
PHYSIO = DemoAccount("ben.physio@example.org", "physical therapist at the demo clinic")
MARIA = DemoAccount("maria@example.org", "a person improving steadily")
JOE = DemoAccount("joe@example.org", "a flare-up after a step up, and its step back")
LENA = DemoAccount("lena@example.org", "an urgent warning sign yesterday (open)")
TOM = DemoAccount("tom@example.org", "stopped doing sessions ten days ago")
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (ADMIN, PHYSIO, MARIA, JOE, LENA, TOM)


def _person(db: Database, email: str, clinic: int, now: datetime) -> int:
    return accounts.add_account(
        db, email, role="person", clinic_id=clinic, password=DEMO_PASSWORD, actor=SERVER_ADMIN,
        now=now,
    ).account_id  # fmt: skip


def _own(db: Database, account_id: int, pid: int) -> Acting:
    """The demo person acting on their own record: their history is theirs, not the server admin's."""
    return Acting(accounts.account_actor(db, account_id), pid)


def _live(
    db: Database,
    who: Acting,
    start: date,
    until: date,
    library: Library,
    *,
    sessions_until: date | None = None,
    flare_after_step_up: bool = False,
) -> None:
    """Mornings and sessions from `start` to the day before `until`: sessions done as prescribed
    and easy; check-ins at pain 2 (or 6, a much sorer morning, after the first step up once a
    usual morning pain of 2 is known from a week of check-ins)."""
    flared = pending = False
    day = start
    while day < until:
        if day > start:
            pain = 6 if pending and not flared else 2
            result = check_in(
                db, who, CheckIn(date=day, morning_pain=pain, morning_stiffness=2, avg_pain=pain),
                today=day, now=_at(day, 8), library=library,
            )  # fmt: skip
            flared = flared or pending
            stepped_up = any(d.action == Action.PROGRESS for d in result.decisions)
            if flare_after_step_up and stepped_up and day >= start + timedelta(days=8):
                pending = True
        if sessions_until is None or day <= sessions_until:
            items = today_items(db, who, today=day, library=library)
            if items:
                answer_safety_questions(db, who, day, _at(day, 17), library=library)
                entries = tuple(_did(i, pain=1) for i in items)
                save_session(
                    db, who, session=Session(date=day, entries=entries), now=_at(day, 18),
                    today=day, library=library,
                )  # fmt: skip
        day += timedelta(days=1)


def seed_demo_clinic(
    db: Database, *, today: date, now: datetime, library: Library
) -> list[DemoAccount]:
    """Create the demo clinic and its accounts; returns what the sign-in page lists."""
    early = now - timedelta(days=40)
    clinic = accounts.create_clinic(db, CLINIC_NAME, actor=SERVER_ADMIN, now=early)
    accounts.add_account(
        db, ADMIN.email, role="clinic_admin", clinic_id=clinic, name="Anna (admin)",
        password=DEMO_PASSWORD, actor=SERVER_ADMIN, now=early,
    )  # fmt: skip
    accounts.add_account(
        db, PHYSIO.email, role="clinician", clinic_id=clinic, name="Ben (physio)",
        password=DEMO_PASSWORD, actor=SERVER_ADMIN, now=early,
    )  # fmt: skip

    maria = _person(db, MARIA.email, clinic, early)
    seed_demo(db, today=today, now=now, library=library, account_id=maria)

    joe = _person(db, JOE.email, clinic, early)
    start = today - timedelta(days=21)
    pid = enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=_at(start, 9),
        library=library,
        account_id=joe,
        actor=SERVER_ADMIN,
    ).person_id
    _live(db, _own(db, joe, pid), start, today, library, flare_after_step_up=True)

    lena = _person(db, LENA.email, clinic, early)
    start = today - timedelta(days=12)
    pid = enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=_at(start, 9),
        library=library,
        account_id=lena,
        actor=SERVER_ADMIN,
    ).person_id
    _live(db, _own(db, lena, pid), start, today - timedelta(days=1), library)
    yesterday = today - timedelta(days=1)
    rescreen(
        db, _own(db, lena, pid), flags=["RF07"], now=_at(yesterday, 9), today=yesterday,
        library=library,
    )  # fmt: skip

    tom = _person(db, TOM.email, clinic, early)
    start = today - timedelta(days=20)
    pid = enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=_at(start, 9),
        library=library,
        account_id=tom,
        actor=SERVER_ADMIN,
    ).person_id
    _live(db, _own(db, tom, pid), start, start + timedelta(days=10), library)
    return list(DEMO_ACCOUNTS)
