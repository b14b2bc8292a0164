"""Progress: the page and its JSON twin."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kneehab import services
from kneehab.domain.program import Program
from kneehab.errors import NotFound
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, OwnReading, Person, State
from kneehab.web.render import page
from kneehab.web.routes.common import kept_json, load_course, require_program
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.progress import (
    DoseHistoryView,
    ProgressView,
    dose_histories,
    dose_history_view,
    progress_view,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["progress"])


def _versions(state: State, person: Acting, clock: Clocked) -> list[tuple[date, str, Program]]:
    return [
        (
            v.effective,
            "The updated rules changed this dose."
            if v.kind == services.RULES_V2_KIND
            else v.reason,
            v.program,
        )
        for v in services.program_versions(state.db, person)
        if v.effective <= clock.today
    ]


def build(state: State, person: Acting, clock: Clocked) -> ProgressView:
    course = load_course(state, person, clock)
    program = require_program(course)
    hist = services.history(state.db, person)
    versions = _versions(state, person, clock)
    vm = progress_view(
        today=clock.today,
        program=program,
        checkins=[c for c in hist.checkins if c.date <= clock.today],
        done_days={r.day for r in hist.entries if not r.entry.skipped or r.entry.sets_done},
        versions=versions,
        outcomes=[o for o in hist.outcomes if o.date <= clock.today],
        library=state.library,
        banner=banner(course.escalation),
    )
    recorded = [
        {
            "version": v.version,
            "date": v.effective.isoformat(),
            "kind": v.kind,
            "exercise_id": v.exercise_id,
            "rules": list(v.rules),
            "reason": v.reason,
        }
        for v in services.program_versions(state.db, person)
        if v.effective <= clock.today
    ]
    contract = services.course_json(course, clock.today)
    return vm.model_copy(update={**contract, "recorded_versions": recorded})


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
def progress_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    return page(request, "progress.html", build(state, person, clock), title="Progress")


@api.get("/progress", response_model=ProgressView, summary="Pain trend, sessions, doses, outcomes")
async def progress_api(own: OwnReading) -> Response:
    state, person, clock, version = own.state, own.person, own.clock, own.version
    # Only the JSON is kept (its model is ~5× larger and grows with the course); the page is made.
    return await kept_json(
        state, person, clock, version, "progress", lambda: build(state, person, clock)
    )


def build_dose_history(
    state: State, person: Acting, clock: Clocked, exercise_id: str
) -> DoseHistoryView:
    require_program(load_course(state, person, clock))
    histories = dose_histories(_versions(state, person, clock))
    found = next((h for h in histories if h.exercise_id == exercise_id), None)
    if found is None:
        allowed = ", ".join(h.exercise_id for h in histories)
        raise NotFound(f"exercise_id: '{exercise_id}' has no dose history; allowed: {allowed}")
    return dose_history_view(found)


@router.get(
    "/progress/exercises/{exercise_id}", response_class=HTMLResponse, include_in_schema=False
)
def dose_history_page(
    exercise_id: str, request: Request, state: State, person: Person, clock: Clocked
) -> HTMLResponse:
    vm = build_dose_history(state, person, clock, exercise_id)
    return page(request, "progress_exercise.html", vm, title=f"{vm.name}: dose over time")


@api.get(
    "/progress/exercises/{exercise_id}",
    response_model=DoseHistoryView,
    summary="One exercise's dose over time, the latest first",
)
def dose_history_api(
    exercise_id: str, state: State, person: Person, clock: Clocked
) -> DoseHistoryView:
    return build_dose_history(state, person, clock, exercise_id)
