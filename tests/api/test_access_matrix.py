"""Issue 10 §8: every route of the app, enumerated from the app itself (a new route without an entry
in KINDS fails), × every persona → the status it must get; on SQLite and PostgreSQL. Prints the number
of (route, persona) cells and of leaks (a 2xx where the persona may not see the record): 0."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from conftest import NOW, PASSWORD, SETTINGS, Clock, web_client
from kneehab import access, services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN, Actor, Role, Scope, Subject
from kneehab.library.load import default_library
from kneehab.services import accounts
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
PERSONAS = (
    "anonymous",
    "person",
    "same_clinic_person",
    "their_clinician",
    "other_clinician",
    "clinic_admin",
    "read_token",
    "write_token",
)
# What each route is about. "own": the signed-in person's own record (no id in the path); "patient":
# the record named in the path (access.py READ_HEALTH); "clinic": the clinician's list; "public": no
# sign-in needed; "session": ends the caller's session (checked on its own below); "probe": the
# operator's /healthz, /readyz and /metrics (when enabled), 200 for everyone.
KINDS: dict[str, str] = {
    "/": "public", "/start": "public", "/start/{number:int}": "public", "/start/save": "public",
    "/start/again": "own", "/signin": "public", "/signout": "session", "/signout/everywhere": "session",
    "/account/password": "public", "/claim": "public", "/data/audit": "own",
    "/api/v1/auth/login": "public", "/api/v1/auth/signup": "public", "/api/v1/auth/logout": "session",
    "/api/v1/me": "signed_in", "/api/v1/me/audit": "signed_in",
    "/api/v1/screening": "public", "/api/v1/enroll": "signed_in",
    "/patients": "moved", "/api/v1/patients": "clinic", "/patients/{person_id}": "moved",
    "/clinic/patients/{person_id}": "patient", "/api/v1/patients/{person_id}": "patient",
    "/clinic/patients/{person_id}/actions": "patient_action",
    "/api/v1/patients/{person_id}/actions": "patient_action", "/clinic/members": "clinic",
    "/api/v1/patients/{person_id}/program": "patient", "/api/v1/patients/{person_id}/today": "patient",
    "/api/v1/patients/{person_id}/progress": "patient",
    "/api/v1/patients/{person_id}/changes": "patient",
    "/api/v1/patients/{person_id}/export": "patient",
    "/patients/{person_id}/handout.pdf": "patient", "/api/v1/patients/{person_id}/handout.pdf": "patient",
    "/api/v1/patients/{person_id}/calendar.ics": "patient",
    "/api/v1/fhir/Patient/{person_id}/$everything": "patient",
    "/calendar/{secret}.ics": "public",
    "/api/v1/clinic/invitations": "clinic_write", "/api/v1/clinic/members/{account_id}/remove": "clinic_write",
    "/api/v1/clinic/audit": "clinic_admin", "/clinic/audit": "clinic_admin",
    "/clinic": "clinic", "/clinic/invitations": "clinic_write",
    "/clinic/members/{account_id}/remove": "clinic_write",
    "/pose": "public",  # the camera coach's in-browser pose model (npm @mediapipe/pose): no personal data
    "/healthz": "probe", "/readyz": "probe", "/metrics": "probe", "/figures/{name}": "public", "/figures/{exercise_id}.svg": "public", "/docs": "public", "/api/v1/openapi.json": "public",
}  # fmt: skip
OWN_PREFIXES = ("/today", "/program", "/checkin", "/changes", "/progress", "/data", "/outcomes",
                "/rescreen", "/api/v1/today", "/api/v1/program", "/api/v1/checkin",
                "/api/v1/changes", "/api/v1/progress", "/api/v1/data", "/api/v1/export",
                "/api/v1/person", "/api/v1/outcomes", "/api/v1/rescreen")  # fmt: skip


def kind_of(path: str) -> str | None:
    if path in KINDS:
        return KINDS[path]
    if path.startswith(("/static", "/docs/")):
        return "public"
    if path.startswith(OWN_PREFIXES):
        return "own"
    return None


def _flat(routes: list[object], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in routes:
        context = getattr(route, "include_context", None)  # FastAPI ≥ 0.16x keeps included routers
        if context is not None:
            found += _flat(list(context.included_router.routes), prefix + context.prefix)
        elif isinstance(route, Mount):
            found.append(("GET", prefix + route.path))
        elif isinstance(route, APIRoute | Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, prefix + route.path))
    return found


def routes_of(app: object) -> list[tuple[str, str]]:
    """Every route the app answers, from the app itself."""
    return sorted(set(_flat(list(app.routes))))  # type: ignore[attr-defined]


@dataclass
class World:
    alice: int  # the person's record
    alice_clinic: int
    exercise: str
    actors: dict[str, Actor]
    tokens: dict[str, str]


def _world(db: Database) -> World:
    now = NOW.astimezone(UTC) - timedelta(days=3)
    a = accounts.create_clinic(db, "A", actor=SERVER_ADMIN, now=now)
    b = accounts.create_clinic(db, "B", actor=SERVER_ADMIN, now=now)
    made = {
        "person": ("alice@example.org", "person", a),
        "same_clinic_person": ("carol@example.org", "person", a),
        "their_clinician": ("bob@example.org", "clinician", a),
        "other_clinician": ("dave@example.org", "clinician", b),
        "clinic_admin": ("anna@example.org", "clinic_admin", a),
    }
    ids = {}
    for persona, (email, role, clinic) in made.items():
        ids[persona] = accounts.add_account(
            db, email, role=role, clinic_id=clinic, password=PASSWORD, actor=SERVER_ADMIN, now=now
        ).account_id
    start = now.date()
    alice = services.enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=now,
        account_id=ids["person"],
        library=default_library(),
        actor=SERVER_ADMIN,
    )
    services.enroll(
        db,
        DEMO_INTAKE,
        start=start,
        now=now,
        account_id=ids["same_clinic_person"],
        library=default_library(),
        actor=SERVER_ADMIN,
    )
    assert alice.program is not None
    tokens = {
        f"{scope}_token": accounts.create_token(
            db, "alice@example.org", scope=scope, name=scope, actor=SERVER_ADMIN, now=now
        ).secret
        for scope in ("read", "write")
    }
    actors = {p: accounts.account_actor(db, i) for p, i in ids.items()}
    actors["read_token"] = Actor(ids["person"], "alice@example.org", Role.PERSON, a, alice.person_id, Scope.READ)  # fmt: skip
    actors["write_token"] = Actor(ids["person"], "alice@example.org", Role.PERSON, a, alice.person_id, Scope.WRITE)  # fmt: skip
    return World(alice.person_id, a, alice.program.items[0].exercise_id, actors, tokens)


def _url(path: str, world: World) -> str:
    values = {"person_id": str(world.alice), "exercise_id": world.exercise, "number": "1",
              "name": "no-such-figure.svg"}  # fmt: skip
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


def _expected(kind: str, persona: str, method: str, path: str, world: World) -> set[int] | None:
    """The statuses allowed for this cell (None: anything but a 5xx)."""
    api = path.startswith("/api/")
    unauth = {401} if api else {303}
    if kind == "public":
        return None
    if kind == "probe":  # anonymous and the same for everyone: no personal data in them
        return {200}
    if persona == "anonymous":
        return unauth
    if persona == "read_token" and method not in ("GET", "HEAD"):
        return {403} if api else unauth
    if persona.endswith("_token") and not api:
        return unauth  # tokens reach /api only
    actor = world.actors[persona]
    if kind == "moved":  # an issue-10 path that moved (issue 12): a permanent redirect
        return {308}
    if kind == "patient_action":  # an empty body: 422 for who may act on Alice, 404 otherwise
        subject = Subject(world.alice, world.alice_clinic)
        return {422} if access.allows(actor, access.Action.CLINICAL_ACTION, subject) else {404}
    if kind == "patient":
        subject = Subject(world.alice, world.alice_clinic)
        return {200} if access.allows(actor, access.Action.READ_HEALTH, subject) else {404}
    if kind == "clinic_admin":
        return {200} if persona == "clinic_admin" else {404}
    if (
        kind == "clinic_write"
    ):  # an empty body: 422 for those who may, the 404 of no clinic otherwise
        return {422, 404} if persona.endswith(("clinician", "clinic_admin")) else {404, 422}
    if kind == "clinic":  # each clinician lists their own clinic (the body is checked below)
        return {200} if persona.endswith(("clinician", "clinic_admin")) else {404}
    return None  # own / signed_in: the actor's own record only; any non-5xx


async def _client(
    app: object, persona: str, world: World, stack: AsyncExitStack
) -> httpx.AsyncClient:
    emails = {"person": "alice@example.org", "same_clinic_person": "carol@example.org",
              "their_clinician": "bob@example.org", "other_clinician": "dave@example.org",
              "clinic_admin": "anna@example.org"}  # fmt: skip
    client = await stack.enter_async_context(web_client(app, sign_up=None))
    if persona in emails:
        r = await client.post(
            "/api/v1/auth/login", json={"email": emails[persona], "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
    elif persona.endswith("_token"):
        client.headers["authorization"] = f"Bearer {world.tokens[persona]}"
    return client


async def test_every_route_for_every_persona(db: Database, library, capsys) -> None:  # type: ignore[no-untyped-def]
    world = _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    routes = routes_of(app)
    missing = [f"{m} {p}" for m, p in routes if kind_of(p) is None]
    assert missing == [], f"routes without an entry in the access matrix: {missing}"
    cells = leaks = 0
    wrong: list[str] = []
    async with AsyncExitStack() as stack:
        clients = {p: await _client(app, p, world, stack) for p in PERSONAS}
        for method, path in routes:
            kind = kind_of(path)
            assert kind is not None
            if kind == "session":
                continue
            for persona in PERSONAS:
                url = _url(path, world)
                body = {"json": {}} if path.startswith("/api/") and method != "GET" else {}
                if method != "GET" and not path.startswith("/api/"):
                    body = {"data": {}}
                r = await clients[persona].request(method, url, **body)
                cells += 1
                expected = _expected(kind, persona, method, path, world)
                if r.status_code >= 500:
                    wrong.append(f"{persona} {method} {path}: {r.status_code}")
                if expected is not None and r.status_code not in expected:
                    wrong.append(f"{persona} {method} {path}: {r.status_code} not in {expected}")
                    if 200 <= r.status_code < 300:
                        leaks += 1
                listed = r.status_code == 200 and f"/clinic/patients/{world.alice}" in r.text
                if kind == "clinic" and persona == "other_clinician" and listed:
                    leaks += 1
                    wrong.append(f"{persona} {method} {path}: lists the other clinic's person")
                if r.status_code == 303 and expected == {303}:
                    assert r.headers["location"].startswith("/signin"), (persona, path)
    with capsys.disabled():
        print(
            f"\naccess matrix: {cells} (route, persona) cells over {len(routes)} routes, {leaks} leaks"
        )
    assert leaks == 0 and wrong == [], wrong[:20]


async def test_signing_out_ends_only_that_session(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    world = _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        phone = await _client(app, "person", world, stack)
        laptop = await _client(app, "person", world, stack)
        assert (await phone.post("/api/v1/auth/logout")).status_code == 204
        assert (await phone.get("/api/v1/me")).status_code == 401
        assert (await laptop.get("/api/v1/me")).status_code == 200
        r = await laptop.post("/signout/everywhere")
        assert r.status_code == 303 and r.headers["location"] == "/signin"
        again = await _client(app, "person", world, stack)
        assert (await again.get("/api/v1/me")).status_code == 200
        assert (await laptop.get("/api/v1/me")).status_code == 401
        r = await again.post("/signout")
        assert r.status_code == 303 and (await again.get("/api/v1/me")).status_code == 401


async def test_a_session_token_is_new_at_each_sign_in(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """Session fixation: a cookie planted before sign-in is never the session after it."""
    _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up=None) as c:
        r = await c.post(
            "/api/v1/auth/login",
            json={"email": "alice@example.org", "password": PASSWORD},
            headers={"cookie": "kneehab_session=planted-by-someone-else"},
        )
        assert r.status_code == 200
        issued = r.cookies.get("kneehab_session")
        assert issued and issued != "planted-by-someone-else"


async def test_wrong_passwords_wait_then_429(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up=None) as c:
        for _ in range(5):
            r = await c.post(
                "/api/v1/auth/login", json={"email": "alice@example.org", "password": "nope"}
            )
            assert r.status_code == 401 and r.json()["detail"] == "email or password is wrong"
        r = await c.post(
            "/api/v1/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert r.status_code == 429 and "wait" in r.json()["detail"]


async def test_the_sign_in_page_also_answers_429_while_throttled(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """The page said 422 ("a form mistake") where the API said 429: both say "wait", with Retry-After."""
    _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app, sign_up=None) as c:
        form = {"email": "alice@example.org", "password": "nope"}
        statuses = [(await c.post("/signin", data=form)).status_code for _ in range(5)]
        assert statuses == [422] * 5
        r = await c.post("/signin", data={**form, "password": PASSWORD})
        assert r.status_code == 429, r.status_code
        assert int(r.headers["retry-after"]) > 0
        assert "wait" in r.text and 'aria-invalid="true"' in r.text  # still the form, in words


async def test_a_revoked_token_is_401(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    world = _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        reader = await _client(app, "read_token", world, stack)
        assert (await reader.get("/api/v1/program")).status_code == 200
        accounts.revoke_token(db, 1, actor=SERVER_ADMIN, now=datetime.now(UTC))
        assert (await reader.get("/api/v1/program")).status_code == 401
