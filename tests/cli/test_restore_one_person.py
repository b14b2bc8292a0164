"""Issue 10: restoring one person's JSON export replaced the whole database, so on a server with many
people `kneehab restore export.json` deleted everyone else. With --person EMAIL the export goes into that
account only: everyone else is kept, the account's program is replaced only with --replace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kneehab import services
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.db import open_database

INTAKE = {
    "age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
    "weeks_since_onset": 20, "pain_now": 4, "pain_worst_week": 6,
    "equipment": ["chair", "mat"], "red_flags": [],
}  # fmt: skip
DAY0, DAY1 = "2025-03-03", "2025-03-04"


def _strip(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """A record without the ids this database gave it."""
    return [{k: v for k, v in r.items() if k not in ("id", "person_id")} for r in rows]


def _person(run, email: str, intake: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long pass phrase\n"))
    assert run("user", "add", email, "--role", "person")[0] == 0
    assert run("start", "--person", email, "--intake", str(intake), "--today", DAY0)[0] == 0


def test_one_persons_export_goes_into_one_account_and_keeps_everyone_else(
    run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    for email in ("ann@example.org", "bea@example.org"):
        _person(run, email, intake, monkeypatch)
    check = ("check", "--none", "--today", DAY0, "--person", "ann@example.org")
    assert run(*check)[0] == 0
    log = ("log", "--today", DAY0, "--person", "ann@example.org", "--exercise", "bridge")
    assert run(*log, "--sets", "2", "--reps", "10,10", "--hold", "2,2", "--pain", "1")[0] == 0
    assert (
        run("checkin", "--today", DAY1, "--person", "ann@example.org", "--morning-pain", "2")[0]
        == 0
    )
    export = tmp_path / "ann.json"
    assert run("backup", str(export), "--person", "ann@example.org")[0] == 0
    db = open_database(db_url)
    try:
        ann_before = services.export_person(
            db, on_machine(accounts.find(db, "ann@example.org").person_id)
        )
        bea = accounts.find(db, "bea@example.org").person_id
        bea_before = services.export_person(db, on_machine(bea))
    finally:
        db.close()

    # Into an account without a program: everyone else stays as they were.
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a long pass phrase\n"))
    assert run("user", "add", "cat@example.org", "--role", "person")[0] == 0
    code, _, err = run("restore", str(export), "--person", "cat@example.org")
    assert code == 0, err
    # Into an account that has one: refused without --replace, nothing changed.
    code, _, err = run("restore", str(export), "--person", "bea@example.org")
    assert code == 2 and "--replace" in err
    # A full backup cannot go into one account.
    backup = tmp_path / "all.backup"
    assert run("backup", str(backup))[0] == 0
    code, _, err = run("restore", str(backup), "--person", "cat@example.org")
    assert code == 2 and "one person's JSON export" in err

    db = open_database(db_url)
    try:
        cat = accounts.find(db, "cat@example.org").person_id
        assert cat is not None and len(services.people_ids(db)) == 3
        mine = services.export_person(db, on_machine(cat))
        for part in ("intakes", "session_entries", "checkins", "program_versions", "escalations"):
            assert _strip(mine[part]) == _strip(ann_before[part]), part
        assert services.export_person(db, on_machine(bea)) == bea_before
        ann = accounts.find(db, "ann@example.org").person_id
        assert services.export_person(db, on_machine(ann)) == ann_before
    finally:
        db.close()


def test_an_export_without_person_does_not_replace_a_database_of_several_people(
    run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Without --person, one person's export replaced the whole database (every account and every
    other person) whatever it held; now that needs a database of at most one person and account."""
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    for email in ("ann@example.org", "bea@example.org"):
        _person(run, email, intake, monkeypatch)
    export = tmp_path / "ann.json"
    assert run("backup", str(export), "--person", "ann@example.org")[0] == 0
    code, out, err = run("restore", str(export))
    assert code == 2 and "Traceback" not in out + err
    assert "2 people and 2 accounts" in err and "--person EMAIL" in err
    db = open_database(db_url)
    try:
        assert len(services.people_ids(db)) == 2  # nobody was removed
        assert accounts.find(db, "bea@example.org") is not None
    finally:
        db.close()
