"""`kneehab plan --json`, `kneehab progress --json` and the REST API say the same things for one
course (issue 8 §2; EXAMPLES: Plan JSON and Progress JSON): the same fields, built by the same
serialisers, from the same records."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import NOW, TODAY, Clock

from history_seed import seed_history
from kneehab import services
from kneehab.cli.main import main
from kneehab.demo import DEMO_INTAKE
from kneehab.services.acting import on_machine
from kneehab.store.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


PROGRESS_FIELDS = (
    "today",
    "triage",
    "decisions",
    "escalation",
    "prescription",
    "pain_ceiling",
    "progression_held",
    "versions",
    "baseline_pain",
    "program",
)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(list(argv), environ={}) == 0, capsys.readouterr().err
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def _history_file(db: Database, pid: int, tmp_path: Path, day: object) -> Path:
    history = services.history_of(db, on_machine(pid), today=day)  # type: ignore[arg-type]
    path = tmp_path / f"history-{day}.json"
    path.write_text(json.dumps(history.model_dump(mode="json", by_alias=True)), encoding="utf-8")
    return path


async def test_plan_progress_and_api_say_the_same_for_one_course(
    db: Database,
    library,  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
    clock: Clock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pid = seed_history(db, library, TODAY, days=16)
    start = TODAY - timedelta(days=16)

    # Day 0: the plan, the replay of an empty course and the API's program are one program.
    intake = tmp_path / "intake.json"
    intake.write_text(
        json.dumps({**DEMO_INTAKE.model_dump(mode="json"), "red_flags": []}), encoding="utf-8"
    )
    planned = _cli(capsys, "plan", "--intake", str(intake), "--start", start.isoformat(), "--json")
    replayed = _cli(
        capsys, "progress", "--history", str(_history_file(db, pid, tmp_path, start)), "--json"
    )
    clock.now = NOW - timedelta(days=16)
    api_day0 = (await client.get("/api/v1/program")).json()
    assert replayed["triage"] == planned["triage"] == api_day0["triage"]
    assert replayed["program"] == api_day0["program"]
    for key in ("exercises", "swaps", "later_options", "session_cap", "profile", "schedule"):
        assert planned["program"][key] == replayed["program"][key], key

    # Today, after 16 days: `progress --json` on the person's records and the API agree field by
    # field, and the program page's contract is the progress contract's program.
    clock.now = NOW
    cli = _cli(
        capsys, "progress", "--history", str(_history_file(db, pid, tmp_path, TODAY)), "--json"
    )
    api = (await client.get("/api/v1/progress")).json()
    for key in PROGRESS_FIELDS:
        assert api[key] == cli[key], key
    assert cli["prescription"] == cli["program"]["exercises"]
    assert cli["versions"][0]["kind"] == "plan"
    assert any(d["action"] == "progress" for d in cli["decisions"])  # the course moved
    program = (await client.get("/api/v1/program")).json()
    assert program["program"] == cli["program"] and program["triage"] == cli["triage"]
    # What the person was shown is kept apart: the stored versions, the plan first.
    assert api["recorded_versions"][0]["kind"] == "plan"
    stored = {(v["date"], v["kind"], v["exercise_id"]) for v in api["recorded_versions"]}
    replay = {(v["date"], v["kind"], v["exercise_id"]) for v in cli["versions"]}
    assert stored == replay  # a course started under v2 records every version the rules make
