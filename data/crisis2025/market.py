"""Perp premium, funding, traded and mark prices, and volume around the index path.

Premium model: the perp trades at index x (1 + p), where p is an hourly AR(1) premium whose mean
changes by funding regime. Binance settles F = P + clamp(0.01% - P, -0.05%, +0.05%) with P the
premium averaged over the 8 hours before the settlement, so a premium between -0.04% and +0.06%
prints exactly the +0.0100% baseline, and a deeper discount prints below it. Each regime's mean
premium is solved (bisection) so that its mean settled rate equals the published regime mean.
The mark is index x (1 + smoothed premium): Binance's mark uses a moving average of the basis,
so it moves less than the last traded price in a cascade.
"""
import numpy as np
import pandas as pd

from .anchors import CALIBRATION
from .grid import FUNDING_HOURS, N_BARS, hour, week_of_bar

BASE_RATE = 0.0001   # Binance interest-rate term per 8h
CLAMP = 0.0005
# regime: first settlement (inclusive), target mean rate (fact), std of the 8h-mean premium
REGIMES = [
    ("2025-09-01 00:00", 0.000043, 0.00004),
    ("2025-10-01 00:00", 0.000070, 0.00003),
    ("2025-10-11 00:00", 0.000002, 0.00004),
    ("2025-10-26 00:00", 0.000061, 0.000035),
    ("2025-11-21 00:00", 0.000021, 0.00005),
]
MIN_AT = "2025-10-12 16:00"       # fact: the window's most negative settlement
MIN_RATE = -0.000109
NO_NEGATIVE = ("2025-10-01 00:00", "2025-10-11 00:00")   # fact: no negative prints Oct 1-10
PHI = 0.85                        # hourly persistence of the premium
BURN = FUNDING_HOURS              # hours before Sep 1 feeding the first settlement
CRASH_BAR = "2025-10-10 21:00"
# choice: the perp's extra discount to index at the close of the crash hour. It is left out of
# the funding premium: Binance's premium index averages impact prices minute by minute, and the
# settlement after the crash (Oct 11 00:00) printed nothing extreme.
CRASH_DISCOUNT = -0.0015
PERP_CRASH_LOW = 101516.5         # fact: perp low at 21:20 (PERP1m)


def settlement_points() -> np.ndarray:
    return np.arange(0, N_BARS, FUNDING_HOURS)


def regime_of_settlement(k: np.ndarray) -> np.ndarray:
    """Regime number of each settlement point (the regimes start at REGIMES' dates)."""
    starts = np.array([hour(t) for t, _m, _s in REGIMES])
    return np.searchsorted(starts, k, side="right") - 1


def premium_noise(rng, std8=None) -> tuple[np.ndarray, np.ndarray]:
    """AR(1) premium noise for hours -BURN..N_BARS-1, scaled per regime, and each hour's regime.

    ``std8``: the std of the 8h-mean premium per regime (default BTC's, in REGIMES)."""
    n = N_BARS + BURN
    e = np.empty(n)
    e[0] = rng.normal()
    for i in range(1, n):
        e[i] = PHI * e[i - 1] + np.sqrt(1 - PHI ** 2) * rng.normal()
    # std of an 8-hour mean of a unit AR(1): scale hourly noise to hit each regime's 8h std
    lags = np.abs(np.subtract.outer(np.arange(8), np.arange(8)))
    f = np.sqrt(np.mean(PHI ** lags))
    hours = np.arange(-BURN, N_BARS)
    reg = regime_of_settlement((hours // FUNDING_HOURS + 1) * FUNDING_HOURS)
    std8 = np.array([s for _t, _m, s in REGIMES] if std8 is None else std8)[np.clip(reg, 0, None)]
    return e * std8 / f, np.clip(reg, 0, None)


def binance_rate(p: np.ndarray) -> np.ndarray:
    """Binance's settled rate at each settlement point from the hourly premium (p[0] is hour -BURN):
    F = P + clamp(0.01% - P, -0.05%, +0.05%), P the mean premium of the 8 hours before."""
    k = settlement_points()
    p8 = p.reshape(-1, FUNDING_HOURS).mean(axis=1)[: len(k)]  # row j: hours k-8..k-1
    gap = BASE_RATE - p8
    # inside the clamp the formula gives the baseline exactly (avoid float round-off)
    return np.where(np.abs(gap) <= CLAMP, BASE_RATE, p8 + np.clip(gap, -CLAMP, CLAMP))


def _rates(p: np.ndarray) -> np.ndarray:
    """BTC's settled rates: Binance's formula, then the anchored floors (minimum, no negatives)."""
    k = settlement_points()
    rate = binance_rate(p)
    kmin = hour(MIN_AT)
    floor = np.where(k == kmin, -np.inf, MIN_RATE + 1e-6)
    s, e = hour(NO_NEGATIVE[0]), hour(NO_NEGATIVE[1])
    floor = np.where((k >= s) & (k < e), 0.0, floor)
    return np.maximum(rate, floor)


def premium_and_funding(rng) -> tuple[np.ndarray, np.ndarray]:
    """Hourly premium (length N_BARS + BURN, from hour -BURN) and the settled rates."""
    noise, reg = premium_noise(rng)
    k = settlement_points()
    sreg = regime_of_settlement(k)
    kmin = hour(MIN_AT)
    mins = slice(kmin - FUNDING_HOURS + BURN, kmin + BURN)
    mu = np.full(len(REGIMES), -0.0004)

    def build(mu):
        p = noise + mu[reg]
        # the anchored minimum: shift its 8 hours so their mean prints MIN_RATE (P = rate - 0.05%)
        p[mins] += (MIN_RATE - CLAMP) - p[mins].mean()
        return p

    for _sweep in range(6):  # Gauss-Seidel over regimes; neighbours only touch one settlement
        for r, (_t, target, _s) in enumerate(REGIMES):
            lo, hi = -0.003, 0.002
            for _ in range(45):
                mu[r] = (lo + hi) / 2
                got = _rates(build(mu))[sreg == r].mean()
                lo, hi = (mu[r], hi) if got < target else (lo, mu[r])
    p = build(mu)
    return p, _rates(p)


def traded_and_mark(idx: dict, p: np.ndarray, rng) -> dict:
    """Perp traded OHLC and mark OHLC from the index OHLC and the hourly premium."""
    p = p.copy()
    p[hour(CRASH_BAR) + BURN] += CRASH_DISCOUNT
    out = perp_and_mark(idx, p, rng)
    out["low"][hour(CRASH_BAR)] = PERP_CRASH_LOW
    return out


def perp_and_mark(idx: dict, p: np.ndarray, rng, wick: float = 0.0002) -> dict:
    """Traded = index x (1 + p) with seeded wicks on the extremes, mark = index x (1 + EMA of p).

    ``p`` is the hourly premium from hour -BURN; the close of bar i uses p at hour i, its open
    the premium of the hour before (so open = previous close)."""
    prem = p[BURN:]
    prev = p[BURN - 1:-1]
    # mark: exponential average of the premium (Binance averages the basis over 30 minutes,
    # at hourly resolution a short EMA plays that role)
    sm = np.empty_like(p)
    sm[0] = p[0]
    for i in range(1, len(p)):
        sm[i] = 0.5 * sm[i - 1] + 0.5 * p[i]
    msm, mprev = sm[BURN:], sm[BURN - 1:-1]
    out = {}
    for name, cur, before, w in (("", prem, prev, wick), ("mark_", msm, mprev, 0.0)):
        c = idx["close"] * (1 + cur)
        o = idx["open"] * (1 + before)
        up = np.abs(rng.normal(0, w, N_BARS)) if w else 0.0
        dn = np.abs(rng.normal(0, w, N_BARS)) if w else 0.0
        h = np.maximum(idx["high"] * (1 + cur + up), np.maximum(o, c))
        lo = np.minimum(idx["low"] * (1 + cur - dn), np.minimum(o, c))
        out.update({name + "open": o, name + "high": h, name + "low": lo, name + "close": c})
    return out


def volume(idx: dict, rng) -> np.ndarray:
    """Perp volume in BTC: weekly level x hour profile x activity (|return| / sigma) x noise,
    with the Oct 10 liquidation cascade as a spike, rescaled to each week's calibrated mean."""
    weeks = week_of_bar()
    level = np.asarray(CALIBRATION["weekly_spot_volume"], float)[weeks]
    level *= CALIBRATION["perp_volume_ratio"]
    return scaled_volume(idx, rng, level)


def scaled_volume(idx: dict, rng, level: np.ndarray) -> np.ndarray:
    """Volume: hour profile x activity (|return| + range over idx["sigma"]) x AR(1) lognormal noise,
    x the Oct 10 cascade multipliers, rescaled so each week's mean is ``level`` (one value per bar)."""
    weeks = week_of_bar()
    prof = np.asarray(CALIBRATION["hour_volume_profile"])[np.arange(N_BARS) % 24]
    ret = np.abs(np.log(idx["close"] / idx["open"]))
    rng_ = np.log(idx["high"] / idx["low"])
    activity = 0.4 + 0.6 * np.minimum((ret + rng_) / (2.0 * idx["sigma"]), 6.0)
    e = np.empty(N_BARS)
    e[0] = rng.normal()
    for i in range(1, N_BARS):
        e[i] = 0.7 * e[i - 1] + np.sqrt(1 - 0.49) * rng.normal()
    v = prof * activity * np.exp(0.45 * e)
    # choice: cascade multipliers on top of activity (the spot 21:00 bar traded ~18x its week's
    # mean hour; PERP1m shows ~132k BTC in that hour on the perp)
    c = hour(CRASH_BAR)
    v[c - 1:c + 4] *= np.array([3.0, 12.0, 3.0, 2.0, 1.5])
    for w in np.unique(weeks):
        m = weeks == w
        v[m] *= level[m][0] / v[m].mean()
    return v


def funding_frame(rates: np.ndarray, mark_open: np.ndarray, times: pd.DatetimeIndex):
    k = settlement_points()
    return pd.DataFrame({"rate": rates, "mark_price": mark_open[k]},
                        index=pd.DatetimeIndex(times[k], name="time"))
