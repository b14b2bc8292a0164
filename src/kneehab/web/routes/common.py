"""Helpers shared by the page and API routes: loading the course, the stop page when triage withholds it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from kneehab import services
from kneehab.domain.course import Course
from kneehab.domain.program import Program
from kneehab.web.deps import Now, WebState
from kneehab.web.errors import ProgramWithheld, SessionCheckDue
from kneehab.web.render import page
from kneehab.web.viewmodels.start import StopView, stop_view


def load_course(state: WebState, person: int, now: Now) -> Course:
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


CHECK_API = "/api/v1/today/check"
RESCREEN_API = "/api/v1/rescreen"


def require_session_check(state: WebState, person: int, now: Now) -> Program:
    """The program, once today's safety check (RULES §1.1) allows the session: answered today, and any yes
    cleared by the full safety questions. Otherwise SessionCheckDue naming where to answer."""
    program = require_program(load_course(state, person, now))
    check = services.session_check(state.db, person, day=now.today)
    if check is None:
        raise SessionCheckDue(
            "today's safety check has not been answered: answer it first "
            f"(GET and POST {CHECK_API}; RULES §1.1), then save the session",
            page_url="/today/check",
            api_url=CHECK_API,
        )
    if not check.get("cleared", False):
        why = (
            "today is a day for the full safety questions"
            if check.get("full_set_due") and not _any_yes(check)
            else "a yes in today's safety check needs the full safety questions first"
        )
        raise SessionCheckDue(
            f"{why} (POST {RESCREEN_API}; RULES §1.1), then save the session",
            page_url="/rescreen",
            api_url=RESCREEN_API,
        )
    return program


def _any_yes(check: dict[str, object]) -> bool:
    answers = check.get("answers")
    said = any(answers.values()) if isinstance(answers, dict) else False
    return said or any(bool(check.get(k)) for k in ("new_injury", "cold_foot", "chest_symptoms"))


def stop_page(request: Request, vm: StopView) -> HTMLResponse:
    return page(request, "stop.html", vm, title=vm.heading, nav=False)
