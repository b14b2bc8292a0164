"""The real pose model on a real (shared) clip, and the video commands end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kneehab.cli.main import main

pytest.importorskip("mediapipe")
pytest.importorskip("cv2")
pytestmark = pytest.mark.vision

CLIPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "exercise_clips"
BRIDGE = CLIPS / "physioplus_bridge_hold_side.mp4"
needs_clip = pytest.mark.skipif(not BRIDGE.is_file(), reason="shared clips not present")


@needs_clip
def test_bridge_video_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "annotated.mp4"
    argv = [
        "analyze",
        str(BRIDGE),
        "-e",
        "bridge",
        "--json",
        "--annotate",
        str(out),
        "--workers",
        "1",
    ]
    assert main(argv, {}) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["reps"] == 1
    assert report["holds"][0]["duration_s"] == pytest.approx(1.6, abs=0.5)
    assert out.stat().st_size > 10_000
    assert "W0000" not in captured.err and "XNNPACK" not in captured.err


@needs_clip
def test_landmarks_command_writes_a_file_analyze_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "bridge.jsonl"
    assert main(["landmarks", str(BRIDGE), "-o", str(saved), "--workers", "1"], {}) == 0
    assert "wrote 91 frames" in capsys.readouterr().err
    assert main(["analyze", "--landmarks", str(saved), "-e", "bridge", "--json"], {}) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == 1


def test_corrupt_video_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    assert main(["analyze", str(bad), "-e", "bridge"], {}) == 2
    err = capsys.readouterr().err
    assert "cannot read this video" in err and "Traceback" not in err


@needs_clip
def test_two_workers_give_the_same_count_as_one(tmp_path: Path) -> None:
    # The 3 s clip three times over (9 s): long enough for two segments, cut mid-way through the
    # second bridge, so the rep at the boundary must be counted once, as by a single process.
    from kneehab.library.load import default_library
    from kneehab.motion import pose
    from kneehab.motion.analyze import plan_segments, run_pipeline, video_frames
    from kneehab.motion.config import parse_detector

    cv2, _ = pose.modules()
    info = pose.probe(BRIDGE)
    images = [img for _, img in pose.decode(info)]
    video = tmp_path / "bridge3.mp4"
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height)
    )
    for img in images * 3:
        writer.write(img)
    writer.release()
    assert len(plan_segments(pose.probe(video).frames, info.fps, 2)) == 2

    config = parse_detector(default_library().exercises["bridge"].detector or {})
    reports = []
    for workers in (1, 2):
        vinfo, frames = video_frames(video, workers=workers)
        assert len(frames) == vinfo.frames == 3 * len(images)
        reports.append(
            run_pipeline(frames, config, exercise="bridge", source="b", fps=vinfo.fps).report
        )
    one, two = reports
    assert one["reps"] == two["reps"] == 3
    assert len(one["holds"]) == len(two["holds"]) == 3
