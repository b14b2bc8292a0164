"""Helpers shared by the page and API routes: loading the course, the stop page when triage withholds it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from kneehab import services
from kneehab.domain.course import Course
from kneehab.domain.program import Program
from kneehab.services.acting import Acting
from kneehab.web.deps import Now, WebState
from kneehab.web.errors import ProgramWithheld
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
    SafetyCheckDue (pages go to the questions, the API answers 409 naming where)."""
    program = require_program(load_course(state, person, now))
    services.check_status(state.db, person, day=now.today)
    return program


def stop_page(request: Request, vm: StopView) -> HTMLResponse:
    return page(request, "stop.html", vm, title=vm.heading, nav=False)
