"""Issue 10 §0: one home for each use-case. The same course walked through the CLI and through the
API leaves the same stored records (apart from ids and clock times): the safety gate, the check-in's
re-screen of a new symptom and the program versions are the use-case's, not the entrypoint's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kneehab.cli.main import main
from kneehab.config import Settings
from kneehab.domain.red_flags import SHORT_QUESTIONS
from kneehab.library.load import load_library
from kneehab.store import repo
from kneehab.store.db import Database, open_database
from kneehab.web.app import create_app

DAY0, DAY1 = date(2025, 3, 3), date(2025, 3, 4)
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
    "equipment": ["chair", "mat"],
    "red_flags": [],
}
ENTRY = {"exercise_id": "bridge", "sets_done": 2, "reps": [10, 10], "pain_during_max": 2}
CHECKIN = {"morning_pain": 3, "morning_stiffness": 2, "avg_pain": 2, "new_symptoms": ["swelling"]}
# Ids and clock times differ by nature; so does `revision`, a count of writes (the API saves the
# player's position as well) that only tells derived rows they are stale.
CLOCK_KEYS = {"id", "person_id", "answered_at", "cleared_at", "revision"}
ACCOUNT_TABLES = {"accounts", "auth_sessions", "audit_log", "login_attempts", "one_time_links",
                  "access_tokens", "clinics", "drafts", "audit_head"}  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _same_shape(value: Any) -> Any:
    """A row without what differs by nature between two runs: ids and clock times."""
    if isinstance(value, dict):
        return {
            k: _same_shape(v)
            for k, v in value.items()
            if k not in CLOCK_KEYS and not k.endswith("_at")
        }
    if isinstance(value, list):
        return [_same_shape(v) for v in value]
    return value


def _records(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return _same_shape(repo.dump_all(conn))


def _cli(url: str, tmp: Path) -> dict[str, Any]:
    intake = tmp / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    env = {"KNEEHAB_DATABASE_URL": url}
    d0, d1 = DAY0.isoformat(), DAY1.isoformat()
    steps = [
        ["start", "--intake", str(intake), "--today", d0],
        ["check", "--none", "--today", d0],
        [
            "log",
            "--today",
            d0,
            "--exercise",
            "bridge",
            "--sets",
            "2",
            "--reps",
            "10,10",
            "--pain",
            "2",
        ],
        [
            "checkin",
            "--today",
            d1,
            "--morning-pain",
            "3",
            "--stiffness",
            "2",
            "--avg-pain",
            "2",
            "--symptom",
            "swelling",
        ],
    ]
    for argv in steps:
        assert main(argv, environ=env) == 0, argv
    db = open_database(url)
    try:
        return _records(db)
    finally:
        db.close()


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.combine(DAY0, time(9), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _api(db: Database) -> dict[str, Any]:
    # Starlette's TestClient runs the app on its own thread's loop: this test may share a worker with
    # the browser tests, whose Playwright keeps an event loop in the main thread.
    clock = _Clock()
    app = create_app(Settings(session_idle_hours=48), db=db, library=load_library(), clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        account = {"email": "alice@example.org", "password": "a long enough passphrase"}
        signed = client.post("/api/v1/auth/signup", json=account)
        client.headers["x-csrf-token"] = signed.json()["csrf_token"]
        assert client.post("/api/v1/enroll", json=INTAKE).status_code == 201
        no = {q.id: False for q in SHORT_QUESTIONS} | {"new_injury": False}
        r = client.post("/api/v1/today/check", json={"answers": no})
        assert r.status_code == 200, r.text
        r = client.post("/api/v1/today/entries", json=ENTRY)
        assert r.status_code == 200, r.text
        clock.now = datetime.combine(DAY1, time(8), tzinfo=UTC)
        r = client.post("/api/v1/checkins", json={"date": DAY1.isoformat(), **CHECKIN})
        assert r.status_code == 201, r.text
    return _records(db)


def test_the_cli_and_the_api_store_the_same_course(db: Database, tmp_path: Path) -> None:
    by_api = _api(db)
    by_cli = _cli(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path)
    assert by_api["rescreens"], "the check-in's new symptom is kept as a re-screen"
    for table in by_api:
        if (
            table in ACCOUNT_TABLES
        ):  # who signed in differs by nature (the CLI is the machine's user)
            continue
        assert by_cli[table] == by_api[table], table
    assert len(by_api["session_entries"]) == 1 and by_api["program_versions"]
