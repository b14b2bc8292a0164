"""A clinic's members (issue 10 §1, §6): invitations shown on screen once, removing a member, and the
clinic's audit trail. access.py decides: a clinician may invite a person; a clinic admin may also
invite clinicians, remove members and read the trail. Everyone else gets the 404 of no such clinic."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kneehab.access import Action, allows, check
from kneehab.domain.identity import Actor, Subject
from kneehab.errors import Conflict, InvalidInput
from kneehab.services import accounts, audit
from kneehab.web.deps import Clocked, RowId, SignedIn, State
from kneehab.web.errors import FormError, field_problem
from kneehab.web.render import page
from kneehab.web.routes.auth import AuditItem, audit_items
from kneehab.web.routes.forms import read_form, text
from kneehab.web.routes.patients import clinic_nav

router = APIRouter()
api = APIRouter(prefix="/api/v1/clinic", tags=["clinic"])


class InvitationRequest(BaseModel):
    email: str = Field(max_length=254)
    role: str = Field(description="person or clinician (a clinic admin may invite both)")
    name: str = Field(default="", max_length=200)


class Invitation(BaseModel):
    # No account id: the answer is the same whether or not the email already has an account
    # elsewhere (issue 10 §1); the member list shows who has joined.
    id: int = Field(description="The invitation's id (to withdraw it while it is not used)")
    link: str = Field(description="The one-time link (7 days): shown once, give it to them")


class ClinicAuditView(BaseModel):
    heading: str = "The clinic's audit trail"
    items: list[AuditItem]


@api.post(
    "/invitations", response_model=Invitation, status_code=201, summary="Invite into my clinic"
)
def invite_api(
    body: InvitationRequest, state: State, actor: SignedIn, clock: Clocked
) -> Invitation:
    made = accounts.invite(
        state.db, body.email, role=body.role, actor=actor, now=clock.now, name=body.name
    )
    return Invitation(
        id=made.invitation_id, link=accounts.link_url(state.settings.base_url, made.invitation)
    )


@api.post(
    "/invitations/{invitation_id}/withdraw",
    status_code=204,
    summary="Withdraw an invitation not used yet (clinic admin)",
    responses={409: {"description": "It was used, withdrawn or replaced, or it has expired"}},
)
def withdraw_api(invitation_id: RowId, state: State, actor: SignedIn, clock: Clocked) -> Response:
    accounts.withdraw_invitation(state.db, invitation_id, actor=actor, now=clock.now)
    return Response(status_code=204)


@api.post("/members/{account_id}/remove", status_code=204, summary="Remove a member (clinic admin)")
def remove_api(account_id: RowId, state: State, actor: SignedIn, clock: Clocked) -> Response:
    accounts.remove_member(state.db, account_id, actor=actor, now=clock.now)
    return Response(status_code=204)


def _trail(state: State, actor: SignedIn) -> ClinicAuditView:
    rows = audit.entries(state.db, actor, clinic_id=actor.clinic_id)
    return ClinicAuditView(items=audit_items(rows))


@api.get(
    "/audit", response_model=ClinicAuditView, summary="The clinic's audit trail (clinic admin)"
)
def audit_api(state: State, actor: SignedIn) -> ClinicAuditView:
    return _trail(state, actor)


@router.get("/clinic/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, state: State, actor: SignedIn) -> Response:
    vm = _trail(state, actor)
    return page(request, "clinic_audit.html", vm, title=vm.heading, nav_items=clinic_nav(actor))


# ---- the pages: invite someone, the members, remove one ------------------------------------------


class Member(BaseModel):
    id: int
    email: str
    name: str
    role: str
    password_set: bool


class Pending(BaseModel):
    """An invitation not used yet: shown alike whether or not the email has an account."""

    id: int
    email: str
    role: str


class ClinicView(BaseModel):
    heading: str = "My clinic"
    can_invite_clinicians: bool
    can_remove: bool
    members: list[Member]
    invited: list[Pending] = []  # pydantic copies the default per instance
    invitation_link: str = ""  # shown once, right after an invitation
    invited_email: str = ""


def _clinic_vm(state: State, actor: Actor, now: datetime, **shown: str) -> ClinicView:
    here = Subject(None, actor.clinic_id)
    check(actor, Action.INVITE_PERSON, here, what="clinic")
    can_remove = allows(actor, Action.REMOVE_MEMBER, here)
    rows = accounts.list_accounts(state.db, actor, actor.clinic_id) if can_remove else []
    members = [
        Member(
            id=r.id,
            email=r.email,
            name=r.name,
            role=r.role,
            password_set=r.password_hash is not None,
        )
        for r in rows
        if r.removed_at is None and r.id != actor.account_id
    ]
    assert actor.clinic_id is not None
    pending = accounts.pending_invitations(state.db, actor.clinic_id, now=now) if can_remove else []
    return ClinicView(
        can_invite_clinicians=allows(actor, Action.INVITE_CLINICIAN, here),
        can_remove=can_remove,
        members=members,
        invited=[Pending(id=p.id, email=p.email, role=p.role) for p in pending],
        **shown,
    )


@router.get("/clinic/members", response_class=HTMLResponse, include_in_schema=False)
def clinic_page(request: Request, state: State, actor: SignedIn, clock: Clocked) -> Response:
    vm = _clinic_vm(state, actor, clock.now)
    return page(request, "clinic.html", vm, title=vm.heading, nav_items=clinic_nav(actor))


@router.post("/clinic/invitations", response_class=HTMLResponse, include_in_schema=False)
async def invite_page(request: Request, state: State, actor: SignedIn, clock: Clocked) -> Response:
    form = await read_form(request)
    email, role = text(form, "email"), text(form, "role") or "person"
    try:
        made = await run_in_threadpool(
            accounts.invite, state.db, email, role=role, actor=actor, now=clock.now
        )
    except (InvalidInput, Conflict) as err:
        message = str(err).split(": ", 1)[-1]
        problem = field_problem(
            "email", f"email: {message}", message[0].upper() + message[1:] + "."
        )
        raise FormError(
            str(err), problems=[problem], template="clinic.html",
            vm=_clinic_vm(state, actor, clock.now),
            title="My clinic",
        ) from None  # fmt: skip
    link = accounts.link_url(state.settings.base_url, made.invitation)
    vm = _clinic_vm(
        state, actor, clock.now, invitation_link=link, invited_email=accounts.normal_email(email)
    )
    return page(request, "clinic.html", vm, title=vm.heading, nav_items=clinic_nav(actor))


@router.post("/clinic/invitations/{invitation_id}/withdraw", include_in_schema=False)
def withdraw_page(invitation_id: RowId, state: State, actor: SignedIn, clock: Clocked) -> Response:
    accounts.withdraw_invitation(state.db, invitation_id, actor=actor, now=clock.now)
    return RedirectResponse("/clinic/members", status_code=303)


@router.post("/clinic/members/{account_id}/remove", include_in_schema=False)
def remove_page(account_id: RowId, state: State, actor: SignedIn, clock: Clocked) -> Response:
    accounts.remove_member(state.db, account_id, actor=actor, now=clock.now)
    return RedirectResponse("/clinic/members", status_code=303)
