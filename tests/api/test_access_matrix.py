"""Issue 10 §8: every route of the app, enumerated from the app itself (HTTP and WebSocket; a new route
without an entry of its exact path in KINDS fails), × every persona → the exact status it must get
(or, for a WebSocket, the close code or "ready"); on SQLite and PostgreSQL. Prints the number of
(route, persona) cells and of leaks (a 2xx, or a socket let in, where the persona may not be): 0."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_support import NOW, PASSWORD, SETTINGS, Clock, web_client
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route, WebSocketRoute
from test_integrator import INTAKE

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
# operator's /healthz, /readyz and /metrics (when enabled), 200 for everyone; "live": the camera
# coach's WebSocket (a close code, not a status). Every route is listed by its exact path: a new one
# without an entry fails the test, whatever it starts with.
KINDS: dict[str, str] = {
    "/": "public", "/start": "public", "/start/{number:int}": "public", "/start/save": "public",
    "/start/again": "own", "/signin": "public", "/signout": "session", "/signout/everywhere": "session",
    "/account/password": "public", "/claim": "public", "/data/audit": "signed_in",
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
    "/api/v1/clinic/invitations/{invitation_id}/withdraw": "clinic_write",
    "/clinic/invitations/{invitation_id}/withdraw": "clinic_write",
    "/pose": "public",  # the camera coach's in-browser pose model (npm @mediapipe/pose): no personal data
    "/static": "public", "/docs/assets": "public",
    "/healthz": "probe", "/readyz": "probe", "/metrics": "probe", "/figures/{name}": "public", "/figures/{exercise_id}.svg": "public", "/docs": "public", "/api/v1/openapi.json": "public",
    "/api/v1/live": "live",
    # The person's own record: pages
    "/today": "own", "/today/check": "own", "/today/entries": "own", "/today/stop": "own",
    "/today/record/{exercise_id}": "own", "/today/notes/{note_id}/dismiss": "own",
    "/program": "own", "/program/advice": "own", "/program/avoid": "own", "/program/equipment": "own",
    "/program/exercises/{exercise_id}": "own", "/program/handout.pdf": "own", "/program/swaps": "own",
    "/program/take": "own", "/program/offers": "own", "/program/calendar.ics": "own",
    "/program/calendar/subscription": "own", "/program/calendar/subscription/revoke": "own",
    "/checkin": "own", "/checkin/changes": "own", "/progress": "own",
    "/progress/exercises/{exercise_id}": "own", "/outcomes": "own", "/rescreen": "own",
    "/rescreen/{number}": "own", "/data": "own", "/data/delete": "own", "/data/export.csv": "own",
    "/data/export.json": "own",
    # ... and its JSON twins
    "/api/v1/today": "own", "/api/v1/today/check": "own", "/api/v1/today/entries": "own",
    "/api/v1/today/stop": "own", "/api/v1/today/state": "own",
    "/api/v1/today/notes/{note_id}/dismiss": "own", "/api/v1/program": "own",
    "/api/v1/program/advice": "own", "/api/v1/program/avoid": "own", "/api/v1/program/equipment": "own",
    "/api/v1/program/exercises/{exercise_id}": "own", "/api/v1/program/handout.pdf": "own",
    "/api/v1/program/swaps": "own", "/api/v1/program/offers": "own", "/api/v1/program/calendar.ics": "own",
    "/api/v1/program/calendar/subscription": "own", "/api/v1/checkin": "own", "/api/v1/checkins": "own",
    "/api/v1/changes": "own", "/api/v1/progress": "own", "/api/v1/progress/exercises/{exercise_id}": "own",
    "/api/v1/outcomes": "own", "/api/v1/rescreen": "own", "/api/v1/data": "own", "/api/v1/export": "own",
    "/api/v1/export.csv": "own", "/api/v1/person": "own",
}  # fmt: skip
# What the person (or their token) gets on their own routes with the matrix's request, when it is not
# 200: (status, where a 303 goes). A write is sent an empty body: the 422 (or 409) shows the request got
# past the access check into the route, where a clinician gets the 404 of no record (the API) or is
# sent to their clinic (pages). Nothing the matrix sends changes the course (the calendar
# subscription is made and revoked; that is all).
OWN: dict[tuple[str, str], tuple[int, str]] = {
    ("GET", "/today"): (303, "/today/check"), ("GET", "/today/record/{exercise_id}"): (303, "/today/check"),
    ("GET", "/rescreen"): (303, "/rescreen/1"),
    ("POST", "/today/entries"): (303, "/today/check"),
    ("POST", "/start/again"): (409, ""), ("POST", "/program/swaps"): (409, ""),
    ("POST", "/api/v1/today/state"): (409, ""),
    ("DELETE", "/api/v1/program/calendar/subscription"): (204, ""),
    **{("POST", p): (422, "") for p in (
        "/today/check", "/today/stop", "/today/notes/{note_id}/dismiss", "/checkin", "/outcomes",
        "/rescreen/{number}", "/data/delete", "/program/offers",
        "/api/v1/today/check", "/api/v1/today/entries", "/api/v1/today/stop",
        "/api/v1/today/notes/{note_id}/dismiss", "/api/v1/checkins", "/api/v1/outcomes",
        "/api/v1/rescreen", "/api/v1/program/offers", "/api/v1/program/swaps")},
    ("DELETE", "/api/v1/person"): (422, ""),  # without {"confirm": ...}: nothing is deleted
}  # fmt: skip
CLINICAL = ("their_clinician", "other_clinician", "clinic_admin")


def kind_of(path: str) -> str | None:
    return KINDS.get(path)


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
        elif isinstance(route, APIWebSocketRoute | WebSocketRoute):
            found.append(("WS", prefix + route.path))
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
    removable: dict[str, int]  # route → a member of Alice's clinic its clinic admin may remove
    invitations: dict[str, int]  # route → a pending invitation of Alice's clinic to withdraw


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
        # members the clinic admin removes through the API and the page (nobody signs in as them)
        "/api/v1/clinic/members/{account_id}/remove": ("erin@example.org", "clinician", a),
        "/clinic/members/{account_id}/remove": ("fred@example.org", "clinician", a),
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
    removable = {p: ids.pop(p) for p in list(ids) if p.startswith("/")}
    actors = {p: accounts.account_actor(db, i) for p, i in ids.items()}
    actors["read_token"] = Actor(ids["person"], "alice@example.org", Role.PERSON, a, alice.person_id, Scope.READ)  # fmt: skip
    actors["write_token"] = Actor(ids["person"], "alice@example.org", Role.PERSON, a, alice.person_id, Scope.WRITE)  # fmt: skip
    invitations = {
        route: accounts.invite(
            db, f"{n}-pending@example.org", role="person", actor=actors["clinic_admin"], now=now
        ).invitation_id
        for n, route in enumerate(
            ("/api/v1/clinic/invitations/{invitation_id}/withdraw",
             "/clinic/invitations/{invitation_id}/withdraw")
        )
    }  # fmt: skip
    return World(
        alice.person_id, a, alice.program.items[0].exercise_id, actors, tokens, removable,
        invitations,
    )  # fmt: skip


def _url(path: str, world: World) -> str:
    values = {"person_id": str(world.alice), "exercise_id": world.exercise, "number": "1",
              "name": "no-such-figure.svg", "account_id": str(world.removable.get(path, 0)),
              "invitation_id": str(world.invitations.get(path, 0))}  # fmt: skip
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


Expected = tuple[set[int], str | None]  # the statuses allowed; where a 303 must go (None: anywhere)


def _expected(kind: str, persona: str, method: str, path: str, world: World) -> Expected | None:
    """The statuses allowed for this cell (None: anything but a 5xx)."""
    api = path.startswith("/api/")
    unauth: Expected = ({401}, None) if api else ({303}, "/signin")
    if kind == "public":
        return None
    if kind == "probe":  # anonymous and the same for everyone: no personal data in them
        return {200}, None
    if persona == "anonymous":
        return unauth
    if persona == "read_token" and method not in ("GET", "HEAD"):
        return ({403}, None) if api else unauth
    if persona.endswith("_token") and not api:
        return unauth  # tokens reach /api only
    actor = world.actors[persona]
    clinical = persona in CLINICAL
    if kind == "moved":  # an issue-10 path that moved (issue 12): a permanent redirect
        return {308}, None
    if kind == "patient_action":  # an empty body: 422 for who may act on Alice, 404 otherwise
        subject = Subject(world.alice, world.alice_clinic)
        return (
            {422} if access.allows(actor, access.Action.CLINICAL_ACTION, subject) else {404}
        ), None
    if kind == "patient":
        subject = Subject(world.alice, world.alice_clinic)
        return ({200} if access.allows(actor, access.Action.READ_HEALTH, subject) else {404}), None
    if kind == "clinic_admin":
        return ({200} if persona == "clinic_admin" else {404}), None
    if kind == "clinic_write":  # a valid body (BODIES): what the access decision allows
        if path.endswith("/invitations"):  # a clinician invites a person into their own clinic
            allowed, done = clinical, ({201}, None) if api else ({200}, None)
        else:  # only the clinic admin removes a member or withdraws an invitation of the clinic
            allowed = persona == "clinic_admin"
            done = ({204}, None) if api else ({303}, "/clinic/members")
        return done if allowed else ({404}, None)
    if kind == "clinic":  # each clinician lists their own clinic (the body is checked below)
        return ({200} if clinical else {404}), None
    if kind == "signed_in":  # about the account itself: everyone signed in has one
        if path == "/api/v1/enroll":  # a valid intake: the people have a program already
            # a clinician's account holds no program: 422 "only a person's own account holds a program"
            return ({422} if clinical else {409}), None
        return {200}, None
    if kind == "own":  # the person's (or their token's) own record; a clinician has none
        if clinical:
            if path == "/start/again":  # "change my answers" is a first run for someone with none
                return {303}, "/start/1"
            return ({404}, None) if api else ({303}, "/clinic")
        status, where = OWN.get((method, path), (200, ""))
        return {status}, where or None
    raise AssertionError(f"no expectation for the kind {kind!r}")


# A valid body for the writes whose access decision comes after reading it (per persona: each
# invitation is a new address). Other writes get an empty one.
BODIES: dict[str, Callable[[str], dict[str, object]]] = {
    "/api/v1/clinic/invitations": lambda who: {"email": f"new-{who}@example.org", "role": "person"},
    "/clinic/invitations": lambda who: {"email": f"page-{who}@example.org", "role": "person"},
    "/api/v1/enroll": lambda who: {**INTAKE, "red_flags": []},
}  # fmt: skip


EMAILS = {"person": "alice@example.org", "same_clinic_person": "carol@example.org",
          "their_clinician": "bob@example.org", "other_clinician": "dave@example.org",
          "clinic_admin": "anna@example.org"}  # fmt: skip
# A WebSocket answers with a close code, not a status (routes/live.py): the camera coach's stream is
# for a person with a program, from kneehab's own page (a cookie and its Origin) or with a write token;
# "ready" is the answer to a start message. tests/api/test_live_socket.py::test_who_may_connect has
# the reasons and the Origin cases; here every persona, so a new socket cannot skip the question.
SOCKETS: dict[str, dict[str, int | str]] = {
    "/api/v1/live": {"anonymous": 4401, "person": "ready", "same_clinic_person": "ready",
                     "their_clinician": 4403, "other_clinician": 4403, "clinic_admin": 4403,
                     "read_token": 4403, "write_token": "ready"},
}  # fmt: skip
LIVE_START = {"type": "start", "exercise": "bridge", "width": 640, "height": 480}


def _socket(app: object, persona: str, world: World, path: str) -> int | str:
    """Connect as `persona`, send a start message: "ready", or the code the server closed with."""
    c = TestClient(app, base_url="http://127.0.0.1")  # type: ignore[arg-type]
    headers = {"origin": "http://127.0.0.1"}
    if persona in EMAILS:
        r = c.post("/api/v1/auth/login", json={"email": EMAILS[persona], "password": PASSWORD})
        assert r.status_code == 200, r.text
    elif persona.endswith("_token"):
        headers = {"authorization": f"Bearer {world.tokens[persona]}"}
    with c.websocket_connect(f"ws://127.0.0.1{path}", headers=headers) as ws:
        ws.send_json(LIVE_START)
        for _ in range(100):
            m = ws.receive()
            if m["type"] == "websocket.close":
                return int(m["code"])
            if json.loads(m["text"])["type"] == "ready":
                return "ready"
    raise AssertionError(f"{persona} {path}: neither ready nor closed")


async def _client(
    app: object, persona: str, world: World, stack: AsyncExitStack
) -> httpx.AsyncClient:
    client = await stack.enter_async_context(web_client(app, sign_up=None))
    if persona in EMAILS:
        r = await client.post(
            "/api/v1/auth/login", json={"email": EMAILS[persona], "password": PASSWORD}
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
            if method == "WS":
                assert path in SOCKETS, f"a WebSocket without its expected answers: {path}"
                for persona in PERSONAS:
                    got, cells = _socket(app, persona, world, path), cells + 1
                    if got != SOCKETS[path][persona]:
                        wrong.append(f"{persona} WS {path}: {got}, not {SOCKETS[path][persona]}")
                        leaks += got == "ready"
                continue
            for persona in PERSONAS:
                url = _url(path, world)
                body = {}
                if method != "GET":
                    given = BODIES.get(path, lambda _: {})(persona)
                    body = {"json": given} if path.startswith("/api/") else {"data": given}
                r = await clients[persona].request(method, url, **body)
                cells += 1
                expected = _expected(kind, persona, method, path, world)
                if r.status_code >= 500:
                    wrong.append(f"{persona} {method} {path}: {r.status_code}")
                if expected is None:
                    continue
                statuses, where = expected
                if r.status_code not in statuses:
                    wrong.append(f"{persona} {method} {path}: {r.status_code} not in {statuses}")
                    if 200 <= r.status_code < 300:
                        leaks += 1
                elif r.status_code == 303 and not r.headers["location"].startswith(where or "/"):
                    wrong.append(f"{persona} {method} {path}: to {r.headers['location']}")
                listed = r.status_code == 200 and f"/clinic/patients/{world.alice}" in r.text
                if kind == "clinic" and persona == "other_clinician" and listed:
                    leaks += 1
                    wrong.append(f"{persona} {method} {path}: lists the other clinic's person")
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


async def test_thirty_wrong_passwords_from_one_address_make_it_wait(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """The per-address limit through the web: the client's address is what counts (30 failures over
    several accounts, 4 each at most, and unknown emails), not the account; another address signs in."""
    _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    others = ["carol", "bob", "dave", "anna", "erin", "fred"]
    emails = [f"{others[i % 6]}@example.org" for i in range(24)]
    emails += [f"nobody{i}@example.org" for i in range(6)]
    async with web_client(app, sign_up=None, client_address=("198.51.100.7", 4000)) as c:
        for email in emails:
            r = await c.post("/api/v1/auth/login", json={"email": email, "password": "nope"})
            assert r.status_code == 401, (email, r.text)
        r = await c.post(
            "/api/v1/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert r.status_code == 429 and int(r.headers["retry-after"]) == 15 * 60
        assert "wait 15 minute(s)" in r.json()["detail"]
    async with web_client(app, sign_up=None, client_address=("203.0.113.5", 4000)) as c:
        r = await c.post(
            "/api/v1/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text


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
