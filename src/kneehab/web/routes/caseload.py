"""The physical therapist's screens (issue 12): the caseload at /clinic (JSON: /api/v1/patients), one
person at /clinic/patients/{id} (JSON: /api/v1/patients/{id}) and the clinician's actions
(POST /api/v1/patients/{id}/actions, one typed body per action). access.py decides every read and
action, each is in the audit trail (services.people), and the old /patients paths move here."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from kneehab.access import Action
from kneehab.domain.caseload import FLAGS
from kneehab.errors import InvalidInput, NotFound
from kneehab.services import caseload as caseload_service
from kneehab.services import patient_review
from kneehab.services.acting import Acting, require
from kneehab.web.action_bodies import ActionBody, to_action
from kneehab.web.deps import Clocked, RowId, SignedIn, State, person_now
from kneehab.web.errors import invalid
from kneehab.web.render import page
from kneehab.web.routes.forms import SubmittedForm
from kneehab.web.routes.patients import clinic_nav
from kneehab.web.security import request_id
from kneehab.web.viewmodels.caseload import CaseloadView, caseload_view
from kneehab.web.viewmodels.patient_review import PatientView, patient_view

router = APIRouter()
api = APIRouter(prefix="/api/v1/patients", tags=["clinician"])
FlagQuery = Annotated[
    str, Query(description="Only people with this open flag: " + ", ".join(FLAGS))
]
SearchQuery = Annotated[str, Query(max_length=200, description="A part of the name or email")]


def _caseload(
    request: Request, state: State, actor: SignedIn, clock: Clocked, flag: str, q: str,
    resource: str,
) -> CaseloadView:  # fmt: skip
    if flag and flag not in FLAGS:
        raise InvalidInput(f"flag: '{flag}' is not a flag (allowed: {', '.join(FLAGS)})")
    rows = caseload_service.caseload(
        state.db,
        actor,
        today=clock.today,
        now=clock.now,
        library=state.library,
        flag=flag or None,
        search=q,
        request_id=request_id(request.scope),
        resource=resource,
    )
    return caseload_view(rows, today=clock.today, flag=flag, search=q)


def _patient(
    person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> PatientView:
    # Refused: the use-case below refuses in the same words and keeps the refusal in the trail.
    with contextlib.suppress(NotFound):
        clock = person_now(state, Acting(actor, person_id), clock)  # the person's "today"
    rec = patient_review.patient_record(
        state.db,
        actor,
        person_id,
        today=clock.today,
        now=clock.now,
        library=state.library,
        request_id=request_id(request.scope),
    )
    flags = caseload_service.flags_of(rec.history, rec.course)
    return patient_view(rec, today=clock.today, library=state.library, flags=list(flags))


@router.get("/clinic", response_class=HTMLResponse, include_in_schema=False)
def caseload_page(
    request: Request, state: State, actor: SignedIn, clock: Clocked,
    flag: FlagQuery = "", q: SearchQuery = "",
) -> Response:  # fmt: skip
    vm = _caseload(request, state, actor, clock, flag, q, "/clinic")
    return page(request, "caseload.html", vm, title=vm.heading, nav_items=clinic_nav(actor))


@api.get("", response_model=CaseloadView, summary="My caseload, who needs me first (RULES D-9)")
def caseload_api(
    request: Request, state: State, actor: SignedIn, clock: Clocked,
    flag: FlagQuery = "", q: SearchQuery = "",
) -> CaseloadView:  # fmt: skip
    return _caseload(request, state, actor, clock, flag, q, "/api/v1/patients")


@router.get("/clinic/patients/{person_id}", response_class=HTMLResponse, include_in_schema=False)
def patient_page(
    person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> Response:
    vm = _patient(person_id, request, state, actor, clock)
    done = request.query_params.get("done", "")
    return page(
        request, "patient_review.html", vm, title=vm.name, nav_items=clinic_nav(actor), done=done
    )


@api.get(
    "/{person_id}", response_model=PatientView, summary="One person, as their clinician sees them"
)
def patient_api(
    person_id: RowId, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> PatientView:
    return _patient(person_id, request, state, actor, clock)


def _may_act(person_id: RowId, state: State, actor: SignedIn) -> int:
    """access.py first, so nobody learns from a 422 that a person exists (the audited check is in
    the use-case)."""
    require(state.db, Acting(actor, person_id), Action.CLINICAL_ACTION)
    return person_id


MayAct = Annotated[int, Depends(_may_act)]


class ActionDone(BaseModel):
    person_id: int
    action: str
    date: str
    by: str
    reason: str


def _act(
    person_id: RowId, body: Any, request: Request, state: State, actor: SignedIn, clock: Clocked
) -> ActionDone:
    clock = person_now(state, Acting(actor, person_id), clock)  # dated on the person's day
    action = to_action(body, today=clock.today)
    kept = patient_review.act(
        state.db,
        actor,
        person_id,
        action,
        today=clock.today,
        now=clock.now,
        library=state.library,
        request_id=request_id(request.scope),
    )
    return ActionDone(
        person_id=person_id,
        action=kept.action,
        date=kept.date.isoformat(),
        by=kept.by,
        reason=kept.reason,
    )


@api.post(
    "/{person_id}/actions",
    response_model=ActionDone,
    status_code=201,
    summary="A clinician's action (RULES D-7), with its required reason",
)
def action_api(
    person_id: MayAct,
    body: Annotated[ActionBody, Body()],
    request: Request,
    state: State,
    actor: SignedIn,
    clock: Clocked,
) -> ActionDone:
    return _act(person_id, body, request, state, actor, clock)


_BODY: TypeAdapter[Any] = TypeAdapter(ActionBody)
_DOSE_KEYS = ("sets", "reps", "hold_s", "load_kg", "step_cm", "minutes")


def form_body(form: dict[str, str]) -> dict[str, Any]:
    """The page's forms send flat fields; the same typed body is built from them."""
    data: dict[str, Any] = {k: v for k, v in form.items() if v != "" and k not in _DOSE_KEYS}
    data.pop("csrf_token", None)
    dose = {k: form[k] for k in _DOSE_KEYS if form.get(k, "") != ""}
    if dose:
        data["dose"] = dose
    return data


@router.post("/clinic/patients/{person_id}/actions", include_in_schema=False)
def action_page(
    person_id: MayAct,
    request: Request,
    state: State,
    actor: SignedIn,
    clock: Clocked,
    form: SubmittedForm,
) -> Response:
    flat = {k: str(v) for k, v in form.items()}
    try:
        body = _BODY.validate_python(form_body(flat))
    except ValidationError as err:
        raise invalid(err) from None
    done = _act(person_id, body, request, state, actor, clock)
    return RedirectResponse(
        f"/clinic/patients/{person_id}?done={done.action}#timeline", status_code=303
    )


# ---- the old paths (issue 10) move here ------------------------------------------------------


@router.get("/patients", include_in_schema=False)
def old_patients(actor: SignedIn) -> Response:
    return RedirectResponse("/clinic", status_code=308)


@router.get("/patients/{person_id}", include_in_schema=False)
def old_patient(person_id: RowId, actor: SignedIn) -> Response:
    return RedirectResponse(f"/clinic/patients/{person_id}", status_code=308)
