"""After "Stop — it hurts" (RULES P1): the API refuses what Today no longer offers (issue 9 §1).

A stop that ends the day (pain 8 or more, sharp or catching pain, or a new symptom with it) closes
today's session for every exercise; a milder stop closes only that exercise. Either is answered 409
with plain words and nothing is saved; the stop itself is one transaction with its re-screen.
"""

from __future__ import annotations

import httpx
import pytest
from api_support import CHECK_IDS, TODAY, enrol

from kneehab import services
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _ready(client: httpx.AsyncClient) -> list[dict[str, object]]:
    await enrol(client)
    r = await client.post("/api/v1/today/check", json={"answers": {q: False for q in CHECK_IDS}})
    assert r.status_code == 200, r.text
    return list((await client.get("/api/v1/today")).json()["plan"]["exercises"])


def _entry(ex: dict[str, object]) -> dict[str, object]:
    return {"exercise_id": ex["id"], "sets_done": 1, "pain_during_max": 1, "side": "both"}


async def test_a_stop_that_ends_the_day_refuses_every_later_entry(
    client: httpx.AsyncClient, db: Database
) -> None:
    first, second, *_ = await _ready(client)
    stop = {"exercise_id": first["id"], "pain_now": 8, "sets_done": 1, "reps": [4]}
    r = await client.post("/api/v1/today/stop", json=stop)
    assert r.status_code == 200, r.text
    pid = services.current_person_id(db)
    assert pid is not None
    before = services.history(db, on_machine(pid)).entries
    r = await client.post("/api/v1/today/entries", json=_entry(second))
    assert r.status_code == 409
    assert (
        "stopped" in r.json()["detail"] and "nothing more is recorded today" in r.json()["detail"]
    )
    assert services.history(db, on_machine(pid)).entries == before  # nothing saved
    # The page form goes back to Today, which says the day is stopped.
    form = await client.post(
        "/today/entries",
        data={
            "exercise_id": second["id"],
            "sets_done": "1",
            "pain_during_max": "1",
            "effort": "easy",
        },
    )
    assert form.status_code == 303 and form.headers["location"] == "/today"
    assert services.history(db, on_machine(pid)).entries == before


async def test_a_mild_stop_closes_only_that_exercise(
    client: httpx.AsyncClient, db: Database
) -> None:
    first, second, *_ = await _ready(client)
    r = await client.post("/api/v1/today/stop", json={"exercise_id": first["id"], "pain_now": 3})
    assert r.status_code == 200, r.text
    again = await client.post("/api/v1/today/entries", json=_entry(first))
    assert again.status_code == 409 and "was stopped today" in again.json()["detail"]
    other = await client.post("/api/v1/today/entries", json=_entry(second))
    assert other.status_code == 200, other.text


async def test_the_stop_and_its_rescreen_are_kept_together(
    client: httpx.AsyncClient, db: Database
) -> None:
    first, *_ = await _ready(client)
    r = await client.post(
        "/api/v1/today/stop",
        json={"exercise_id": first["id"], "pain_now": 5, "symptoms": ["swelling"]},
    )
    assert r.status_code == 200, r.text
    pid = services.current_person_id(db)
    assert pid is not None
    (kept,) = [e for e in services.history(db, on_machine(pid)).entries if e.day == TODAY]
    assert (
        kept.entry.skip_reason.startswith("stopped: it hurt")
        and "swelling" in kept.entry.skip_reason
    )
    export = services.export_person(db, on_machine(pid))
    assert [x["date"] for x in export["rescreens"]].count(TODAY.isoformat()) == 2  # check + stop
    assert export["person"]["rules_version"] == services.RULES_VERSION
