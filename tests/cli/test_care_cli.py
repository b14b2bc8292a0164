"""`kneehab start/today/log/checkin/status/history/backup/restore` through main(argv, environ)."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from kneehab import services
from kneehab.cli.main import main
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store import repo
from kneehab.store.db import open_database

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
DAY0 = "2025-03-03"  # a Monday
DAY1 = "2025-03-04"


@pytest.fixture
def enrolled(run, tmp_path: Path):  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    code, out, _ = run("start", "--intake", str(intake), "--today", DAY0)
    assert code == 0, out
    code, _, err = run("check", "--none", "--today", DAY0)  # RULES §1.1 before logging
    assert code == 0, err
    return run


def _rows(db_url: str) -> dict[str, list[dict[str, object]]]:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            return repo.dump_all(conn)
    finally:
        db.close()


def test_start_prints_triage_and_next_steps(enrolled) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = enrolled("today", "--today", DAY0)
    assert code == 0
    assert "Today's session — 2025-03-03" in out and "(bridge)" in out


def test_start_twice_needs_replace(enrolled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    code, _, err = enrolled("start", "--intake", str(intake), "--today", DAY0)
    assert code == 2 and "--replace" in err
    code, out, _ = enrolled("start", "--intake", str(intake), "--today", DAY1, "--replace")
    assert code == 0 and "Warning-sign check: ok" in out


def test_commands_before_enrolment_say_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("today", "--today", DAY0)
    assert code == 2 and "kneehab start --intake" in err


def test_log_checkin_status_history_flow(enrolled, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = enrolled(
        "log",
        "--today",
        DAY0,
        "--exercise",
        "bridge",
        "--sets",
        "2",
        "--reps",
        "10,10",
        "--hold",
        "2,2",
        "--pain",
        "1",
        "--effort",
        "easy",
    )
    assert code == 0, err
    assert "2025-03-03 Bridge: Recorded." in out
    code, out, err = enrolled(
        "checkin", "--today", DAY1, "--morning-pain", "3", "--stiffness", "2", "--avg-pain", "3"
    )
    assert code == 0, err
    assert "Check-in for 2025-03-04 saved" in out
    # Each decision in plain words with its reason; the rule ids apart on a last line (D-13).
    assert "Bridge: STAY THE SAME" in out and "\n  why: P3" in out and "[P3]" not in out
    code, out, _ = enrolled("status", "--today", DAY1)
    assert code == 0
    assert "Your doses now" in out and "Morning pain trend" in out and "3/10" in out
    code, out, _ = enrolled("history", "--csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("date,record,exercise_id")
    assert lines[1].startswith("2025-03-03,session,bridge") and lines[2].startswith(
        "2025-03-04,checkin"
    )
    code, out, _ = enrolled("history")
    assert code == 0 and "Check-ins" in out
    (row,) = _rows(db_url)["checkins"]
    assert row["morning_pain"] == 3


def test_log_from_a_session_file(enrolled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = {
        "date": DAY0,
        "entries": [
            {"exercise_id": "bridge", "sets_done": 2, "reps": [10, 10], "pain_during_max": 1},
            {
                "exercise_id": "step-up",
                "sets_done": 0,
                "skipped": True,
                "skip_reason": "no time",
                "pain_during_max": 0,
                "side": "both",
            },
        ],
    }
    file = tmp_path / "session.json"
    file.write_text(json.dumps(session), encoding="utf-8")
    code, out, err = enrolled("log", "--file", str(file), "--today", DAY0)
    assert code == 0, err
    assert "Bridge: Recorded." in out and "Step-up: Recorded." in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--exercise", "bridge", "--sets", "1", "--reps", "10", "--pain", "11"],
            "--pain: got 11; allowed: 10 or less",
        ),
        (
            ["--exercise", "bridge", "--sets", "1", "--reps=-3", "--pain", "1"],
            "reps: values cannot be negative",
        ),
        (
            ["--exercise", "bridge", "--sets", "1", "--reps", "ten", "--pain", "1"],
            "--reps: 'ten' must be whole numbers",
        ),
        (
            ["--exercise", "moon-walk", "--sets", "1", "--pain", "1"],
            "exercise_id: 'moon-walk' is not an exercise in the library",
        ),
        (
            ["--exercise", "pool-exercise", "--sets", "1", "--minutes", "10", "--pain", "1"],
            "exercise_id: 'pool-exercise' is neither in your program nor on your swap or "
            "offered list",
        ),
        (
            [
                "--exercise",
                "bridge",
                "--sets",
                "1",
                "--reps",
                "10",
                "--pain",
                "1",
                "--date",
                "2025-03-05",
            ],
            "date: 2025-03-05 is after today (2025-03-03)",
        ),
        (
            ["--exercise", "bridge", "--sets", "1", "--reps", "10"],
            "--pain: is required (your worst knee pain during it",
        ),
    ],
)
def test_bad_log_input_exits_2_names_the_field_and_writes_nothing(  # type: ignore[no-untyped-def]
    enrolled, db_url: str, argv: list[str], expected: str
) -> None:
    before = _rows(db_url)
    code, _, err = enrolled("log", "--today", DAY0, *argv)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert _rows(db_url) == before


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--morning-pain", "11"], "--morning-pain: got 11; allowed: 10 or less"),
        (["--morning-pain", "2", "--symptom", "hiccups"], "--symptom: got 'hiccups'"),
        (["--morning-pain", "2", "--date", "2025-03-09"], "date: 2025-03-09 is after today"),
        (["--morning-pain", "2", "--today", "2025-13-01"], "--today: '2025-13-01' is not a date"),
    ],
)
def test_bad_checkin_exits_2_and_writes_nothing(  # type: ignore[no-untyped-def]
    enrolled, db_url: str, argv: list[str], expected: str
) -> None:
    before = _rows(db_url)
    args = ["checkin", *argv] if "--today" in argv else ["checkin", "--today", DAY1, *argv]
    code, _, err = enrolled(*args)
    assert code == 2 and expected in err
    assert _rows(db_url) == before


def test_interactive_checkin_reads_answers(  # type: ignore[no-untyped-def]
    enrolled, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n1\n2\n\n"))
    code, out, err = enrolled("checkin", "--today", DAY1)
    assert code == 0, err
    assert "Check-in for 2025-03-04 saved" in out


def test_backup_and_restore_round_trip_and_refusals(  # type: ignore[no-untyped-def]
    enrolled, db_url: str, tmp_path: Path
) -> None:
    backup = tmp_path / "k.backup"
    code, out, _ = enrolled("backup", str(backup))
    assert code == 0 and "Backup written" in out
    saved = _rows(db_url)
    assert enrolled("checkin", "--today", DAY1, "--morning-pain", "2")[0] == 0

    corrupt = tmp_path / "corrupt.backup"
    corrupt.write_bytes(backup.read_bytes()[:2048] + b"\x00garbage" * 500)
    newer = tmp_path / "newer.backup"
    newer.write_bytes(backup.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00d_next'")
    conn.close()
    current = _rows(db_url)
    for bad, message in ((corrupt, "damaged"), (newer, "newer kneehab")):
        code, _, err = enrolled("restore", str(bad))
        assert code == 2 and message in err and str(bad) in err
        assert _rows(db_url) == current  # never damaged

    code, out, _ = enrolled("restore", str(backup))
    assert code == 0 and "Restored" in out
    # Every row as it was saved; a restore draws each person's revision afresh (ADR 0008).
    restored = _rows(db_url)
    assert restored["persons"][0].pop("revision") != saved["persons"][0].pop("revision")
    assert restored == saved


def test_db_option_points_at_a_sqlite_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    db_file = tmp_path / "nested" / "mine.db"
    code = main(
        ["start", "--intake", str(intake), "--db", str(db_file), "--today", DAY0],
        environ={"KNEEHAB_DATA_DIR": str(tmp_path / "unused")},
    )
    assert code == 0 and db_file.exists()
    assert not (tmp_path / "unused" / "kneehab.db").exists()
    capsys.readouterr()


def test_interactive_log_asks_about_each_scheduled_exercise(  # type: ignore[no-untyped-def]
    enrolled, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(db_url)
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        scheduled = [
            i.exercise_id
            for i in services.today_items(
                db, on_machine(pid), today=date(2025, 3, 3), library=default_library()
            )
        ]
    finally:
        db.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("skipped\nshort on time\n" * len(scheduled)))
    code, out, err = enrolled("log", "--today", DAY0)
    assert code == 0, err
    entries = _rows(db_url)["session_entries"]
    assert [e["exercise_id"] for e in entries] == scheduled
    assert out.count("Recorded.") == len(scheduled)
    assert all(e["skipped"] and e["skip_reason"] == "short on time" for e in entries)


def _as_if_stored_before_v2(db_url: str) -> int:
    """Mark the enrolled person as a course stored under rule book v1 (ADR 0004), with a v1-style
    last program (pain limit 3) and mornings at 5."""
    from datetime import UTC, datetime, timedelta

    from kneehab.domain.records import CheckIn

    db = open_database(db_url)
    try:
        with db.write() as s:
            pid = repo.first_person_id(s)
            assert pid is not None
            repo.set_rules_version(s, pid, 1)
            repo.set_morning_tolerance(s, pid, 0)
            latest = repo.latest_program(s, pid)
            assert latest is not None
            start = date.fromisoformat(DAY0)
            for offset in range(1, 8):
                day = start + timedelta(days=offset)
                repo.add_checkin(
                    s, pid, CheckIn(date=day, morning_pain=5), now=datetime(2025, 3, 3, tzinfo=UTC)
                )
            repo.add_program_version(
                s,
                pid,
                program=latest.model_copy(update={"pain_ceiling": 3}),
                effective=start + timedelta(days=2),
                now=datetime(2025, 3, 5, tzinfo=UTC),
                kind="regress",
                actor="rule P4",
                rules=("P4",),
                reason="v1 row",
                exercise_id="bridge",
            )
        return pid
    finally:
        db.close()


def test_upgrade_rules_prints_each_persons_changes_once(enrolled, db_url: str) -> None:  # type: ignore[no-untyped-def]
    _as_if_stored_before_v2(db_url)
    code, out, err = enrolled("upgrade-rules", "--today", "2025-03-11")
    assert code == 0, err
    flat = " ".join(out.split())  # the console wraps long lines
    assert "from 2025-03-11: kneehab now follows its updated exercise rules." in flat
    assert (
        "Your pain limit is now 5 out of 10 (it was 3), because your usual morning pain is 5."
        in flat
    )
    assert "\n  why: C-18 · D-1 · C-5" in out
    code, out, err = enrolled("status", "--today", "2025-03-11")
    assert code == 0, err
    assert "Updated rules from 2025-03-11:" in out
    code, out, _ = enrolled("upgrade-rules", "--today", "2025-03-12")
    assert code == 0 and "Everyone is already on the current rules. Nothing changed." in out


def test_serve_moves_stored_courses_to_the_current_rules_at_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    db_file = tmp_path / "kneehab.db"
    url = f"sqlite:///{db_file}"
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(INTAKE), encoding="utf-8")
    assert main(["start", "--intake", str(intake), "--today", DAY0, "--db", str(db_file)]) == 0
    pid = _as_if_stored_before_v2(url)
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    assert main(["serve", "--db", str(db_file)], environ={}) == 0
    assert served, "the app was served after the upgrade"
    assert "Applied the updated exercise rules to 1 enrolled person." in capsys.readouterr().out
    db = open_database(url)
    try:
        with db.read() as s:
            assert repo.get_person(s, pid).rules_version == services.RULES_VERSION
            assert [v.kind for v in repo.program_versions(s, pid)][-1] == "rules-v2"
    finally:
        db.close()


def test_history_json_is_a_history_file_that_progress_replays(
    enrolled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    """The database's course as the history-file contract (with the v2 dated events): replaying it
    with `kneehab progress --json` gives what the database's own replay gives."""
    assert enrolled("checkin", "--today", DAY1, "--morning-pain", "3")[0] == 0
    code, out, err = enrolled("history", "--json", "--today", DAY1)
    assert code == 0, err
    data = json.loads(out)
    assert data["today"] == DAY1 and data["start"] == DAY0
    assert {"swaps", "offers", "clinician", "rescreens", "checkins"} <= set(data)
    path = tmp_path / "course.json"
    path.write_text(out, encoding="utf-8")
    assert main(["progress", "--history", str(path), "--json"], environ={}) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["today"] == DAY1 and replayed["program"]["start"] == DAY0


def test_swap_offer_and_logging_outside_the_session(enrolled, db_url: str) -> None:  # type: ignore[no-untyped-def]
    db = open_database(db_url)
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        program = services.course(
            db, on_machine(pid), today=date.fromisoformat(DAY1), library=default_library()
        ).program
    finally:
        db.close()
    assert program is not None and program.swaps
    swap = program.swaps[0]
    out_id = swap.can_replace[0]
    code, out, err = enrolled("today", "--today", DAY1)
    assert code == 0, err
    assert swap.item.exercise_id in out and "kneehab swap ID --instead-of ID" in " ".join(
        out.split()
    )
    # C-13 v2: a swap logged outside the session is recorded, flagged, and changes nothing.
    assert enrolled("check", "--none", "--today", DAY1)[0] == 0
    code, out, err = enrolled(
        "log", "--today", DAY1, "--exercise", swap.item.exercise_id, "--sets", "1", "--pain", "1"
    )
    assert code == 0, err
    assert "is not in your session" in " ".join(out.split()) and "\n  why: C-13 · D-10" in out
    # D-10: the swap itself, from today, as a dated version in plain words.
    code, out, err = enrolled(
        "swap", swap.item.exercise_id, "--instead-of", out_id, "--today", DAY1
    )
    assert code == 0, err
    assert "why: " in out and "D-10" in out
    code, _, err = enrolled("swap", "lunge", "--instead-of", out_id, "--today", DAY1)
    assert code == 2 and "swaps" in err
    code, _, err = enrolled("offer", "plank", "accept", "--today", DAY1)
    assert code == 2 and "exercise_id: 'plank' is not offered to you now" in err
