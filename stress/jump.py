"""``jump``: Merton jump-diffusion, calibrated by threshold detection on the calibration data.

Bars whose |log return| exceeds ``THRESHOLD`` standard deviations are jumps: their rate per year is
lambda, their mean and sd are mu_J and sigma_J (normal jump sizes); the other bars give the
diffusion sigma. (Binance BTCUSDT hourly, Sep 1 - Dec 15 2025: about 65 such hours a year at 4 sd,
mean -0.8 %, sd 2.3 %; hourly closes understate jumps, whose size shows in the wicks.)
Per bar: r = -lambda k dt + sigma_d Z + sum_{j <= N} Y_j, N ~ Poisson(lambda dt), Y ~ N(mu_J, sigma_J^2),
k = exp(mu_J + sigma_J^2 / 2) - 1 (compensated). Wicks come from a random calibration bar; a
downward jump also pierces the bar's low by U(0, 1) times its own size (the Oct 10 hour reached
-10.7 % below its open and closed -0.7 %).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.stress.history import History
from hedgelab.stress.paths import from_returns

THRESHOLD = 4.0
YEAR_S = 365 * 86400.0


@dataclass(frozen=True)
class Jump:
    history: History
    sigma: float      # diffusion sd per bar
    lam: float        # jumps per bar
    mu_j: float
    sigma_j: float

    @classmethod
    def fit(cls, history: History) -> "Jump":
        r = history.log_ret[1:]
        big = np.abs(r - r.mean()) > THRESHOLD * r.std()
        if big.sum() < 2:
            raise UserError(f"jump: fewer than 2 hourly moves beyond {THRESHOLD:g} sd in the calibration data")
        return cls(history, float(r[~big].std()), float(big.mean()), float(r[big].mean()), float(r[big].std()))

    @property
    def per_year(self) -> float:
        return self.lam * YEAR_S / self.history.bar_seconds

    def path(self, window, rng):
        n = len(window.close)
        k = np.exp(self.mu_j + self.sigma_j ** 2 / 2) - 1
        count = rng.poisson(self.lam, size=n)
        jumps = np.array([rng.normal(self.mu_j, self.sigma_j, c).sum() if c else 0.0 for c in count])
        r = -self.lam * k + self.sigma * rng.standard_normal(n) + jumps
        h = self.history
        j = rng.integers(1, len(h.log_ret), size=n)
        pierce = np.where(jumps < 0, -jumps * rng.random(n), 0.0)
        return from_returns(window, r, h.wick_down[j] + pierce, h.wick_up[j])
