"""What every route receives: the app's state, the clock, the actor (who is signed in) and "the current
person" (whose data a person's own pages show), each through one dependency.

`current_actor` is the single place that decides who a request acts as (web/auth.py: a session cookie or a
bearer token); `current_person` is the signed-in person's own record. Clinicians reach other people's records
only through the routes that name them, and access.py decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from kneehab.config import Settings
from kneehab.domain.exercise import Library
from kneehab.domain.identity import Actor
from kneehab.domain.local_time import local_date
from kneehab.errors import NotFound
from kneehab.services.acting import Acting, own
from kneehab.services.enrolment import own_zone, zone_of
from kneehab.store.db import Database
from kneehab.web.auth import Auth, NotSignedIn, check_csrf, check_scope, resolve
from kneehab.web.drafts import Drafts
from kneehab.web.figures import Figures
from kneehab.web.kept_views import KeptViews, RecordVersion

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Local wall-clock time, timezone-aware (the person's "today" is their local date)."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class WebState:
    settings: Settings
    db: Database
    library: Library
    clock: Clock
    figures: Figures
    drafts: Drafts  # step-by-step answers between steps (in the database)
    camera: bool = False  # the camera coach's pose model is installed (web/pose_assets.py)
    views: KeptViews = field(default_factory=KeptViews)  # this app's kept views of its people


@dataclass(frozen=True)
class Now:
    now: datetime
    zone: str | None = None  # the signed-in person's timezone (None: the server's)

    @property
    def today(self) -> date:
        """The signed-in person's own date (issue 11 §1)."""
        return local_date(self.now, self.zone)


class NoPerson(NotFound):
    """Nobody has been through the first-run screening yet: pages send the browser to /start."""

    def __init__(self) -> None:
        super().__init__("you have no program yet: answer the safety questions at /start first")


# The dependencies below that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, a hop that cost more than the work.


async def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def get_now(request: Request, state: Annotated[WebState, Depends(get_state)]) -> Now:
    """The clock, in the zone of the person signed in (resolved once per request by csrf_guard). A
    session's lookup already read their own record: access.py decides on it as `zone_of` would."""
    auth = await resolve(request)
    who = own(auth.actor) if auth is not None else None
    if who is None or auth is None:
        zone = None
    elif auth.record is not None:
        zone = own_zone(who, auth.record)
    else:
        zone = await run_in_threadpool(zone_of, state.db, who)
    return Now(state.clock(), zone)


def person_now(state: WebState, who: Acting, clock: Now) -> Now:
    """The clock in another person's zone: a clinician's look at them uses their "today"."""
    return Now(clock.now, zone_of(state.db, who))


async def csrf_guard(connection: HTTPConnection) -> None:
    """On every route (app-level): who is signed in, and the CSRF rule for their writes. A WebSocket
    (the camera coach, routes/live.py) makes its own checks, since it must answer with a close code."""
    if not isinstance(connection, Request):
        return
    request = connection
    auth = await resolve(request)
    if auth is not None:
        check_scope(request, auth)
        await check_csrf(request, auth)


async def optional_auth(request: Request) -> Auth | None:
    return await resolve(request)


async def current_actor(request: Request) -> Actor:
    """Who this request acts as; NotSignedIn (401, or the sign-in page) when nobody."""
    auth = await resolve(request)
    if auth is None:
        raise NotSignedIn()
    return auth.actor


async def current_person(actor: Annotated[Actor, Depends(current_actor)]) -> Acting:
    """The signed-in person acting on their own record (NoPerson until their first run is done)."""
    who = own(actor)  # access.py: who has a record of their own
    if who is None:
        raise NoPerson()
    return who


async def own_version(
    request: Request, person: Annotated[Acting, Depends(current_person)]
) -> RecordVersion | None:
    """The version of the signed-in person's own record as the sign-in's lookup read it, once
    access.py allows the read (as `zone_of` decides); None when it was not read."""
    auth = await resolve(request)
    if auth is None or auth.record is None or auth.record.version is None:
        return None
    own_zone(person, auth.record)  # refused: the same NotFound as the use-cases' own decision
    return auth.record.version


@dataclass(frozen=True)
class OwnRead:
    """What a read of the signed-in person's own kept view needs (state, person, clock, version)."""

    state: WebState
    person: Acting
    clock: Now
    version: RecordVersion | None


async def own_read(request: Request) -> OwnRead:
    """The dependencies `State, Person, Clocked, OwnVersion` as one, solved in their order (the same
    refusals, in the same order): FastAPI solves each dependency of a route anew on every request,
    about 10 µs each, more than a kept view costs to send."""
    state = await get_state(request)
    person = await current_person(await current_actor(request))
    clock = await get_now(request, state)
    return OwnRead(state, person, clock, await own_version(request, person))


# The dependencies a dependency calls itself rather than through FastAPI: the API's documented
# answers (web/api_docs.py: 401 unsigned, 404 not enrolled) are read from the ones a route uses.
CALLS_WITHIN: dict[Callable[..., object], tuple[Callable[..., object], ...]] = {
    own_read: (get_state, current_actor, current_person, get_now, own_version),
}


State = Annotated[WebState, Depends(get_state)]
Clocked = Annotated[Now, Depends(get_now)]
SignedIn = Annotated[Actor, Depends(current_actor)]
MaybeSignedIn = Annotated[Auth | None, Depends(optional_auth)]
Person = Annotated[Acting, Depends(current_person)]
OwnVersion = Annotated[RecordVersion | None, Depends(own_version)]
OwnReading = Annotated[OwnRead, Depends(own_read)]
# An id in a path (a person, an account) as the database can hold it: a 32-bit integer on PostgreSQL.
# Beyond that range no row can exist, and the database would refuse the query itself (a 500), so the
# boundary answers 422 naming the range instead.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description=f"An id from 1 to {MAX_ROW_ID}")]
