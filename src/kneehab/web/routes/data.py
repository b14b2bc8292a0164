"""My data: export (JSON, CSV) and delete everything (with confirmation)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from kneehab import services
from kneehab.errors import InvalidInput
from kneehab.web.deps import Person, State
from kneehab.web.errors import FormError
from kneehab.web.render import page
from kneehab.web.routes.forms import read_form, ticked

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["my data"])
TITLE = "My data"
CONFIRM = "confirm: tick the box to confirm; deleting cannot be undone"


class DataView(BaseModel):
    stored: str
    json_url: str = "/data/export.json"
    csv_url: str = "/data/export.csv"
    delete_url: str = "/data/delete"


def data_view(state: State) -> DataView:
    kind = "a file on this computer" if state.db.is_sqlite else "this kneehab server's database"
    return DataView(
        stored=f"Your answers, program, sessions and check-ins are kept in {kind}, nowhere else."
    )


def _download(body: str, name: str, media: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/data", response_class=HTMLResponse, include_in_schema=False)
def data_page(request: Request, state: State, person: Person) -> HTMLResponse:
    return page(request, "data.html", data_view(state), title=TITLE)


@router.get("/data/export.json", include_in_schema=False)
def export_json_download(state: State, person: Person) -> Response:
    body = json.dumps(services.export_person(state.db, person), indent=2, ensure_ascii=False)
    return _download(body, "kneehab-export.json", "application/json")


@router.get("/data/export.csv", include_in_schema=False)
def export_csv_download(state: State, person: Person) -> Response:
    return _download(services.export_csv(state.db, person), "kneehab-sessions.csv", "text/csv")


@router.post("/data/delete", response_class=HTMLResponse, include_in_schema=False)
async def delete_submit(request: Request, state: State, person: Person) -> HTMLResponse:
    form = await read_form(request)
    if not ticked(form, "confirm"):
        raise FormError(
            CONFIRM, problems=[CONFIRM], template="data.html", vm=data_view(state), title=TITLE
        )
    services.delete_person(state.db, person)
    return page(request, "deleted.html", None, title="Everything is deleted", nav=False)


@api.get("/data", response_model=DataView, summary="Where my data is and how to get it")
def data_api(state: State, person: Person) -> DataView:
    return data_view(state)


@api.get("/export", summary="Everything kneehab keeps about me (JSON)")
def export_api(state: State, person: Person) -> JSONResponse:
    data: dict[str, Any] = services.export_person(state.db, person)
    return JSONResponse(data)


@api.get("/export.csv", summary="My sessions as CSV", response_class=Response)
def export_csv_api(state: State, person: Person) -> Response:
    return _download(services.export_csv(state.db, person), "kneehab-sessions.csv", "text/csv")


@api.delete("/person", status_code=204, summary="Delete everything (needs confirm=true)")
def delete_api(state: State, person: Person, confirm: bool = Query(default=False)) -> Response:
    if not confirm:
        raise InvalidInput(CONFIRM.replace("tick the box", "pass confirm=true"))
    services.delete_person(state.db, person)
    return Response(status_code=204)
