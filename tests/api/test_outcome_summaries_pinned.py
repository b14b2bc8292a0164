"""The outcome summaries on Progress, pinned byte for byte for a seeded person (RULES D-3, §6): one result of
each measure, then better, mixed and worse sittings, so every verdict wording is covered. Regenerate the
golden file only on purpose: KNEEHAB_REGEN_GOLDEN=1."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api_support import NOW, TODAY, Clock, enrol

from kneehab import services
from kneehab.domain.records import OutcomeRecord, PsfsActivity
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio
GOLDEN = Path(__file__).with_name("outcome_summaries.golden.json")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _sitting(day_offset: int, psfs: dict[str, int], chair: float, walk: float, nprs: float):  # type: ignore[no-untyped-def]
    day = TODAY - timedelta(days=day_offset)
    acts = tuple(PsfsActivity(activity=a, score=s) for a, s in psfs.items())
    return [
        OutcomeRecord(date=day, measure="psfs", activities=acts),
        OutcomeRecord(date=day, measure="chair_stand_30s", value=chair),
        OutcomeRecord(date=day, measure="walk_40m", value=walk),
        OutcomeRecord(date=day, measure="nprs", value=nprs),
    ]


SITTINGS = (
    _sitting(28, {"Climbing stairs": 3, "Walking the dog": 4}, 9, 32, 6),
    _sitting(14, {"Climbing stairs": 7, "Walking the dog": 5, "Gardening": 2}, 10, 26.5, 6),
    _sitting(7, {"Climbing stairs": 5, "Walking the dog": 4}, 11, 28, 5),
    _sitting(0, {"Climbing stairs": 2, "Walking the dog": 3}, 8, 33.3, 3),
)


async def test_outcome_summaries_json_is_pinned(
    client: httpx.AsyncClient, db: Database, clock: Clock
) -> None:
    clock.now = NOW - timedelta(days=30)
    await enrol(client)
    clock.now = NOW
    pid = services.current_person_id(db)
    assert pid is not None
    snapshots = []
    for sitting in SITTINGS:
        services.record_outcomes(db, on_machine(pid), sitting, today=TODAY, now=NOW)
        progress = (await client.get("/api/v1/progress")).json()
        snapshots.append(progress["outcome_changes"])
    text = json.dumps(snapshots, ensure_ascii=False, indent=1) + "\n"
    if os.environ.get("KNEEHAB_REGEN_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
