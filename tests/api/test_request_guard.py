"""Issue 10 §2, found when probed: another website could delete the person's data, fake an
emergency, post a check-in or write the player state; a foreign Host name got the full export; and
some security headers were missing. Each is refused before any route runs, and nothing is changed."""

from __future__ import annotations

import httpx
import pytest

from conftest import CHECK_IDS, SAFETY_NO, enrol
from kneehab import services
from kneehab.config import Settings
from kneehab.library.load import load_library
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
