"""My program: the page and its JSON twin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kneehab.web.deps import Clocked, Person, State
from kneehab.web.render import page
from kneehab.web.routes.common import figure_svg, load_course, require_program
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.program import ProgramView, program_view

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["program"])


def build(state: State, person: int, clock: Clocked) -> ProgramView:
    course = load_course(state, person, clock)
    program = require_program(course)
    return program_view(
        program,
        course.triage,
        state.library,
        today=clock.today,
        figure=figure_svg,
        banner=banner(course.escalation),
    )


@router.get("/program", response_class=HTMLResponse, include_in_schema=False)
def program_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    return page(request, "program.html", build(state, person, clock), title="My program")


@api.get("/program", response_model=ProgramView, summary="My program (this week, every exercise)")
def program_api(state: State, person: Person, clock: Clocked) -> ProgramView:
    return build(state, person, clock)
