"""`kneehab progress --history FILE [--json]` through the real entrypoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kneehab.cli.main import main

HISTORY: dict[str, Any] = {
    "intake": {
        "age": 52,
        "knee": "left",
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 10,
        "pain_now": 3,
        "pain_worst_week": 5,
        "red_flags": [],
    },
    "start": "2025-03-03",
    "today": "2025-03-06",
    "sessions": [
        {
            "date": "2025-03-03",
            "entries": [
                {"exercise_id": "bridge", "sets_done": 2, "pain_during_max": 1, "effort": "easy"}
            ],
        },
        {
            "date": "2025-03-05",
            "entries": [
                {"exercise_id": "bridge", "sets_done": 2, "pain_during_max": 1, "effort": "easy"},
                {"exercise_id": "step-up", "sets_done": 2, "pain_during_max": 5, "rir": 3},
            ],
        },
    ],
    "checkins": [
        {"date": "2025-03-04", "morning_pain": 2, "avg_pain": 3},
        {"date": "2025-03-06", "morning_pain": 2, "avg_pain": 3},
    ],
}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "history.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_progress_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["progress", "--history", str(write(tmp_path, HISTORY)), "--json"], environ={})
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"decisions", "escalation", "prescription", "triage", "versions"}
    by = {(d["date"], d["exercise_id"]): d for d in out["decisions"]}
    up = by[("2025-03-06", "bridge")]
    assert up["action"] == "progress"
    assert up["from"]["reps"] == 10 and up["to"]["reps"] == 12
    assert set(up) >= {"exercise_id", "action", "from", "to", "rules", "reason", "date"}
    assert "P2" in up["rules"] and up["reason"]
    down = by[("2025-03-06", "step-up")]
    assert down["action"] == "regress" and "P4" in down["rules"]
    assert set(out["escalation"]) >= {"level", "rules", "message"}
    assert out["escalation"]["level"] == "none"
    items = {i["id"]: i for i in out["prescription"]}
    assert items["bridge"]["reps"] == 12 and items["bridge"]["status"] == "active"
    assert [v["version"] for v in out["versions"]] == [1, 2, 3]
    # v2 contract (EXAMPLES: Progress JSON): versions carry kind, exercise_id and replaces; the
    # baseline and the whole program as of today, as `kneehab plan --json` serialises it.
    assert [(v["kind"], v["exercise_id"]) for v in out["versions"]] == [
        ("plan", None),
        ("progress", "bridge"),
        ("regress", "step-up"),
    ]
    assert all(
        set(v) == {"version", "date", "kind", "exercise_id", "replaces", "rules", "reason"}
        for v in out["versions"]
    )
    assert out["today"] == "2025-03-06" and out["baseline_pain"] == 3
    assert out["program"]["exercises"] == out["prescription"]
    assert out["program"]["pain_ceiling"] == out["pain_ceiling"]
    assert out["program"]["progression_held"] == out["progression_held"]
    assert set(out["program"]) >= {
        "swaps",
        "later_options",
        "session_cap",
        "profile",
        "baseline_pain",
    }


def test_progress_readable_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress", "--history", str(write(tmp_path, HISTORY))], environ={}) == 0
    out = capsys.readouterr().out
    assert "Decisions" in out and "step up" in out and "step down" in out
    assert "See a professional? none" in out
    # Rule ids apart from the sentences (D-13): a column of their own and "why:" lines.
    assert "why: P2" in out and "Program changes" in out
    assert "Bridge" in out


RESUME: dict[str, Any] = {
    **HISTORY,
    "intake": dict(HISTORY["intake"]),
    "today": "2025-03-12",
    "sessions": [
        {
            "date": "2025-03-03",
            "entries": [{"exercise_id": "bridge", "sets_done": 1, "pain_during_max": 8}],
        }
    ],
    "checkins": [{"date": f"2025-03-{d:02d}", "morning_pain": 2} for d in range(4, 13)],
}


def test_a_resume_in_plain_words_with_the_rule_ids_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EX-19: a P1 stop, a pause one step lower, then back after three usual mornings (C-18
    `resume`, a version of its own)."""
    path = write(tmp_path, RESUME)
    assert main(["progress", "--history", str(path), "--json"], environ={}) == 0
    out = json.loads(capsys.readouterr().out)
    resumes = [d for d in out["decisions"] if d["action"] == "resume"]
    assert [(d["date"], d["exercise_id"]) for d in resumes] == [("2025-03-06", "bridge")]
    assert ("2025-03-06", "resume", "bridge") in {
        (v["date"], v["kind"], v["exercise_id"]) for v in out["versions"]
    }
    assert main(["progress", "--history", str(path)], environ={}) == 0
    text = capsys.readouterr().out
    assert "2025-03-06 back in your session: Bridge:" in text
    assert "why: P10 · P11" in text


def test_withheld_program_exits_0_and_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {**HISTORY, "intake": {**HISTORY["intake"], "red_flags": ["RF03"]}, "sessions": []}
    assert main(["progress", "--history", str(write(tmp_path, data)), "--json"], environ={}) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decisions"] == [] and out["prescription"] == []
    assert out["escalation"]["level"] == "emergency" and "RF03" in out["escalation"]["rules"]


def test_rescreens_in_a_history_act_from_their_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rescreens` (optional): red flags asked again mid-course. RF07 on 6 March stops everything
    from then on and the intake's triage is unchanged. v2: a re-screen dated d is read with the
    check-in of d, before its decisions, so that morning makes no step up; earlier days are kept."""
    data = {**HISTORY, "rescreens": [{"date": "2025-03-06", "red_flags": ["RF07"]}]}
    assert main(["progress", "--history", str(write(tmp_path, data)), "--json"], environ={}) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["triage"]["level"] == "ok"
    assert out["escalation"]["level"] == "urgent" and "E1" in out["escalation"]["rules"]
    assert {i["status"] for i in out["prescription"]} == {"stopped"}
    stops = [d for d in out["decisions"] if d["action"] == "stop" and "E1" in d["rules"]]
    assert stops and {d["date"] for d in stops} == {"2025-03-06"}
    assert all("RF07" in d["rules"] for d in stops)
    assert not [d for d in out["decisions"] if d["action"] == "progress"]
    assert {v["kind"] for v in out["versions"]} == {"plan", "stop"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"today": "2025-02-01"}, "today"),
        ({"rescreens": [{"date": "2025-03-09", "red_flags": ["RF07"]}]}, "after today"),
        ({"rescreens": [{"date": "2025-03-04", "red_flags": ["RF77"]}]}, "rescreens[0].red_flags"),
        ({"checkins": [{"date": "2025-03-04", "morning_pain": 11}]}, "checkins[0].morning_pain"),
        ({"checkins": [{"date": "2025-03-09", "morning_pain": 2}]}, "after today"),
        (
            {
                "sessions": [
                    {
                        "date": "2025-03-04",
                        "entries": [
                            {
                                "exercise_id": "bridge",
                                "sets_done": 2,
                                "pain_during_max": 1,
                                "reps": [10],
                            }
                        ],
                    }
                ]
            },
            "reps",
        ),
        (
            {
                "sessions": [
                    {
                        "date": "2025-03-04",
                        "entries": [
                            {"exercise_id": "moonwalk", "sets_done": 1, "pain_during_max": 1}
                        ],
                    }
                ]
            },
            "sessions[0].entries[0].exercise_id",
        ),
        ({"pain_ceiling": 9}, "pain_ceiling"),
        # C-14: a history whose intake never recorded the screening is invalid, never "no flags".
        ({"intake": {k: v for k, v in HISTORY["intake"].items() if k != "red_flags"}}, "red_flags"),
    ],
)
def test_invalid_history_names_the_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], words: str
) -> None:
    code = main(["progress", "--history", str(write(tmp_path, {**HISTORY, **change}))], environ={})
    assert code == 2
    captured = capsys.readouterr()
    assert words in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_not_json_and_missing_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["progress", "--history", str(write(tmp_path, "{nope"))], environ={}) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["progress", "--history", str(tmp_path / "none.json")], environ={}) == 2
    assert "does not exist" in capsys.readouterr().err
