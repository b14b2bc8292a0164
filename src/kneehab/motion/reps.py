"""Rep counting: a two-threshold state machine (hysteresis) on one smoothed signal.

idle --(crosses `enter`, not within the refractory time)--> in rep --(back past `exit`)--> idle
A rep counts when it lasted at least `min_duration_s`. With `reference = "rest"` both thresholds are
offsets from a rest level re-estimated, only while idle, as the extreme of the last few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kneehab.motion.config import Reps
from kneehab.motion.events import Side
from kneehab.motion.smoothing import RollingExtreme

# Every smoothed signal at one moment, in the pipeline's signal order (immutable, so kept as is).
Snapshot = tuple[float | None, ...]


@dataclass
class RepResult:
    start_s: float
    end_s: float
    peak: float
    side: Side | None
    range: float
    top_s: float
    # For each tracked signal: (its peak value, the side it peaked on, every signal at that moment).
    peaks: dict[str, tuple[float, Side | None, Snapshot]] = field(default_factory=dict)


class RepCounter:
    def __init__(self, spec: Reps) -> None:
        self.spec = spec
        self._sign = 1.0 if spec.rising else -1.0
        self._rest = RollingExtreme(spec.rest_window_s, minimum=spec.rising)
        self._active: RepResult | None = None
        self._idle_low: float | None = (
            None  # the value nearest rest since the last rep, for its range
        )
        self._low = 0.0
        self._last_rest_t: float | None = None
        self._last_end = float("-inf")
        self._prev_t: float | None = None
        self._frozen_rest: float | None = None

    @property
    def in_rep(self) -> bool:
        return self._active is not None

    def thresholds(self, scale: float = 1.0) -> tuple[float, float] | None:
        """(enter, exit) in signal units, or None before a rest level exists."""
        enter, exit_ = self.spec.enter * scale, self.spec.exit * scale
        if self.spec.reference == "absolute":
            return enter, exit_
        rest = self._frozen_rest if self._active is not None else self._rest.value
        if rest is None:
            return None
        return rest + enter, rest + exit_

    def push(
        self,
        t: float,
        value: float | None,
        side: Side | None,
        *,
        in_band: bool = False,
        track: dict[str, tuple[float, Side | None]] | None = None,
        snapshot: Snapshot | None = None,
        scale: float = 1.0,
    ) -> RepResult | None:
        dt = 0.0 if self._prev_t is None else t - self._prev_t
        self._prev_t = t
        if value is None:
            return None
        s = self._sign
        if self._active is None and self.spec.reference == "rest":
            self._rest.push(t, value)
        th = self.thresholds(scale)
        if th is None:
            return None
        enter, exit_ = th
        rep = self._active
        if rep is None:
            if self._idle_low is None or s * (value - self._idle_low) < 0:
                self._idle_low = value
            if s * (value - exit_) <= 0:
                self._last_rest_t = t
            if s * (value - enter) >= 0 and t - self._last_end >= self.spec.refractory_s:
                start = self._last_rest_t if self._last_rest_t is not None else t
                self._active = RepResult(start, t, value, side, 0.0, 0.0)
                self._frozen_rest = self._rest.value
                self._low = self._idle_low if self._idle_low is not None else value
                self._track(track, snapshot, value, side)
            return None
        if in_band:
            rep.top_s += dt
        if s * (value - rep.peak) > 0:
            rep.peak, rep.side = value, side
        self._track(track, snapshot, value, side)
        if s * (value - exit_) > 0:
            return None
        self._active = None
        self._last_rest_t = t
        self._idle_low = value
        if t - rep.start_s < self.spec.min_duration_s:
            return None
        self._last_end = t
        rep.end_s = t
        rep.range = abs(rep.peak - self._low)
        return rep

    def _track(
        self,
        track: dict[str, tuple[float, Side | None]] | None,
        snapshot: Snapshot | None,
        value: float,
        side: Side | None,
    ) -> None:
        rep = self._active
        if rep is None or snapshot is None:
            return
        cur = rep.peaks.get("__rep__")
        if cur is None or self._sign * (value - cur[0]) > 0:
            rep.peaks["__rep__"] = (value, side, snapshot)
        for name, (v, sd) in (track or {}).items():
            cur = rep.peaks.get(name)
            if cur is None or v > cur[0]:
                rep.peaks[name] = (v, sd, snapshot)
