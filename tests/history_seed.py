"""One helper for back-dated history, shared by the API tests (tests/api) and the browser tests (tests/e2e).

Both conftest directories sit below tests/, which pytest puts on sys.path for tests/conftest.py, so this
module is imported as `history_seed`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kneehab import services
from kneehab.demo import DEMO_INTAKE, answer_safety_questions
from kneehab.domain.exercise import Library
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import CheckIn, Session, done_as_prescribed
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store.db import Database


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed_history(db: Database, library: Library, today: date, days: int = 16) -> int:
    """A steady course through the services, back-dated: every scheduled session done in full and
    easy, a check-in each morning, the last session yesterday and today's check-in still to do."""
    start = today - timedelta(days=days)
    enrolled = services.enroll(
        db, DEMO_INTAKE, start=start, now=_at(start, 9), library=library,
        account_id=signed_up_account(db),actor=SERVER_ADMIN
    )  # fmt: skip
    pid = enrolled.person_id
    for offset in range(days):
        day = start + timedelta(days=offset)
        if offset > 0:
            morning = CheckIn(date=day, morning_pain=3, morning_stiffness=2, avg_pain=3)
            services.check_in(
                db, on_machine(pid), morning, today=day, now=_at(day, 8), library=library
            )
        entries = [
            done_as_prescribed(item, pain=1, effort="easy", rir=3)
            for item in services.today_items(db, on_machine(pid), today=day, library=library)
        ]
        if entries:
            pass_safety_check(db, pid, day, _at(day, 17))
            services.save_session(
                db,
                on_machine(pid),
                session=Session(date=day, entries=tuple(entries)),
                now=_at(day, 18),
                today=day,
                library=library,
            )
    return pid


def pass_safety_check(db: Database, pid: int, day: date, now: datetime) -> None:
    """Today's safety questions answered as a well person does before a session (RULES §1.1)."""
    answer_safety_questions(db, on_machine(pid), day, now, library=default_library())


SIGNED_UP = "alice@example.org"  # the account the API and browser test clients sign up as


def signed_up_account(db: Database, email: str = SIGNED_UP) -> int | None:
    """The test client's account, when it signed up before the history was seeded: the course is
    theirs, as if their first run had made it."""
    found = [a.id for a in services.accounts.list_accounts(db, SERVER_ADMIN) if a.email == email]
    return found[0] if found else None
