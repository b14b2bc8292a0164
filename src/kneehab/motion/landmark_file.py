"""Read and write saved landmark sequences, so a recording can be analysed again without the pose model.

Two formats:

- CSV, as in shared/data/exercise_clips/landmarks: a comment line `# ...; fps=30.000; size=640x480`, then a
  header `frame,t_s,detected,nose_x,nose_y,nose_z,nose_vis,...` (33 landmarks in BlazePose order); cells are
  empty where no pose was found.
- kneehab JSON lines (`.jsonl`): a header object `{"format": "kneehab-landmarks", "version": 1, "fps",
  "width", "height"}`, then one object per frame `{"t": seconds, "lm": [[x, y, z, vis] * 33] or null}`.
  This is also the shape the browser coach streams, one frame at a time.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO, Any

import numpy as np

from kneehab.errors import InvalidInput, NotFound
from kneehab.motion.landmarks import N_LANDMARKS, NAMES, LandmarkFrame

FORMAT_ID = "kneehab-landmarks"
# A recording of one exercise lasts minutes; a day is far beyond any real one. Times past it (say
# 1e300, or an epoch time in milliseconds) are a broken file, refused before any analysis runs.
MAX_TIME_S = 24 * 3600.0
_FIELDS = ("x", "y", "z", "vis")
LANDMARK_COLUMNS: tuple[str, ...] = tuple(f"{n}_{f}" for n in NAMES for f in _FIELDS)


@dataclass(frozen=True)
class LandmarkSequence:
    fps: float
    width: int
    height: int
    frames: tuple[LandmarkFrame, ...]

    @property
    def duration_s(self) -> float:
        return self.frames[-1].t_s + 1.0 / self.fps if self.frames else 0.0


def read_landmarks(path: Path | str) -> LandmarkSequence:
    """Read either format (chosen by content, not by name); bad files raise InvalidInput naming the line."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"landmark file not found: {p}")
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            first = fh.readline()
            fh.seek(0)
            if first.lstrip().startswith("{"):
                return _read_jsonl(fh, p.name)
            return _read_csv(fh, p.name)
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{p.name}: not a text landmark file ({err.reason})") from None


def _meta(comment: str, name: str) -> tuple[float, int, int]:
    fps = re.search(r"fps=([0-9.]+)", comment)
    size = re.search(r"size=(\d+)x(\d+)", comment)
    if not comment.startswith("#") or fps is None or size is None:
        raise InvalidInput(f"{name}: line 1 must be a comment with 'fps=N' and 'size=WxH'")
    return float(fps.group(1)), int(size.group(1)), int(size.group(2))


def _read_csv(fh: IO[str], name: str) -> LandmarkSequence:
    fps, width, height = _meta(fh.readline().strip(), name)
    _check_meta(fps, width, height, name)
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"{name}: the column header (line 2) is missing")
    col = {h.strip(): i for i, h in enumerate(header)}
    needed = ("t_s", "detected", *LANDMARK_COLUMNS)
    missing = [c for c in needed if c not in col]
    if missing:
        shown = ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
        raise InvalidInput(f"{name}: {len(missing)} column(s) missing: {shown}")
    t_i, d_i = col["t_s"], col["detected"]
    lm_i = [col[c] for c in LANDMARK_COLUMNS]
    frames: list[LandmarkFrame] = []
    for line_no, row in enumerate(reader, start=3):
        try:
            t = float(row[t_i])
            detected = row[d_i].strip() not in ("", "0", "False", "false")
            pts = None
            if detected:
                pts = np.array([float(row[i]) for i in lm_i], dtype=np.float64).reshape(
                    N_LANDMARKS, 4
                )
        except (ValueError, IndexError):
            raise InvalidInput(
                f"{name}: line {line_no}: a value is missing or not a number"
            ) from None
        frames.append(_frame(t, width, height, pts, name, line_no))
    return _sequence(fps, width, height, frames, name)


def _read_jsonl(fh: IO[str], name: str) -> LandmarkSequence:
    try:
        head = json.loads(fh.readline())
        if not isinstance(head, dict) or head.get("format") != FORMAT_ID:
            raise InvalidInput(f"{name}: line 1 must be a '{FORMAT_ID}' header object")
        fps, width, height = float(head["fps"]), int(head["width"]), int(head["height"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise InvalidInput(f"{name}: line 1 must be a header with fps, width and height") from None
    _check_meta(fps, width, height, name)
    frames: list[LandmarkFrame] = []
    for line_no, line in enumerate(fh, start=2):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            t = float(obj["t"])
            lm = obj["lm"]
            pts = None if lm is None else np.asarray(lm, dtype=np.float64)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InvalidInput(
                f"{name}: line {line_no}: needs 't' and 'lm' (33 × 4 numbers)"
            ) from None
        frames.append(_frame(t, width, height, pts, name, line_no))
    return _sequence(fps, width, height, frames, name)


def _check_meta(fps: float, width: int, height: int, name: str) -> None:
    if not (0 < fps <= 1000 and width > 0 and height > 0):
        raise InvalidInput(
            f"{name}: fps and image size must be positive (got {fps}, {width}x{height})"
        )


def _frame(t: float, w: int, h: int, pts: Any, name: str, line_no: int) -> LandmarkFrame:
    if pts is not None and (pts.shape != (N_LANDMARKS, 4) or not np.isfinite(pts).all()):
        raise InvalidInput(f"{name}: line {line_no}: landmarks must be 33 × 4 finite numbers")
    if not math.isfinite(t):
        raise InvalidInput(f"{name}: line {line_no}: the time is not a number")
    if not 0.0 <= t <= MAX_TIME_S:
        raise InvalidInput(
            f"{name}: line {line_no}: the time {t:g} s is outside a recording; allowed: seconds "
            f"from the start, 0 to {MAX_TIME_S:g} (24 hours), increasing line by line"
        )
    return LandmarkFrame(t_s=t, width=w, height=h, points=pts)


def _sequence(
    fps: float, w: int, h: int, frames: list[LandmarkFrame], name: str
) -> LandmarkSequence:
    if not frames:
        raise InvalidInput(f"{name}: holds no frames")
    for prev, cur in pairwise(frames):
        if cur.t_s <= prev.t_s:
            raise InvalidInput(
                f"{name}: times must increase line by line (t={cur.t_s:g} after t={prev.t_s:g})"
            )
    return LandmarkSequence(fps=fps, width=w, height=h, frames=tuple(frames))


def write_jsonl(
    fh: IO[str], frames: Iterable[LandmarkFrame], *, fps: float, width: int, height: int
) -> int:
    """Write the kneehab format; returns the number of frames written."""
    head = {"format": FORMAT_ID, "version": 1, "fps": fps, "width": width, "height": height}
    fh.write(json.dumps(head) + "\n")
    n = 0
    for f in frames:
        lm = None if f.points is None else np.round(f.points, 6).tolist()
        fh.write(json.dumps({"t": round(f.t_s, 6), "lm": lm}, separators=(",", ":")) + "\n")
        n += 1
    return n


def write_csv(
    fh: IO[str], frames: Iterable[LandmarkFrame], *, fps: float, width: int, height: int
) -> int:
    """Write the shared CSV format (readable by the same tools as the reference landmark files)."""
    fh.write(f"# kneehab landmarks; fps={fps:.3f}; size={width}x{height}\n")
    out = csv.writer(fh, lineterminator="\n")
    out.writerow(["frame", "t_s", "detected", *LANDMARK_COLUMNS])
    n = 0
    for i, f in enumerate(frames):
        cells: Iterator[str]
        if f.points is None:
            cells = iter([""] * len(LANDMARK_COLUMNS))
        else:
            cells = (f"{v:.6f}" for v in f.points.reshape(-1))
        out.writerow([i, f"{f.t_s:.6f}", int(f.points is not None), *cells])
        n += 1
    return n
