"""Issue 9 §5–§6 at the terminal: what a newcomer met, each as a test that would have caught it.

- `kneehab backup me.json` silently overwrote an intake file → never without --force;
- `--db typo.db` created a new, empty database → a database that is not there is reported (exit 2), except by
  the commands that create one (`start`, `restore`);
- the JSON export downloaded from the web could not be restored ("not a kneehab backup") → it restores;
- `kneehab history` printed "1 sets × 10", walking as "0 sets", and ids instead of names;
- the condition prompt listed raw ids and refused "arthritis" and "Right" → plain choices, forgiving matching;
- the cold, pale or blue foot is asked on its own, in the web's words, whatever the numbness answer.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from kneehab import services
from kneehab.cli.main import main
from kneehab.config import Settings
from kneehab.demo import seed_demo
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.red_flags import COLD_FOOT_QUESTION
from kneehab.library.load import default_library
from kneehab.services.acting import on_machine
from kneehab.store.db import open_database
from kneehab.web.app import create_app

PASSWORD = "a long enough passphrase"
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


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    env = {"KNEEHAB_DATA_DIR": str(tmp_path / "data")}

    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv), environ=env)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return _run


@pytest.fixture
def intake_file(tmp_path: Path) -> Path:
    path = tmp_path / "me.json"
    path.write_text(json.dumps(INTAKE, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def enrolled(run, intake_file: Path):  # type: ignore[no-untyped-def]
    code, _, err = run("start", "--intake", str(intake_file), "--today", DAY0)
    assert code == 0, err
    code, _, err = run("check", "--none", "--today", DAY0)  # RULES §1.1 before logging
    assert code == 0, err
    return run


# --- backup never overwrites what is not a backup ---------------------------------------------------


def test_backup_refuses_to_overwrite_an_intake_file(enrolled, intake_file: Path) -> None:  # type: ignore[no-untyped-def]
    before = intake_file.read_bytes()
    code, out, err = enrolled("backup", str(intake_file))
    assert code == 2 and out == ""
    assert "already exists and is not a kneehab backup" in err and "--force" in err
    assert intake_file.read_bytes() == before


def test_backup_replaces_an_earlier_backup_and_anything_with_force(  # type: ignore[no-untyped-def]
    enrolled, tmp_path: Path
) -> None:
    backup = tmp_path / "kneehab.backup"
    assert enrolled("backup", str(backup))[0] == 0
    assert enrolled("backup", str(backup))[0] == 0  # an earlier backup: replaced, no question
    other = tmp_path / "notes.txt"
    other.write_text("my notes", encoding="utf-8")
    assert enrolled("backup", str(other))[0] == 2
    code, out, _ = enrolled("backup", str(other), "--force")
    assert code == 0 and "Backup written" in out
    assert other.read_bytes().startswith(b"SQLite format 3\x00")


def test_backup_to_a_folder_is_refused(enrolled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = enrolled("backup", str(tmp_path))
    assert code == 2 and "is a folder" in err


# --- a database that is not there ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["today"],
        ["log", "--exercise", "bridge", "--sets", "1", "--reps", "10", "--pain", "1"],
        ["checkin", "--morning-pain", "2"],
        ["status"],
        ["history"],
        ["swap", "bridge", "--instead-of", "clamshell"],
        ["offer", "plank", "accept"],
        ["upgrade-rules"],
    ],
    ids=lambda a: a[0],
)
def test_a_mistyped_db_is_reported_not_created(run, tmp_path: Path, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    typo = tmp_path / "typo.db"
    code, out, err = run(*argv, "--db", str(typo))
    assert code == 2 and out == ""
    flat = " ".join(err.split())
    assert f"--db: there is no kneehab database at {typo}" in flat
    assert "kneehab start --intake FILE" in flat
    assert not typo.exists()


def test_the_default_database_that_is_not_there_yet(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("status")
    flat = " ".join(err.split())
    assert code == 2 and "there is no kneehab database yet at" in flat
    assert "kneehab start --intake FILE" in flat
    assert not (tmp_path / "data" / "kneehab.db").exists()


def test_backup_of_a_database_that_is_not_there(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("backup", str(tmp_path / "k.backup"), "--db", str(tmp_path / "typo.db"))
    assert code == 2 and "no kneehab database" in err
    assert not (tmp_path / "k.backup").exists() and not (tmp_path / "typo.db").exists()


def test_start_and_restore_create_the_database(run, intake_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "new" / "first.db"
    assert run("start", "--intake", str(intake_file), "--db", str(first), "--today", DAY0)[0] == 0
    backup = tmp_path / "k.backup"
    assert run("backup", str(backup), "--db", str(first))[0] == 0
    second = tmp_path / "new" / "second.db"
    code, out, err = run("restore", str(backup), "--db", str(second))
    assert code == 0 and "Restored" in out, err
    assert run("today", "--db", str(second), "--today", DAY0)[0] == 0


# --- the web's JSON export restores -------------------------------------------------------------------

NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)


def _web_exports(db_file: Path) -> tuple[dict[str, Any], bytes]:
    """The demo person's export as an integrator (/api/v1/export) and a person (My data → JSON) get it."""
    db = open_database(f"sqlite:///{db_file}")
    try:
        account = services.accounts.add_account(
            db, "demo@example.org", role="person", clinic_id=None, password=PASSWORD,
            actor=SERVER_ADMIN, now=NOW,
        ).account_id  # fmt: skip
        pid = seed_demo(
            db, today=NOW.date(), now=NOW, account_id=account, library=default_library()
        ).person_id
        program = services.course(
            db, on_machine(pid), today=NOW.date(), library=default_library()
        ).program
        assert program is not None and program.swaps  # a dated swap event is exported too
        swap = program.swaps[0]
        services.choose_swap(
            db,
            on_machine(pid),
            swap_in=swap.item.exercise_id,
            swap_out=swap.can_replace[0],
            day=NOW.date(),
            now=NOW,
            library=default_library(),
        )
        app = create_app(Settings(), db=db, clock=lambda: NOW)

        async def download() -> tuple[httpx.Response, httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                signed = {"email": "demo@example.org", "password": PASSWORD}
                assert (await c.post("/api/v1/auth/login", json=signed)).status_code == 200
                return await c.get("/api/v1/export"), await c.get("/data/export.json")

        api, page = asyncio.run(download())
        assert api.status_code == 200 and page.status_code == 200
        return api.json(), page.content
    finally:
        db.close()


def _export_of(db_file: Path) -> dict[str, Any]:
    db = open_database(f"sqlite:///{db_file}")
    try:
        pid = services.current_person_id(db)
        assert pid is not None
        return services.export_person(db, on_machine(pid))
    finally:
        db.close()


def test_the_web_export_restores(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported, download = _web_exports(tmp_path / "web.db")
    assert exported["session_entries"] and exported["checkins"]
    assert exported["course_events"]["swaps"] and len(exported["program_versions"]) > 1
    for name, content in (("api.json", json.dumps(exported)), ("download.json", download)):
        file = tmp_path / name
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content, encoding="utf-8")
        target = tmp_path / f"restored-{name}.db"
        code, out, err = run("restore", str(file), "--db", str(target))
        assert code == 0 and f"Restored from {file}" in out, err
        assert _export_of(target) == exported  # everything the export holds, as it was
        today = NOW.date().isoformat()
        code, out, err = run("status", "--db", str(target), "--today", today)
        assert code == 0 and "Your doses now" in out, err


def test_restoring_an_export_replaces_what_is_there(enrolled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported, _ = _web_exports(tmp_path / "web.db")
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported), encoding="utf-8")
    assert enrolled("restore", str(file))[0] == 0
    assert _export_of(tmp_path / "data" / "kneehab.db") == exported
    # The restored course waits for its person to claim it (issue 10 §7): a reset link works.
    _, out, _ = enrolled("user", "list", "--json")
    (account,) = json.loads(out)
    assert account["person_id"] == exported["person"]["id"] and not account["password_set"]
    code, out, _ = enrolled("user", "reset", account["email"])
    assert code == 0 and "/account/password?link=" in out


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(format="something-else"), "not a kneehab export"),
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d["checkins"][0].update(morning_pain=11), "checkins[0]"),
        (lambda d: d.update(intakes=[]), "no intake"),
        (lambda d: d["person"].update(start="the third"), "person.start"),
    ],
    ids=["format", "version", "checkin", "intake", "start"],
)
def test_a_bad_export_names_the_problem_and_changes_nothing(  # type: ignore[no-untyped-def]
    enrolled, tmp_path: Path, change: Any, named: str
) -> None:
    exported, _ = _web_exports(tmp_path / "web.db")
    change(exported)
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported), encoding="utf-8")
    db_file = tmp_path / "data" / "kneehab.db"
    before = _export_of(db_file)
    code, _, err = enrolled("restore", str(file))
    assert code == 2 and named in err
    assert _export_of(db_file) == before


def test_restoring_an_intake_file_says_what_restore_takes(enrolled, intake_file: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = enrolled("restore", str(intake_file))
    flat = " ".join(err.split())
    assert code == 2 and "not a kneehab export" in flat and "kneehab backup" in flat


# --- history in words ---------------------------------------------------------------------------------


def test_history_reads_in_words_with_names(enrolled) -> None:  # type: ignore[no-untyped-def]
    logs = [
        ["--exercise", "bridge", "--sets", "1", "--reps", "10", "--hold", "2", "--pain", "1"],
        ["--exercise", "walking", "--minutes", "15", "--pain", "2"],
        ["--exercise", "inner-thigh-stretch", "--sets", "2", "--hold", "30,25", "--pain", "0"],
        ["--exercise", "step-up", "--skipped", "--reason", "no time", "--side", "both"],
    ]
    for flags in logs:
        code, _, err = enrolled("log", "--today", DAY0, *flags)
        assert code == 0, err
    code, out, err = enrolled("history", "--today", DAY0)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "1 set × 10 reps, 2 s hold" in flat and "1 sets" not in flat
    assert "15 minutes" in flat and "0 sets" not in flat
    assert "2 sets × 30, 25 s hold" in flat
    assert "skipped" in flat and "no time" in flat
    for name in ("Bridge", "Walking", "Inner thigh stretch"):
        assert name.lower() in flat.lower()
    assert " bridge " not in f" {flat} " and "inner-thigh-stretch" not in flat


# --- the questionnaire: plain choices, forgiving matching ---------------------------------------------

SAFETY_NO = ["no"] * 18
KNEE_AND_AFTER = [
    "gradual",
    "20",
    "yes",
    "4",
    "6",
    "yes",
    "no",
    "Mat, Ankle weights",
    "",
    "exercise bike",
    "",
]


def _intake(
    answers: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, dict[str, Any] | None, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    code = main(["intake"], {})
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def test_the_condition_is_a_plain_list_and_arthritis_and_right_are_understood(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [*SAFETY_NO, "58", "Female", "Right", "arthritis", "yes", *KNEE_AND_AFTER]
    code, data, err = _intake(answers, capsys, monkeypatch)
    assert code == 0, err
    assert data is not None
    assert data["knee"] == "right" and data["sex"] == "female"
    assert data["condition"] == "medial_knee_oa"
    assert data["equipment"] == ["ankle_weights", "mat"] and data["access"] == ["stationary_bike"]
    # The choices are shown in plain words, numbered; the answer is read back before it is kept.
    assert "1. I don't know / no one has told me" in err
    assert "2. Arthritis on the inner side of the knee" in err
    assert "pes_anserine_bursitis/medial_knee_oa" not in err
    assert "Do you mean: Arthritis on the inner side of the knee" in err


def test_a_condition_answer_that_is_not_confirmed_is_asked_again(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [*SAFETY_NO, "58", "f", "left", "arthritis", "no", "1", *KNEE_AND_AFTER]
    code, data, err = _intake(answers, capsys, monkeypatch)
    assert code == 0, err
    assert data is not None and data["condition"] == "unknown"


def test_an_answer_that_fits_several_choices_lists_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [*SAFETY_NO, "58", "male", "both knees", "knee", "gout", "4", *KNEE_AND_AFTER]
    code, data, err = _intake(answers, capsys, monkeypatch)
    assert code == 0, err
    assert (
        data is not None and data["condition"] == "patellofemoral_pain" and data["knee"] == "both"
    )
    flat = " ".join(err.split())
    assert "'knee' could be more than one of these; type its number:" in flat
    assert "'gout' is not one of the choices; type a number: 1 I don't know" in flat


def test_ids_numbers_and_not_knowing_need_no_confirmation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for said, meant in (
        ("mcl_sprain", "mcl_sprain"),
        ("6", "medial_meniscus"),
        ("no idea", "unknown"),
    ):
        extra = [""] if meant == "mcl_sprain" else []  # the MCL grade, left blank
        answers = [*SAFETY_NO, "40", "unspecified", "LEFT", said, *extra, *KNEE_AND_AFTER]
        code, data, err = _intake(answers, capsys, monkeypatch)
        assert code == 0, err
        assert data is not None and data["condition"] == meant
        assert "Do you mean" not in err


def test_the_cold_foot_is_asked_on_its_own_in_the_webs_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbness answered no: the cold, pale or blue foot is still asked, and a yes stops at once."""
    code, _, err = _intake(["no"] * 5 + ["yes", *["no"] * 30], capsys, monkeypatch)
    assert code == 3
    numbness = err.index(
        "Do you have numbness, pins and needles or weakness below the knee? [yes/no]: no"
    )
    assert err.index(COLD_FOOT_QUESTION.question) > numbness
    assert "why: RF10" in err
    assert "How old" not in err


# --- rule ids apart from the words (D-13), no "(s)", no "day 0" -----------------------------------------

INLINE = re.compile(r"RULES|Rules:|§|\b(RF\d{2}|P\d{1,2}|E\d{1,2}|[CD]-\d{1,2})\b|\(s\)|\bday 0\b")


def _sentences(text: str) -> list[str]:
    """Every line, and every table cell on its own; the `why: …` lines are where ids belong."""
    parts: list[str] = []
    for line in text.splitlines():
        for raw in re.split(r"[│┃]", line):
            cell = raw.strip()
            if cell and not cell.startswith("why:") and not set(cell) <= set("─━┏┓┗┛┡┩└┘┳┻╇┴┬+|-"):
                parts.append(cell)
    return parts


def test_no_rule_id_inside_a_sentence_at_the_terminal(enrolled, intake_file: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = [
        enrolled("plan", "--intake", str(intake_file), "--start", DAY0),
        enrolled("library", "show", "bridge"),
        enrolled("library", "show", "inner-thigh-stretch"),
        enrolled("today", "--today", DAY0),
        enrolled(
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
        ),
        enrolled("checkin", "--today", "2025-03-04", "--morning-pain", "3", "--avg-pain", "3"),
        enrolled("status", "--today", DAY0),
        enrolled("status", "--today", "2025-03-04"),
        enrolled("history", "--today", "2025-03-04"),
    ]
    whys = 0
    for code, out, err in outputs:
        assert code == 0, err
        whys += out.count("why: ")
        for sentence in _sentences(out):
            assert not INLINE.search(sentence), sentence
    assert whys >= 3  # the ids are still there for a clinician, on their own lines


def test_counts_and_days_in_words(enrolled) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = enrolled("status", "--today", DAY0)
    assert code == 0 and "your program started today; it has not changed since" in out
    code, out, _ = enrolled("checkin", "--today", "2025-03-04", "--morning-pain", "3")
    assert code == 0 and ("No changes to your program." in out or " to your program." in out)
    assert "change(s)" not in out


# --- `make run` and the CLI share one database by default (issue 9 §7) -----------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _make_run(*extra: str) -> str:
    done = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.installed-app", "-o", ".venv/.installed", "run", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (serve,) = [line for line in done.stdout.splitlines() if "kneehab serve" in line]
    return serve


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_uses_the_clis_default_database() -> None:
    assert "--db" not in _make_run()  # settings decide, as for `.venv/bin/kneehab status`
    assert "--db var/other.db" in _make_run("DB=var/other.db")


def test_serve_and_the_other_commands_open_the_same_default_database(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, intake_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    code, out, err = run("serve", "--demo")  # servers never migrate (ADR 0006): it names the step
    assert code == 2 and "kneehab db upgrade" in err
    code, out, err = run(
        "db", "upgrade"
    )  # what `make run` does first, on the same default database
    assert code == 0, err
    code, out, err = run("serve", "--demo")
    assert code == 0, err
    default = tmp_path / "data" / "kneehab.db"
    assert f"Using the SQLite file {default}" in " ".join(out.split())
    code, out, err = run("status")  # the demo clinic has four people: the command asks which
    assert code == 2 and "--person EMAIL" in err
    code, out, err = run("status", "--person", "maria@example.org")
    assert code == 0 and "Your doses now" in out, err  # the demo person the web app shows
    # With --db the server names how the other commands reach that file (not "by default").
    other = tmp_path / "other.db"
    assert run("db", "upgrade", "--db", str(other))[0] == 0
    code, out, err = run("serve", "--db", str(other))
    assert code == 0, err
    said = " ".join(out.split())
    assert f"Using the SQLite file {other.resolve()}" in said and f"--db {other}" in said
    assert "by default" not in said


# --- the interactive log and check-in ask again instead of failing at the end --------------------------


def test_interactive_log_asks_again_with_what_is_allowed(  # type: ignore[no-untyped-def]
    enrolled, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first exercise is the inner-thigh stretch (2 × 30 s holds): wrong answers first, each asked again.
    answers = ["yes", "three", "2", "10", "30,30", "11", "1", "so-so", "ok"] + ["not today"] * 10
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    code, out, err = enrolled("log", "--today", DAY0)
    assert code == 0, err
    flat = " ".join((out + err).split())
    assert "Sorry: please type a whole number from 0 to 10" in flat
    assert "Sorry: type one number per set (2), e.g. 30,30" in flat
    assert "Sorry: 11 is outside 0–10" in flat
    assert "Sorry: 'so-so' is not one of the choices" in flat
    assert "Inner thigh stretch (with a strap): Recorded." in flat
    code, out, _ = enrolled("history", "--today", DAY0)
    assert "2 sets × 30 s hold" in " ".join(out.split())


def test_interactive_checkin_understands_symptom_words(  # type: ignore[no-untyped-def]
    enrolled, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n12\n1\n2\nSwollen, giving way\n"))
    code, out, err = enrolled("checkin", "--today", "2025-03-04")
    assert code == 0, err
    assert "Sorry: 12 is outside 0–10" in err
    code, out, _ = enrolled("history", "--today", "2025-03-04")
    assert "swelling, giving way" in out


def test_restoring_the_csv_download_says_what_restore_takes(enrolled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv_file = tmp_path / "kneehab-sessions.csv"
    csv_file.write_text("date,record,exercise_id\n", encoding="utf-8")
    code, _, err = enrolled("restore", str(csv_file))
    flat = " ".join(err.split())
    assert code == 2 and "neither a kneehab backup nor a JSON export" in flat
    assert "`kneehab backup`" in flat and "My data" in flat
    code, _, err = enrolled("restore", str(tmp_path / "missing.backup"))
    assert code == 2 and "does not exist" in err


def test_the_web_export_restores_on_either_database(  # type: ignore[no-untyped-def]
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported, _ = _web_exports(tmp_path / "web.db")
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported), encoding="utf-8")
    env = {"KNEEHAB_DATABASE_URL": db_url}
    assert main(["restore", str(file)], environ=env) == 0, capsys.readouterr().err
    db = open_database(db_url)
    try:
        assert services.export_person(db, on_machine(exported["person"]["id"])) == exported
    finally:
        db.close()
    # New records after the restore get fresh ids (PostgreSQL's sequences moved past the restored ones).
    code = main(["checkin", "--morning-pain", "2", "--today", "2025-03-21"], environ=env)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Check-in for" in captured.out
