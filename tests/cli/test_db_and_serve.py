"""Issue 11 §5: migrations are their own step. `kneehab db upgrade` brings the schema up; servers and
commands never migrate and refuse a database that is behind with one line naming that command (no
traceback); `kneehab serve --workers 2` serves from two processes with their metrics added up."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kneehab.cli.main import main
from kneehab.store.db import current_revision, head_revision, make_engine, migrate

KNEEHAB = [sys.executable, "-c", "from kneehab.cli.main import run; run()"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"KNEEHAB_DATA_DIR": str(tmp_path), **extra}


def _old_database(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0005")
    engine.dispose()


def test_db_upgrade_brings_an_empty_database_to_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(tmp_path)
    assert main(["db", "status"], environ=env) == 3
    assert "kneehab db upgrade" in capsys.readouterr().err
    assert not (tmp_path / "kneehab.db").exists()  # looking never creates a file
    assert main(["db", "upgrade"], environ=env) == 0
    assert f"from empty to {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade"], environ=env) == 0  # again: nothing to do
    assert "already current" in capsys.readouterr().out
    assert main(["db", "status"], environ=env) == 0


def test_commands_and_the_server_refuse_a_database_that_is_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kneehab.db"
    _old_database(path)
    env = _env(tmp_path)
    for argv in (["serve", "--port", "8799"], ["status"], ["user", "list"]):
        assert main(argv, environ=env) == 2, argv
        err = capsys.readouterr().err
        assert "run `kneehab db upgrade`" in err and "Traceback" not in err, (argv, err)
    assert current_revision(make_engine(f"sqlite:///{path}")) == "0005"  # nobody migrated it
    assert main(["db", "upgrade"], environ=env) == 0
    assert current_revision(make_engine(f"sqlite:///{path}")) == head_revision()


def test_the_asgi_entry_stops_on_a_database_that_is_behind(tmp_path: Path) -> None:
    _old_database(tmp_path / "kneehab.db")
    code = "import kneehab.web.asgi as m; m.app"
    env = {**os.environ, "KNEEHAB_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 3, done.stderr  # gunicorn halts on a worker's boot error
    assert "kneehab db upgrade" in done.stderr and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "KNEEHAB_DATA_DIR": str(tmp_path), "KNEEHAB_METRICS_ENABLED": "1"}
    subprocess.run([*KNEEHAB, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*KNEEHAB, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while _ready(url) is False or len(_workers(tmp_path / "serve.log")) < 2:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    assert len(_workers(tmp_path / "serve.log")) == 2


def _workers(log: Path) -> set[str]:
    """The worker processes that said they started (kneehab's JSON log lines)."""
    return set(re.findall(r'"message": "Started server process \[(\d+)\]"', log.read_text()))


def _ready(url: str) -> bool:
    try:
        return _get(url + "/readyz")[0] == 200
    except OSError:
        return False


def test_two_workers_serve_and_add_up_their_metrics(two_workers: str) -> None:
    for _ in range(40):  # new connections: the kernel spreads them over both workers' sockets
        assert _get(two_workers + "/healthz")[0] == 200
    # A request is counted once its answer is sent (web/observe.py), so the last one may be counted
    # just after the client has it: ask again for a moment before calling a count short.
    for _ in range(50):
        status, body = _get(two_workers + "/metrics")
        assert status == 200
        counted = [
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith("kneehab_http_requests_total{") and 'route="/healthz"' in line
        ]
        if sum(counted) >= 40:
            break
        time.sleep(0.1)
    assert sum(counted) == 40, body  # every worker's requests, whichever worker answers /metrics
