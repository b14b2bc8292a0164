"""Issue 11 §5: probes, metrics and structured logs, for whoever is paged at night.

/healthz answers without a database; /readyz says 503 with the reason when the database is unreachable
or behind; metrics are off by default (404) and, when on, count requests by route template (never the
raw path with its ids); every log line of a whole flow is one JSON object with its request id and route
template, and none carries a health word."""

from __future__ import annotations

import asyncio
import fcntl
import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import CHECK_ALL_NO, SETTINGS, TODAY, Clock, enrol, pass_check, web_client
from sqlalchemy import exc as sa_exc
from test_integrator import INTAKE

from kneehab.store import db as db_module
from kneehab.store.db import Database, make_engine, migrate, sqlite_path
from kneehab.web.app import create_app
from kneehab.web.logs import JsonFormatter

pytestmark = pytest.mark.anyio


def _health_words(config: pytest.Config) -> tuple[str, ...]:
    """tests/conftest.py's HEALTH_WORDS (the root conftest cannot be imported by name here)."""
    for plugin in config.pluginmanager.get_plugins():
        path = str(getattr(plugin, "__file__", "") or "").replace("\\", "/")
        if path.endswith("tests/conftest.py"):
            words: tuple[str, ...] = plugin.HEALTH_WORDS
            return words
    raise AssertionError("tests/conftest.py is not loaded")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_probes_on_a_current_database(db: Database, library, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        r = await c.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready"
        # A load balancer calls by the machine's address: answered whatever the Host header says.
        r = await c.get("/readyz", headers={"host": "10.0.0.7:8000"})
        assert r.status_code == 200
        assert (await c.get("/api/v1/me", headers={"host": "10.0.0.7:8000"})).status_code == 400


async def test_unreachable_database_is_not_ready_but_the_process_is_up(library, clock) -> None:  # type: ignore[no-untyped-def]
    # Nothing listens on port 1: every connection is refused.
    nowhere = Database(make_engine("postgresql+psycopg://kneehab@127.0.0.1:1/none"))
    app = create_app(SETTINGS, db=nowhere, library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        assert (await c.get("/healthz")).status_code == 200  # no database involved
        r = await c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "not ready" and "database unreachable" in r.json()["reason"]
    nowhere.close()


async def test_a_database_behind_is_not_ready_and_names_the_command(
    tmp_path, library, clock
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0005")
    app = create_app(SETTINGS, db=Database(engine), library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        r = await c.get("/readyz")
    assert r.status_code == 503 and "kneehab db upgrade" in r.json()["reason"]
    engine.dispose()


async def test_metrics_are_off_by_default(db: Database, library, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        await c.get("/healthz")
        assert (await c.get("/metrics")).status_code == 404


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    assert want, "no labels given"
    return 0.0


async def test_metrics_count_requests_by_route_template(
    db: Database, library, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    settings = SETTINGS.model_copy(update={"metrics_enabled": True})
    app = create_app(settings, db=db, library=library, clock=clock)
    async with web_client(app, sign_up=None) as c:
        before = (await c.get("/metrics")).text
        for person in (4711, 4712, 4713):
            assert (await c.get(f"/api/v1/patients/{person}/today")).status_code == 401
        await c.get("/healthz")
        after = (await c.get("/metrics")).text
    route = "/api/v1/patients/{person_id}/today"
    counted = _sample(after, "kneehab_http_requests_total", route=route, status="401")
    assert counted - _sample(before, "kneehab_http_requests_total", route=route) == 3
    assert _sample(after, "kneehab_http_request_duration_seconds_count", route=route) == 3
    assert _sample(after, "kneehab_http_requests_total", route="/healthz", status="200") >= 1
    # The template, never the path with its id: no sample's labels name a person (the values may:
    # a `_created` timestamp once held the digits 4711, and a check of the whole text failed).
    labels = [
        line.split("{", 1)[1].rsplit("}", 1)[0]
        for line in after.splitlines()
        if "{" in line and not line.startswith("#")
    ]
    assert labels and not [x for x in labels if any(p in x for p in ("4711", "4712", "4713"))]
    assert _sample(after, "kneehab_http_errors_total", route=route) == 0


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every record of every logger, formatted as the servers write them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


async def test_a_flow_logs_json_lines_without_health_data(
    db: Database,
    library,  # type: ignore[no-untyped-def]
    clock: Clock,
    json_log: io.StringIO,
    pytestconfig: pytest.Config,
) -> None:
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    async with web_client(app) as c:
        r = await enrol(c, goals=["Walk the dog with my granddaughter", "Climb stairs without"])
        assert r.status_code == 303
        await pass_check(c)
        today = clock.now.date().isoformat()
        bad = {
            "date": today,
            "morning_pain": "pain-score-7",
        }  # a mistake quoting the person's words
        assert (await c.post("/api/v1/checkins", json=bad)).status_code == 422
        good = {"date": today, "morning_pain": 2, "new_symptoms": []}
        assert (await c.post("/api/v1/checkins", json=good)).status_code in (200, 201, 409)
        assert (await c.get("/api/v1/progress")).status_code == 200
        assert (await c.get("/api/v1/patients/999/today")).status_code == 404
    lines = json_log.getvalue().splitlines()
    health_words = _health_words(pytestconfig)
    access = []
    for line in lines:
        found = [w for w in health_words if w in line]
        assert not found, f"health data in a log line: {found}: {line}"
        record = json.loads(line)  # one JSON object per line
        assert {"time", "level", "logger", "template", "message", "pid"} <= record.keys()
        if record["logger"] == "kneehab.access":
            access.append(record)
    assert len(access) >= 10
    for record in access:
        assert {"request_id", "route", "method", "status", "duration_ms"} <= record.keys()
        assert "999" not in record["route"]  # the template, never the path
    assert any(r["route"] == "/api/v1/checkins" and r["status"] == 422 for r in access)
    assert {r["request_id"] for r in access}.isdisjoint({"-"})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL has row locks, no gate
async def test_a_write_queued_past_its_bound_is_a_503_to_retry_and_reads_go_on(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: another process holds the writers' turn (store/write_gate.py) for longer than a write
    may wait; the write is refused in words (503, nothing kept), never a 500, and reads still answer."""
    await enrol(client)
    await pass_check(client)
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 0.2)
    checkin = {"date": TODAY.isoformat(), "morning_pain": 2}
    fd = os.open(f"{sqlite_path(db.url)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = await client.post("/api/v1/checkins", json=checkin)
        assert r.status_code == 503 and "try again" in r.json()["detail"], r.text
        assert (await client.get("/api/v1/today")).status_code == 200
    finally:
        os.close(fd)
    assert (await client.post("/api/v1/checkins", json=checkin)).status_code == 201


async def _write_while_the_turn_is_held(
    client: httpx.AsyncClient,
    db: Database,
    method: str,
    path: str,
    body: object,
    *,
    form: bool = False,
) -> list[tuple[str, int]]:
    """`method path` (a JSON body, or a form's) sent while another process holds SQLite's writers'
    turn, and /healthz 0.1 s later: what answered, in order."""
    done: list[tuple[str, int]] = []

    async def write() -> None:
        sent = {"data": body} if form else {"json": body}
        r = await client.request(method, path, **sent)  # type: ignore[arg-type]
        done.append(("write", r.status_code))

    async def look_meanwhile() -> None:
        await asyncio.sleep(0.1)  # the write is waiting for its turn by now
        r = await client.get("/healthz")
        done.append(("healthz", r.status_code))

    fd = os.open(f"{sqlite_path(db.url)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        await asyncio.gather(write(), look_meanwhile())
    finally:
        os.close(fd)
    return done


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the gate that makes a write wait
async def test_a_write_waiting_for_its_turn_does_not_stall_other_requests(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that waits for the database (here: another process holds SQLite's writers' turn) waits
    on the thread pool: the server answers other requests meanwhile. The player's position save and
    the sign-in, first-run, re-screen and sign-out forms wrote on the event loop, which stalled every
    request of that worker until the write's turn came (or, after 10 s, its 503)."""
    await enrol(client)
    await pass_check(client)
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 1.0)
    position = {"state": {"step": 1}}
    done = await _write_while_the_turn_is_held(client, db, "POST", "/api/v1/today/state", position)
    assert done == [("healthz", 200), ("write", 503)]  # answered while the save waited
    r = await client.post("/api/v1/today/state", json=position)
    assert r.status_code == 204


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_enrolment_through_the_api_waiting_for_its_turn_does_not_stall_the_server(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /api/v1/enroll enrolled on the event loop (found after the forms were moved): a wait
    for the writers' turn there stalled the worker. It waits on the thread pool now."""
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 1.0)
    done = await _write_while_the_turn_is_held(client, db, "POST", "/api/v1/enroll", INTAKE)
    assert done == [("healthz", 200), ("write", 503)]
    assert (await client.post("/api/v1/enroll", json=INTAKE)).status_code == 201  # nothing kept


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # a pool of its own per worker
@pytest.mark.parametrize("steps", ["/start", "/rescreen"])
async def test_a_draft_waiting_for_a_connection_does_not_stall_the_server(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch, steps: str
) -> None:
    """PostgreSQL: writes waiting for a person's row lock can hold every connection of a worker's
    pool. A first-run or re-screen step read its draft on the event loop, so while it waited for a
    connection (up to the pool's timeout) the worker answered nothing else, /healthz included."""
    if steps == "/rescreen":
        await enrol(client)
    first = {**CHECK_ALL_NO, **{f"RF{n:02d}": "no" for n in range(1, 17)}}
    r = await client.post(f"{steps}/1", data=first)
    assert r.status_code == 303 and r.headers["location"] == f"{steps}/2", r.text
    pool = db.engine.pool
    monkeypatch.setattr(pool, "_timeout", 0.05)
    held = []
    try:
        while True:  # every connection the pool will give, as busy writers would hold them
            held.append(db.engine.connect())
    except sa_exc.TimeoutError:
        pass
    monkeypatch.setattr(pool, "_timeout", 1.0)
    done: list[str] = []

    async def step() -> None:
        r = await client.post(f"{steps}/2", data=first)  # its draft is read first
        done.append(f"step {r.status_code}")

    async def look_meanwhile() -> None:
        await asyncio.sleep(0.1)  # the step is waiting for a connection by now
        assert (await client.get("/healthz")).status_code == 200
        done.append("healthz")

    try:
        await asyncio.gather(step(), look_meanwhile())
    finally:
        for conn in held:
            conn.close()
    assert done == ["healthz", "step 503"]  # busy: try again (web/errors.py), nothing lost
    r = await client.get(f"{steps}/2")  # the draft is still there once connections are free
    assert r.status_code == 200 and "step 2 of" in r.text.lower()


async def _first_exercise(client: httpx.AsyncClient) -> str:
    return str((await client.get("/api/v1/today")).json()["plan"]["exercises"][0]["id"])


async def _check_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    return "/today/check", CHECK_ALL_NO


async def _checkin_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    return "/checkin", {"date": TODAY.isoformat(), "morning_pain": "2"}


async def _entry_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    await pass_check(client)
    first = await _first_exercise(client)
    return "/today/entries", {"exercise_id": first, "sets_done": "2", "pain_during_max": "1"}


async def _stop_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    first = await _first_exercise(client)
    return "/today/stop", {
        "exercise_id": first,
        "pain_now": "8",
        "sets_done": "1",
        "done_for": first,
    }


async def _outcomes_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    return "/outcomes", {"chair_stand_30s": "12"}


async def _swap_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    first = (await client.get("/api/v1/program/swaps")).json()["swaps"][0]
    return "/program/swaps", {"in": first["id"], "out": first["replaces"][0]["id"]}


async def _delete_form(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    return "/data/delete", {"confirm": "yes"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "make",
    [_check_form, _checkin_form, _entry_form, _stop_form, _outcomes_form, _swap_form, _delete_form],
    ids=["check", "checkin", "entry", "stop", "outcomes", "swap", "delete"],
)
async def test_a_page_form_waiting_for_its_turn_does_not_stall_the_server(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch, make: Any
) -> None:
    """The person's page forms (the safety check, a check-in, a set, "Stop — it hurts", outcomes, a
    swap, deleting everything) wrote on the event loop: a wait for the writers' turn there stalled
    every request of the worker. They wait on the thread pool now; the write is still refused in
    words when its wait runs out, and goes through afterwards."""
    await enrol(client)
    path, data = await make(client)
    monkeypatch.setattr(db_module, "WRITE_WAIT_S", 1.0)
    done = await _write_while_the_turn_is_held(client, db, "POST", path, data, form=True)
    assert done == [("healthz", 200), ("write", 503)]
    assert (await client.post(path, data=data)).status_code in (200, 303)  # nothing kept before
