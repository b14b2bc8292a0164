"""Per-signal smoothing: short gap filling, then a short median, then a one-euro filter.

Everything is measured in seconds from the frames' timestamps, never in frame counts, so 15 fps and
60 fps video of the same movement give the same smoothed curve (within sampling).
"""

from __future__ import annotations

import math
from collections import deque


class OneEuro:
    """Casiez et al. 2012: a low-pass filter whose cutoff rises with speed (smooth when still, quick
    when moving)."""

    def __init__(self, min_cutoff_hz: float, beta: float, d_cutoff_hz: float = 1.0) -> None:
        self._min_cutoff = min_cutoff_hz
        self._beta = beta
        self._d_cutoff = d_cutoff_hz
        self._x: float | None = None
        self._dx = 0.0
        self._t = 0.0

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = None
        self._dx = 0.0

    def __call__(self, t: float, x: float) -> float:
        if self._x is None or t <= self._t:
            self._x, self._t = x, t
            return x
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(self._d_cutoff, dt)
        self._dx += a_d * (dx - self._dx)
        a = self._alpha(self._min_cutoff + self._beta * abs(self._dx), dt)
        self._x += a * (x - self._x)
        self._t = t
        return self._x


class SignalSmoother:
    """One signal's chain. `__call__(t, raw)` returns the smoothed value, or None after a long gap.

    The hot path: the one-euro step is inlined (same arithmetic as `OneEuro`, so the same numbers)
    and the median window keeps times and values in two deques.
    """

    __slots__ = (
        "_beta",
        "_euro",
        "_last_out",
        "_last_seen",
        "_max_gap_s",
        "_median_s",
        "_min_cutoff",
        "_tau_d",
        "_ts",
        "_vs",
    )  # fmt: skip

    def __init__(self, *, median_s: float, min_cutoff_hz: float, beta: float, max_gap_s: float):
        self._median_s = median_s
        self._max_gap_s = max_gap_s
        self._ts: deque[float] = deque()
        self._vs: deque[float] = deque()
        self._euro = OneEuro(min_cutoff_hz, beta)  # holds the filter state (x, dx, t)
        self._min_cutoff = min_cutoff_hz
        self._beta = beta
        self._tau_d = 1.0 / (2.0 * math.pi * self._euro._d_cutoff)
        self._last_seen: float | None = None
        self._last_out: float | None = None

    def __call__(self, t: float, raw: float | None) -> float | None:
        if raw is None:
            # A short dropout keeps the last value; a long one forgets it so old data is not trusted.
            if self._last_seen is not None and t - self._last_seen <= self._max_gap_s:
                return self._last_out
            self._ts.clear()
            self._vs.clear()
            self._euro.reset()
            self._last_out = None
            return None
        self._last_seen = t
        ts, vs = self._ts, self._vs
        ts.append(t)
        vs.append(raw)
        lim = t - self._median_s
        while ts[0] < lim:
            ts.popleft()
            vs.popleft()
        n = len(vs)
        if n == 1:
            med = raw
        else:
            vals = sorted(vs)
            med = vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])
        e = self._euro
        x = e._x
        if x is None or t <= e._t:
            e._x, e._t = med, t
            self._last_out = med
            return med
        dt = t - e._t
        a_d = 1.0 / (1.0 + self._tau_d / dt)
        e._dx += a_d * ((med - x) / dt - e._dx)
        tau = 1.0 / (2.0 * math.pi * (self._min_cutoff + self._beta * abs(e._dx)))
        x += (1.0 / (1.0 + tau / dt)) * (med - x)
        e._x, e._t = x, t
        self._last_out = x
        return x


class RollingExtreme:
    """Minimum (or maximum) over a trailing time window, O(1) amortised: the self-calibrated rest."""

    def __init__(self, window_s: float, *, minimum: bool) -> None:
        self._window_s = window_s
        self._sign = 1.0 if minimum else -1.0
        self._q: deque[tuple[float, float]] = deque()

    def push(self, t: float, v: float) -> None:
        key = self._sign * v
        q = self._q
        while q and q[-1][1] >= key:
            q.pop()
        q.append((t, key))
        while q[0][0] < t - self._window_s:
            q.popleft()

    @property
    def value(self) -> float | None:
        return None if not self._q else self._sign * self._q[0][1]
