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
    # v2 (D-1): the ceiling is never below the usual pain (pain_now 4 at plan time).
    assert program["start"] == "2026-03-02" and program["pain_ceiling"] == 4
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
    assert equipment["mat"]["have"] is True and equipment["mat"]["surface"] == "floor"
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
        # RULES C-14: `unknown` and an empty list are answers, never defaults for a missing field.
        ({k: v for k, v in INTAKE.items() if k != "condition"}, "condition: is required"),
        ({k: v for k, v in INTAKE.items() if k != "red_flags"}, "red_flags: is required"),
        ({**INTAKE, "floor_transfer": "maybe"}, "floor_transfer"),
        ({**INTAKE, "assessed": True}, "assessed"),
        ({**INTAKE, "stair_height_cm": 40}, "stair_height_cm"),
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


# The warning-sign questions (16, plus the chest and the cold-foot questions asked of everyone), then the knee.
SAFETY_NO = ["no"] * 18
ANSWERS_OK = [
    *SAFETY_NO,
    "58",
    "female",
    "left",
    "medial_knee_oa",
    "gradual",
    "20",
    "yes",  # examined by a doctor or physical therapist
    "4",
    "6",
    "yes",  # can get down to the floor and up again
    "no",  # no falls, not unsteady
    "mat, ball",
    "",  # no step: the bottom stair's height, left blank
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
    assert data["chest_symptoms"] is False and data["cold_foot"] is False
    assert data["assessed"] == "yes" and data["floor_transfer"] == "yes"
    assert data["falls_or_unsteady"] == "no" and data["stair_height_cm"] is None
    assert main(["plan", "--intake", str(out_file), "--json"], {}) == 0


def test_questionnaire_reasks_after_a_bad_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [*SAFETY_NO, "two hundred", "58", *ANSWERS_OK[len(SAFETY_NO) + 1 :]]
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


def _run_intake(
    answers: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    code = main(["intake"], {})
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_questionnaire_asks_chest_symptoms_of_everyone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No calf or leg symptoms (the third question), then yes to the chest question: an emergency on its own.
    code, out, err = _run_intake(["no", "no", "no", "yes", *["no"] * 30], capsys, monkeypatch)
    assert code == 3 and out == ""
    assert "new chest pain or pressure, sudden breathlessness" in err
    assert "Call emergency services" in err and "why: RF17" in err
    assert "How old" not in err


def test_questionnaire_asks_the_cold_foot_on_its_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No numbness (the fifth question), then yes to a cold, pale or blue foot.
    code, _, err = _run_intake(["no"] * 5 + ["yes", *["no"] * 30], capsys, monkeypatch)
    assert code == 3 and "cold, pale or blue" in err and "why: RF10" in err


def test_questionnaire_numbness_within_a_week_of_an_injury_stops(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    safety = ["no"] * 4 + ["yes"] + ["no"] * 13  # numbness below the knee: yes
    knee = ["30", "male", "right", "mcl_sprain", "", "injury", "0"]
    code, out, err = _run_intake([*safety, *knee, *["no"] * 20], capsys, monkeypatch)
    assert code == 3 and out == "" and "why: RF10" in err
    assert "within a week of an injury" in " ".join(err.split())


def test_questionnaire_asks_the_v2_questions_in_plain_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = list(ANSWERS_OK)
    answers[ANSWERS_OK.index("yes")] = "not sure"  # examined?
    answers[-6:-3] = ["no", "yes", "chair"]  # floor, falls, equipment (no step)
    answers[-3] = "17"  # the bottom stair
    code, out, err = _run_intake(answers, capsys, monkeypatch)
    assert code == 0, err
    for question in (
        "Can you get down to the floor and up again safely on your own?",
        "Have you fallen in the past year, or do you feel unsteady when standing or walking?",
        "Has a doctor or physical therapist examined your knee for this problem?",
        "how high is the bottom step",
    ):
        assert question in err
    data = json.loads(out)
    assert data["assessed"] == "not_sure" and data["floor_transfer"] == "no"
    assert data["falls_or_unsteady"] == "yes" and data["stair_height_cm"] == 17


def test_questionnaire_asks_the_stair_only_without_a_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = list(ANSWERS_OK)
    answers[-4:-2] = ["mat, step"]  # a step at home: no stair question
    code, out, err = _run_intake(answers, capsys, monkeypatch)
    assert code == 0, err
    assert "bottom step" not in err and json.loads(out)["stair_height_cm"] is None


def test_plan_with_a_derived_rule_names_it_apart_from_the_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RULES C-3 v2 and D-13: pain at rest 9 withholds the program; the ids are in `rules` only."""
    path = write(tmp_path, {**INTAKE, "pain_now": 9, "pain_worst_week": 9})
    assert main(["plan", "--intake", str(path), "--json"], {}) == 0
    triage = json.loads(capsys.readouterr().out)["triage"]
    assert triage["level"] == "out_of_scope" and "RF19" in triage["rules"]
    assert "RF19" not in triage["message"] and "7 or less" in triage["message"]
