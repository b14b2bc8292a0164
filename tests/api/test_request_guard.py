"""Issue 10 §2, found when probed: another website could delete the person's data, fake an
emergency, post a check-in or write the player state; a foreign Host name got the full export; and
some security headers were missing. Each is refused before any route runs, and nothing is changed."""

from __future__ import annotations

from datetime import UTC

import httpx
import pytest
from api_support import (
    CHECK_ALL_NO,
    CHECK_IDS,
    NOW,
    PASSWORD,
    PERSON_EMAIL,
    SAFETY_NO,
    SETTINGS,
    enrol,
    web_client,
)

from kneehab import services
from kneehab.config import Settings
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.library.load import load_library
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio

EVIL = "http://attacker.example"
# Every page form and API write a foreign page could aim at, with a body it would send.
FORMS = [
    ("/data/delete", {"confirm": "yes"}),
    ("/rescreen/1", {**SAFETY_NO, "RF03": "yes"}),
    ("/today/check", {q: "no" for q in CHECK_IDS}),
    ("/today/entries", {"exercise_id": "bridge", "sets_done": "1", "pain_during_max": "1"}),
    ("/today/stop", {"exercise_id": "bridge", "pain_now": "9"}),
    ("/outcomes", {"chair_stand": "12"}),
    ("/checkin", {"morning_pain": "2", "morning_stiffness": "1", "avg_pain": "2"}),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _rows(db: Database) -> dict[str, object]:
    pid = services.current_person_id(db)
    assert pid is not None
    return services.export_person(db, on_machine(pid))


@pytest.mark.parametrize(("path", "form"), FORMS, ids=[p for p, _ in FORMS])
@pytest.mark.parametrize(
    "headers",
    [{"origin": EVIL}, {"sec-fetch-site": "cross-site"}, {"origin": "null"}],
    ids=["origin", "fetch-site", "null-origin"],
)
async def test_a_form_from_another_site_changes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    path: str,
    form: dict[str, str],
    headers: dict[str, str],
) -> None:
    await enrol(client)
    before = _rows(db)
    r = await client.post(path, data=form, headers=headers)
    assert r.status_code == 403
    assert "another website" in r.json()["detail"]
    assert _rows(db) == before


async def test_a_same_origin_form_with_a_null_origin_is_kneehab_s_own(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Chromium sends `Origin: null` with `Sec-Fetch-Site: same-origin` for a form under a strict
    referrer policy (seen in the browser tests): Sec-Fetch-Site decides."""
    await enrol(client)
    r = await client.post(
        "/today/check",
        data={**{q: "no" for q in CHECK_IDS}, "chest_symptoms": "no", "cold_foot": "no"},
        headers={"origin": "null", "sec-fetch-site": "same-origin"},
    )
    assert r.status_code == 303, r.text


async def test_the_same_site_still_works(client: httpx.AsyncClient, db: Database) -> None:
    await enrol(client)
    r = await client.post(
        "/today/check",
        data={**{q: "no" for q in CHECK_IDS}, "chest_symptoms": "no", "cold_foot": "no"},
        headers={"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"},
    )
    assert r.status_code == 303, r.text


async def test_a_no_cors_text_plain_write_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    await enrol(client)
    await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    r = await client.post(
        "/api/v1/today/state",
        content=b'{"state": {"step": 3}}',
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    assert (await client.get("/api/v1/today")).json()["saved_state"] is None


async def test_a_foreign_host_name_gets_nothing(client: httpx.AsyncClient) -> None:
    await enrol(client)
    for path in ("/api/v1/export", "/today", "/static/css/app.css", "/static"):
        r = await client.get(path, headers={"host": "attacker.example"})
        assert r.status_code == 400, path
        assert "host name" in r.json()["detail"]
        assert "location" not in r.headers


async def test_a_configured_public_name_is_answered(db: Database) -> None:
    settings = Settings(public_url="https://knee.example.org")
    app = create_app(settings, db=db, library=load_library())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://knee.example.org"
    ) as c:
        assert (await c.get("/start")).status_code in (200, 303)
        assert (await c.get("/api/v1/data")).status_code != 400


async def test_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/start")
    assert "camera=()" in r.headers["permissions-policy"]
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    assert "server" not in r.headers
    refused = await client.get("/start", headers={"host": "attacker.example"})
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["cache-control"] == "no-store"


async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient) -> None:
    """HEAD / was 405: a monitor's or link checker's HEAD gets GET's status and headers, no body."""
    for path in ("/", "/signin", "/api/v1/me", "/static/player.js"):
        got, head = await client.get(path), await client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
    r = await client.head("/data/delete")  # a write's path takes no HEAD either
    assert r.status_code == 405


# --- the per-session CSRF token (issue 10 §2): a same-origin write still needs it ---------------

REFUSED = "this form is out of date or did not come from kneehab"


async def _checked_today(client: httpx.AsyncClient) -> None:
    """Enrolled and today's short safety check done, so the player's state may be written."""
    await enrol(client)
    r = await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    assert r.status_code == 200, r.text


async def _saved_state(client: httpx.AsyncClient) -> object:
    return (await client.get("/api/v1/today")).json()["saved_state"]


@pytest.mark.parametrize("sent", [None, "not-the-token"], ids=["without", "wrong"])
async def test_a_cookie_json_write_needs_the_session_s_csrf_token(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    await _checked_today(client)
    client.event_hooks["request"] = []  # the conftest hook sends the right token on every request
    headers = {} if sent is None else {"x-csrf-token": sent}
    r = await client.post("/api/v1/today/state", json={"state": {"step": 3}}, headers=headers)
    assert r.status_code == 403
    body = r.json()  # the API's error shape
    assert body["detail"].startswith(REFUSED) and body["problems"] == [body["detail"]]
    assert await _saved_state(client) is None
    right = {"x-csrf-token": client.cookies["kneehab_csrf"]}
    r = await client.post("/api/v1/today/state", json={"state": {"step": 3}}, headers=right)
    assert r.status_code == 204, r.text
    assert await _saved_state(client) == {"step": 3}


@pytest.mark.parametrize("sent", [None, "not-the-token"], ids=["without", "wrong"])
async def test_a_cookie_form_write_needs_the_session_s_csrf_field(
    client: httpx.AsyncClient, db: Database, sent: str | None
) -> None:
    await enrol(client)
    client.event_hooks["request"] = []
    before = _rows(db)
    form = dict(CHECK_ALL_NO)
    if sent is not None:
        form["csrf_token"] = sent
    r = await client.post("/today/check", data=form)
    assert r.status_code == 403  # the error page, in words
    assert "This form is out of date or did not come from kneehab: reload the page" in r.text
    assert "text/html" in r.headers["content-type"]
    assert _rows(db) == before
    r = await client.post(
        "/today/check", data={**CHECK_ALL_NO, "csrf_token": client.cookies["kneehab_csrf"]}
    )
    assert r.status_code == 303 and r.headers["location"] == "/today", r.text
    assert _rows(db) != before


async def test_a_bearer_token_write_needs_no_csrf_token(db: Database, library, clock) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as person:
        await _checked_today(person)
    made = accounts.create_token(
        db, PERSON_EMAIL, scope="write", name="app", actor=SERVER_ADMIN, now=NOW.astimezone(UTC)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        c.headers["authorization"] = f"Bearer {made.secret}"
        r = await c.post("/api/v1/today/state", json={"state": {"step": 4}})
        assert r.status_code == 204, r.text
        assert await _saved_state(c) == {"step": 4}


# --- the session cookie is Secure when kneehab is reached over https ----------------------------


def _set_cookies(r: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in r.headers.get_list("set-cookie")}


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://knee.example.org", True), ("http://knee.example.org", False), (None, False)],
)
async def test_the_session_cookie_is_secure_over_https(
    db: Database, library, public_url: str | None, secure: bool
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(public_url=public_url)
    app = create_app(settings, db=db, library=library)
    base = public_url or "http://127.0.0.1"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as c:
        r = await c.post("/api/v1/auth/signup", json={"email": PERSON_EMAIL, "password": PASSWORD})
        assert r.status_code == 201, r.text
        signup = _set_cookies(r)
        c.cookies.clear()  # signing in afresh (signed in, a write needs the CSRF token)
        r = await c.post("/api/v1/auth/login", json={"email": PERSON_EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
    for cookies in (signup, _set_cookies(r)):
        session, csrf = cookies["kneehab_session"], cookies["kneehab_csrf"]
        assert "HttpOnly" in session and "samesite=lax" in session.lower()
        assert "HttpOnly" not in csrf  # the player reads it to send X-CSRF-Token
        for header in (session, csrf):
            assert ("Secure" in header.split("; ")) is secure, header
