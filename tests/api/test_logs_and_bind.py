"""Issue 10 §2, found when probed: health data reached logs on error paths (pydantic's
`input_value`, SQLAlchemy's row parameters, a traceback logged twice); the SQLite file was readable
by everyone; serving on 0.0.0.0 said only where it ran. Each with the test that would have caught it."""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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


KNEEHAB = [sys.executable, "-c", "from kneehab.cli.main import run; run()"]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@contextmanager
def serving(data_dir: Path, *args: str, **env: str) -> Iterator[tuple[str, Path]]:
    """`kneehab serve ARGS` in its own process on a free port until it answers /healthz: its
    loopback address and the file its output goes to. A database upgraded first (serve never
    migrates)."""
    environ = {**os.environ, "KNEEHAB_DATA_DIR": str(data_dir), **env}
    subprocess.run([*KNEEHAB, "db", "upgrade"], env=environ, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    output = data_dir / f"serve-{port}.log"
    with output.open("wb") as log:
        proc = subprocess.Popen(
            [*KNEEHAB, "serve", "--port", str(port), *args],
            env=environ, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        try:
            while True:
                assert proc.poll() is None, output.read_text()
                try:
                    if _get(url + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the server did not start in 90 s"
                time.sleep(0.2)
            yield url, output
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def test_serving_beyond_loopback_with_the_explicit_setting_starts_and_warns(
    tmp_path: Path,
) -> None:
    """KNEEHAB_ALLOW_INSECURE_NETWORK: it serves on every address, and says loudly that anyone on the
    network can read what is sent, and that only the allowed host names are answered."""
    with serving(tmp_path, "--host", "0.0.0.0", KNEEHAB_ALLOW_INSECURE_NETWORK="1") as (
        url,
        output,
    ):
        assert _get(url + "/signin")[0] == 200
    said = output.read_text()
    assert "WARNING: serving beyond this machine over plain http" in said
    assert "anyone on the network can read what is sent" in said
    assert "WARNING: only the names in KNEEHAB_ALLOWED_HOSTS are answered" in said
    assert "running at http://0.0.0.0:" in said
    with serving(tmp_path) as (url, output):  # on loopback (the default): no warning
        assert _get(url + "/signin")[0] == 200
    assert "WARNING: serving beyond" not in output.read_text()
