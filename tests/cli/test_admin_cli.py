"""Issue 10 §4: the server admin's commands, as other checks use them (exact names and outputs)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kneehab.cli.main import main
from kneehab.services import accounts
from kneehab.store.db import open_database


def test_clinic_users_tokens_and_the_audit_trail(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("clinic", "create", "North Clinic")
    assert code == 0, err
    clinic = int(out.strip())
    # A password piped on stdin is set; the id is printed.
    code, out, err = run(
        "user", "add", "Anna@Example.org", "--role", "clinic_admin", "--clinic", str(clinic),
        "--name", "Anna", stdin="a long passphrase\n",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip().isdigit()
    code, out, err = run("user", "add", "bob@example.org", "--role", "clinician")
    assert code == 2 and "--clinic" in err
    code, out, err = run("user", "add", "alice@example.org", "--role", "person", stdin="\n")
    assert code == 2 and "stdin was empty" in err
    code, out, err = run("user", "add", "anna@example.org", "--role", "person", stdin="x" * 9)
    assert code == 2 and "already exists" in err
    code, out, err = run("user", "reset", "anna@example.org")
    assert code == 0 and out.startswith("http://127.0.0.1:8010/account/password?link=")
    code, out, err = run("user", "list", "--clinic", str(clinic), "--json")
    listed = json.loads(out)
    assert [a["email"] for a in listed] == ["anna@example.org"]
    assert listed[0]["password_set"] is True and "password_hash" not in out
    code, out, err = run("token", "create", "anna@example.org", "--scope", "read", "--name", "EHR")
    assert code == 0, err
    token_id, secret = out.strip().removeprefix("token ").split(": ")
    assert secret.startswith("kh_") and "Shown once" in err
    # The token's name, scope and last use are listed with its account (never the secret).
    (listed,) = json.loads(run("user", "list", "--clinic", str(clinic), "--json")[1])
    assert [(t["id"], t["name"], t["scope"], t["last_used_at"]) for t in listed["tokens"]] == [
        (int(token_id), "EHR", "read", None)
    ]
    used_at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    db = open_database(db_url)
    try:
        assert accounts.resolve_token(db, secret, now=used_at) is not None
    finally:
        db.close()
    code, out, err = run("user", "list", "--clinic", str(clinic), "--json")
    (listed,) = json.loads(out)
    assert listed["tokens"][0]["last_used_at"] == used_at.isoformat() and secret not in out
    code, out, err = run("user", "list", "--clinic", str(clinic))
    assert f"token {token_id} 'EHR' (read): last used 2026-12-07" in " ".join(out.split())
    code, out, err = run("token", "revoke", token_id)
    assert code == 0 and f"Token {token_id} revoked." in out
    code, out, err = run("token", "revoke", "999")
    assert code == 2 and "token: 999 not found" in err
    code, out, err = run("audit", "list", "--json")
    actions = [r["action"] for r in json.loads(out)]
    assert actions[:5] == [
        "token_revoke", "token_use", "token_create", "reset_link", "account_create"
    ]  # fmt: skip
    # Each row names who acted: the token's use is the account's, the rest the server admin's.
    assert {(r["action"], r["actor"]) for r in json.loads(out)[:5]} == {
        ("token_revoke", "server admin"), ("token_use", "anna@example.org"),
        ("token_create", "server admin"), ("reset_link", "server admin"),
        ("account_create", "server admin"),
    }  # fmt: skip
    assert secret not in out and "passphrase" not in out
    code, out, err = run("audit", "verify")
    assert code == 0 and "intact" in out


def test_audit_verify_names_the_first_broken_row(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    assert run("clinic", "create", "North Clinic")[0] == 0
    assert run("clinic", "create", "South Clinic")[0] == 0
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            first = conn.execute(text("SELECT min(id) FROM audit_log")).scalar_one()
            conn.execute(
                text("UPDATE audit_log SET resource = 'clinic/9' WHERE id = :i"), {"i": first}
            )
    finally:
        engine.dispose()
    code, _, err = run("audit", "verify")
    assert code == 4 and f"broken at row {first}" in err


def test_backup_of_one_person_is_their_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    intake.write_text(
        json.dumps({"age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
                    "weeks_since_onset": 10, "pain_now": 3, "pain_worst_week": 5, "red_flags": []}),
        encoding="utf-8",
    )  # fmt: skip
    for email in ("ann@example.org", "ben@example.org"):
        assert run("user", "add", email, "--role", "person", stdin="a long passphrase\n")[0] == 0
        code, _, err = run(
            "start", "--person", email, "--intake", str(intake), "--today", "2025-03-03"
        )
        assert code == 0, err
    code, _, err = run("status")
    assert code == 2 and "--person EMAIL" in err  # two people: the command asks which
    out_file = tmp_path / "ben.json"
    code, _, err = run("backup", str(out_file), "--person", "ben@example.org")
    assert code == 0, err
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["format"] == "kneehab-person-export" and (out_file.stat().st_mode & 0o077) == 0
    ben = next(
        a for a in json.loads(run("user", "list", "--json")[1]) if a["email"] == "ben@example.org"
    )
    assert data["person"]["id"] == ben["person_id"]
    code, _, err = run(
        "backup", str(out_file), "--person", "ben@example.org"
    )  # its own file: replaced
    assert code == 0, err


def test_user_add_at_a_terminal_prints_an_invitation_link(  # type: ignore[no-untyped-def]
    run, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal nothing is read (a typed password would be echoed or kept in the shell's
    history): a one-time invitation link is printed instead. stdin is a real pseudo-terminal here
    (os.openpty), with a line waiting in it that must not become the password."""
    code, out, err = run("clinic", "create", "North Clinic")
    assert code == 0, err
    clinic = out.strip()
    leader, follower = os.openpty()
    try:
        os.write(leader, b"typed at the terminal\n")
        with os.fdopen(follower, "r", closefd=False) as terminal:
            monkeypatch.setattr("sys.stdin", terminal)
            assert sys.stdin.isatty()
            environ = {"KNEEHAB_DATABASE_URL": db_url, "KNEEHAB_PORT": "8010"}
            code = main(
                ["user", "add", "bob@example.org", "--role", "clinician", "--clinic", clinic],
                environ=environ,
            )
    finally:
        os.close(leader)
        os.close(follower)
    out, err = capsys.readouterr()
    assert code == 0, err
    account_id, invitation = out.strip().splitlines()
    assert account_id.isdigit()
    prefix = "Invitation link (valid 7 days, once): http://127.0.0.1:8010/account/password?link="
    assert invitation.startswith(prefix)
    listed = json.loads(run("user", "list", "--json")[1])
    assert [(a["email"], a["password_set"]) for a in listed] == [("bob@example.org", False)]
    # The link is the way in: it sets the password, and then it signs in (reuse and expiry:
    # tests/integration/test_accounts.py).
    db = open_database(db_url)
    try:
        now = datetime.now(UTC)
        actor = accounts.use_link(db, invitation.removeprefix(prefix), "a long passphrase", now=now)
        assert actor.email == "bob@example.org" and actor.clinic_id == int(clinic)
        signed = accounts.authenticate(
            db, "bob@example.org", "a long passphrase", address="a", now=now
        )
        assert signed.account_id == int(account_id)
    finally:
        db.close()


def test_audit_verify_sees_the_newest_rows_removed(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    for name in ("North Clinic", "South Clinic", "East Clinic"):
        assert run("clinic", "create", name)[0] == 0
    assert run("audit", "verify")[0] == 0
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            newest = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
            conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": newest})
    finally:
        engine.dispose()
    code, _, err = run("audit", "verify")
    assert code == 4 and "removed at the end" in err


def _ann_with_a_program(run, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """ann@example.org with a password and a program started on 2025-03-03; her email."""
    intake = tmp_path / "intake.json"
    intake.write_text(
        json.dumps({"age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
                    "weeks_since_onset": 10, "pain_now": 3, "pain_worst_week": 5, "red_flags": []}),
        encoding="utf-8",
    )  # fmt: skip
    email = "ann@example.org"
    assert run("user", "add", email, "--role", "person", stdin="a long passphrase\n")[0] == 0
    assert run("start", "--person", email, "--intake", str(intake), "--today", "2025-03-03")[0] == 0
    return email


EXPORTS = ("csv", "json", "fhir", "handout")


def test_the_server_admins_reads_are_in_the_persons_trail(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 §6: a read of a person's record by anyone but them is audited, the command line's
    too (actor "server admin", role server_admin), never with a health value."""
    email = _ann_with_a_program(run, tmp_path)
    _, before, _ = run("audit", "list", "--person", email, "--json")
    reads = [
        ("status",),
        ("history",),
        ("history", "--csv"),
        ("history", "--json"),
        ("backup", str(tmp_path / "ann.json")),
        ("export", "--fhir", "-o", str(tmp_path / "ann.fhir.json")),
        ("handout", "-o", str(tmp_path / "ann.pdf")),
    ]
    for argv in reads:
        seen = len(json.loads(run("audit", "list", "--person", email, "--json")[1]))
        code, _, err = run(*argv, "--person", email, "--today", "2025-03-04")
        assert code == 0, (argv, err)
        rows = json.loads(run("audit", "list", "--person", email, "--json")[1])
        new = rows[: len(rows) - seen]
        assert new, f"{argv}: no audit row"
        # A look is read_health; a file that leaves kneehab is its export.* row (issue 14).
        assert {(r["actor"], r["actor_role"]) for r in new} == {("server admin", "server_admin")}
        assert {r["action"] for r in new} <= {"read_health"} | {f"export.{k}" for k in EXPORTS}, new
        # One look, one row: an export is its export.* row alone, not also the reads it is made of.
        assert len(new) == 1, (argv, [(r["action"], r["resource"]) for r in new])
    assert len(json.loads(before)) < len(rows)
    assert run("audit", "verify")[0] == 0


def test_the_server_admins_changes_are_in_the_persons_trail(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 §6: a change of a person's record by anyone but them is audited; the command line
    acts as the server admin, so its writes (safety questions, a session, a check-in) and the
    program it shows (kneehab today) are in the person's trail, in the change's own transaction."""
    email = _ann_with_a_program(run, tmp_path)
    steps = [
        (("today",), "read_health"),
        (("check", "--none", "--today", "2025-03-03"), "write_health"),
        (("checkin", "--today", "2025-03-04", "--morning-pain", "2"), "write_health"),
    ]
    for argv, action in steps:
        seen = len(json.loads(run("audit", "list", "--person", email, "--json")[1]))
        code, _, err = run(*argv, "--person", email)
        assert code == 0, (argv, err)
        rows = json.loads(run("audit", "list", "--person", email, "--json")[1])
        new = rows[: len(rows) - seen]
        assert (action, "server admin", "server_admin") in {
            (r["action"], r["actor"], r["actor_role"]) for r in new
        }, (argv, new)
    assert run("audit", "verify")[0] == 0
