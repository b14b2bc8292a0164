"""Turn a session's events into the analysis report (one view-model for the JSON and the text summary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from kneehab.motion.events import (
    Event,
    FormWarning,
    HoldEnded,
    QualityWarning,
    RepCompleted,
)


def build_report(
    *,
    exercise: str,
    source: str,
    duration_s: float,
    fps: float,
    events: Sequence[Event],
    quality: dict[str, Any],
) -> dict[str, Any]:
    reps = [e for e in events if isinstance(e, RepCompleted)]
    by_side = Counter(r.side for r in reps if r.side is not None)
    holds = [
        {
            "start_s": round(h.start_s, 2),
            "end_s": round(h.end_s, 2),
            "duration_s": round(h.duration_s, 2),
        }
        for h in events
        if isinstance(h, HoldEnded)
    ]
    warnings: list[dict[str, Any]] = []
    for e in events:
        if isinstance(e, FormWarning | QualityWarning):
            d = e.to_dict()
            d["t_s"] = round(e.t_s, 2)
            d.pop("rules", None) if isinstance(e, QualityWarning) else None
            warnings.append(d)
    per_rep = [
        {
            "index": r.index,
            "side": r.side,
            "start_s": round(r.start_s, 2),
            "end_s": round(r.t_s, 2),
            "duration_s": round(r.duration_s, 2),
            "range": r.range_deg,
            "peak": r.peak,
            "top_s": round(r.top_s, 2),
            **r.metrics,
        }
        for r in reps
    ]
    return {
        "exercise": exercise,
        "source": source,
        "duration_s": round(duration_s, 2),
        "fps": round(fps, 3),
        "reps": len(reps),
        "reps_by_side": {s: by_side[s] for s in ("left", "right") if by_side[s]},
        "holds": holds,
        "per_rep": per_rep,
        "warnings": warnings,
        "quality": quality,
        "verdict": verdict(len(reps), holds, quality),
    }


def verdict(reps: int, holds: list[dict[str, Any]], quality: dict[str, Any]) -> str:
    """One honest sentence: a count, or why the count cannot be trusted."""
    problems: list[str] = quality.get("problems", [])
    if not quality.get("reliable", True):
        if "multiple_people" in problems:
            why = "more than one person may be in view, so I cannot see you clearly"
        elif "wrong_view" in problems:
            why = "the camera sees you from the wrong side for this exercise"
        elif "no_movement" in problems:
            why = "I never saw the exercise; I may have been watching someone else"
        elif quality.get("detected_fraction", 1) < 0.8:
            why = "I could not see a person for much of the video"
        else:
            why = "the joints I need were often out of the picture or unclear"
        return f"Count not reliable ({reps} seen): {why}."
    parts = [f"{reps} rep{'s' if reps != 1 else ''}"]
    if holds:
        total = sum(h["duration_s"] for h in holds)
        parts.append(f"{len(holds)} hold{'s' if len(holds) != 1 else ''} ({total:.1f} s held)")
    return ", ".join(parts) + "."
