"""The streaming pipeline: one landmark frame in, events out.

    frame → signals (angles) → smoothing → rep counters / hold timer → form rules → cue gate → events
                                         ↘ quality monitor ↗

The offline analyser and the browser coach feed frames the same way: `push(frame)` per frame, then
`finish()` once. The pipeline keeps no frames, only the small state each stage needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from kneehab.motion.config import DetectorConfig, FormRule, Sex
from kneehab.motion.events import (
    Event,
    FormWarning,
    QualityWarning,
    RepCompleted,
    Side,
)
from kneehab.motion.hold import HoldTimer
from kneehab.motion.landmarks import N_LANDMARKS, LandmarkFrame, Rows
from kneehab.motion.quality import QualityMonitor
from kneehab.motion.reps import RepCounter, RepResult, Snapshot
from kneehab.motion.signals import SIDES, SignalReader, expand, needed_landmarks
from kneehab.motion.smoothing import SignalSmoother


@dataclass(frozen=True)
class Status:
    """What a live view shows after each frame."""

    t_s: float
    value: float | None
    reps: int
    holding: bool
    held_s: float
    # What the live coach's set-up checks read: the quality problems present at this frame (before any
    # cue is due) and the camera view seen most in the last few seconds.
    problems: frozenset[str] = frozenset()
    view: str | None = None


class Pipeline:
    def __init__(
        self, config: DetectorConfig, *, side: Side | None = None, sex: Sex = "unspecified"
    ) -> None:
        # Sex-specific form norms (e.g. the FPPA cue, RULES §7.3) are resolved here, once.
        config = config.for_sex(sex)
        self.config = config
        self._mode = side or config.side
        self._rising = config.reps.rising if config.reps is not None else True
        self._main = expand(config.signal)
        self._sided = len(self._main) == 2
        names: list[str] = list(self._main)
        self._track = [config.side_signal] if config.side_signal else []
        self._track += [r.at_peak_of for r in config.form if r.at_peak_of]
        if config.metrics and "knee_flexion" not in self._track:
            self._track.append("knee_flexion")
        self._scaled = config.reps is not None and config.reps.scale == "leg"
        self._leg: float | None = None  # slow average of leg length, the unit of scaled thresholds
        extra = [*self._track, *config.metrics, *(r.signal for r in config.form)]
        if self._scaled:
            extra.append("leg_length")
        for base in extra:
            names += [n for n in expand(base) if n not in names]
        sm = config.smoothing
        self._reader = SignalReader(
            names, min_visibility=config.quality.min_visibility, margin=config.quality.margin
        )
        # Signals travel as tuples in `names` order; `_at` maps a name to its place (looked up once).
        self._names = tuple(names)
        self._at = {n: i for i, n in enumerate(names)}
        self._smooth = [
            SignalSmoother(
                median_s=sm.median_s,
                min_cutoff_hz=sm.min_cutoff_hz,
                beta=sm.beta,
                max_gap_s=sm.max_gap_s,
            )
            for _ in names
        ]
        self._main_at = tuple(self._at[n] for n in self._main)
        self._leg_at = self._at.get("leg_length")
        # For each tracked signal: its places and the side each one belongs to.
        self._track_at = [
            (b, [(self._at[n], _side_of(n) if len(expand(b)) == 2 else None) for n in expand(b)])
            for b in self._track
        ]
        lanes: list[Side | None] = (
            ["left", "right"] if self._mode == "each" and self._sided else [None]
        )
        self._counters = (
            {lane: RepCounter(config.reps) for lane in lanes} if config.reps is not None else {}
        )
        sig = config.signal
        self._lanes = [
            (lane, counter, self._at[f"{sig}_{lane}"] if lane else -1)
            for lane, counter in self._counters.items()
        ]
        self._hold = HoldTimer(config.hold) if config.hold is not None else None
        self._hold_rules = [r for r in config.form if r.at == "hold"]
        self._peak_rules = [r for r in config.form if r.at == "peak"]
        self._cooldown = config.cue_cooldown_s
        self._quality = QualityMonitor(config, needed_landmarks(names))
        self._view_now: str | None = None
        self._last_cue = float("-inf")
        self.reps: list[RepCompleted] = []
        self._t = 0.0
        self._value: float | None = None
        self._nothing: Snapshot = (None,) * len(names)

    def __getstate__(self) -> dict[str, object]:
        # A parked live set (web/live_parking.py) keeps the running state, not the signal reader: it
        # holds its signals' functions (closures, which do not pickle). It is rebuilt from the same
        # names and config. No stage keeps a frame's landmarks.
        state = self.__dict__.copy()
        del state["_reader"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        quality = self.config.quality
        self._reader = SignalReader(
            self._names, min_visibility=quality.min_visibility, margin=quality.margin
        )

    @property
    def status(self) -> Status:
        """What a live view shows after the last frame (built on demand, not per frame)."""
        hold = self._hold
        holding = hold is not None and hold.holding
        held = hold.held_s if hold is not None and holding else 0.0
        q = self._quality
        return Status(
            self._t, self._value, len(self.reps), holding, held, q.current_problems, q.current_view
        )

    # -- the hot path -------------------------------------------------------------------------
    def push(self, frame: LandmarkFrame) -> list[Event]:
        """One frame in, the events it causes out."""
        rows = None if frame.points is None else frame.points.tolist()
        return self.push_rows(frame.t_s, frame.width, frame.height, rows, frame.people)

    def push_rows(
        self, t: float, width: int, height: int, rows: Rows | None, people: int | None = None
    ) -> list[Event]:
        """`push` of a frame whose landmarks are plain rows, as the live coach's frames arrive
        (web/live.py): 33 rows of finite x, y, z, visibility, or None when nobody was detected, checked
        by the caller. The same numbers give the same events as `push` of a `LandmarkFrame`, without
        a numpy array made and turned back into lists every frame."""
        if rows is not None and len(rows) != N_LANDMARKS:
            raise ValueError(f"a frame has 33 landmarks, got {len(rows)}")
        raw, pix = self._reader.read(rows, width, height)
        sm: Snapshot = tuple([f(t, r) for f, r in zip(self._smooth, raw, strict=True)])
        value, side = self._combine(sm)
        track = {b: _peak(sm, places) for b, places in self._track_at}
        events: list[Event] = []
        scale = self._scale(t, sm) if self._scaled else 1.0
        hold = self._hold
        in_band = hold.in_band(value) if hold is not None else False
        for lane, counter, at in self._lanes:
            if lane:
                v: float | None = sm[at]
                s: Side | None = lane
                band = hold.in_band(v) if hold is not None else False
            else:
                v, s, band = value, side, in_band
            rep = counter.push(t, v, s, in_band=band, track=track, snapshot=sm, scale=scale)
            if rep is not None:
                events += self._on_rep(rep)
        if hold is not None:
            events += hold.push(t, value)
            if hold.holding and self._hold_rules:
                events += self._form(t, self._hold_rules, sm, side)
        moving = in_band or any(c.in_rep for c in self._counters.values())
        usable = any(raw[i] is not None for i in self._main_at)
        q = self._quality.push(t, people, rows or (), pix, usable, moving)
        for w in q:
            events += self._gate(w)
        self._view_now = self._quality.current_view
        self._t, self._value = t, value
        return events

    def finish(self) -> list[Event]:
        """End of the recording or session: close an open hold (an unfinished rep does not count)."""
        return self._hold.finish() if self._hold is not None else []

    def quality_summary(self) -> dict[str, object]:
        return self._quality.summary(len(self.reps))

    # -- stages -----------------------------------------------------------------------------------
    def _combine(self, sm: Snapshot) -> tuple[float | None, Side | None]:
        """The rep/hold signal for this frame and the side it came from."""
        if not self._sided:
            return sm[self._main_at[0]], None
        left, right = sm[self._main_at[0]], sm[self._main_at[1]]
        mode = self._mode
        if mode in ("left", "right"):
            return (left, "left") if mode == "left" else (right, "right")
        if left is None or right is None:
            return (left, "left") if right is None else (right, "right")
        if mode == "mean":
            return (left + right) / 2.0, None
        pick_left = left >= right if self._rising else left <= right
        return (left, "left") if pick_left else (right, "right")

    def _scale(self, t: float, sm: Snapshot) -> float:
        """Leg length averaged over ~2 s: steady enough that its jitter does not move thresholds."""
        leg = sm[self._leg_at] if self._leg_at is not None else None
        if leg is not None:
            dt = t - self._t if self._leg is not None else 0.0
            a = min(1.0, max(dt, 0.0) / 2.0)
            self._leg = leg if self._leg is None else self._leg + a * (leg - self._leg)
        return self._leg if self._leg is not None else float("nan")

    def _get(self, snap: Snapshot, name: str) -> float | None:
        i = self._at.get(name)
        return None if i is None else snap[i]

    def _on_rep(self, rep: RepResult) -> list[Event]:
        cfg = self.config
        side = rep.side
        if cfg.side_signal and cfg.side_signal in rep.peaks:
            side = rep.peaks[cfg.side_signal][1]
        # A side is reported only where the exercise is done one side at a time.
        sided = self._mode in ("each", "left", "right") or cfg.side_signal is not None
        shown: Side | None = side if sided else None
        if cfg.report_side == "other" and shown is not None:
            shown = "left" if side == "right" else "right"
        metrics: dict[str, float] = {}
        at_knee = rep.peaks.get("knee_flexion")
        if at_knee is not None:
            snap = at_knee[2]
            metrics["peak_knee_flexion"] = round(at_knee[0], 1)
            for m in cfg.metrics:
                if m == "fppa" and self._view_now != "front":
                    continue  # FPPA is a frontal-plane measure (RULES §7.1): meaningless side-on
                names = (f"{m}_{side}",) if sided and side is not None else expand(m)
                for n in names:
                    v = self._get(snap, n)
                    if v is not None:
                        metrics[m if len(names) == 1 else n] = round(v, 1)
        ev = RepCompleted(
            t_s=rep.end_s,
            index=len(self.reps) + 1,
            side=shown,
            start_s=round(rep.start_s, 3),
            duration_s=round(rep.end_s - rep.start_s, 3),
            range_deg=round(rep.range, 1),
            peak=round(rep.peak, 1),
            top_s=round(rep.top_s, 3),
            metrics=metrics,
        )
        self.reps.append(ev)
        out: list[Event] = [ev]
        for rule in self._peak_rules:
            key = rule.at_peak_of or "__rep__"
            found = rep.peaks.get(key, rep.peaks.get("__rep__"))
            snap = found[2] if found is not None else self._nothing
            out += self._form(rep.end_s, [rule], snap, side)
        return out

    def _form(
        self, t: float, rules: list[FormRule], sm: Snapshot, side: Side | None
    ) -> list[Event]:
        out: list[Event] = []
        for rule in rules:
            if self._view_now not in rule.views:
                continue
            if rule.side == "rep" and side is not None:
                names = [f"{rule.signal}_{side}"]
            else:
                names = list(expand(rule.signal))
            vals = [(v, n) for n in names if (v := self._get(sm, n)) is not None]
            if not vals:
                continue
            worst = max(vals) if rule.above is not None else min(vals)
            bad = (rule.above is not None and worst[0] > rule.above) or (
                rule.below is not None and worst[0] < rule.below
            )
            if bad:
                n = worst[1]
                s: Side | None = _side_of(n) if n.endswith(SIDES) else None
                w = FormWarning(
                    t_s=t, code=rule.id, message=rule.message, value=round(worst[0], 1),
                    side=s, rules=rule.rules,
                )  # fmt: skip
                out += self._gate(w)
        return out

    def _gate(self, cue: FormWarning | QualityWarning) -> list[Event]:
        """One cue at a time: nothing new until the cooldown since the last cue has passed."""
        if cue.t_s - self._last_cue < self._cooldown:
            return []
        self._last_cue = cue.t_s
        return [cue]


def _side_of(name: str) -> Side:
    return "left" if name.endswith("_left") else "right"


def _peak(sm: Snapshot, places: list[tuple[int, Side | None]]) -> tuple[float, Side | None]:
    """The largest of a signal's per-side values this frame, and its side."""
    best: tuple[float, Side | None] = (float("-inf"), None)
    for i, s in places:
        v = sm[i]
        if v is not None and v > best[0]:
            best = (v, s)
    return best
