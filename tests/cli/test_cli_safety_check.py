"""`kneehab check` and the gate it opens (RULES §1.1): nothing of today's session is logged before
today's safety questions, at the terminal as on the web (issue 10 §0: the gate lives in the use-case)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kneehab.domain.red_flags import (
    FIELD_QUESTIONS,
    RED_FLAG_QUESTIONS,
    SHORT_FIELD_QUESTIONS,
    SHORT_QUESTIONS,
)
from kneehab.store import repo
from kneehab.store.db import open_database

DAY0 = "2025-03-03"
INTAKE = {
    "age": 58,
    "knee": "right",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 10,
    "pain_now": 3,
    "pain_worst_week": 5,
    "red_flags": [],
}
LOG = ("log", "--today", DAY0, "--exercise", "bridge", "--sets", "1", "--reps", "10", "--pain", "1")


@pytest.fixture
def run(run: Callable[..., tuple[int, str, str]], tmp_path: Path):  # type: ignore[no-untyped-def]
    """The shared runner, with this person enrolled on DAY0."""
    _run = run

    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    assert _run("start", "--intake", str(intake), "--today", DAY0)[0] == 0
    return _run


def _entries(db_url: str) -> int:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            return len(repo.dump_all(conn)["session_entries"])
    finally:
        db.close()


def test_log_before_the_safety_questions_exits_2_names_the_command_and_saves_nothing(
    run, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*LOG)
    assert code == 2 and "Traceback" not in err
    assert "safety questions have not been answered" in err and "kneehab check" in err
    assert _entries(db_url) == 0
    # The interactive log says so before asking anything.
    code, out, err = run("log", "--today", DAY0, stdin="done\n")
    assert code == 2 and "kneehab check" in err and "Sets done" not in out + err


def test_all_no_opens_the_session_once_a_day(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    n = len(SHORT_QUESTIONS) + len(SHORT_FIELD_QUESTIONS) + 1  # + "any new injury?"
    code, out, err = run("check", "--today", DAY0, stdin="no\n" * n)
    assert code == 0, err
    assert "you may do today's session" in out
    code, out, _ = run("check", "--today", DAY0)
    assert code == 0 and "already answered" in out
    code, out, err = run(*LOG)
    assert code == 0, err
    assert _entries(db_url) == 1


def test_a_yes_asks_the_full_set_before_the_session(run) -> None:  # type: ignore[no-untyped-def]
    short = [q.id for q in SHORT_QUESTIONS]
    answers = ["yes" if qid == "RF08" else "no" for qid in short]  # giving way: not an emergency
    answers += ["no"] * (len(SHORT_FIELD_QUESTIONS) + 1)
    full = ["no"] * (len(RED_FLAG_QUESTIONS) + len(FIELD_QUESTIONS))
    code, out, err = run("check", "--today", DAY0, stdin="\n".join(answers + full) + "\n")
    assert code == 0, err
    assert "Now the full safety questions" in out
    assert run(*LOG)[0] == 0


def test_an_emergency_answer_stops_with_exit_3_and_the_session_stays_closed(
    run, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    short = len(SHORT_QUESTIONS)
    answers = ["no"] * short + ["yes"] + ["no"] * (len(SHORT_FIELD_QUESTIONS) - 1) + ["no"]
    code, out, err = run("check", "--today", DAY0, stdin="\n".join(answers) + "\n")
    assert code == 3 and "Traceback" not in err
    assert "emergency" in out.lower()
    code, _, err = run(*LOG)
    assert code == 2 and _entries(db_url) == 0


def test_a_wrong_answer_is_asked_again(run) -> None:  # type: ignore[no-untyped-def]
    n = len(SHORT_QUESTIONS) + len(SHORT_FIELD_QUESTIONS) + 1
    code, _, err = run("check", "--today", DAY0, stdin="maybe\n" + "no\n" * n)
    assert code == 0, err
    assert "Sorry" in err
