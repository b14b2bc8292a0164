"""The person dismisses a note from their physical therapist (issue 12 §3): it leaves their Today
page and stays in the clinician's timeline."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from kneehab.services import notes
from kneehab.web.deps import Clocked, Person, RowId, State

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["today"])


@router.post("/today/notes/{note_id}/dismiss", include_in_schema=False)
def dismiss_page(note_id: RowId, state: State, person: Person, clock: Clocked) -> Response:
    notes.dismiss_note(state.db, person, note_id, today=clock.today, now=clock.now)
    return RedirectResponse("/today", status_code=303)


@api.post(
    "/today/notes/{note_id}/dismiss", status_code=204, summary="Dismiss a note from my physio"
)
def dismiss_api(note_id: RowId, state: State, person: Person, clock: Clocked) -> Response:
    notes.dismiss_note(state.db, person, note_id, today=clock.today, now=clock.now)
    return Response(status_code=204)
