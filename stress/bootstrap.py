"""``bootstrap``: stationary block bootstrap (Politis-Romano) of the calibration data.

Block starts are uniform, block lengths geometric with mean ``block`` bars, wrapping around
(``arch.bootstrap.StationaryBootstrap``). Returns, wicks, basis, funding level and IV changes are
drawn on the SAME indices, so they stay aligned. The mean block length defaults to Politis-White
(``arch.bootstrap.optimal_block_length``) on absolute returns, which keeps volatility clustering
(82 h on Binance BTCUSDT hourly, Sep 1 - Dec 15 2025).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.stress.history import History
from hedgelab.stress.paths import IV_CAP, IV_FLOOR, carried_iv, from_returns


def block_length(history: History) -> float:
    from arch.bootstrap import optimal_block_length
    return float(optimal_block_length(np.abs(history.log_ret[1:]))["stationary"].iloc[0])


@dataclass(frozen=True)
class Bootstrap:
    history: History
    block: float

    @classmethod
    def fit(cls, history: History, block: float | None = None) -> "Bootstrap":
        return cls(history, float(block) if block else block_length(history))

    def indices(self, n: int, rng) -> np.ndarray:
        from arch.bootstrap import StationaryBootstrap
        src = np.arange(1, len(self.history.log_ret))  # bar 0 has no return
        out = []
        while sum(map(len, out)) < n:
            bs = StationaryBootstrap(max(self.block, 1.0), src, seed=rng)
            out.append(src[bs.update_indices()])
        return np.concatenate(out)[:n]

    def path(self, window, rng):
        return self.path_at(window, self.indices(len(window.close), rng))

    def path_at(self, window, idx):
        """The path whose bar i is history bar ``idx[i]`` (a basket draws ``idx`` once for every coin)."""
        h = self.history
        iv = np.clip(carried_iv(window)[0] + np.cumsum(h.iv_change[idx]), IV_FLOOR, IV_CAP)
        settle = np.isfinite(np.asarray(window.funding_rate))
        funding = np.where(settle, h.funding_level[idx], np.nan)
        return from_returns(window, h.log_ret[idx], h.wick_down[idx], h.wick_up[idx], src=idx, history=h,
                            iv=iv, funding_rate=funding)
