"""An httpx client over ASGI for the web app, on SQLite and PostgreSQL (the shared `db` fixture)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from kneehab.config import Settings
from kneehab.library.load import load_library
from kneehab.store.db import Database
from kneehab.web.app import create_app

# A fixed local time: a Tuesday morning.
NOW = datetime(2025, 3, 4, 8, 30, tzinfo=timezone(timedelta(hours=1)))
TODAY: date = NOW.date()
NO_FLAGS = {f"RF{n:02d}": "no" for n in range(1, 17)}
# RULES C-14 v2: the chest question and the cold, pale or blue foot are questions of their own on every page
# that asks the safety questions (the JSON twins take them as booleans).
FIELDS_NO = {"chest_symptoms": "no", "cold_foot": "no"}
SAFETY_NO = {**NO_FLAGS, **FIELDS_NO}
# RULES §1.1: the short set asked before each day's session, plus "any new injury?" (the JSON twin's ids)
CHECK_IDS = ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10", "RF12", "new_injury")
CHECK_ALL_NO = {**{q: "no" for q in CHECK_IDS}, **FIELDS_NO}
INTAKE_FORM = {
    "age": "58",
    "knee": "right",
    "onset": "gradual",
    "weeks_since_onset": "10",
    "pain_now": "4",
    "pain_worst_week": "6",
    "condition": "medial_knee_oa",
    "sex": "female",
    "assessed": "yes",
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "equipment": ["chair"],
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def library():  # type: ignore[no-untyped-def]
    return load_library()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


PERSON_EMAIL = "alice@example.org"
# Courses here run over days and weeks of the test clock: the session stays signed in for them (the
# idle and absolute lifetimes themselves are tested in tests/integration/test_accounts.py).
SETTINGS = Settings(session_idle_hours=24 * 30, session_max_days=365)
PASSWORD = "a long enough passphrase"


def csrf_hook(client: httpx.AsyncClient) -> Callable[[httpx.Request], Awaitable[None]]:
    """Send the session's CSRF token on every request, as kneehab's own pages do (issue 10 §2)."""

    async def add(request: httpx.Request) -> None:
        token = client.cookies.get("kneehab_csrf")
        if token and "x-csrf-token" not in request.headers:
            request.headers["x-csrf-token"] = token

    return add


@asynccontextmanager
async def web_client(
    app: Any,
    *,
    sign_up: str | None = PERSON_EMAIL,
    client_address: tuple[str, int] = ("127.0.0.1", 123),
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app`; signed up as a new self-managed person unless `sign_up` is None."""
    transport = httpx.ASGITransport(app=app, client=client_address)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        c.event_hooks["request"].append(csrf_hook(c))
        if sign_up is not None:
            r = await c.post("/api/v1/auth/signup", json={"email": sign_up, "password": PASSWORD})
            assert r.status_code == 201, r.text
        yield c


async def login(app: Any, email: str, stack: AsyncExitStack) -> httpx.AsyncClient:
    """A client of `app` signed in as the account `email` (password PASSWORD), closed with `stack`."""
    c = await stack.enter_async_context(web_client(app, sign_up=None))
    r = await c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


@pytest.fixture
async def client(db: Database, library, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Signed in as a self-managed person who has not enrolled yet (first run ends with their program)."""
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as c:
        yield c


@pytest.fixture
async def anonymous(db: Database, library, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Nobody signed in: a first visit."""
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        yield c


@pytest.fixture
def enroll_form() -> Callable[..., dict[str, object]]:
    def make(**changes: object) -> dict[str, object]:
        return {**INTAKE_FORM, **changes}

    return make


SAFETY_STEPS = 5  # the safety questions a few at a time, then the intake in five steps
FIRST_RUN_STEPS = 10


async def answer_steps(
    client: httpx.AsyncClient, flags: dict[str, str], intake: dict[str, object]
) -> httpx.Response:
    """Post every first-run step in turn (each step reads only its own fields); the first response that
    is not "on to the next step" is returned."""
    r: httpx.Response | None = None
    for n in range(1, FIRST_RUN_STEPS + 1):
        data = {**FIELDS_NO, **flags} if n <= SAFETY_STEPS else intake
        r = await client.post(f"/start/{n}", data=data)
        if n < FIRST_RUN_STEPS and not (
            r.status_code == 303 and r.headers["location"] == f"/start/{n + 1}"
        ):
            return r
    assert r is not None
    return r


async def enrol(client: httpx.AsyncClient, **changes: object) -> httpx.Response:
    """Go through first run in the browser way: the red flags (all no), then the intake, step by step."""
    return await answer_steps(client, NO_FLAGS, {**INTAKE_FORM, **changes})


async def pass_check(client: httpx.AsyncClient) -> None:
    """Answer today's short safety questions all "no" (the page form), as a person does before a session;
    on a day the full set is due (weekly, or the day after a stop, a sorer morning or a new injury: RULES
    §1.1) the page then asks for the full safety questions, and they are answered all "no" too."""
    r = await client.post("/today/check", data=CHECK_ALL_NO)
    if r.status_code == 200 and 'href="/rescreen"' in r.text:
        r = await rescreen(client)
        assert r.status_code == 200 and "No warning signs" in r.text, r.text
        return
    assert r.status_code == 303 and r.headers["location"] == "/today", r.text


RESCREEN_STEPS = 5  # the full red-flag set again mid-course, as first run's five safety steps


async def rescreen(
    client: httpx.AsyncClient, flags: dict[str, str] | None = None
) -> httpx.Response:
    """Answer the full safety questions again, step by step (all no unless given); the first response
    that is not "on to the next step" is returned."""
    data = {**SAFETY_NO, **(flags or {})}
    r: httpx.Response | None = None
    for n in range(1, RESCREEN_STEPS + 1):
        r = await client.post(f"/rescreen/{n}", data=data)
        if not (r.status_code == 303 and r.headers["location"] == f"/rescreen/{n + 1}"):
            return r
    assert r is not None
    return r


@contextmanager
def table_locked(db: Database, table: str) -> Iterator[tuple[int, Callable[[], None]]]:
    """PostgreSQL: another transaction holds `table` in ACCESS EXCLUSIVE mode (a stalled server, as far
    as a reader of it can tell) until `release()` is called, or after 5 s if nothing else can run
    (a stuck event loop); yields the holder's backend pid and `release`."""
    holder = db.engine.connect()
    holder.begin()
    holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    released = threading.Lock()

    def release() -> None:  # once: by the test, or by the fallback
        if released.acquire(blocking=False):
            holder.rollback()

    fallback = threading.Timer(5.0, release)
    fallback.start()
    try:
        yield holder_pid, release
    finally:
        fallback.cancel()
        release()
        holder.close()


def blocked_by(db: Database, holder_pid: int) -> bool:
    """Whether some backend waits for the holder's lock (asked for up to 4 s)."""
    with db.engine.connect() as watcher:
        for _ in range(400):
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE :p = ANY(pg_blocking_pids(pid))"),
                {"p": holder_pid},
            ).scalar_one()
            if waiting:
                return True
            time.sleep(0.01)
    return False
