"""What the motion core says. Counters emit events; the UI (CLI report, browser coach) decides what to
show, say or play. Every event is a frozen value with a `to_dict()` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Side = Literal["left", "right"]


@dataclass(frozen=True)
class Event:
    t_s: float

    @property
    def kind(self) -> str:
        return _KINDS[type(self)]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class RepCompleted(Event):
    index: int  # 1-based, over the whole session
    side: Side | None
    start_s: float
    duration_s: float
    range_deg: float  # how far the rep signal travelled (its unit when not an angle)
    peak: float  # the rep signal at its extreme
    top_s: float = 0.0  # time spent in the hold band during this rep (0 without a hold band)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldStarted(Event):
    start_s: float


@dataclass(frozen=True)
class HoldTick(Event):
    held_s: float


@dataclass(frozen=True)
class HoldEnded(Event):
    start_s: float
    end_s: float
    duration_s: float  # time actually held (gaps bridged but not counted)


@dataclass(frozen=True)
class FormWarning(Event):
    code: str
    message: str
    value: float
    side: Side | None = None
    rules: tuple[str, ...] = ()


QualityCode = Literal[
    "no_person",
    "out_of_frame",
    "low_confidence",
    "wrong_view",
    "multiple_people",
    "no_movement",
]


@dataclass(frozen=True)
class QualityWarning(Event):
    code: QualityCode
    message: str


_KINDS: dict[type, str] = {
    RepCompleted: "rep",
    HoldStarted: "hold_started",
    HoldTick: "hold_tick",
    HoldEnded: "hold_ended",
    FormWarning: "form",
    QualityWarning: "quality",
}
