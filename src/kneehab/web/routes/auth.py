"""Signing in and out, the account a first run saves the program to, one-time links, "me" and
"Who has looked at my data" (issue 10 §2, §3, §5, §6). Each page has its JSON twin under /api/v1."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kneehab import services
from kneehab.domain.identity import Actor, Role
from kneehab.errors import Throttled, UserError
from kneehab.services import accounts, audit
from kneehab.services.acting import Acting
from kneehab.web.auth import clear_session, resolve, set_session
from kneehab.web.deps import Clocked, MaybeSignedIn, SignedIn, State, WebState
from kneehab.web.errors import FormError, field_problem
from kneehab.web.render import page
from kneehab.web.routes.forms import password, read_form, text
from kneehab.web.security import request_id

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["accounts"])

SIGNIN_TITLE = "Sign in"


def home_of(actor: Actor) -> str:
    """Where a signed-in account starts."""
    if actor.role in (Role.CLINICIAN, Role.CLINIC_ADMIN):
        return "/clinic"
    return "/today" if actor.person_id is not None else "/start/1"


def _safe_next(raw: str) -> str:
    """Only a path of this site (never //host or a scheme): no open redirect."""
    return raw if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw else ""


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ---- views -------------------------------------------------------------------------------------


class SignInView(BaseModel):
    heading: str = "Sign in"
    action: str = "/signin"
    next: str = ""
    email: str = ""
    start_url: str = "/start/1"
    claim_url: str = ""  # a course from before accounts waits to be claimed (from this machine)
    demo_accounts: list[dict[str, str]] = []


class AccountView(BaseModel):
    heading: str
    intro: str
    action: str
    button: str
    email: str = ""
    ask_email: bool = True
    link: str = ""
    ask_timezone: bool = False  # the browser fills it in (timezone.js) when the program is saved
    form: bool = True  # False: nothing to fill in (a link that does not work any more)


class Me(BaseModel):
    id: int | None
    email: str
    name: str = ""
    role: str
    clinic_id: int | None
    person_id: int | None


class AuditItem(BaseModel):
    at: datetime
    who: str
    role: str
    action: str
    resource: str
    person_id: int | None = None
    outcome: str
    yours: bool = False  # the reader's own row (their own export)


YOU = "You (this account)"


def audit_items(rows: list[audit.AuditEntry], *, me: int | None = None) -> list[AuditItem]:
    """The trail's rows as the pages and their JSON twins show them (never a health value); the
    reader's own rows (`me`: their account) say "You (this account)"."""
    return [
        AuditItem(
            at=r.at,
            who=YOU if me is not None and r.actor_id == me else r.actor,
            yours=me is not None and r.actor_id == me,
            role=r.actor_role,
            action=r.action,
            resource=r.resource,
            person_id=r.person_id,
            outcome=r.outcome,
        )
        for r in rows
    ]


class AuditView(BaseModel):
    heading: str = "Who has looked at my data"
    intro: str = (
        "Every time someone other than you — a clinician, an administrator or an app you gave a "
        "token — looks at or changes your data, it is listed here, newest first. Your own visits "
        "are not listed, but your own exports are (a printout, a calendar, a file you downloaded): "
        "they are copies of your data leaving kneehab, shown as “You (this account)”."
    )
    items: list[AuditItem]


LOOPBACK = ("127.0.0.1", "::1", "localhost")


PROXIED = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def _claimable(request: Request) -> int | None:
    """Only a visit from the machine itself may claim the course an upgrade kept (issue 10 §7): a
    loopback address and name, and no proxy in between (behind a proxy everyone looks local)."""
    host = request.headers.get("host", "").rsplit(":", 1)[0].strip("[]").lower()
    if _address(request) not in LOOPBACK or host not in LOOPBACK:
        return None
    if any(h in request.headers for h in PROXIED):
        return None
    return accounts.unclaimed_account(request.app.state.web.db)


def _signin_vm(request: Request, email: str = "", next_url: str = "") -> SignInView:
    demo = getattr(request.app.state, "demo_accounts", [])
    claim = "/claim" if _claimable(request) is not None else ""
    return SignInView(email=email, next=next_url, claim_url=claim, demo_accounts=list(demo))


CLAIM_TITLE = "Keep your program"


def _claim_vm(email: str = "") -> AccountView:
    return AccountView(
        heading=CLAIM_TITLE,
        intro=(
            "kneehab now asks everyone to sign in. Your program, sessions and check-ins from "
            "before are here: choose the email address and password you will sign in with."
        ),
        action="/claim",
        button="Keep my program",
        email=email,
    )


@router.get("/claim", response_class=HTMLResponse, include_in_schema=False)
def claim_page(request: Request) -> Response:
    if _claimable(request) is None:
        return RedirectResponse("/signin", status_code=303)
    return page(request, "account.html", _claim_vm(), title=CLAIM_TITLE, nav=False)


@router.post("/claim", response_class=HTMLResponse, include_in_schema=False)
async def claim_submit(request: Request, state: State, clock: Clocked) -> Response:
    account_id = _claimable(request)
    if account_id is None:
        return RedirectResponse("/signin", status_code=303)
    form = await read_form(request)
    email, typed = text(form, "email"), password(form)
    try:
        actor = await run_in_threadpool(
            accounts.claim, state.db, account_id, email, typed,
            now=clock.now,
        )  # fmt: skip
    except UserError as err:
        raise account_form_error(err, _claim_vm(email), CLAIM_TITLE) from None
    signed = await run_in_threadpool(
        accounts.start_session, state.db, actor, now=clock.now, request_id=request_id(request.scope)
    )
    return set_session(request, RedirectResponse(home_of(actor), status_code=303), signed)


def account_form_error(
    err: UserError, vm: AccountView, title: str, *, other_field: str = "email"
) -> FormError:
    """An account form's mistake beside its field: `password: …` beside the password, anything else
    beside `other_field` (the email, or the link), in plain words (issue 9 §2)."""
    field = "password" if str(err).startswith("password") else other_field
    message = str(err).split(": ", 1)[-1]
    problem = field_problem(field, f"{field}: {message}", message[0].upper() + message[1:] + ".")
    return FormError(str(err), problems=[problem], template="account.html", vm=vm, title=title)


# ---- pages ---------------------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse, include_in_schema=False)
async def signin_page(request: Request, next: str = "") -> Response:
    auth = await resolve(request)
    if auth is not None:
        return RedirectResponse(_safe_next(next) or home_of(auth.actor), status_code=303)
    vm = _signin_vm(request, next_url=_safe_next(next))
    return page(request, "signin.html", vm, title=SIGNIN_TITLE, nav=False)


@router.post("/signin", response_class=HTMLResponse, include_in_schema=False)
async def signin_submit(request: Request, state: State, clock: Clocked) -> Response:
    form = await read_form(request)
    email, typed = text(form, "email"), password(form)
    next_url = _safe_next(text(form, "next"))
    try:
        actor = await run_in_threadpool(
            accounts.authenticate, state.db, email, typed,
            address=_address(request), now=clock.now, request_id=request_id(request.scope),
        )  # fmt: skip
    except UserError as err:
        problem = field_problem("email", f"email: {err}", str(err).capitalize() + ".")
        wait = err.retry_after_s if isinstance(err, Throttled) else None
        raise FormError(
            str(err), problems=[problem], template="signin.html",
            vm=_signin_vm(request, email, next_url), title=SIGNIN_TITLE,
            status=429 if wait is not None else 422,
            headers={"Retry-After": str(wait)} if wait is not None else None,
        ) from None  # fmt: skip
    signed = await run_in_threadpool(
        accounts.start_session, state.db, actor, now=clock.now, request_id=request_id(request.scope)
    )
    response = RedirectResponse(next_url or home_of(actor), status_code=303)
    return set_session(request, response, signed)


@router.post("/signout", include_in_schema=False)
async def signout(request: Request, state: State) -> Response:
    token = request.cookies.get("kneehab_session")
    if token:
        await run_in_threadpool(accounts.end_session, state.db, token)
    return clear_session(request, RedirectResponse("/signin", status_code=303))


@router.post("/signout/everywhere", include_in_schema=False)
async def signout_everywhere(
    request: Request, state: State, actor: SignedIn, clock: Clocked
) -> Response:
    await run_in_threadpool(
        accounts.end_all_sessions, state.db, actor, now=clock.now,
        request_id=request_id(request.scope),
    )  # fmt: skip
    return clear_session(request, RedirectResponse("/signin", status_code=303))


LINK_TITLE = "Your password"


_LINK_INTROS = {
    "new": "Choose a password of at least 8 characters (a few words you will remember are best).",
    "own": (
        "You already have a kneehab account with this email: type the password you sign in with. "
        "Invited to join a clinic, your program and records come with you."
    ),
}


def _link_vm(link: str, asks: str = "") -> AccountView:
    """What the link asks is said only to whoever opened it (never to whoever made it)."""
    return AccountView(
        heading=LINK_TITLE,
        intro=_LINK_INTROS.get(
            asks,
            "An invitation or a reset: choose a password of at least 8 characters (a few words "
            "you will remember are best). Invited to join a clinic with the account you have: type "
            "the password you sign in with; your program and records come with you.",
        ),
        action="/account/password",
        button="Join with my password" if asks == "own" else "Save my password",
        ask_email=False,
        link=link,
    )


DEAD_LINK = AccountView(
    heading="This link does not work any more",
    intro=(
        "It was used already, replaced by a newer link, withdrawn, or it is too old (an invitation "
        "works for 7 days, a password reset for 24 hours). Ask whoever gave it to you for a new one. "
        "If you already have an account, sign in."
    ),
    action="/signin",
    button="",
    form=False,
)


@router.get("/account/password", response_class=HTMLResponse, include_in_schema=False)
def link_page(request: Request, state: State, clock: Clocked, link: str = "") -> Response:
    asks = accounts.link_asks(state.db, link, now=clock.now) if link else ""
    if not asks:  # said before anyone types a password into a form that cannot work
        return page(request, "account.html", DEAD_LINK, title=DEAD_LINK.heading, nav=False)
    return page(request, "account.html", _link_vm(link, asks), title=LINK_TITLE, nav=False)


@router.post("/account/password", response_class=HTMLResponse, include_in_schema=False)
async def link_submit(request: Request, state: State, clock: Clocked) -> Response:
    form = await read_form(request)
    link, typed = text(form, "link"), password(form)
    try:
        actor = await run_in_threadpool(
            accounts.use_link, state.db, link, typed, now=clock.now,
            address=_address(request),
        )  # fmt: skip
    except Throttled:
        raise  # 429 with the time to wait, not a form mistake
    except UserError as err:
        raise account_form_error(err, _link_vm(link), LINK_TITLE, other_field="link") from None
    signed = await run_in_threadpool(
        accounts.start_session, state.db, actor, now=clock.now, request_id=request_id(request.scope)
    )
    return set_session(request, RedirectResponse(home_of(actor), status_code=303), signed)


def _my_audit(state: State, actor: Actor) -> AuditView:
    """Issue 10 §6: the rows about this person by anyone else (their own visits are not listed);
    an account without a program yet has nothing to list."""
    if actor.person_id is None:
        return AuditView(items=[])
    # Rows from this record's own life only: a deleted person's id may be reused (SQLite).
    since = services.history_of_start(state.db, Acting(actor, actor.person_id))
    rows = audit.entries(
        state.db, actor, person_id=actor.person_id, not_actor=actor.account_id, since=since
    )
    return AuditView(items=audit_items(rows, me=actor.account_id))


@router.get("/data/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, state: State, actor: SignedIn) -> Response:
    vm = _my_audit(state, actor)
    return page(request, "audit.html", vm, title=vm.heading)


# ---- the API ---------------------------------------------------------------------------------------


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SessionStarted(BaseModel):
    csrf_token: str = Field(description="Send as `X-CSRF-Token` on every write with this session")
    me: Me


def _me(actor: Actor) -> Me:
    return Me(
        id=actor.account_id,
        email=actor.email,
        role=actor.role.value,
        clinic_id=actor.clinic_id,
        person_id=actor.person_id,
    )


@api.post(
    "/auth/login",
    response_model=SessionStarted,
    summary="Sign in: the session cookie and the CSRF token",
    responses={401: {"description": "email or password is wrong"}, 429: {"description": "wait"}},
)
def api_login(
    body: Credentials, request: Request, response: Response, state: State, clock: Clocked
) -> SessionStarted:
    actor = accounts.authenticate(
        state.db, body.email, body.password, address=_address(request), now=clock.now,
        request_id=request_id(request.scope),
    )  # fmt: skip
    signed = accounts.start_session(
        state.db, actor, now=clock.now, request_id=request_id(request.scope)
    )
    set_session(request, response, signed)
    return SessionStarted(csrf_token=signed.csrf_token, me=_me(actor))


@api.post(
    "/auth/signup",
    response_model=SessionStarted,
    status_code=201,
    summary="Create a self-managed person's account and sign in",
    responses={409: {"description": "an account with that email exists"}},
)
def api_signup(
    body: Credentials, request: Request, response: Response, state: State, clock: Clocked
) -> SessionStarted:
    actor = accounts.signup(
        state.db, body.email, body.password, now=clock.now, address=_address(request)
    )
    signed = accounts.start_session(
        state.db, actor, now=clock.now, request_id=request_id(request.scope)
    )
    set_session(request, response, signed)
    return SessionStarted(csrf_token=signed.csrf_token, me=_me(actor))


@api.post("/auth/logout", status_code=204, summary="Sign out (this session)")
def api_logout(request: Request, state: State, actor: SignedIn) -> Response:
    token = request.cookies.get("kneehab_session")
    if token:
        accounts.end_session(state.db, token)
    return clear_session(request, Response(status_code=204))


@api.get("/me", response_model=Me, summary="Who is signed in")
async def api_me(actor: SignedIn, state: State, auth: MaybeSignedIn) -> Me:
    me = _me(actor)
    if auth is not None and auth.name is not None:  # a session's lookup read the name already
        me.name = auth.name
    else:
        me.name = await run_in_threadpool(_account_name, state, actor)
    return me


def _account_name(state: WebState, actor: Actor) -> str:
    found = accounts.find(state.db, actor.email) if actor.account_id is not None else None
    return found.name if found is not None else ""


@api.get("/me/audit", response_model=AuditView, summary="Who has looked at or changed my data")
def api_my_audit(state: State, actor: SignedIn) -> AuditView:
    return _my_audit(state, actor)
