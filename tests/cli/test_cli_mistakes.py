"""Issue 9 §5: the command line never shows a traceback.

Every command and sub-command (found by walking the real command tree, so a new command is covered the day it
is added) is run with no arguments, with an option it does not have and with a value it cannot take; the
commands that ask questions are also interrupted (Ctrl+C) and given no answers (end of input). A mistake exits
2 with a message that names the problem, Ctrl+C exits 130, and no output ever holds a Python traceback. A few of
them run through the installed `kneehab` script too, where the traceback was seen (typer's own copy of click).
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main

from kneehab.cli.main import app, main

INTAKE = {
    "age": 58,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 20,
    "pain_now": 4,
    "pain_worst_week": 6,
    "equipment": ["chair", "mat"],
    "red_flags": [],
}
DAY0 = "2025-03-03"


def _walk(cmd: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], bool]]:
    """Every command path, with whether it is a group (has sub-commands)."""
    commands = getattr(cmd, "commands", None) or {}
    found = [(path, bool(commands))]
    for name in sorted(commands):
        found.extend(_walk(commands[name], (*path, name)))
    return found


TREE = _walk(typer.main.get_command(app), ())
ALL_PATHS = [p for p, _ in TREE]
LEAVES = [p for p, group in TREE if not group]
# Commands that do their job with no arguments at all (everything else needs something and says what).
BARE_OK = {("library", "list"), ("library", "check"), ("db", "upgrade")}
# Bare on a newcomer's machine: the exit code and what the message must name (ADR 0006: the server and
# `db status` say the schema must be made first, by `kneehab db upgrade`).
BARE_CODES = {("serve",): (2, "kneehab db upgrade"), ("db", "status"): (3, "kneehab db upgrade")}
PROMPTING = [("intake",), ("log", "--today", DAY0), ("checkin", "--today", DAY0)]


def _ids(path: tuple[str, ...]) -> str:
    return " ".join(path) or "kneehab"


class Interrupted(io.StringIO):
    """A terminal where the person presses Ctrl+C at the first question."""

    def readline(self, *args: Any) -> str:
        raise KeyboardInterrupt

    def read(self, *args: Any) -> str:
        raise KeyboardInterrupt

    def __next__(self) -> str:
        raise KeyboardInterrupt

    def isatty(self) -> bool:
        return False


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A data folder with no database in it yet (a newcomer's machine)."""
    return {"KNEEHAB_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def cli(home: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)  # `serve` returns at once
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no answers typed: end of input

    def run(*argv: str, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", stdin)
        code = main(list(argv), environ=home)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, out + err
        return code, out, err

    return run


@pytest.fixture
def intake_file(tmp_path: Path) -> Path:
    path = tmp_path / "me.json"
    path.write_text(json.dumps(INTAKE), encoding="utf-8")
    return path


def test_the_tree_is_walked() -> None:
    assert {("plan",), ("log",), ("library",), ("library", "show"), ("serve",)} <= set(ALL_PATHS)


@pytest.mark.parametrize("path", ALL_PATHS, ids=_ids)
def test_every_command_with_no_arguments(cli, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(*path)
    if path in BARE_OK:
        assert code == 0, err
    elif path in BARE_CODES:
        expected, named = BARE_CODES[path]
        assert code == expected and named in err, err
    else:
        assert code == 2
        assert err.strip(), "a mistake must say what is wrong"


@pytest.mark.parametrize("path", ALL_PATHS, ids=_ids)
def test_every_command_with_an_option_it_does_not_have(cli, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(*path, "--bogus")
    assert code == 2 and out == ""
    assert "No such option: --bogus" in err and "--help" in err


def test_an_unknown_command(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("nosuchcmd")
    assert code == 2 and "No such command 'nosuchcmd'" in err
    code, _, err = cli("library", "nosuchcmd")
    assert code == 2 and "No such command 'nosuchcmd'" in err


def _wrong_values(tmp: Path, intake: Path) -> dict[tuple[str, ...], tuple[list[str], str]]:
    """For each command: arguments with one wrong value, and what the message must name."""
    a_file = tmp / "a-file.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    return {
        ("intake",): (["-o", str(tmp)], "--output"),
        ("plan",): (["--intake", str(intake), "--start", "03/02/2026"], "--start"),
        ("start",): (["--intake", str(intake), "--start", "tomorrow"], "--start"),
        ("today",): (["--today", "2025-13-01"], "--today"),
        ("log",): (["--sets", "one"], "--sets: 'one' must be a whole number"),
        ("checkin",): (["--morning-pain", "bad"], "--morning-pain: 'bad' must be a whole number"),
        ("check",): (["--today", "2025-02-30"], "--today"),
        ("swap",): (["bridge", "--instead-of", "clamshell", "--today", "soon"], "--today"),
        ("offer",): (["plank", "maybe"], "ANSWER: 'maybe' is not allowed; use accept or not_now"),
        ("status",): (["--today", "yesterday"], "--today"),
        ("history",): (["--today", "x"], "--today"),
        ("backup",): ([str(tmp / "k.backup"), "--today", "x"], "--today"),
        ("restore",): ([str(tmp / "k.backup"), "--today", "x"], "--today"),
        ("progress",): (["--history", str(tmp / "missing.json")], "does not exist"),
        ("analyze",): (
            ["--landmarks", "x.csv", "--exercise", "bridge", "--workers", "none"],
            "--workers: 'none' must be a whole number",
        ),
        ("landmarks",): (
            ["v.mp4", "-o", "x.csv", "--workers", "many"],
            "--workers: 'many' must be a whole number",
        ),
        ("upgrade-rules",): (["--today", "x"], "--today"),
        ("serve",): (["--port", "abc"], "--port: 'abc' must be a whole number"),
        ("db", "upgrade"): (["--today", "x"], "--today"),
        ("db", "status"): (["--db", str(tmp)], "database: cannot open it"),
        ("library", "list"): (["--library", str(tmp / "nope")], "nope"),
        ("library", "show"): (["no-such-exercise"], "no exercise with id 'no-such-exercise'"),
        ("library", "check"): ([str(tmp / "nope")], "nope"),
        ("library", "figures"): ([str(a_file)], "cannot write figures"),
        ("clinic", "create"): ([" "], "name: give the clinic a name"),
        ("user", "add"): (["nobody", "--role", "person"], "email: type an email address"),
        ("user", "reset"): (["nobody"], "email: type an email address"),
        ("user", "list"): (["--clinic", "abc"], "--clinic: 'abc' must be a whole number"),
        ("token", "create"): (
            ["a@b.org", "--scope", "admin", "--name", "x"],
            "--scope: 'admin' is not a scope; allowed: read, write",
        ),
        ("token", "revoke"): (["abc"], "token_id: must be a whole number"),
        ("audit", "list"): (["--person", "nobody"], "email: type an email address"),
        ("audit", "verify"): (["--db", str(tmp / "nope.db")], "there is no kneehab database"),
        ("scan",): (["--today", "2025-02-30"], "--today"),
        ("populate",): (["--people", "0", "--days", "5"], "--people: 0 is not allowed; give 1 to"),
        ("handout",): (["-o", str(tmp / "h.pdf"), "--paper", "a5"], "--paper: 'a5' is not allowed"),
        ("calendar",): (
            ["-o", str(tmp / "c.ics"), "--db", str(tmp / "nope.db")],
            "there is no kneehab database",
        ),
        ("export",): (["-o", str(tmp / "x.json")], "format: say which export"),
    }


def test_every_command_has_a_wrong_value_case(tmp_path: Path, intake_file: Path) -> None:
    assert set(_wrong_values(tmp_path, intake_file)) == set(LEAVES)


@pytest.mark.parametrize("path", LEAVES, ids=_ids)
def test_every_command_with_a_wrong_value(  # type: ignore[no-untyped-def]
    cli, path: tuple[str, ...], tmp_path: Path, intake_file: Path
) -> None:
    argv, named = _wrong_values(tmp_path, intake_file)[path]
    stdin = None
    if path == ("intake",):  # every answer given, then the output is a folder
        from test_plan_cli import ANSWERS_OK

        stdin = io.StringIO("\n".join(ANSWERS_OK) + "\n")
    code, _, err = cli(*path, *argv, stdin=stdin)
    assert code == 2
    assert named in " ".join(err.split()), err


@pytest.fixture
def enrolled(cli, intake_file: Path):  # type: ignore[no-untyped-def]
    code, _, err = cli("start", "--intake", str(intake_file), "--today", DAY0)
    assert code == 0, err
    code, _, err = cli("check", "--none", "--today", DAY0)  # RULES §1.1 before logging
    assert code == 0, err
    return cli


@pytest.mark.parametrize("path", PROMPTING, ids=_ids)
def test_ctrl_c_at_a_question_exits_130(enrolled, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, _, err = enrolled(*path, stdin=Interrupted())
    assert code == 130
    assert "Stopped (Ctrl+C)" in err


@pytest.mark.parametrize("path", PROMPTING, ids=_ids)
def test_end_of_input_at_a_question_exits_2(enrolled, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    code, _, err = enrolled(*path, stdin=io.StringIO(""))
    assert code == 2
    assert "ended" in err and "nothing was saved" in err.replace("(", "").lower()


def test_ctrl_c_in_the_middle_of_logging_saves_nothing(enrolled) -> None:  # type: ignore[no-untyped-def]
    class AfterOneAnswer(Interrupted):
        answered = False

        def readline(self, *args: Any) -> str:
            if not self.answered:
                self.answered = True
                return "done\n"
            raise KeyboardInterrupt

    code, _, _ = enrolled("log", "--today", DAY0, stdin=AfterOneAnswer())
    assert code == 130
    code, out, _ = enrolled("history", "--today", DAY0)
    assert code == 0 and "Bridge" not in out


# --- the installed script, where the tracebacks were seen ------------------------------------------

SCRIPT = Path(sys.executable).with_name("kneehab")


def _script(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "COLUMNS": "100"},
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="the kneehab script is not installed in this venv")
@pytest.mark.parametrize(
    "argv",
    [
        ["plan"],
        ["nosuchcmd"],
        ["--bogus"],
        ["serve", "--port", "abc"],
        ["log", "--sets", "one"],
        ["library"],
        ["log"],
    ],
    ids=" ".join,
)
def test_the_installed_script_shows_no_traceback(argv: list[str], home: dict[str, str]) -> None:
    done = _script(*argv, env=home)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip()


@pytest.mark.skipif(not SCRIPT.exists(), reason="the kneehab script is not installed in this venv")
def test_a_real_ctrl_c_at_the_questionnaire(home: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [str(SCRIPT), "intake"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **home},
    )
    assert proc.stderr is not None and proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 30
    while b"[yes/no]: " not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1)
        if ready:
            seen += os.read(proc.stderr.fileno(), 4096)
    assert b"[yes/no]: " in seen, seen
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.stderr.read(), proc.wait(timeout=30)
    err = (seen + rest).decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Stopped (Ctrl+C)" in err
    proc.stdin.close() if proc.stdin else None
    proc.stdout.close()
    proc.stderr.close()


def test_a_bug_is_one_plain_line_and_the_details_on_request(  # type: ignore[no-untyped-def]
    enrolled, home: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kneehab import services

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("something inside kneehab")

    monkeypatch.setattr(services, "status", broken)
    monkeypatch.delenv("KNEEHAB_DEBUG", raising=False)
    code, _, err = enrolled("status", "--today", DAY0)
    assert code == 1
    flat = " ".join(err.split())
    assert "a bug, not something you did (RuntimeError)" in flat and "KNEEHAB_DEBUG=1" in flat
    with pytest.raises(RuntimeError, match="something inside kneehab"):
        main(["status", "--today", DAY0], environ={**home, "KNEEHAB_DEBUG": "1"})


def test_a_bad_setting_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["today"], environ={"KNEEHAB_PORT": "abc", "KNEEHAB_TIME_SCALE": "0"})
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "KNEEHAB_PORT: got 'abc'; input should be a valid integer" in err
    assert "KNEEHAB_TIME_SCALE: got '0'" in err and "docs/settings.md" in err
