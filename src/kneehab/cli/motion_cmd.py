"""`kneehab analyze` and `kneehab landmarks`: the camera coach's offline commands."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from kneehab.errors import InvalidInput, NotFound
from kneehab.motion.analyze import Analysis, run_pipeline, video_frames
from kneehab.motion.config import DetectorConfig, Sex, parse_detector
from kneehab.motion.landmark_file import read_landmarks, write_csv, write_jsonl

SideOpt = Literal["left", "right"]
_SHOW_PROGRESS_FRAMES = 150  # videos shorter than ~5 s finish before a bar would help


def _detector(exercise: str) -> DetectorConfig:
    from kneehab.library.load import default_library

    lib = default_library()
    if exercise not in lib.exercises:
        raise NotFound(f"no exercise '{exercise}'. See `kneehab library list` for the ids.")
    table = lib.exercises[exercise].detector
    if table is None:
        have = sorted(k for k, e in lib.exercises.items() if e.detector is not None)
        raise InvalidInput(
            f"exercise '{exercise}' has no camera detector; these have one: {', '.join(have)}"
        )
    return parse_detector(table, where=f"exercises/{exercise}.toml: detector")


def _side(value: str | None) -> SideOpt | None:
    if value is None:
        return None
    if value not in ("left", "right"):
        raise InvalidInput(f"--side: got '{value}'; allowed: left, right")
    return "left" if value == "left" else "right"


def _sex(value: str) -> Sex:
    if value not in ("female", "male", "unspecified"):
        raise InvalidInput(f"--sex: got '{value}'; allowed: female, male, unspecified")
    return "female" if value == "female" else "male" if value == "male" else "unspecified"


def _progress(total: int, label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} frames"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=total < _SHOW_PROGRESS_FRAMES,
    )


def _workers(value: int | None) -> int:
    if value is not None:
        if value < 1:
            raise InvalidInput("--workers must be 1 or more")
        return value
    return max(1, min(2, os.cpu_count() or 1))


def analyze(
    video: Annotated[Path | None, typer.Argument(help="Video file to analyse.")] = None,
    exercise: Annotated[str, typer.Option("--exercise", "-e", help="Exercise id.")] = "",
    landmarks: Annotated[
        Path | None, typer.Option("--landmarks", help="Analyse a saved landmark file instead.")
    ] = None,
    side: Annotated[str | None, typer.Option(help="Working side: left or right.")] = None,
    sex: Annotated[
        str,
        typer.Option(
            help="female, male or unspecified: picks the sex-specific form norms (knee drifting "
            "in: women ≤12°, men ≤9° FPPA). Unspecified uses the women's, more "
            "permissive, norm."
        ),
    ] = "unspecified",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    annotate: Annotated[
        Path | None, typer.Option(help="Also write an annotated copy of the video (.mp4).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Pose worker processes (default 2).")] = None,
) -> None:
    """Count reps, time holds and check form in a recorded video (or saved landmarks)."""
    if not exercise:
        raise InvalidInput("--exercise is required (an exercise id, e.g. bridge)")
    if (video is None) == (landmarks is None):
        raise InvalidInput("give either a VIDEO or --landmarks FILE (not both)")
    if annotate is not None and video is None:
        raise InvalidInput("--annotate needs a VIDEO (landmark files carry no pictures)")
    config, chosen, who = _detector(exercise), _side(side), _sex(sex)
    if landmarks is not None:
        seq = read_landmarks(landmarks)
        result = run_pipeline(
            seq.frames, config, exercise=exercise, source=landmarks.name, fps=seq.fps,
            side=chosen, sex=who,
        )  # fmt: skip
    else:
        assert video is not None
        result = _analyze_video(video, config, exercise, chosen, who, _workers(workers), annotate)
    console = Console(highlight=False, soft_wrap=True)
    if as_json:
        console.out(json.dumps(result.report, indent=2))
    else:
        _print_summary(console, result.report)


def _analyze_video(
    video: Path,
    config: DetectorConfig,
    exercise: str,
    side: SideOpt | None,
    sex: Sex,
    workers: int,
    annotate: Path | None,
) -> Analysis:
    from kneehab.motion import pose

    info = pose.probe(video)
    with _progress(info.frames, f"analysing {video.name}") as bar:
        task = bar.add_task("pose", total=info.frames)
        _, frames = video_frames(video, workers=workers, progress=lambda n: bar.advance(task, n))
    result = run_pipeline(
        frames, config, exercise=exercise, source=video.name, fps=info.fps, side=side, sex=sex,
        keep=annotate is not None,
    )  # fmt: skip
    if annotate is not None:
        _annotate(info, result, annotate, exercise, config.signal)
    return result


def _annotate(info: Any, result: Analysis, out: Path, exercise: str, signal: str) -> None:
    from kneehab.motion import pose

    writer = pose.Annotator(out, info)
    cue, cue_until = None, -1.0
    try:
        with _progress(len(result.frames), f"writing {out.name}") as bar:
            task = bar.add_task("draw", total=len(result.frames))
            for (idx, img), frame, (status, events) in zip(
                pose.decode(info), result.frames, result.statuses, strict=False
            ):
                for e in events:
                    msg = getattr(e, "message", None)
                    if msg:
                        cue, cue_until = msg, frame.t_s + 3.0
                value = "-" if status.value is None else f"{status.value:.0f}"
                lines = [f"{exercise}  reps: {status.reps}", f"{signal}: {value}"]
                if status.holding:
                    lines.append(f"hold: {status.held_s:.1f} s")
                writer.draw(img, frame, lines, cue if frame.t_s <= cue_until else None)
                bar.advance(task, 1)
                del idx
    finally:
        writer.close()


def _print_summary(console: Console, report: dict[str, Any]) -> None:
    console.print(
        f"[bold]{report['exercise']}[/bold] — {report['source']} ({report['duration_s']} s)"
    )
    console.print(report["verdict"])
    if report["reps_by_side"]:
        sides = ", ".join(f"{k}: {v}" for k, v in report["reps_by_side"].items())
        console.print(f"reps by side: {sides}")
    for h in report["holds"]:
        console.print(f"hold {h['start_s']:.1f}–{h['end_s']:.1f} s: held {h['duration_s']:.1f} s")
    if report["per_rep"]:
        table = Table("rep", "side", "start s", "duration s", "range", "peak", "top s", "FPPA")
        for r in report["per_rep"]:
            fppa = r.get("fppa")
            table.add_row(
                str(r["index"]), r["side"] or "-", f"{r['start_s']:.1f}", f"{r['duration_s']:.1f}",
                f"{r['range']:g}", f"{r['peak']:g}", f"{r['top_s']:.1f}",
                "-" if fppa is None else f"{fppa:.0f}°",
            )  # fmt: skip
        console.print(table)
    for w in report["warnings"]:
        console.print(f"{w['t_s']:6.1f} s  {w['kind']}: {w['message']}", markup=False)
    q = report["quality"]
    console.print(
        f"quality: person seen in {q['detected_fraction']:.0%} of frames, view {q['view']} "
        f"(expected {' or '.join(q['expected_views'])}), reliable: {'yes' if q['reliable'] else 'no'}"
    )


def landmarks(
    video: Annotated[Path, typer.Argument(help="Video file.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write (.jsonl or .csv).")
    ],
    workers: Annotated[int | None, typer.Option(help="Pose worker processes (default 2).")] = None,
) -> None:
    """Save the body landmarks of a video, to analyse later without the pose model."""
    from kneehab.motion import pose

    if output.suffix not in (".jsonl", ".csv"):
        raise InvalidInput(f"--output: '{output.name}' must end in .jsonl or .csv")
    info = pose.probe(video)
    with _progress(info.frames, f"reading {video.name}") as bar:
        task = bar.add_task("pose", total=info.frames)
        info, frames = video_frames(
            video, workers=_workers(workers), progress=lambda n: bar.advance(task, n)
        )
    write = write_csv if output.suffix == ".csv" else write_jsonl
    try:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = write(fh, frames, fps=info.fps, width=info.width, height=info.height)
    except OSError as err:
        raise InvalidInput(f"cannot write {output}: {err.strerror}") from None
    Console(stderr=True).print(f"wrote {n} frames to {output}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("analyze")(analyze)
    app.command("landmarks")(landmarks)
