"""Issue 10 §2, found when probed: health data reached logs on error paths (pydantic's
`input_value`, SQLAlchemy's row parameters, a traceback logged twice); the SQLite file was readable
by everyone; serving on 0.0.0.0 said only where it ran. Each with the test that would have caught it."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kneehab.cli.main import main
from kneehab.config import Settings
from kneehab.library.load import load_library
from kneehab.store.db import Database, open_database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
SECRET = "pain-score-7-my-knee-locks"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Model(BaseModel):
    pain: int


def _broken_app(db: Database) -> httpx.AsyncClient:
    app = create_app(Settings(), db=db, library=load_library())

    async def pydantic_bug() -> None:
        _Model.model_validate({"pain": SECRET})  # a bug that validates a person's words

    async def database_bug() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": SECRET})

    app.add_api_route("/api/v1/bug/pydantic", pydantic_bug, methods=["POST"])
    app.add_api_route("/api/v1/bug/database", database_bug, methods=["POST"])
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


@pytest.mark.parametrize("bug", ["pydantic", "database"])
async def test_a_bug_is_one_log_line_without_the_values(
    db: Database, caplog: pytest.LogCaptureFixture, bug: str
) -> None:
    async with _broken_app(db) as client:
        with caplog.at_level(logging.DEBUG):
            r = await client.post(f"/api/v1/bug/{bug}", json={"note": SECRET})
    assert r.status_code == 500 and SECRET not in r.text
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1, [e.getMessage() for e in errors]
    (line,) = errors
    message = line.getMessage()
    assert SECRET not in message and line.exc_info is None and line.exc_text is None
    assert r.headers["x-request-id"] in message and f"/api/v1/bug/{bug}" in message
    assert all(SECRET not in rec.getMessage() for rec in caplog.records)


def test_database_errors_hide_their_parameters(db: Database) -> None:
    with pytest.raises(SQLAlchemyError) as caught, db.engine.connect() as conn:
        conn.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": SECRET})
    assert SECRET not in str(caught.value)


def test_the_sqlite_file_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "kneehab.db"
    db = open_database(f"sqlite:///{path}")
    db.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for f in path.parent.iterdir():  # the database and SQLite's -wal/-shm files
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f.name


def test_serving_beyond_loopback_over_http_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"KNEEHAB_DATA_DIR": str(tmp_path)}
    code = main(["serve", "--host", "0.0.0.0", "--port", "8765"], environ=env)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "plain http" in err and "KNEEHAB_PUBLIC_URL=https://" in err
