"""What fuzzing found a client could turn into a 500 (issue 11 §4), each now a clear 4xx at the boundary
(web/input_guard.py, web/deps.py RowId), on SQLite and PostgreSQL, with nothing saved:

- a NUL character in a text field (PostgreSQL cannot store it: the insert failed with a 500; the sign-in's
  lookup by email failed the same way), in a form or in the query;
- NaN or Infinity in a JSON body (the player's state: a 500 on PostgreSQL; stored on SQLite, and then the
  player's page broke);
- an id in a path beyond what the database holds (a 500 from the database driver on either store);
- a body of several megabytes (read whole into memory before the route could refuse it);
- a JSON body that is not UTF-8 (a bare 400 that named nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_support import CHECK_IDS, NOW, PASSWORD, SETTINGS, Clock, enrol, web_client

from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import accounts
from kneehab.store.db import Database
from kneehab.web.app import create_app
from kneehab.web.deps import MAX_ROW_ID
from kneehab.web.input_guard import MAX_BODY_BYTES

pytestmark = pytest.mark.anyio


def _problem(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"detail", "problems", "errors"}, body  # the documented ErrorBody
    return str(body["detail"])


async def _ready_for_a_session(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    assert r.status_code == 200, r.text


async def test_a_nul_in_a_text_field_is_named_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    await enrol(client)
    r = await client.post(
        "/api/v1/outcomes", json={"psfs": [{"activity": "Stairs\u0000", "score": 5}]}
    )
    assert r.status_code == 422
    assert _problem(r).startswith("psfs[0].activity: a NUL character")
    assert (await client.get("/api/v1/export")).json()["outcomes"] == []
    page = await client.post(
        "/outcomes", data={"psfs_activity_1": "Stairs\x00", "psfs_score_1": "5"}
    )
    assert page.status_code == 422 and "NUL character" in page.text
    assert (await client.get("/api/v1/export")).json()["outcomes"] == []


async def test_a_nul_in_a_sign_in_or_the_query_is_422(anonymous: httpx.AsyncClient) -> None:
    r = await anonymous.post(
        "/api/v1/auth/login", json={"email": "a\u0000@example.org", "password": PASSWORD}
    )
    assert r.status_code == 422 and _problem(r).startswith("email: a NUL character")
    r = await anonymous.get("/api/v1/changes?day=2025-03-04%00")
    assert r.status_code == 422 and _problem(r).startswith("query: a NUL character")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_nan_in_the_player_state_is_422_and_the_page_still_works(
    client: httpx.AsyncClient, number: str
) -> None:
    await _ready_for_a_session(client)
    r = await client.post(
        "/api/v1/today/state",
        content=f'{{"state": {{"step": 2, "elapsed": {number}}}}}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert _problem(r) == (
        f"body: {number} is not allowed as a number; send a finite number (or null where allowed)"
    )
    assert (await client.get("/api/v1/today")).json()["saved_state"] is None
    assert (await client.get("/today")).status_code == 200
    # the same text inside a string is just text
    r = await client.post("/api/v1/today/state", json={"state": {"note": f"{number} war"}})
    assert r.status_code == 204, r.text


async def test_an_id_beyond_the_database_is_422_naming_the_range(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    clinic = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=NOW)
    accounts.add_account(db, "anna@example.org", role="clinic_admin", clinic_id=clinic,
                         password=PASSWORD, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up=None) as anna:
        r = await anna.post(
            "/api/v1/auth/login", json={"email": "anna@example.org", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        for huge in (MAX_ROW_ID + 1, 10**30):
            for method, path in (
                ("GET", f"/api/v1/patients/{huge}/program"),
                ("GET", f"/api/v1/patients/{huge}/changes"),
                ("GET", f"/api/v1/patients/{huge}"),
                ("POST", f"/api/v1/patients/{huge}/actions"),
                ("GET", f"/api/v1/patients/{huge}/handout.pdf"),
                ("POST", f"/api/v1/clinic/members/{huge}/remove"),
            ):
                r = await anna.request(method, path)
                assert r.status_code == 422, (path, r.text)
                assert f"less than or equal to {MAX_ROW_ID}" in _problem(r)
            for path in (f"/patients/{huge}", f"/clinic/patients/{huge}"):
                page = await anna.get(path)
                assert page.status_code == 422 and "text/html" in page.headers["content-type"]
        # an id in range that is nobody's is still the 404 of a record that does not exist
        assert (await anna.get(f"/api/v1/patients/{MAX_ROW_ID}/program")).status_code == 404


async def test_a_body_over_the_limit_is_413_before_it_is_read(client: httpx.AsyncClient) -> None:
    await _ready_for_a_session(client)
    big = b'{"state": {"x": "' + b"a" * MAX_BODY_BYTES + b'"}}'
    r = await client.post(
        "/api/v1/today/state", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and f"at most {MAX_BODY_BYTES:,} bytes" in _problem(r)

    async def chunks() -> AsyncIterator[bytes]:  # streamed: no Content-Length to refuse it by
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536

    r = await client.post(
        "/api/v1/today/state", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert (await client.get("/api/v1/today")).json()["saved_state"] is None


async def test_a_body_that_is_not_utf8_is_named(client: httpx.AsyncClient) -> None:
    await enrol(client)
    r = await client.post(
        "/api/v1/outcomes",
        content=b'{"psfs": "\xff\xfe\xfa"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422  # was a bare 400 "The request could not be handled."
    assert _problem(r).startswith("body: not valid JSON: the body is not UTF-8 text")
    r = await client.post(
        "/api/v1/outcomes", json={"psfs": [{"activity": "Treppen \u00fcber", "score": 4}]}
    )
    assert r.status_code == 201, r.text  # UTF-8 beyond ASCII is text like any other
