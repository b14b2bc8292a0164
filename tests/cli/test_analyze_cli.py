"""`kneehab analyze --landmarks` end to end through main(argv, environ): output, JSON shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kneehab.cli.main import main

CLIPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "exercise_clips"
BRIDGE = CLIPS / "landmarks" / "physioplus_bridge_hold_side.landmarks.csv"
needs_clips = pytest.mark.skipif(not BRIDGE.is_file(), reason="shared clips not present")


@needs_clips
def test_json_report_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--landmarks", str(BRIDGE), "--exercise", "bridge", "--json"], {}) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("exercise", "reps", "reps_by_side", "holds", "per_rep", "warnings", "quality"):
        assert key in report
    assert report["reps"] == 1
    assert set(report["holds"][0]) == {"start_s", "end_s", "duration_s"}


@needs_clips
def test_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--landmarks", str(BRIDGE), "-e", "bridge"], {}) == 0
    out = capsys.readouterr().out
    assert "1 rep, 1 hold" in out and "reliable: yes" in out


def test_own_jsonl_format_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kneehab.motion import synthetic as sy
    from kneehab.motion.landmark_file import write_jsonl

    path = tmp_path / "squat.jsonl"
    with path.open("w") as fh:
        write_jsonl(
            fh, sy.sample(sy.squat_front(), duration_s=10.5, fps=30), fps=30, width=640, height=480
        )
    assert main(["analyze", "--landmarks", str(path), "-e", "squat", "--json"], {}) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--landmarks", "missing.csv", "-e", "bridge"], "not found"),
        (["--landmarks", "{bad}", "-e", "plank"], "has no camera detector"),
        (["--landmarks", "{bad}", "-e", "no-such"], "no exercise 'no-such'"),
        (["--landmarks", "{bad}", "-e", "bridge"], "column(s) missing"),
        (["--landmarks", "{bad}", "-e", "bridge", "--side", "middle"], "--side"),
        (["-e", "bridge"], "give either a VIDEO or --landmarks"),
        (
            ["--landmarks", "{bad}", "-e", "bridge", "--annotate", "x.mp4"],
            "--annotate needs a VIDEO",
        ),
    ],
)
def test_user_mistakes_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("# fps=30; size=640x480\nframe,t_s,detected,nose_x\n0,0.0,1,0.5\n")
    argv = ["analyze", *(a.replace("{bad}", str(bad)) for a in args)]
    assert main(argv, {}) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("sex", "cued"), [("male", True), ("female", False), (None, False)])
def test_sex_picks_the_fppa_norm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sex: str | None, cued: bool
) -> None:
    from kneehab.motion import synthetic as sy
    from kneehab.motion.landmark_file import write_jsonl

    path = tmp_path / "step.jsonl"
    frames = sy.sample(sy.step_up_front(valgus_deg=10.5), duration_s=12.6, fps=30)
    with path.open("w") as fh:
        write_jsonl(fh, frames, fps=30, width=640, height=480)
    argv = ["analyze", "--landmarks", str(path), "-e", "step-up", "--json"]
    assert main([*argv, *(["--sex", sex] if sex else [])], {}) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["reps"] == 4
    assert any(w.get("code") == "knee_valgus" for w in report["warnings"]) is cued


def test_unknown_sex_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--landmarks", "x.csv", "-e", "step-up", "--sex", "other"], {}) == 2
    err = capsys.readouterr().err
    assert "--sex" in err and "Traceback" not in err


@pytest.mark.vision
def test_video_with_nobody_in_it_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("mediapipe")
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    video = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (320, 240))
    assert writer.isOpened()
    frame = np.full((240, 320, 3), 180, dtype=np.uint8)
    frame[150:, :] = (90, 110, 130)  # a floor, so it is not a single flat colour
    for _ in range(60):  # 2 s
        writer.write(frame)
    writer.release()
    assert main(["analyze", str(video), "-e", "squat", "--workers", "1"], {}) == 2
    err = capsys.readouterr().err
    assert "no person was visible in any frame" in err
    assert "Film the whole body" in err
    assert "Traceback" not in err
