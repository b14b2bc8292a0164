"""`kneehab start --replace` restarts exactly one person's program: never someone else's record, and
the new program stays with the account that held the old one (issue 10 §4: the person commands take
--person once more than one person exists). Before, `start --replace` without --person replaced "the
first person" of the database: another account's record was deleted and the new one had no account."""

from __future__ import annotations

import json
from pathlib import Path

INTAKE = {
    "age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
    "weeks_since_onset": 10, "pain_now": 3, "pain_worst_week": 5, "red_flags": [],
}  # fmt: skip


def _people(run) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    code, out, err = run("user", "list", "--json")
    assert code == 0, err
    return {a["email"]: a["person_id"] for a in json.loads(out)}


def _enrol(run, tmp_path: Path, *emails: str) -> Path:  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    for email in emails:
        assert run("user", "add", email, "--role", "person", stdin="a long passphrase\n")[0] == 0
        code, _, err = run("start", "--person", email, "--intake", str(intake))
        assert code == 0, err
    return intake


def test_replace_without_person_is_refused_when_two_people_are_enrolled(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    intake = _enrol(run, tmp_path, "ann@example.org", "ben@example.org")
    before = _people(run)
    code, out, err = run("start", "--intake", str(intake), "--replace")
    assert code == 2
    assert "--person" in err and "2 people are enrolled" in err and "Traceback" not in err + out
    assert _people(run) == before  # nothing deleted, nobody added
    for email in before:
        assert run("status", "--person", email)[0] == 0


def test_replace_with_person_restarts_that_person_only_and_keeps_their_account(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    intake = _enrol(run, tmp_path, "ann@example.org", "ben@example.org")
    before = _people(run)
    code, _, err = run("start", "--person", "ann@example.org", "--intake", str(intake), "--replace")
    assert code == 0, err
    after = _people(run)
    assert after["ben@example.org"] == before["ben@example.org"]
    assert after["ann@example.org"] is not None
    assert run("status", "--person", "ann@example.org")[0] == 0


def test_replace_of_the_one_person_keeps_their_account(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    intake = _enrol(run, tmp_path, "ann@example.org")
    code, _, err = run("start", "--intake", str(intake), "--replace")
    assert code == 0, err
    after = _people(run)
    assert after["ann@example.org"] is not None  # the account holds the new program
    code, _, err = run("status")  # one person: no --person needed, and it is ann's
    assert code == 0, err
    assert run("status", "--person", "ann@example.org")[0] == 0
