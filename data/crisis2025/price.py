"""Index (spot) price path: piecewise Brownian bridges in log price between anchored points.

The closes are a heteroskedastic Brownian bridge (Student-t innovations, weekly volatility from
CALIBRATION times an hour-of-day profile times a slow stochastic-volatility factor) pinned at the
anchored opens/closes and next to each anchored high/low. Extremes that the facts say are the
highest/lowest of some span are enforced by reflecting the path at that level (a segment whose
daily closes break the 100k close floor is redrawn instead), then the bars' highs and lows come
from the exact distribution of a Brownian bridge's maximum and minimum.
"""
import numpy as np

from .anchors import CALIBRATION, DAILY, OCT10_BY_2135, SEP1_OPEN
from .grid import N_BARS, hour, week_of_bar

# Oct 10 choices around the facts: the index sells off through the day from the 121,662 open,
# opens the crash bar at 116,000 (choice), crashes inside the 21:00 bar (fact) and is back near
# 111k by the close of that bar (fact: about 111k by 21:35).
CRASH_PINS = [("2025-10-10 21:00", 116000.0), ("2025-10-10 22:00", OCT10_BY_2135)]
CRASH_LOW_BAR = "2025-10-10 21:00"
# Extremes that are also the extreme of a longer span (facts in DAY_NOTES).
WIDER = {("2025-10-06", "high"): ("2025-09-01 00:00", "2025-12-01 00:00"),
         ("2025-11-21", "low"): ("2025-09-01 00:00", "2025-12-01 00:00"),
         ("2025-09-25", "low"): ("2025-09-15 00:00", "2025-10-01 00:00")}
# Fact: Nov 4 is the first trade below 100k since June, so nothing trades lower before it.
FLOOR = (100000.0, "2025-09-01 00:00", "2025-11-04 00:00")
# Fact: Nov 13 is the first daily close below 100k, so the closes of Nov 5-12 stay above it
# (the closes up to Nov 4 are covered by FLOOR; Nov 4 closes at 101,497).
CLOSE_FLOOR = (100000.0, "2025-11-05 00:00", "2025-11-13 00:00")
# Distance of the pinned close from an anchored extreme (log), so the extreme is a wick.
WICK = 0.0015
TINY = 1e-7  # relative margin keeping non-anchored bars strictly inside an extreme


def plan(rng) -> tuple[dict, list]:
    """Pinned boundary points {k: log price} and extremes [(bar, kind, value, span start, end)].

    Point k is the open of bar k (= close of bar k-1). On a down day the high comes in the
    first half of the day and the low in the second half, on an up day the other way round;
    the hours inside each half are drawn from the seed.
    """
    pins = {0: np.log(SEP1_OPEN)}
    extremes = []
    for date, (o, h, lo, c) in DAILY.items():
        d0 = hour(f"{date} 00:00")
        pins[d0], pins[d0 + 24] = np.log(o), np.log(c)
        early, late = (int(x) for x in rng.integers([1, 13], [11, 23]))
        hours = {"high": early, "low": late} if c < o else {"high": late, "low": early}
        if date == "2025-10-10":
            hours = {"high": early, "low": hour(CRASH_LOW_BAR) - d0}
        for kind, v in (("high", h), ("low", lo)):
            s, e = WIDER.get((date, kind), (f"{date} 00:00", None))
            extremes.append((d0 + hours[kind], kind, v, hour(s), hour(e) if e else d0 + 24))
    pins.update({hour(t): np.log(v) for t, v in CRASH_PINS})
    for i, kind, v, _s, _e in extremes:
        pins.setdefault(i + 1, np.log(v) + (WICK if kind == "low" else -WICK))
    return dict(sorted(pins.items())), extremes


def hourly_sigma(rng, weekly_vol=None) -> np.ndarray:
    """Per-bar diffusion std of log price: weekly level x hour profile x slow SV factor.

    ``weekly_vol``: 13 annualized weekly volatilities (default BTC's, CALIBRATION["weekly_vol"])."""
    weeks = week_of_bar()
    weekly = np.asarray(CALIBRATION["weekly_vol"] if weekly_vol is None else weekly_vol)[weeks] / np.sqrt(365 * 24)
    prof = np.asarray(CALIBRATION["hour_vol_profile"])
    prof = prof / np.sqrt(np.mean(prof ** 2))
    hours = np.arange(N_BARS) % 24
    # volatility clusters: exp of an AR(1) with a ~2-day memory, rescaled so each week keeps its
    # calibrated mean-square level
    x = np.empty(N_BARS)
    x[0] = rng.normal(0, 1)
    phi = 0.98
    for i in range(1, N_BARS):
        x[i] = phi * x[i - 1] + np.sqrt(1 - phi ** 2) * rng.normal()
    sv = np.exp(0.3 * x)
    sig = weekly * prof[hours] * sv
    for w in np.unique(weeks):
        m = weeks == w
        sig[m] *= weekly[m][0] / np.sqrt(np.mean(sig[m] ** 2))
    return sig


def student_t(rng, n, df=6.0):
    """Unit-variance Student-t draws: fat-tailed hourly returns like the real ones."""
    return rng.standard_t(df, n) / np.sqrt(df / (df - 2.0))


def _closes_ok(seg: np.ndarray, k0: int) -> bool:
    """Daily closes (midnight points) in the CLOSE_FLOOR span stay at or above its level."""
    level, s, e = np.log(CLOSE_FLOOR[0]), hour(CLOSE_FLOOR[1]), hour(CLOSE_FLOOR[2])
    k = np.arange(k0, k0 + len(seg))
    m = (k % 24 == 0) & (k >= s) & (k <= e)
    return bool(np.all(seg[m] >= level))


def bridge_closes(sig: np.ndarray, pins: dict, rng) -> np.ndarray:
    """Log price at the N_BARS + 1 bar boundaries, a Brownian bridge between the pins.

    A segment whose daily closes break CLOSE_FLOOR is redrawn (rejection keeps the bridge's
    law; a reflection would put a kink at midnight).
    """
    x = np.empty(N_BARS + 1)
    ks = list(pins)
    z = student_t(rng, N_BARS)
    for k0, k1 in zip(ks[:-1], ks[1:]):
        zs = z[k0:k1]
        for _try in range(1000):
            w = np.concatenate([[0.0], np.cumsum(sig[k0:k1] * zs)])
            v = np.concatenate([[0.0], np.cumsum(sig[k0:k1] ** 2)])
            gap = pins[k1] - pins[k0]
            seg = pins[k0] + w - v / v[-1] * (w[-1] - gap)
            if _closes_ok(seg, k0):
                break
            zs = student_t(rng, k1 - k0)
        else:
            raise RuntimeError(f"no bridge from point {k0} to {k1} keeps the daily closes")
        x[k0:k1 + 1] = seg
    return x


def _reflect(x: np.ndarray, lo: int, hi: int, level: float, kind: str, keep: set) -> None:
    """Reflect points lo..hi (inclusive) at a log level so they stay on the allowed side."""
    for k in range(lo, hi + 1):
        if k in keep:
            continue
        if kind == "low" and x[k] <= level:
            x[k] = level + max(level - x[k], TINY)
        elif kind == "high" and x[k] >= level:
            x[k] = level - max(x[k] - level, TINY)


def enforce_on_closes(x: np.ndarray, pins: dict, extremes: list) -> None:
    keep = set(pins)
    rules = [(s, e, np.log(v), kind) for _i, kind, v, s, e in extremes]
    rules.append((hour(FLOOR[1]), hour(FLOOR[2]), np.log(FLOOR[0]), "low"))
    for _ in range(4):  # a reflection can only cross a far-away level: a few passes settle it
        for s, e, level, kind in rules:
            _reflect(x, s, e, level, kind, keep)


def intrabar_range(x: np.ndarray, sig: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """High and low of each bar: max/min of a Brownian bridge from open to close.

    For a bridge from 0 to d with variance s^2 over the bar, P(max > m) = exp(-2 m (m - d) / s^2),
    so m = (d + sqrt(d^2 - 2 s^2 ln U)) / 2 (and the mirror image for the minimum).
    """
    a, b = x[:-1], x[1:]
    d = b - a
    u1, u2 = rng.uniform(size=N_BARS), rng.uniform(size=N_BARS)
    hi = a + (d + np.sqrt(d ** 2 - 2 * sig ** 2 * np.log(u1))) / 2
    lo = a + (d - np.sqrt(d ** 2 - 2 * sig ** 2 * np.log(u2))) / 2
    return hi, lo


def enforce_extremes(open_, high, low, close, extremes: list) -> None:
    """Place every anchored extreme exactly and keep all other bars inside it."""
    for _i, kind, v, s, e in extremes:
        if kind == "low":
            low[s:e] = np.maximum(low[s:e], v * (1 + TINY))
        else:
            high[s:e] = np.minimum(high[s:e], v * (1 - TINY))
    f, s, e = FLOOR[0], hour(FLOOR[1]), hour(FLOOR[2])
    low[s:e] = np.maximum(low[s:e], f * (1 + TINY))
    np.minimum(low, np.minimum(open_, close), out=low)
    np.maximum(high, np.maximum(open_, close), out=high)
    for i, kind, v, _s, _e in extremes:
        (low if kind == "low" else high)[i] = v


def index_ohlc(rng_plan, rng_path, rng_range) -> dict:
    pins, extremes = plan(rng_plan)
    sig = hourly_sigma(rng_path)
    x = bridge_closes(sig, pins, rng_path)
    enforce_on_closes(x, pins, extremes)
    hi, lo = intrabar_range(x, sig, rng_range)
    p = np.exp(x)
    o, c = p[:-1].copy(), p[1:].copy()
    h, l = np.exp(hi), np.exp(lo)
    enforce_extremes(o, h, l, c, extremes)
    return {"open": o, "high": h, "low": l, "close": c, "sigma": sig}
