"""Who a web request acts as: a session cookie (pages and the API) or a bearer token (the API), and
the CSRF rule for cookie-authenticated writes (issue 10 §2).

- The session cookie holds a random 256-bit token (only its hash is stored): HttpOnly, SameSite=Lax,
  Secure when the public URL is https.
- A second cookie holds the session's CSRF token, readable by kneehab's own pages (forms render it as
  a hidden field, the player sends it as `X-CSRF-Token`). Every cookie-authenticated request that
  changes something must carry it, and must come from kneehab itself (web/security.py checks
  `Origin`/`Sec-Fetch-Site` before any route). Bearer-token requests carry no ambient credential
  and need neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from kneehab.access import allows_method
from kneehab.domain.identity import Actor
from kneehab.errors import Unauthorized
from kneehab.services import accounts
from kneehab.web.security import SAFE_METHODS, request_id

MAX_FORM_FIELDS = (
    200  # web/routes/forms.py reads forms with the same limits (Starlette keeps the first)
)
SESSION_COOKIE = "kneehab_session"
CSRF_COOKIE = "kneehab_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Auth:
    actor: Actor
    csrf_token: str | None  # None: a bearer token (no cookie, so no CSRF)
    # What the sign-in's lookup also read (None: not read; ask the database)
    name: str | None = None  # the account's display name (a session's lookup only)
    record: accounts.OwnRecord | None = None  # the actor's own person record and its timezone


class NotSignedIn(Unauthorized):
    """No valid session or token: pages go to the sign-in page, the API answers 401."""

    def __init__(self) -> None:
        super().__init__("sign in first: no valid session or access token was sent")


class CsrfRefused(Unauthorized):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "this form is out of date or did not come from kneehab: reload the page and try again"
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def resolve(request: Request) -> Auth | None:
    """The request's Auth, looked up once per request; None when anonymous."""
    if hasattr(request.state, "auth"):
        known: Auth | None = request.state.auth
        return known
    state = request.app.state.web
    now = state.clock()
    auth: Auth | None = None
    bearer = _bearer(request)
    if bearer is not None and request.url.path.startswith("/api/"):
        # The lookup (a point read on the loop on SQLite; on PostgreSQL, a round trip, with the
        # use's batch) and the use's trail row, a write that may wait for the database's write
        # lock: it waits for its batch's commit without holding the event loop or a thread
        # (services/group_commit.py).
        found = await accounts.use_token(
            state.db, bearer, now=now, request_id=request_id(request.scope)
        )
        if found is None:
            raise NotSignedIn()
        auth = Auth(found[0], None, record=found[1])
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            settings = state.settings
            # From the event loop, without a hop to the thread pool: one point read (~10 µs on
            # SQLite; on PostgreSQL a round trip awaited on an asyncio connection, so the loop
            # serves others meanwhile). Its rare write (last seen, at most once a minute; or an
            # expired session deleted) may wait for the write lock: on the pool.
            current, upkeep = await accounts.look_up_session_waiting(
                state.db,
                token,
                now=now,
                idle=timedelta(hours=settings.session_idle_hours),
                lifetime=timedelta(days=settings.session_max_days),
            )
            if upkeep is not None:
                await run_in_threadpool(accounts.keep_up_session, state.db, token, upkeep, now=now)
            if current is not None:
                auth = Auth(current.actor, current.csrf_token, current.name, current.record)
    request.state.auth = auth
    return auth


class ReadOnlyToken(Unauthorized):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("this access token may only read: ask for a token with the write scope")


def check_scope(request: Request, auth: Auth) -> None:
    """A read-scoped token changes nothing, on any path (access.py decides by the method)."""
    if not allows_method(auth.actor, request.method):
        raise ReadOnlyToken()


async def check_csrf(request: Request, auth: Auth) -> None:
    """A cookie-authenticated write carries the session's CSRF token (header or form field)."""
    if request.method in SAFE_METHODS or auth.csrf_token is None:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not accounts.csrf_matches(auth.csrf_token, given):
        raise CsrfRefused()


def _secure(request: Request) -> bool:
    url = request.app.state.web.settings.public_url or ""
    return url.lower().startswith("https://")


def set_session(request: Request, response: Response, signed: accounts.SignedIn) -> Response:
    secure = _secure(request)
    max_age = int(request.app.state.web.settings.session_max_days * 86400)
    response.set_cookie(
        SESSION_COOKIE, signed.token, httponly=True, samesite="lax", secure=secure,
        max_age=max_age, path="/",
    )  # fmt: skip
    response.set_cookie(
        CSRF_COOKIE, signed.csrf_token, httponly=False, samesite="strict", secure=secure,
        max_age=max_age, path="/",
    )  # fmt: skip
    request.state.auth = Auth(signed.actor, signed.csrf_token)
    return response


def clear_session(request: Request, response: Response) -> Response:
    secure = _secure(request)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict", secure=secure)
    return response


def csrf_token_of(request: Request) -> str:
    """For templates: the hidden form field's value ('' when anonymous)."""
    auth: Auth | None = getattr(request.state, "auth", None)
    return auth.csrf_token or "" if auth is not None else ""
