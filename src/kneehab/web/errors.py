"""The web's one error handler: every error becomes JSON under /api and an HTML page elsewhere.

User mistakes are 4xx with a message naming the field and what is allowed; a form mistake re-renders that
form with the person's answers kept. Bugs are logged by type and path only — never with request data, which
may hold health information.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from kneehab.domain.validation import describe_errors
from kneehab.errors import InvalidInput, KneehabError, UserError
from kneehab.web.deps import NoPerson
from kneehab.web.render import page
from kneehab.web.viewmodels.start import StopView

log = logging.getLogger("kneehab.web")


class FormError(InvalidInput):
    """Invalid form input: the handler shows `template` again with `vm` (answers kept) and the problems."""

    def __init__(
        self, message: str, *, problems: list[str], template: str, vm: BaseModel, title: str
    ) -> None:
        super().__init__(message, problems=problems)
        self.template = template
        self.vm = vm
        self.title = title


class ProgramWithheld(UserError):
    """Triage withholds the self-managed program (RULES D-2): pages show the stop page, the API a 409."""

    status_code = 409

    def __init__(self, vm: StopView) -> None:
        super().__init__(vm.what_now)
        self.vm = vm
        self.problems = [vm.what_now, *vm.reasons]


class SessionCheckDue(UserError):
    """RULES §1.1: nothing of today's session is saved before today's safety check is answered (and, after a
    yes, the full safety questions). Pages go to `page_url`; the API answers 409 naming `api_url`."""

    status_code = 409

    def __init__(self, message: str, *, page_url: str, api_url: str) -> None:
        super().__init__(message)
        self.page_url = page_url
        self.api_url = api_url
        self.problems = [message]


def invalid(err: ValidationError, *, prefix: str = "") -> InvalidInput:
    """One InvalidInput from a pydantic error, each problem naming its field."""
    problems = [f"{prefix}{line}" for line in describe_errors(err.errors())]
    return InvalidInput(problems[0] if problems else "the input is not valid", problems=problems)


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
    if _wants_json(request):
        return JSONResponse({"detail": message, "problems": problems}, status_code=status)
    return page(
        request,
        "error.html",
        None,
        title="Something needs fixing" if status < 500 else "Something went wrong",
        status=status,
        message=message,
        problems=problems if problems != [message] else [],
        **extra,
    )


async def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnect):
        # The page went away mid-request (a closing tab's last save): nothing to answer.
        return Response(status_code=400)
    if isinstance(exc, NoPerson) and not _wants_json(request):
        return RedirectResponse("/start", status_code=303)
    if isinstance(exc, FormError) and not _wants_json(request):
        return page(
            request, exc.template, exc.vm, title=exc.title, status=422, problems=exc.problems
        )
    if isinstance(exc, SessionCheckDue) and not _wants_json(request):
        return RedirectResponse(exc.page_url, status_code=303)
    if isinstance(exc, ProgramWithheld) and not _wants_json(request):
        return page(request, "stop.html", exc.vm, title=exc.vm.heading, nav=False)
    if isinstance(exc, UserError):
        problems = list(getattr(exc, "problems", [str(exc)]))
        return _respond(request, exc.status_code, str(exc), problems)
    if isinstance(exc, RequestValidationError):
        problems = describe_errors(_strip_body(exc.errors()))
        first = problems[0] if problems else "the request is not valid"
        return _respond(request, 422, first, problems)
    if isinstance(exc, StarletteHTTPException):
        message = _http_message(exc.status_code)
        return _respond(request, exc.status_code, message, [message])
    if isinstance(exc, KneehabError):
        log.error("internal error %s on %s", type(exc).__name__, request.url.path)
    else:
        log.exception("unexpected %s on %s", type(exc).__name__, request.url.path)
    message = "Sorry — kneehab hit a problem. Nothing you saved before this was lost."
    return _respond(request, 500, message, [message])


def _strip_body(errors: Any) -> list[dict[str, Any]]:
    """FastAPI prefixes locations with 'body'/'query'; people know fields by their own names."""
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "form"):
            loc = loc[1:]
        out.append({**err, "loc": loc})
    return out


def install(app: FastAPI) -> None:
    for kind in (KneehabError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle)
