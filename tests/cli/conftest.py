"""The command line as a test drives it: `run(*argv, stdin=...)` runs `kneehab` in-process against the
test's database (`db_url`: SQLite, and PostgreSQL where reachable) and gives (exit code, stdout, stderr).
Links the commands print carry port 8010, so a test can tell they come from the settings."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from kneehab.cli.main import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def _run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:  # else what the test set, or pytest's (reading it fails the test)
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv), environ={"KNEEHAB_DATABASE_URL": db_url, "KNEEHAB_PORT": "8010"})
        out, err = capsys.readouterr()
        return code, out, err

    return _run
