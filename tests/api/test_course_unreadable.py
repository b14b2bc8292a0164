"""Issue 11 §2: a library change that makes a person's stored history unreadable (an exercise they
logged is gone) does not break their pages: the person's pages and API say what happened in plain
words (409, nothing lost), and their clinician sees the same on the person's record."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, timedelta

import pytest
from api_support import NOW, PASSWORD, SETTINGS, TODAY, Clock, web_client

from history_seed import seed_history
from kneehab import services
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.library.load import default_library
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.web.app import create_app

PLAIN = "that the installed exercise library no longer has"

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_person_and_their_clinician_read_what_happened(db: Database) -> None:
    lib = default_library()
    made = NOW.astimezone(UTC) - timedelta(days=12)
    clinic = services.accounts.create_clinic(db, "A", actor=SERVER_ADMIN, now=made)
    for email, role in (("alice@example.org", "person"), ("bob@example.org", "clinician")):
        services.accounts.add_account(
            db, email, role=role, clinic_id=clinic, password=PASSWORD, actor=SERVER_ADMIN, now=made
        )
    pid = seed_history(db, lib, TODAY, days=10)
    with db.read() as s:
        gone = repo.sessions(s, pid)[0].entries[0].exercise_id
    smaller = lib.model_copy(
        update={"exercises": {k: v for k, v in lib.exercises.items() if k != gone}}
    )
    app = create_app(SETTINGS, db=db, library=smaller, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        person = await stack.enter_async_context(web_client(app, sign_up=None))
        clinician = await stack.enter_async_context(web_client(app, sign_up=None))
        for client, email in ((person, "alice@example.org"), (clinician, "bob@example.org")):
            r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
        for url in ("/api/v1/today", "/api/v1/progress"):
            r = await person.get(url)
            assert r.status_code == 409, (url, r.status_code, r.text)
            assert PLAIN in r.json()["detail"] and f"'{gone}'" in r.json()["detail"]
            assert "Nothing saved is lost" in r.json()["detail"]
        page = await person.get("/today")
        assert page.status_code == 409 and PLAIN in page.text
        r = await clinician.get(f"/api/v1/patients/{pid}/today")
        assert r.status_code == 409 and PLAIN in r.json()["detail"]
        page = await clinician.get(f"/clinic/patients/{pid}")
        assert page.status_code == 409 and PLAIN in page.text and f"{gone}" in page.text
        caseload = await clinician.get("/api/v1/patients")  # listed first, saying why: never a 500
        assert caseload.status_code == 200, caseload.text
        first = caseload.json()["items"][0]
        assert first["id"] == pid and "C-13" in str(first), first
    # With the exercise back in the library, the same pages work again: nothing was changed.
    app = create_app(SETTINGS, db=db, library=lib, clock=Clock(NOW))
    async with web_client(app, sign_up=None) as person:
        r = await person.post(
            "/api/v1/auth/login", json={"email": "alice@example.org", "password": PASSWORD}
        )
        assert (await person.get("/api/v1/today")).status_code == 200
