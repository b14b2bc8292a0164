"""Helpers shared by the page and API routes: loading the course, the stop page when triage withholds it,
and the person's own views kept while their record is unchanged (web/kept_views.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kneehab import services
from kneehab.domain.course import Course
from kneehab.domain.program import Program
from kneehab.services.acting import Acting
from kneehab.services.replay import library_fingerprint
from kneehab.web.deps import Now, WebState
from kneehab.web.errors import ProgramWithheld
from kneehab.web.kept_views import RecordVersion, view_key
from kneehab.web.render import page
from kneehab.web.viewmodels.start import StopView, stop_view


def load_course(state: WebState, person: Acting, now: Now) -> Course:
    return services.course(state.db, person, today=now.today, library=state.library)


def require_program(course: Course) -> Program:
    """The current program, or ProgramWithheld carrying the stop page: for the intake's triage when it
    withheld the program (D-2), or for the re-screen / check-in that locked it mid-course (E1)."""
    blocking = course.locked_by or (course.triage if course.program is None else None)
    if blocking is not None:
        vm = stop_view(blocking)
        assert vm is not None, "only a stopping triage withholds or locks the program"
        raise ProgramWithheld(vm)
    assert course.program is not None
    return course.program


def require_session_check(state: WebState, person: Acting, now: Now) -> Program:
    """The program, once today's safety questions (RULES §1.1) allow the session; otherwise
    SafetyCheckDue (pages go to the questions, the API answers 409 naming where). Both are read in
    one transaction; a withheld or locked program is refused first."""
    course, due = services.course_and_check(state.db, person, day=now.today, library=state.library)
    program = require_program(course)
    if due is not None:
        raise due
    return program


def stop_page(request: Request, vm: StopView) -> HTMLResponse:
    return page(request, "stop.html", vm, title=vm.heading, nav=False)


View = TypeVar("View", bound=BaseModel)


def _key(state: WebState, now: Now, version: RecordVersion | None) -> tuple[object, ...] | None:
    return view_key(version, now.today, library_fingerprint(state.library))


def kept_view(
    state: WebState,
    person: Acting,
    now: Now,
    version: RecordVersion | None,
    name: str,
    make: Callable[[], View],
    size: int,
) -> View:
    """`make()`, or the view `name` this process kept of the same record version, day and library
    (about `size` bytes in memory). What `make` raises (a program withheld or locked) is raised each
    time, never kept."""
    key = _key(state, now, version)
    vm: View | None = state.views.get(person.person_id, name, key) if key else None
    if vm is None:
        vm = make()
        if key is not None:
            state.views.put(person.person_id, name, key, vm, size)
    return vm


async def kept_json(
    state: WebState,
    person: Acting,
    now: Now,
    version: RecordVersion | None,
    name: str,
    make: Callable[[], BaseModel],
) -> Response:
    """The JSON of `make()` (made on the thread pool), or the bytes this process kept of it (as
    `kept_view`): a kept answer costs no hop to the thread pool and no serialising."""
    key = _key(state, now, version)
    body: bytes | None = state.views.get(person.person_id, f"{name}.json", key) if key else None
    if body is None:
        body = (await run_in_threadpool(make)).model_dump_json().encode()
        if key is not None:
            state.views.put(person.person_id, f"{name}.json", key, body, len(body))
    return Response(body, media_type="application/json")
