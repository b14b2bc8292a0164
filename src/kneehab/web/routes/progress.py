"""Progress: the page and its JSON twin."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kneehab import services
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.render import page
from kneehab.web.routes.common import load_course, require_program
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.progress import ProgressView, progress_view

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["progress"])


def build(state: State, person: int, clock: Clocked) -> ProgressView:
    course = load_course(state, person, clock)
    program = require_program(course)
    hist = services.history(state.db, person)
    versions = [
        (v.effective, v.reason, v.program)
        for v in services.program_versions(state.db, person)
        if v.effective <= clock.today
    ]
    return progress_view(
        today=clock.today,
        program=program,
        checkins=[c for c in hist.checkins if c.date <= clock.today],
        done_days={r.day for r in hist.entries if not r.entry.skipped or r.entry.sets_done},
        versions=versions,
        outcomes=[o for o in hist.outcomes if o.date <= clock.today],
        library=state.library,
        banner=banner(course.escalation),
    )


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
def progress_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    return page(request, "progress.html", build(state, person, clock), title="Progress")


@api.get("/progress", response_model=ProgressView, summary="Pain trend, sessions, doses, outcomes")
def progress_api(state: State, person: Person, clock: Clocked) -> ProgressView:
    return build(state, person, clock)
