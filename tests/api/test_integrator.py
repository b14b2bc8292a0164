"""What an integrator meets (issue 9 §7): `/docs` works without another site, the OpenAPI document lists every
4xx a path really answers, types the player-state request and the export's answer, `/api/v1/data` names the
API's own paths, and a client that goes away mid-save is not logged as a server error."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
from api_support import NOW, SETTINGS, TODAY, Clock, web_client

from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.api_docs import ErrorBody, ErrorItem
from kneehab.web.app import create_app
from kneehab.web.routes.data import ExportView

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


INTAKE = {
    "age": 58,
    "sex": "female",
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 4,
    "pain_worst_week": 6,
    "assessed": "yes",
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "equipment": ["chair"],
    "red_flags": [],
}


async def _statuses(client: httpx.AsyncClient, doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Every operation called as a careless client would: no body, a wrong body, an unknown id."""
    seen = []
    for path, ops in doc["paths"].items():
        if path == "/api/v1/auth/logout":  # it would end the session the other calls need
            continue
        url = re.sub(r"\{[^}]+\}", "no-such-id", path)
        for method in ops:
            tries: list[dict[str, Any]] = [{}]
            if method in ("post", "put", "patch"):
                tries = [
                    {"json": {}},
                    {"content": b"[0", "headers": {"content-type": "application/json"}},
                ]
            for kwargs in tries:
                r = await client.request(method.upper(), url, **kwargs)
                seen.append((method, path, r.status_code))
    return seen


def _undocumented(doc: dict[str, Any], seen: list[tuple[str, str, int]]) -> list[str]:
    return [
        f"{m.upper()} {p} answered {s}"
        for m, p, s in seen
        if 400 <= s < 500 and str(s) not in doc["paths"][p][m]["responses"]
    ]


async def test_openapi_documents_every_4xx_a_path_answers(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/api/v1/openapi.json")).json()
    seen = await _statuses(client, doc)  # nobody enrolled: 404 everywhere a person is needed
    assert any(s == 404 for _, _, s in seen)
    enrolled = await client.post("/api/v1/enroll", json=INTAKE)
    assert enrolled.status_code == 201, enrolled.text
    seen += await _statuses(client, doc)  # enrolled, today's check not answered: 409 on the writes
    assert ("post", "/api/v1/today/state", 409) in seen
    again = await client.post("/api/v1/enroll", json=INTAKE)  # a second enrolment is refused
    seen.append(("post", "/api/v1/enroll", again.status_code))
    assert again.status_code == 409
    assert _undocumented(doc, seen) == []


async def test_openapi_documents_the_409_of_a_withheld_program(
    db: Database, library: Any, clock: Clock
) -> None:
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as client:
        r = await client.post("/api/v1/enroll", json={**INTAKE, "red_flags": ["RF03"]})
        assert r.status_code == 201, r.text
        doc = (await client.get("/api/v1/openapi.json")).json()
        seen = await _statuses(client, doc)
    assert ("get", "/api/v1/program", 409) in seen
    assert _undocumented(doc, seen) == []


async def test_openapi_types_the_player_state_request_and_the_export(
    client: httpx.AsyncClient,
) -> None:
    doc = (await client.get("/api/v1/openapi.json")).json()
    state = doc["paths"]["/api/v1/today/state"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    assert state["schema"] == {"$ref": "#/components/schemas/PlayerState"}
    assert doc["components"]["schemas"]["PlayerState"]["required"] == ["state"]
    csv = doc["paths"]["/api/v1/export.csv"]["get"]["responses"]["200"]["content"]
    assert csv == {"text/csv": {"schema": {"type": "string"}}}
    export = doc["paths"]["/api/v1/export"]["get"]["responses"]["200"]["content"]
    assert export["application/json"]["schema"] == {"$ref": "#/components/schemas/ExportView"}
    error = doc["paths"]["/api/v1/program"]["get"]["responses"]["404"]["content"]
    assert error["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    for body in (
        (await client.get("/api/v1/program")).json(),  # 404: nobody enrolled
        (await client.post("/api/v1/enroll", json={"age": 5})).json(),  # 422
    ):
        ErrorBody.model_validate(body)
        assert set(body) <= set(ErrorBody.model_fields), body  # the schema names every field
        for item in body.get("errors", []):
            assert set(item) <= set(ErrorItem.model_fields), item
    # The document's schema is the export's real shape (a demo-like course: every list filled).
    assert (await client.post("/api/v1/enroll", json=INTAKE)).status_code == 201
    body = (await client.get("/api/v1/export")).json()
    ExportView.model_validate(body)


async def test_docs_is_swagger_ui_from_this_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    html = page.text
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("/") for s in srcs), srcs  # nothing from another site
    assert "<script>" not in html  # the CSP allows no inline script
    assert 'data-openapi-url="/api/v1/openapi.json"' in html
    for src in srcs:
        if src.endswith((".js", ".css")):
            asset = await client.get(src)
            assert asset.status_code == 200, src
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert len(bundle.content) > 100_000  # the real Swagger UI, from the installed package
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_data_links_to_the_apis_own_paths(client: httpx.AsyncClient, db: Database) -> None:
    assert (await client.post("/api/v1/enroll", json=INTAKE)).status_code == 201
    data = (await client.get("/api/v1/data")).json()
    if db.is_sqlite:  # the test client's address is a loopback one: the file is on this computer
        assert "this computer" in data["stored"]
    assert data["api"] == {
        "export_json": "/api/v1/export",
        "export_csv": "/api/v1/export.csv",
        "delete": "DELETE /api/v1/person?confirm=true",
    }
    assert (await client.get(data["api"]["export_json"])).status_code == 200
    assert (await client.get(data["api"]["export_csv"])).status_code == 200
    assert "backup" in data["copies"]


async def test_this_computer_only_when_it_is_one(db: Database, library: Any, clock: Clock) -> None:
    """A phone on the same network opens kneehab served from a laptop: the file is not on the phone."""
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, client_address=("192.168.1.20", 51000)) as client:
        assert (await client.post("/api/v1/enroll", json=INTAKE)).status_code == 201
        data = (await client.get("/api/v1/data")).json()
        page = (await client.get("/data")).text
    for text in (data["stored"], data["deletes_from"], page):
        assert "this computer" not in text and "this device" not in text
    if db.is_sqlite:
        assert "the computer that runs kneehab" in data["stored"]
    else:
        assert "kneehab server" in data["stored"]


async def test_a_client_gone_mid_save_is_not_a_server_error(
    db: Database, library: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The tab closed while `sendBeacon` was still sending the player's state: no ERROR, no traceback."""
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with web_client(app) as client:
        assert (await client.post("/api/v1/enroll", json=INTAKE)).status_code == 201
        check = {q: False for q in ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10", "RF12")}
        r = await client.post(
            "/api/v1/today/check",
            json={
                "answers": {**check, "new_injury": False},
                "chest_symptoms": False,
                "cold_foot": False,
            },
        )
        assert r.status_code == 200, r.text
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        csrf = client.cookies["kneehab_csrf"]

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/today/state",
        "raw_path": b"/api/v1/today/state",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"host", b"127.0.0.1"),
            (b"cookie", cookie.encode()),
            (b"x-csrf-token", csrf.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    with caplog.at_level(logging.DEBUG):
        await app(scope, receive, send)  # raised before the fix: the server logs that as an ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not any(r.exc_info for r in caplog.records)
    assert sent and sent[0]["status"] == 400


@pytest.mark.parametrize("how", ["page", "api"])
async def test_delete_everything_leaves_no_answer_readable_on_disk(
    tmp_path: Any, library: Any, how: str
) -> None:
    """SQLite keeps recent pages in `kneehab.db-wal` and freed pages in the file: after "delete
    everything" the person's words must be in neither (issue 9 §7)."""
    from kneehab.store.db import open_database

    folder = tmp_path / "data"
    db = open_database(f"sqlite:///{folder / 'kneehab.db'}")
    marker = "Dancing at my granddaughter's wedding"
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    try:
        async with web_client(app) as client:
            r = await client.post("/api/v1/enroll", json={**INTAKE, "goals": [marker]})
            assert r.status_code == 201, r.text

            def readable() -> list[str]:
                return [f.name for f in folder.iterdir() if marker.encode() in f.read_bytes()]

            assert readable()  # the answer is on disk (in the write-ahead log at first)
            if how == "page":
                r = await client.post("/data/delete", data={"confirm": "yes"})
                assert r.status_code == 200 and "backup" in r.text
            else:
                r = await client.delete("/api/v1/person", params={"confirm": "true"})
                assert r.status_code == 204
            assert readable() == []
            wal = folder / "kneehab.db-wal"
            assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    finally:
        db.close()


async def test_the_export_of_a_whole_course_follows_its_documented_shape(
    client: httpx.AsyncClient, db: Database, library: Any
) -> None:
    """Every list filled: 16 days of sessions and check-ins, outcomes, escalations, a re-screen."""
    from history_seed import signed_up_account
    from kneehab import services
    from kneehab.demo import seed_demo

    enrolled = seed_demo(
        db, today=TODAY, now=NOW, library=library, account_id=signed_up_account(db)
    )
    services.rescreen(
        db, on_machine(enrolled.person_id), flags=["RF05"], now=NOW, today=TODAY, library=library
    )
    body = (await client.get("/api/v1/export")).json()
    assert all(body[k] for k in ("program_versions", "session_entries", "checkins", "rescreens"))
    ExportView.model_validate(body)
