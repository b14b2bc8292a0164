"""Take the program anywhere (issue 14): the printable handout, the calendar (download or a private
subscription) and the FHIR R4 Bundle. Each route parses, calls one use-case of services.exports (which
asks access.py and writes the audit row) and returns the bytes."""

from __future__ import annotations

import contextlib
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kneehab.errors import NotFound
from kneehab.exports.calendar_ics import DEFAULT_REMIND_AT
from kneehab.services import exports
from kneehab.services.acting import Acting
from kneehab.web.deps import MAX_ROW_ID, Clocked, Person, RowId, SignedIn, State, person_now
from kneehab.web.render import page
from kneehab.web.routes.forms import read_form, text
from kneehab.web.security import request_id

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["exports"])
TITLE = "Print or add to your calendar"
Paper = Literal["a4", "letter"]
PaperQ = Annotated[Paper, Query(description="Paper size: a4 or letter")]
LargeQ = Annotated[bool, Query(description="Large print (body text 14 pt)")]
RemindQ = Annotated[str | None, Query(description="Reminder time HH:MM (24-hour); default 08:00")]
PDF, ICS, FHIR_JSON = "application/pdf", "text/calendar; charset=utf-8", "application/fhir+json"


def _req(
    request: Request, state: State, actor: SignedIn, clock: Clocked, person: Acting | int
) -> exports.Request:
    """The export's facts. "Today" is always the person's own date: the signed-in person's clock
    already is; for a clinician (a person id in the path) it is taken in the person's zone."""
    if isinstance(person, Acting):
        person_id = person.person_id
    else:
        person_id = person
        # A refusal here is left to the export itself, which refuses in the same words and audits it.
        with contextlib.suppress(NotFound):
            clock = person_now(state, Acting(actor, person_id), clock)
    return exports.Request(
        actor=actor, person_id=person_id, now=clock.now, today=clock.today,
        base_url=state.settings.base_url, library=state.library, request_id=request_id(request.scope),
    )  # fmt: skip


def _file(body: bytes, name: str, media: str, *, inline: bool = False) -> Response:
    how = "inline" if inline else "attachment"
    return Response(
        body, media_type=media,
        headers={"Content-Disposition": f'{how}; filename="{name}"', "Cache-Control": "no-store"},
    )  # fmt: skip


class TakeView(BaseModel):
    handout_url: str = "/program/handout.pdf"
    calendar_url: str = "/program/calendar.ics"
    subscribe_url: str = "/program/calendar/subscription"
    revoke_url: str = "/program/calendar/subscription/revoke"
    remind_at: str = DEFAULT_REMIND_AT
    subscribed: bool = False
    webcal: str = ""  # shown once, right after it is made
    url: str = ""
    message: str = ""
    back_url: str = "/program"


def _view(state: State, person: Acting, **extra: str) -> TakeView:
    remind = exports.has_subscription(state.db, person)
    return TakeView(subscribed=remind is not None, remind_at=remind or DEFAULT_REMIND_AT, **extra)


# --- the person's own -------------------------------------------------------------------------


@router.get("/program/take", response_class=HTMLResponse, include_in_schema=False)
def take_page(request: Request, state: State, person: Person) -> HTMLResponse:
    return page(request, "program_take.html", _view(state, person), title=TITLE)


@router.get("/program/handout.pdf", include_in_schema=False)
@api.get(
    "/program/handout.pdf", summary="My program as a printable PDF handout", response_class=Response
)
def handout_own(
    request: Request, state: State, actor: SignedIn, person: Person, clock: Clocked,
    large: LargeQ = False, paper: PaperQ = "a4",
) -> Response:  # fmt: skip
    body = exports.handout(
        db=state.db, req=_req(request, state, actor, clock, person), large=large, paper=paper
    )
    return _file(body, "kneehab-program.pdf", PDF, inline=True)


@router.get("/program/calendar.ics", include_in_schema=False)
@api.get(
    "/program/calendar.ics",
    summary="My exercise days as an iCalendar file",
    response_class=Response,
)
def calendar_own(
    request: Request, state: State, actor: SignedIn, person: Person, clock: Clocked,
    remind_at: RemindQ = None,
) -> Response:  # fmt: skip
    body = exports.calendar(
        state.db, _req(request, state, actor, clock, person), remind_at=remind_at
    )
    return _file(body, "kneehab-exercise-days.ics", ICS)


class SubscriptionRequest(BaseModel):
    remind_at: str = DEFAULT_REMIND_AT


class SubscriptionView(BaseModel):
    url: str
    webcal: str
    remind_at: str


@api.post(
    "/program/calendar/subscription", response_model=SubscriptionView,
    summary="A new private calendar subscription URL (the old one stops working)",
)  # fmt: skip
def subscribe_api(
    body: SubscriptionRequest,
    request: Request,
    state: State,
    actor: SignedIn,
    person: Person,
    clock: Clocked,
) -> SubscriptionView:
    made = exports.subscribe(
        state.db, _req(request, state, actor, clock, person), remind_at=body.remind_at
    )
    return SubscriptionView(url=made.url, webcal=made.webcal, remind_at=made.remind_at)


@api.delete(
    "/program/calendar/subscription", status_code=204, summary="Revoke my calendar subscription"
)
def revoke_api(
    request: Request, state: State, actor: SignedIn, person: Person, clock: Clocked
) -> Response:
    exports.unsubscribe(state.db, _req(request, state, actor, clock, person))
    return Response(status_code=204)


@router.post("/program/calendar/subscription", response_class=HTMLResponse, include_in_schema=False)
async def subscribe_form(
    request: Request, state: State, actor: SignedIn, person: Person, clock: Clocked
) -> HTMLResponse:
    form = await read_form(request)
    remind = text(form, "remind_at") or DEFAULT_REMIND_AT
    made = await run_in_threadpool(
        exports.subscribe, state.db, _req(request, state, actor, clock, person), remind_at=remind
    )
    vm = _view(state, person, webcal=made.webcal, url=made.url)
    return page(request, "program_take.html", vm, title=TITLE)


@router.post(
    "/program/calendar/subscription/revoke", response_class=HTMLResponse, include_in_schema=False
)
async def revoke_form(
    request: Request, state: State, actor: SignedIn, person: Person, clock: Clocked
) -> HTMLResponse:
    await run_in_threadpool(
        exports.unsubscribe, state.db, _req(request, state, actor, clock, person)
    )
    vm = _view(
        state, person, message="Your calendar subscription is revoked: its address no longer works."
    )
    return page(request, "program_take.html", vm, title=TITLE)


# --- the subscription itself (no sign-in: the secret is the key) -------------------------------


@router.get("/calendar/{secret}.ics", include_in_schema=False)
def calendar_feed(secret: str, request: Request, state: State, clock: Clocked) -> Response:
    body = exports.feed(
        state.db, secret, now=clock.now, base_url=state.settings.base_url,
        library=state.library, request_id=request_id(request.scope),
    )  # fmt: skip
    return Response(body, media_type=ICS, headers={"Cache-Control": "no-store"})


# --- a clinician's people (and the person's own, by id): access.py decides ---------------------


@router.get("/patients/{person_id}/handout.pdf", include_in_schema=False)
@api.get(
    "/patients/{person_id}/handout.pdf",
    summary="A person's program as a PDF handout",
    response_class=Response,
    tags=["clinician"],
)
def handout_of(
    person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked,
    large: LargeQ = False, paper: PaperQ = "a4",
) -> Response:  # fmt: skip
    req = _req(request, state, actor, clock, person_id)
    body = exports.handout(
        state.db, req, large=large, paper=paper, resource="patients/{id}/handout.pdf"
    )
    return _file(body, f"kneehab-program-{person_id}.pdf", PDF, inline=True)


@api.get(
    "/patients/{person_id}/calendar.ics",
    summary="A person's exercise days (iCalendar)",
    response_class=Response,
    tags=["clinician"],
)
def calendar_of(
    person_id: RowId,
    request: Request,
    state: State,
    actor: SignedIn,
    clock: Clocked,
    remind_at: RemindQ = None,
) -> Response:
    req = _req(request, state, actor, clock, person_id)
    # The person's chosen reminder time (their subscription's) unless the clinician gives one.
    body = exports.calendar(
        state.db, req, remind_at=remind_at, resource="patients/{id}/calendar.ics"
    )
    return _file(body, f"kneehab-exercise-days-{person_id}.ics", ICS)


@api.get(
    "/fhir/Patient/{person_id}/$everything", summary="A person's course as a FHIR R4 Bundle",
    response_class=Response, tags=["fhir"],
    responses={200: {"content": {FHIR_JSON: {}}}, 404: {"description": "no such person, or not yours to see"}},
)  # fmt: skip
def fhir_everything(
    person_id: str, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> Response:
    """`person_id`: the kneehab person id, or the Patient resource id (`kneehab-<id>`)."""
    number = person_id.removeprefix("kneehab-")
    # Anything else (not a number, or beyond any row id) is a person nobody may reach: the same 404.
    ident = int(number) if number.isdigit() and len(number) <= 10 else -1
    ident = ident if ident <= MAX_ROW_ID else -1
    body = exports.fhir(
        state.db,
        _req(request, state, actor, clock, ident),
        resource="fhir/Patient/{id}/$everything",
    )
    return Response(body, media_type=FHIR_JSON)
