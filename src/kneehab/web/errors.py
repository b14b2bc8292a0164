"""The web's one error handler: every error becomes JSON under /api and an HTML page elsewhere.

User mistakes are 4xx with a message naming the field and what is allowed; a form mistake re-renders that
form with the person's answers kept. Bugs are logged by type and path only — never with request data, which
may hold health information.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from annotated_types import Ge, Le
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kneehab.domain.intake import SubmittedIntake
from kneehab.domain.records import CheckIn
from kneehab.domain.validation import describe_errors
from kneehab.errors import (
    DayStopped,
    InvalidInput,
    KneehabError,
    SafetyCheckDue,
    Throttled,
    UserError,
)
from kneehab.web.auth import NotSignedIn
from kneehab.web.deps import NoPerson
from kneehab.web.render import NAV, page, templates
from kneehab.web.security import request_id
from kneehab.web.viewmodels.start import QUESTION_ORDER, StopView

log = logging.getLogger("kneehab.web")


class FormError(InvalidInput):
    """Invalid form input: the handler shows `template` again with `vm` (answers kept) and the problems."""

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[str | FieldProblem],
        template: str,
        vm: BaseModel,
        title: str,
        status: int = 422,
        headers: dict[str, str] | None = None,
    ) -> None:
        # The machine lines, as every InvalidInput has them; the page shows `shown`, whose
        # FieldProblems keep the route's own plain words.
        lines = [p if isinstance(p, str) else p.problem for p in problems]
        super().__init__(message, problems=lines)
        self.shown = list(problems)
        self.template = template
        self.vm = vm
        self.title = title
        self.status = status  # 429 for a sign-in that must wait, like the API's
        self.headers = headers or {}


class ProgramWithheld(UserError):
    """Triage withholds the self-managed program (RULES D-2): pages show the stop page, the API a 409."""

    status_code = 409

    def __init__(self, vm: StopView) -> None:
        super().__init__(vm.what_now)
        self.vm = vm
        self.problems = [vm.what_now, *vm.reasons]


# Where a person answers the safety questions that SafetyCheckDue asks for (page, API).
CHECK_URLS = ("/today/check", "/api/v1/today/check")
RESCREEN_URLS = ("/rescreen", "/api/v1/rescreen")


def invalid(err: ValidationError, *, prefix: str = "") -> InvalidInput:
    """One InvalidInput from a pydantic error, each problem naming its field."""
    problems = [f"{prefix}{line}" for line in describe_errors(err.errors())]
    return InvalidInput(problems[0] if problems else "the input is not valid", problems=problems)


# ---- mistakes in plain words (issue 9 §2) ----------------------------------------------------------
# The machine lines (`field: what is wrong`) stay as they are for integrators (`problems`); each also gets a
# sentence a person reads next to the field and, with a link to it, in the box at the top (the GOV.UK
# error-summary pattern). The models stay the only judges: the limits in a sentence are read from them.

# field → (what to ask for, "choose" for answers picked from a list / "enter" for typed ones)
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "age": ("your age in years", "enter"),
    "sex": ("your sex, or “Prefer not to say”", "choose"),
    "knee": ("which knee hurts", "choose"),
    "onset": ("how it started", "choose"),
    "weeks_since_onset": ("how many weeks ago it started", "enter"),
    "condition": ("what a clinician told you it is, or “I don't know”", "choose"),
    "mcl_grade": ("the grade of the MCL sprain, or “Not told”", "choose"),
    "pain_now": ("how much your knee hurts right now", "choose"),
    "pain_worst_week": ("the worst your knee has hurt in the last week", "choose"),
    "assessed": ("whether a doctor or physical therapist has examined your knee", "choose"),
    "floor_transfer": ("whether you can get down to the floor and up again", "choose"),
    "falls_or_unsteady": ("whether you have fallen or feel unsteady", "choose"),
    "stair_height_cm": ("the height of your bottom stair in cm, or leave it empty", "enter"),
    "equipment": ("what you have at home from the list", "choose"),
    "access": ("what you can use for aerobic exercise from the list", "choose"),
    "goals": ("what you would like to do again", "enter"),
    "date": ("which morning this check-in is for", "choose"),
    "morning_pain": ("your knee pain this morning", "choose"),
    "morning_stiffness": ("your knee stiffness this morning", "choose"),
    "avg_pain": ("your average knee pain over the last day", "choose"),
    "new_symptoms": ("anything new from the list", "choose"),
    "chair_stand_30s": ("the number of chair stands", "enter"),
    "walk_40m": ("the time for the 40 m walk in seconds", "enter"),
    "psfs": (
        "at least one test: an activity with its score, chair stands or the 40 m walk",
        "enter",
    ),
    "confirm": ("the box to confirm", "tick"),
}
_PSFS_FIELD = re.compile(r"^psfs_(activity|score)_(\d+)$")
_NUMBER = r"(-?\d+(?:\.\d+)?)"


class FieldProblem(BaseModel):
    """One mistake: the machine field name and line (unchanged for integrators) and the plain words."""

    field: str
    problem: str
    message: str  # next to the field
    summary: str  # in the box at the top, a link to the field (understandable on its own)

    @property
    def anchor(self) -> str:
        """The id of the control the summary links to (the field's input, or its first choice)."""
        if self.field == "psfs":  # "fill in at least one test": the first activity
            return "psfs_activity_1"
        return re.sub(r"[^A-Za-z0-9_-]", "_", self.field) or "main"


def _bounds(field: str) -> tuple[float | None, float | None]:
    """A field's limits as the models declare them (the models stay the only judges)."""
    for model in (SubmittedIntake, CheckIn):
        info = model.model_fields.get(field)
        if info is None:
            continue
        low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
        high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
        if low is None and high is None:
            for arg in getattr(info.annotation, "__metadata__", ()):  # Annotated aliases
                for m in getattr(arg, "metadata", ()):
                    low = m.ge if isinstance(m, Ge) else low
                    high = m.le if isinstance(m, Le) else high
        return (low, high)  # type: ignore[return-value]
    if field.startswith("psfs_score_"):
        return (0, 10)
    return (None, None)


def _num(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x) == int(x) else str(x))


_PSFS_API = re.compile(r"^psfs\[(\d+)\]\.(activity|score)$")


def _words(field: str) -> tuple[str, str]:
    m = _PSFS_FIELD.match(field)
    api = _PSFS_API.match(field)
    if api:
        m = re.match(r"(\d+) (\w+)", f"{int(api.group(1)) + 1} {api.group(2)}")
        what, n = (m.group(2), m.group(1)) if m else ("score", "1")
    elif m:
        what, n = m.groups()
    if m or api:
        if what == "activity":
            return (f"the name of activity {n}", "enter")
        return (f"how well you can do activity {n}, from 0 to 10", "enter")
    if field in FIELD_WORDS:
        return FIELD_WORDS[field]
    return (field.replace("_", " ").replace(".", " "), "enter") if field else ("", "enter")


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _plain(field: str, what: str) -> tuple[str, str]:
    """(message next to the field, summary at the top) for one machine line `field: what`."""
    if field in QUESTION_ORDER or field == "new_injury":
        number = QUESTION_ORDER.index(field) + 1 if field in QUESTION_ORDER else None
        if "yes or no" in what:
            where = f"question {number}" if number else "the question about a new injury"
            return ("Answer yes or no.", f"Answer {where}: yes or no.")
    if field == "date" and "already recorded" in what:
        msg = "A check-in for that morning is already recorded."
        return (msg, msg)
    if field == "date" and "before your program started" in what:
        msg = "That morning is before your program started: choose a later one."
        return (msg, msg)
    if field == "date" and "cannot be checked in now" in what:
        msg = "Choose this morning or yesterday morning."
        return (msg, msg)
    if "please choose yes, no or not sure" in what:
        label, _ = _words(field)
        return (
            "Choose yes, no or not sure.",
            _sentence(f"Choose yes, no or not sure for {label}") if label else "",
        )
    label, verb = _words(field)
    low, high = _bounds(field)
    span = (
        f"from {_num(low)} to {_num(high)}"
        if low is not None and high is not None
        else f"of {_num(low)} or more"
        if low is not None
        else f"of {_num(high)} or less"
        if high is not None
        else ""
    )
    if field == "psfs" and "fill in at least one" in what:
        msg = (
            "Fill in at least one test: an activity with its score, chair stands or the 40 m walk."
        )
        return (msg, msg)
    if field == "confirm":
        msg = "Tick the box to confirm. Deleting cannot be undone."
        return (msg, msg)
    if what == "is required" and label:
        if field not in FIELD_WORDS and not _PSFS_FIELD.match(field):
            return (_sentence(f"{label} is required"), _sentence(f"{label} is required"))
        if _PSFS_FIELD.match(field) and field.startswith("psfs_score"):
            msg = _sentence(f"Enter {label}, or clear the activity's name")
        elif _PSFS_FIELD.match(field):
            msg = _sentence(f"Enter {label}, or clear its score")
        else:
            msg = _sentence(f"{verb.capitalize()} {label}")
        return (msg, msg)
    bound = re.search(r"(greater|less) than (or equal to )?" + _NUMBER, what)
    if bound and label:
        thing = label.split(",")[0]
        if not span:
            more = bound.group(1) == "greater"
            span = f"{bound.group(3)} or {'more' if more else 'less'}"
        msg = _sentence(f"Enter {thing}, {span}")
        return (msg, msg)
    if re.search(r"valid (integer|number)|please enter a number|fractional part", what) and label:
        thing = label.split(",")[0]
        whole = "valid integer" in what or "fractional part" in what
        kind = "a whole number" if whole else "a number"
        msg = _sentence(
            f"Enter {thing} as {kind}{' ' + span if span else ''}, like {_num(low or 0) if whole else '12.5'}"
        )
        if whole and low is not None and high is not None:
            msg = _sentence(f"Enter {thing} as {kind} {span}")
        return (msg, msg)
    if "allowed:" in what and field in FIELD_WORDS:
        msg = _sentence(f"Choose {label} from the options shown")
        return (msg, msg)
    if "json" in what.lower():
        msg = "The request body is not valid JSON: check its quotes, commas and brackets."
        return (msg, msg)
    text = re.sub(r"^got .*?; ", "", what)
    text = text.removeprefix("value error, ")
    msg = _sentence(text) if text else "Please check this answer."
    return (msg, msg)


def field_problem(field: str, problem: str, message: str, summary: str = "") -> FieldProblem:
    """A problem whose plain words are written by the route itself (a contradiction between answers)."""
    return FieldProblem(field=field, problem=problem, message=message, summary=summary or message)


def plain_problems(problems: Iterable[str | FieldProblem]) -> list[FieldProblem]:
    """Each machine line (`field: what is wrong`) with its plain words; FieldProblems pass through."""
    out: list[FieldProblem] = []
    for p in problems or ():
        if isinstance(p, FieldProblem):
            out.append(p)
            continue
        field, sep, what = str(p).partition(": ")
        if not sep or " " in field:
            field, what = "", str(p)
        message, summary = _plain(field, what)
        out.append(
            FieldProblem(field=field, problem=str(p), message=message, summary=summary or message)
        )
    return out


def problem_lines(problems: Iterable[str | FieldProblem]) -> list[str]:
    """The machine lines, for `problems` in JSON."""
    return [p.problem if isinstance(p, FieldProblem) else str(p) for p in problems]


def _by_field(problems: Iterable[str | FieldProblem]) -> dict[str, FieldProblem]:
    out: dict[str, FieldProblem] = {}
    for p in plain_problems(problems):
        out.setdefault(p.field, p)
    return out


# Templates read the same plain words: `problems|field_errors` (a list) and `problems|errors_by_field`.
templates.env.filters["field_errors"] = plain_problems
templates.env.filters["errors_by_field"] = _by_field

# A stopped outcome keeps the way to My data (export, delete and start again): issue 9 §3.
STOPPED_NAV: tuple[tuple[str, str], ...] = tuple((h, label) for h, label in NAV if h == "/data")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _http_message(status: int) -> str:
    if status == 404:
        return "There is no page at this address."
    if status == 405:
        return "This address does not accept that kind of request."
    return "The request could not be handled."


def _respond(
    request: Request, status: int, message: str, problems: list[str], **extra: Any
) -> Response:
    plain = plain_problems(problems)
    if _wants_json(request):
        body = {
            "detail": message,
            "problems": problems,
            "errors": [
                {"field": p.field, "problem": p.problem, "message": p.message} for p in plain
            ],
        }
        return JSONResponse(body, status_code=status)
    messages = [p.message for p in plain]
    return page(
        request,
        "error.html",
        None,
        title="Something needs fixing" if status < 500 else "Something went wrong",
        status=status,
        message=plain_problems([message])[0].message if status < 500 else message,
        problems=messages if problems != [message] else [],
        **extra,
    )


async def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnect):
        # The page went away mid-request (a closing tab's last save): nothing to answer.
        return Response(status_code=400)
    if isinstance(exc, NoPerson) and not _wants_json(request):
        auth = getattr(request.state, "auth", None)
        clinical = auth is not None and auth.actor.role.value in ("clinician", "clinic_admin")
        return RedirectResponse("/clinic" if clinical else "/start", status_code=303)
    if isinstance(exc, NotSignedIn) and not _wants_json(request):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(here)}", status_code=303)
    if isinstance(exc, FormError) and not _wants_json(request):
        plain = plain_problems(exc.shown)
        return page(
            request,
            exc.template,
            exc.vm,
            title=f"Error: {exc.title}",  # a screen reader hears it first (GOV.UK pattern)
            status=exc.status,
            problems=[p.message for p in plain],  # the older box, in plain words
            errors=plain,
            headers=exc.headers,
        )
    if isinstance(exc, SafetyCheckDue):
        page_url, api_url = RESCREEN_URLS if exc.full_set else CHECK_URLS
        if not _wants_json(request):
            return RedirectResponse(page_url, status_code=303)
        message = f"{exc}: POST {api_url}"
        return _respond(request, exc.status_code, message, [message])
    if isinstance(exc, DayStopped) and not _wants_json(request):
        return RedirectResponse("/today", status_code=303)
    if isinstance(exc, ProgramWithheld) and not _wants_json(request):
        return stopped_page(request, exc.vm, can_change=intake_can_change(request))
    if isinstance(exc, UserError):
        problems = list(getattr(exc, "problems", [str(exc)]))
        response = _respond(request, exc.status_code, str(exc), problems)
        if isinstance(exc, Throttled):  # the wait in seconds too, as the sign-in page's 429 says it
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if isinstance(exc, RequestValidationError):
        problems = describe_errors(_strip_body(exc.errors()))
        first = problems[0] if problems else "the request is not valid"
        return _respond(request, 422, first, problems)
    if isinstance(exc, StarletteHTTPException):
        message = _http_message(exc.status_code)
        return _respond(request, exc.status_code, message, [message])
    log_bug(request, exc)
    message = "Sorry — kneehab hit a problem. Nothing you saved before this was lost."
    return _respond(request, 500, message, [message])


CHANGE_INTAKE_URL = "/start/again"


def intake_can_change(request: Request) -> bool:
    """The intake's own answers withheld the program and nothing has been recorded since (no session, check-in,
    test or later lock): the person may reopen those answers to correct a mistake (issue 9 §3)."""
    from kneehab import services  # the handler module stays light to import
    from kneehab.services.acting import Acting

    state = request.app.state.web
    auth = getattr(request.state, "auth", None)
    if auth is None or auth.actor.person_id is None:
        return False
    person = Acting(auth.actor, auth.actor.person_id)
    today = state.clock().date()
    course = services.course(state.db, person, today=today, library=state.library)
    if course.program is not None or course.locked_by is not None:
        return False
    done = services.history(state.db, person)
    return not (done.entries or done.checkins or done.outcomes)


def stopped_page(
    request: Request, vm: StopView, *, change_url: str = "", can_change: bool = False
) -> Response:
    """The stop page (RULES D-2: nothing to click past to the exercises), with the way to My data kept, and to
    change a mistaken answer: `change_url` (first run's step), `can_change` (an intake that stopped before
    anything else was recorded: its answers reopened), else deleting and starting again."""
    context = {
        "vm": vm,
        "title": vm.heading,
        "nav": STOPPED_NAV if not change_url else (),  # first run has no data yet: nothing to show
        "path": request.url.path,
        "change_url": change_url,
        "change_intake_url": CHANGE_INTAKE_URL if can_change else "",
    }
    return templates.TemplateResponse(request, "stopped.html", context, status_code=200)


def _strip_body(errors: Any) -> list[dict[str, Any]]:
    """FastAPI prefixes locations with 'body'/'query'; people know fields by their own names."""
    out = []
    for given in errors:
        err = dict(given)
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":  # the position in the text, not a field: the body
            loc = ("body",)
            err = {
                **err,
                "msg": f"not valid JSON ({err.get('ctx', {}).get('error', 'JSON decode error')})",
            }
        elif loc and loc[0] in ("body", "query", "path", "form"):
            loc = loc[1:]
        out.append({**err, "loc": loc})
    return out


def _route_of(request: Request) -> str:
    """The route's template (`/api/v1/patients/{id}`), never the path itself: paths can carry ids."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "")) or "(no route)"


def log_bug(request: Request, exc: BaseException) -> None:
    """One line per bug: its type, where in kneehab it was raised, the route and the request id. No
    message and no traceback text: either can carry the values a person sent (pydantic's
    `input_value`, a database error's row)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/kneehab/" in f.filename.replace("\\", "/")]
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "outside kneehab"
    log.error(
        "bug: %s at %s on %s %s (request %s)",
        type(exc).__name__,
        where,
        request.method,
        _route_of(request),
        request_id(request.scope),
    )


class LastResort:
    """Innermost: an exception no handler took becomes the 500 page here, so it is logged once, by
    `log_bug`, and never again with its text by the server (Starlette re-raises after its own
    500 handler, and uvicorn then logs the whole traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            request = Request(scope)
            if started:  # too late for a page: the client sees a cut response
                log_bug(request, exc)
                return
            response = await handle(request, exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    for kind in (KneehabError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle)
    app.add_middleware(LastResort)  # added first: the innermost of kneehab's middlewares
