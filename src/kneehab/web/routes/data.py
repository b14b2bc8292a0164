"""My data: export (JSON, CSV) and delete everything (with confirmation)."""

from __future__ import annotations

import ipaddress
import json
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kneehab import services
from kneehab.domain.intake import Intake
from kneehab.domain.program import Program, Triage
from kneehab.domain.records import (
    CheckIn,
    ClinicianAction,
    OfferAnswer,
    OutcomeRecord,
    Rescreen,
    SessionEntry,
    SwapChoice,
)
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.errors import FormError
from kneehab.web.render import page
from kneehab.web.routes.forms import SubmittedForm, ticked
from kneehab.web.security import request_id

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["my data"])
TITLE = "My data"
CONFIRM = "confirm: tick the box to confirm; deleting cannot be undone"


class ApiLinks(BaseModel):
    """The same actions for a program: the API's own paths."""

    export_json: str = "/api/v1/export"
    export_csv: str = "/api/v1/export.csv"
    delete: str = "DELETE /api/v1/person?confirm=true"


class DataView(BaseModel):
    stored: str  # where the data is, in words that are true for this browser
    deletes_from: str  # what "delete everything" deletes it from
    copies: str  # where copies may remain after deleting
    # the page's links (a browser downloads or posts a form here)
    json_url: str = "/data/export.json"
    csv_url: str = "/data/export.csv"
    delete_url: str = "/data/delete"
    api: ApiLinks = Field(default_factory=ApiLinks)


def _same_machine(request: Request) -> bool:
    """True when the browser runs on the machine that runs kneehab (a loopback address)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def data_view(state: State, request: Request) -> DataView:
    """ "This computer" only when it is one: the browser may be a phone on the same network."""
    local = _same_machine(request)
    if state.db.is_sqlite:
        where = (
            "one file on this computer" if local else "one file on the computer that runs kneehab"
        )
        deletes_from = "this computer" if local else "the computer that runs kneehab"
    else:
        where = "the database of the kneehab server you are using"
        deletes_from = "the kneehab server's database"
    return DataView(
        stored=f"Your answers, program, sessions and check-ins are kept in {where}, nowhere else.",
        deletes_from=deletes_from,
        copies=(
            "Copies you made are not deleted: files you downloaded here, and backups made with "
            "'kneehab backup' or by the computer's own backup. Delete those separately."
        ),
    )


# --- the export's shape (GET /api/v1/export): what services.export_person() writes --------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ExportPerson(_Loose):
    id: int
    created_at: str | None
    start: date
    pain_ceiling: int | None
    morning_tolerance: int | None
    rules_version: int | None = None  # the rule book the course runs under (ADR 0004)
    timezone: str | None = None  # the person's own zone: their "today" (issue 11 §1)
    reviewed: bool
    reviewed_at: str | None
    reviewed_by: str | None


class ExportIntake(_Loose):
    recorded_at: str | None
    intake: Intake
    triage: Triage


class ExportProgramVersion(_Loose):
    version: int
    effective: date
    created_at: str | None
    kind: str = Field(
        description="plan, progress, regress, pause, stop, resume, phase, unlock, swap, clinician, rules-v2"
    )
    actor: str | None
    rules: list[str]
    reason: str | None
    exercise_id: str | None
    from_dose: dict[str, Any] | None = Field(alias="from")
    to_dose: dict[str, Any] | None = Field(alias="to")
    program: Program


class ExportEntry(SessionEntry):
    model_config = ConfigDict(frozen=True, extra="forbid")
    date: date
    paused_when_logged: bool
    recorded_at: str | None


class ExportRescreen(Rescreen):
    model_config = ConfigDict(frozen=True, extra="forbid")
    triage: Triage
    recorded_at: str | None


class ExportEvents(_Loose):
    swaps: list[SwapChoice]
    offers: list[OfferAnswer]
    clinician: list[ClinicianAction]


class ExportEscalation(_Loose):
    id: int
    date: date
    level: str
    rules: list[str]
    message: str
    created_at: str | None
    seen_at: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None


class ExportView(_Loose):
    """Everything kneehab keeps about the person (docs/data-and-privacy.md), oldest first."""

    format: Literal["kneehab-person-export"]
    format_version: int
    person: ExportPerson
    intakes: list[ExportIntake]
    program_versions: list[ExportProgramVersion]
    session_entries: list[ExportEntry]
    checkins: list[CheckIn]
    outcomes: list[OutcomeRecord]
    rescreens: list[ExportRescreen]
    course_events: ExportEvents
    escalations: list[ExportEscalation]


def delete_everything(state: State, person: Acting) -> None:
    """Delete the person; the service also folds SQLite's write-ahead log into the file and empties
    it, so the deleted answers are not left readable in `kneehab.db-wal` (store/db.py)."""
    services.delete_person(state.db, person)


def _download(body: str, name: str, media: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/data", response_class=HTMLResponse, include_in_schema=False)
def data_page(request: Request, state: State, person: Person) -> HTMLResponse:
    return page(request, "data.html", data_view(state, request), title=TITLE)


def _json(request: Request, state: State, person: Acting, clock: Clocked) -> dict[str, Any]:
    return services.download_json(
        state.db, person, now=clock.now, resource=request.url.path,
        request_id=request_id(request.scope),
    )  # fmt: skip


def _csv(request: Request, state: State, person: Acting, clock: Clocked) -> Response:
    body = services.download_csv(
        state.db, person, now=clock.now, resource=request.url.path,
        request_id=request_id(request.scope),
    )  # fmt: skip
    return _download(body, "kneehab-sessions.csv", "text/csv")


@router.get("/data/export.json", include_in_schema=False)
def export_json_download(
    request: Request, state: State, person: Person, clock: Clocked
) -> Response:
    body = json.dumps(_json(request, state, person, clock), indent=2, ensure_ascii=False)
    return _download(body, "kneehab-export.json", "application/json")


@router.get("/data/export.csv", include_in_schema=False)
def export_csv_download(request: Request, state: State, person: Person, clock: Clocked) -> Response:
    return _csv(request, state, person, clock)


@router.post("/data/delete", response_class=HTMLResponse, include_in_schema=False)
def delete_submit(
    request: Request, state: State, person: Person, form: SubmittedForm
) -> HTMLResponse:
    if not ticked(form, "confirm"):
        raise FormError(
            CONFIRM,
            problems=[CONFIRM],
            template="data.html",
            vm=data_view(state, request),
            title=TITLE,
        )
    vm = data_view(state, request)
    delete_everything(state, person)
    return page(request, "deleted.html", vm, title="Everything is deleted", nav=False)


@api.get("/data", response_model=DataView, summary="Where my data is and how to get it")
def data_api(request: Request, state: State, person: Person) -> DataView:
    return data_view(state, request)


@api.get("/export", summary="Everything kneehab keeps about me (JSON)", response_model=None)
def export_api(request: Request, state: State, person: Person, clock: Clocked) -> JSONResponse:
    return JSONResponse(_json(request, state, person, clock))


@api.get("/export.csv", summary="My sessions as CSV", response_class=Response)
def export_csv_api(request: Request, state: State, person: Person, clock: Clocked) -> Response:
    return _csv(request, state, person, clock)


@api.delete("/person", status_code=204, summary="Delete everything (needs confirm=true)")
def delete_api(state: State, person: Person, confirm: bool = Query(default=False)) -> Response:
    if not confirm:
        raise InvalidInput(CONFIRM.replace("tick the box", "pass confirm=true"))
    delete_everything(state, person)
    return Response(status_code=204)
