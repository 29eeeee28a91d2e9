"""``shock``: a move of ``drop`` (a decimal, e.g. -0.107) at one bar, as a wick or a gap.

Factors on the window's prices (traded, mark, index): from the shock bar t0 the close factor is
1 + level(t), level ramping linearly to ``drop`` over ``ramp_bars`` bars, then recovering with
half-life ``half_life_h``. ``kind="wick"``: the trough is the low of the last ramp bar (its low
times 1 + drop) and the close keeps only ``close_share`` of the move (Oct 10 21:00: low -10.7 %
against the open, close -0.7 %, a share of 0.065), so stops and liquidations fire on the wick.
``kind="gap"``: the close takes the whole move, so fills happen at the gapped price.
``at``: bar index of t0 in the window; None draws t0 uniformly per path ("a shock at a random hour").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.stress.paths import scaled

OCT10_CLOSE_SHARE = 0.007 / 0.107


@dataclass(frozen=True)
class Shock:
    drop: float = -0.107
    at: int | None = None
    kind: str = "wick"
    ramp_bars: int = 1
    half_life_h: float = 24.0
    close_share: float = OCT10_CLOSE_SHARE

    def __post_init__(self):
        if not (-0.99 <= self.drop <= 0.0):
            raise UserError(f"shock drop {self.drop!r} must be a decimal in [-0.99, 0] (e.g. -0.107)")
        if self.kind not in ("wick", "gap"):
            raise UserError(f"shock kind must be wick or gap, got {self.kind!r}")
        if self.ramp_bars < 1 or self.half_life_h <= 0:
            raise UserError("shock ramp_bars must be >= 1 and half_life_h > 0")

    def factors(self, n: int, t0: int, bar_seconds: int):
        """(open, high, low, close) factors for a window of n bars with the shock starting at bar t0."""
        if not 0 <= t0 < n:
            raise UserError(f"shock bar {t0} is outside the window of {n} bars")
        level = np.zeros(n)
        t1 = min(t0 + self.ramp_bars - 1, n - 1)
        ramp = np.arange(t0, t1 + 1)
        level[ramp] = self.drop * (ramp - t0 + 1) / self.ramp_bars
        keep = 0.5 ** (bar_seconds / 3600.0 / self.half_life_h)
        at_close = self.drop * (self.close_share if self.kind == "wick" else 1.0)
        after = np.arange(t1, n)
        level[after] = at_close * keep ** (after - t1)
        m_close = 1.0 + level
        m_open = np.concatenate([[1.0], m_close[:-1]])
        m_low = np.minimum(m_open, m_close)
        m_low[t1] = 1.0 + self.drop
        m_high = np.maximum(m_open, m_close)
        return m_open, m_high, m_low, m_close

    def path(self, window, rng):
        n = len(window.close)
        t0 = self.at if self.at is not None else int(rng.integers(0, n))
        return scaled(window, *self.factors(n, t0, int(window.bar_seconds)))
