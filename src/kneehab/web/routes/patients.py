"""A clinician's look at one person's own screens (issue 10 §5): program, today, progress, changes and
export through the same view-models as the person's own paths. Every look goes through access.py and
is audited (services.people). The caseload and the review screen are in routes/caseload.py (issue 12)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from kneehab import access, services
from kneehab.access import Action
from kneehab.domain.identity import Actor, Subject
from kneehab.services import people
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, RowId, SignedIn, State, person_now
from kneehab.web.routes import checkin, program, progress, today
from kneehab.web.security import request_id
from kneehab.web.viewmodels.checkin import ChangesView
from kneehab.web.viewmodels.program import ProgramView
from kneehab.web.viewmodels.progress import ProgressView
from kneehab.web.viewmodels.today import TodayView

router = APIRouter()
api = APIRouter(prefix="/api/v1/patients", tags=["clinician"])


def clinic_nav(actor: Actor) -> tuple[tuple[str, str], ...]:
    """A clinician's navigation; a clinic admin also reads the clinic's trail."""
    items = [("/clinic", "Caseload"), ("/clinic/members", "My clinic")]
    if access.allows(actor, Action.READ_CLINIC_AUDIT, Subject(None, actor.clinic_id)):
        items.append(("/clinic/audit", "Clinic audit trail"))
    return tuple(items)


def _reader(action: Action, what: str) -> Any:
    """A dependency: the person id in the path, once access.py allows the actor and the look is audited."""

    def opened(
        person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked
    ) -> Acting:
        people.open_record(
            state.db, actor, person_id, action=action, resource=f"patients/{{id}}/{what}",
            now=clock.now, request_id=request_id(request.scope),
        )  # fmt: skip
        return Acting(actor, person_id)

    return Depends(opened)


Program = Annotated[Acting, _reader(Action.READ_HEALTH, "program")]
Today = Annotated[Acting, _reader(Action.READ_HEALTH, "today")]
Progress = Annotated[Acting, _reader(Action.READ_HEALTH, "progress")]
Changes = Annotated[Acting, _reader(Action.READ_HEALTH, "changes")]


@api.get("/{person_id}/program", response_model=ProgramView, summary="A person's program")
def patient_program(who: Program, state: State, clock: Clocked) -> ProgramView:
    return program.build(state, who, person_now(state, who, clock))


@api.get("/{person_id}/today", response_model=TodayView, summary="A person's session today")
def patient_today(who: Today, state: State, clock: Clocked) -> TodayView:
    return today.build(state, who, person_now(state, who, clock))


@api.get("/{person_id}/progress", response_model=ProgressView, summary="A person's progress")
def patient_progress(who: Progress, state: State, clock: Clocked) -> ProgressView:
    return progress.build(state, who, person_now(state, who, clock))


@api.get("/{person_id}/changes", response_model=ChangesView, summary="What changed on a day")
def patient_changes(
    who: Changes, state: State, clock: Clocked, day: date | None = Query(default=None)
) -> ChangesView:
    return checkin.changes(
        state, who, pclock := person_now(state, who, clock), day or pclock.today, p1=False
    )


@api.get(
    "/{person_id}/export", summary="Everything kept about a person (JSON)", response_model=None
)
def patient_export(
    person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> JSONResponse:
    # Not the `_reader` dependency: the export's one audit row (export.json) is written by the use-case.
    data: dict[str, Any] = services.download_json(
        state.db, Acting(actor, person_id), now=clock.now, resource="patients/{id}/export",
        request_id=request_id(request.scope),
    )  # fmt: skip
    return JSONResponse(data)
