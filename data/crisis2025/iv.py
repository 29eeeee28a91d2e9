"""ATM implied volatility (DVOL-like, decimal), one print per hour.

The print stamped t is the level at t (known from t); `atm_iv_high` is the highest level in the
hour before t, so the Oct 10 spike (64.9 inside the 21:00 bar) shows in the 22:00 print.
Daily closes (the level at the next midnight) follow the published DVOL regimes through Nov 12;
after Nov 12 the real series stops and the path is an EXTRAPOLATION: mean reversion to 47 plus a
leverage effect (IV rises as the reconstructed price falls: -1 x the daily log return).
"""
import numpy as np

from .grid import N_BARS, hour

PRE = (0.342, 0.398, np.log(0.37))        # fact band 34-40 (kept inside), mean choice
POST = (0.442, 0.505, np.log(0.46))       # fact band 44-51, mean choice
SEP18_CLOSE = ("2025-09-19 00:00", 0.338)   # fact: low daily close 33.8 on Sep 18
OCT22_CLOSE = ("2025-10-23 00:00", 0.507)   # fact: highest daily close 50.7 on Oct 22
CRASH_PINS = [("2025-10-10 21:00", 0.433),  # fact: 43.3 before the jump
              ("2025-10-10 22:00", 0.560),  # choice: the 21:00 bar closes well below its high
              ("2025-10-10 23:00", 0.460),  # choice
              ("2025-10-11 00:00", 0.441)]  # fact: Oct 10 close 44.1
SPIKE = ("2025-10-10 22:00", 0.649)         # fact: hourly high 64.9 in the 21:00 bar
START_LEVEL = 0.395                         # choice inside the pre-crash band
EXTRAP_END = "2025-11-13 00:00"             # last day close with data: Nov 12


def _band(y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflect a log path into [log lo, log hi]."""
    a, b = np.log(lo), np.log(hi)
    for _ in range(4):
        y = np.where(y < a, 2 * a - y, y)
        y = np.where(y > b, 2 * b - y, y)
    return np.clip(y, a, b)


def _daily_ar(rng, n, mean, start, phi=0.85, s=0.02):
    y = np.empty(n)
    prev = start
    for d in range(n):
        prev = mean + phi * (prev - mean) + s * rng.normal()
        y[d] = prev
    return y


def daily_pins(index_close: np.ndarray, rng) -> dict:
    """Log IV pinned at midnights (and the crash hours), keyed by grid point."""
    pins = {0: np.log(START_LEVEL)}
    crash_day_end = hour("2025-10-11 00:00")
    pre_days = range(24, hour("2025-10-10 00:00") + 1, 24)           # closes Sep 1 .. Oct 9
    y = _band(_daily_ar(rng, len(pre_days), PRE[2], pins[0]), *PRE[:2])
    pins.update(zip(pre_days, y))
    pins.update({hour(t): np.log(v) for t, v in CRASH_PINS})
    post_days = range(crash_day_end + 24, hour(EXTRAP_END) + 1, 24)  # closes Oct 11 .. Nov 12
    y = _band(_daily_ar(rng, len(post_days), POST[2], np.log(0.441)), *POST[:2])
    pins.update(zip(post_days, y))
    pins[hour(SEP18_CLOSE[0])] = np.log(SEP18_CLOSE[1])
    pins[hour(OCT22_CLOSE[0])] = np.log(OCT22_CLOSE[1])
    # extrapolation after Nov 12: reversion to 47 and a leverage effect on daily index returns
    prev = pins[hour(EXTRAP_END)]
    for k in range(hour(EXTRAP_END) + 24, N_BARS + 1, 24):
        r = np.log(index_close[k - 1] / index_close[k - 25])
        prev = prev + 0.15 * (np.log(0.47) - prev) - 1.0 * r + 0.03 * rng.normal()
        prev = float(np.clip(prev, np.log(0.38), np.log(0.70)))
        pins[k] = prev
    return dict(sorted(pins.items()))


def iv_path(index_close: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """(atm_iv, atm_iv_high) at the N_BARS hourly print times."""
    pins = daily_pins(index_close, rng)
    ks = list(pins)
    y = np.empty(N_BARS + 1)
    z = rng.normal(0, 0.006, N_BARS)  # hourly log-IV noise, about 0.25 vol points
    for k0, k1 in zip(ks[:-1], ks[1:]):
        w = np.concatenate([[0.0], np.cumsum(z[k0:k1])])
        frac = np.arange(k1 - k0 + 1) / (k1 - k0)
        y[k0:k1 + 1] = pins[k0] + w - frac * (w[-1] - (pins[k1] - pins[k0]))
    level = np.exp(y)
    iv = level[:N_BARS]
    prev = np.concatenate([[iv[0]], iv[:-1]])
    high = np.maximum(prev, iv) * (1 + np.abs(rng.normal(0, 0.004, N_BARS)))
    high[hour(SPIKE[0])] = SPIKE[1]
    return iv, high
