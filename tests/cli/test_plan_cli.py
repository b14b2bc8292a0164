"""`kneehab intake` and `kneehab plan` through the real entrypoint."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from kneehab.cli.main import main

INTAKE: dict[str, Any] = {
    "age": 58,
    "sex": "female",
    "knee": "left",
    "condition": "medial_knee_oa",
    "mcl_grade": None,
    "onset": "gradual",
    "weeks_since_onset": 20,
    "pain_now": 4,
    "pain_worst_week": 6,
    "red_flags": [],
    "equipment": ["mat", "ball"],
    "access": ["stationary_bike"],
    "goals": ["walk the dog for 30 minutes"],
}


def write(tmp_path: Path, data: Any, name: str = "intake.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_plan_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["plan", "--intake", str(write(tmp_path, INTAKE)), "--start", "2026-03-02", "--json"], {}
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["triage"]["level"] == "ok"
    assert set(out["triage"]) >= {"level", "rules", "message"}
    program = out["program"]
    assert set(program) >= {
        "start",
        "phase",
        "pain_ceiling",
        "schedule",
        "exercises",
        "avoid",
        "equipment",
        "ice_heat",
        "review_on",
    }
    assert program["start"] == "2026-03-02" and program["pain_ceiling"] == 3
    ex = {e["id"]: e for e in program["exercises"]}
    for e in ex.values():
        assert set(e) >= {
            "id",
            "block",
            "sets",
            "reps",
            "hold_s",
            "per_side",
            "load_kg",
            "step_cm",
            "minutes",
            "days",
            "why",
            "rules",
        }
    assert ex["bridge"]["sets"] == 2 and ex["bridge"]["reps"] == 10 and ex["bridge"]["hold_s"] == 2
    assert (
        ex["inner-thigh-stretch"]["hold_s"] == 30 and ex["inner-thigh-stretch"]["per_side"] is True
    )
    assert ex["walking"]["block"] == "aerobic"
    assert ex["seated-straight-leg-raise"]["days"] == ["mon", "wed", "fri"]
    equipment = {e["id"]: e for e in program["equipment"]}
    assert equipment["strap"]["have"] is False and "towel" in equipment["strap"]["use"].lower()
    assert equipment["ball"]["have"] is True
    assert {a["id"] for a in program["avoid"]} >= {"high-impact", "deep-squats-lunges"}
    assert "ice" in program["ice_heat"].lower() and "heat" in program["ice_heat"].lower()


def test_plan_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write(tmp_path, INTAKE))
    outs = []
    for _ in range(2):
        assert main(["plan", "--intake", path, "--start", "2026-03-02", "--json"], {}) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]


def test_emergency_intake_gets_no_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {**INTAKE, "red_flags": ["RF04"]})
    assert main(["plan", "--intake", str(path), "--json"], {}) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["program"] is None and out["triage"]["level"] == "emergency"
    assert "RF04" in out["triage"]["rules"]


def test_readable_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["plan", "--intake", str(write(tmp_path, INTAKE)), "--start", "2026-03-02"], {}) == 0
    )
    out = capsys.readouterr().out
    assert "Bridge" in out and "Moves to avoid" in out and "Pain limit" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**INTAKE, "pain_now": 11}, "pain_now"),
        ({**INTAKE, "condition": "gout"}, "condition"),
        ({k: v for k, v in INTAKE.items() if k != "age"}, "age: is required"),
        ({**INTAKE, "red_flags": ["RF99"]}, "RF99"),
        ({**INTAKE, "age": 9}, "age"),
        ({**INTAKE, "equipment": ["treadmill"]}, "equipment"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_intake_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, expected: str
) -> None:
    code = main(["plan", "--intake", str(write(tmp_path, content)), "--json"], {})
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


def test_bad_condition_lists_allowed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["plan", "--intake", str(write(tmp_path, {**INTAKE, "condition": "gout"}))], {})
    err = capsys.readouterr().err
    assert "medial_knee_oa" in err and "unknown" in err


def test_missing_file_and_bad_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--intake", str(tmp_path / "nope.json")], {}) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(["plan", "--intake", str(write(tmp_path, INTAKE)), "--start", "03/02/2026"], {}) == 2
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err


ANSWERS_OK = ["no"] * 16 + [
    "58",
    "female",
    "left",
    "medial_knee_oa",
    "gradual",
    "20",
    "4",
    "6",
    "mat, ball",
    "stationary_bike",
    "walk the dog",
]


def test_questionnaire_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(ANSWERS_OK) + "\n"))
    out_file = tmp_path / "me.json"
    assert main(["intake", "-o", str(out_file)], {}) == 0
    data = json.loads(out_file.read_text())
    assert data["age"] == 58 and data["equipment"] == ["ball", "mat"] and data["red_flags"] == []
    assert main(["plan", "--intake", str(out_file), "--json"], {}) == 0


def test_questionnaire_reasks_after_a_bad_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = ["no"] * 16 + ["two hundred", "58", *ANSWERS_OK[17:]]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    assert main(["intake"], {}) == 0
    captured = capsys.readouterr()
    assert "whole number" in captured.err
    assert json.loads(captured.out)["age"] == 58


def test_questionnaire_stops_at_once_on_an_emergency(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n" + "no\n" * 40))
    assert main(["intake"], {}) == 3
    captured = capsys.readouterr()
    assert "emergency" in captured.err.lower() and "RF03" in captured.err
    assert "How old" not in captured.err and captured.out == ""


def test_questionnaire_runs_out_of_answers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("no\nno\n"))
    assert main(["intake"], {}) == 2
    assert "answers ended" in capsys.readouterr().err
