"""Shared fixtures.

`db_url` runs a test on SQLite (a fresh file) and on PostgreSQL (a fresh schema per test, so
parallel xdist workers never see each other's rows). PostgreSQL is skipped only when the server
cannot be reached, and the terminal summary then says so loudly.

The same goes for `../shared` (beside the repository, never copied into it): the article the library quotes
and the recorded exercise clips. Tests that need them skip without them, and the summary names, once, what
is missing and how many tests that skipped.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from kneehab.store.db import Database, open_database

POSTGRES_URL = os.environ.get(
    "KNEEHAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHOWN_URL = make_url(POSTGRES_URL).render_as_string(hide_password=True)
_pg_state: dict[str, str | None] = {}

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# What the tests read from ../shared, and the words their skip reasons use for it.
SHARED_NEEDS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "the article": (SHARED / "seed" / "inner-knee-pain-article.txt", ("article not found",)),
    "the exercise clips": (
        SHARED / "data" / "exercise_clips",
        ("shared clips not present", "clips not present"),
    ),
}


def _postgres_problem() -> str | None:
    """None when PostgreSQL answers; otherwise why not (checked once per process)."""
    if "problem" not in _pg_state:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _pg_state["problem"] = None
        except OperationalError as err:
            _pg_state["problem"] = str(err.orig).strip().splitlines()[0]
        finally:
            engine.dispose()
    return _pg_state["problem"]


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a brand-new schema, dropped afterwards."""
    problem = _postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL unreachable at {SHOWN_URL}: {problem}")
    schema = f"kh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# Issue 10 §8: no health data in logs. Every record logged while any test runs (the API and CLI tests,
# and the browser flows, whose server runs in the test process) is held to this: kneehab's own lines
# are only the templates below (values: a type, a file:line, a method, a route template, a request id),
# and no record of any logger carries one of the health words the tests type in.
KNEEHAB_LOG_TEMPLATES = {
    "bug: %s at %s on %s %s (request %s)",
    # The access line (web/observe.py): method, route template (never the path or query), status, ms.
    "%s %s %s in %.1f ms",
}
HEALTH_WORDS = (
    "Walk the dog",
    "Climb stairs without",
    "granddaughter",
    "pain-score-7",
    "stopped: it hurt",
    "new symptoms:",
    "morning_pain",
    "pain_during_max",
    "input_value",
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_health_data_in_logs() -> Iterator[None]:
    root = logging.getLogger()
    handler, level = _Collect(), root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    for record in handler.records:
        text = record.getMessage() + (record.exc_text or "")
        found = [w for w in HEALTH_WORDS if w in text]
        assert not found, f"health data in a log line ({record.name}): {found}"
        if record.name.startswith("kneehab"):
            assert record.msg in KNEEHAB_LOG_TEMPLATES, (
                f"unexpected kneehab log line: {record.msg!r}"
            )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'kneehab.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.close()


def _unreachable_reasons(terminalreporter: pytest.TerminalReporter) -> list[str]:
    # Read from the skip reports, so it also works when xdist workers ran the tests.
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        text_ = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        if "PostgreSQL unreachable" in text_:
            reasons.append(text_)
    return reasons


def _skip_texts(terminalreporter: pytest.TerminalReporter) -> list[str]:
    out = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        out.append(str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr))
    return out


def _shared_missing(terminalreporter: pytest.TerminalReporter) -> None:
    """One loud warning for every test that skipped because ../shared lacks something."""
    texts = _skip_texts(terminalreporter)
    counts = {
        what: sum(1 for t in texts if any(w in t for w in words))
        for what, (_path, words) in SHARED_NEEDS.items()
    }
    skipped = sum(counts.values())
    if not skipped:
        return
    bar = "!" * 78
    write = terminalreporter.write_line
    write(bar, red=True, bold=True)
    write(f"{skipped} TEST(S) SKIPPED: ../shared is missing what they read", red=True, bold=True)
    for what, (path, _words) in SHARED_NEEDS.items():
        if counts[what]:
            state = "present" if path.exists() else "MISSING"
            write(f"  {what}: {path} ({state}; {counts[what]} test(s) skipped)", red=True)
    write(
        "  These runs did not check the library against the article or the camera coach against "
        "real video. Put the project's shared/ folder beside the repository.",
        red=True,
    )
    write(bar, red=True, bold=True)


def _docker_missing(terminalreporter: pytest.TerminalReporter) -> None:
    """tests/integration/test_docker.py skipped: say it where nobody can miss it."""
    found = [t for t in _skip_texts(terminalreporter) if "DOCKER UNAVAILABLE" in t]
    if not found:
        return
    bar = "!" * 78
    write = terminalreporter.write_line
    write(bar, red=True, bold=True)
    write(f"  {found[0].removeprefix('Skipped: ')}", red=True, bold=True)
    write(
        "  This run did not check the container build. Run it where a Docker daemon answers.",
        red=True,
    )
    write(bar, red=True, bold=True)


@pytest.hookimpl(trylast=True)  # printed last, under everything else
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    _shared_missing(terminalreporter)
    _docker_missing(terminalreporter)
    reasons = _unreachable_reasons(terminalreporter)
    if not reasons:
        return
    bar = "!" * 78
    write = terminalreporter.write_line
    write(bar, red=True, bold=True)
    write(
        f"{len(reasons)} PostgreSQL TEST(S) SKIPPED: the server is unreachable", red=True, bold=True
    )
    write(f"  {reasons[0].removeprefix('Skipped: ')}", red=True)
    write(
        "  This run checked SQLite only. Start PostgreSQL or set KNEEHAB_TEST_POSTGRES_URL.",
        red=True,
    )
    write(bar, red=True, bold=True)
