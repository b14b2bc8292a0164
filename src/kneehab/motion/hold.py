"""Hold timing: time counts only while the signal is inside the hold band.

A short excursion (≤ `max_gap_s`, e.g. a wobble or a dropped frame) does not end the hold, but its time
is not counted either. A hold is reported once it has lasted `min_s`, then ticks every `tick_s`, and
ends when the person has left the band for longer than the allowed gap (or the recording ends).
"""

from __future__ import annotations

import math

from kneehab.motion.config import Hold
from kneehab.motion.events import Event, HoldEnded, HoldStarted, HoldTick


class HoldTimer:
    def __init__(self, spec: Hold) -> None:
        self.spec = spec
        self._start: float | None = None  # first in-band time of the current hold
        self._last_in: float = 0.0  # last in-band time
        self._held = 0.0
        self._prev_in = False
        self._prev_t: float | None = None
        self._announced = False
        self._next_tick = 0.0
        self._tick_n = 1  # the number of the next tick (the next_tick is tick_n × tick_s)

    @property
    def holding(self) -> bool:
        return self._announced

    @property
    def held_s(self) -> float:
        return self._held

    def in_band(self, value: float | None) -> bool:
        return value is not None and self.spec.band[0] <= value <= self.spec.band[1]

    def push(self, t: float, value: float | None) -> list[Event]:
        out: list[Event] = []
        inside = self.in_band(value)
        if inside:
            if self._start is None:
                self._start, self._held = t, 0.0
                self._announced, self._tick_n = False, 1
                self._next_tick = self.spec.tick_s
            elif self._prev_in and self._prev_t is not None:
                self._held += t - self._prev_t
            self._last_in = t
            if not self._announced and self._held >= self.spec.min_s:
                self._announced = True
                out.append(HoldStarted(t_s=t, start_s=self._start))
            if self._announced and self._held >= self._next_tick:
                # One tick per frame at most, for the latest whole tick reached: a gap between two
                # frames (a dropped stretch of video, or absurd timestamps) costs O(1), never one
                # event per tick_s of the gap.
                passed = max(self._tick_n, math.floor(self._held / self.spec.tick_s))
                out.append(HoldTick(t_s=t, held_s=round(passed * self.spec.tick_s, 3)))
                self._tick_n = passed + 1
                self._next_tick = self._tick_n * self.spec.tick_s
        elif self._start is not None and t - self._last_in > self.spec.max_gap_s:
            out.extend(self._end())
        self._prev_in, self._prev_t = inside, t
        return out

    def finish(self) -> list[Event]:
        return self._end() if self._start is not None else []

    def _end(self) -> list[Event]:
        start, announced = self._start, self._announced
        self._start, self._announced = None, False
        if start is None or not announced:
            return []
        return [
            HoldEnded(t_s=self._last_in, start_s=start, end_s=self._last_in, duration_s=self._held)
        ]
