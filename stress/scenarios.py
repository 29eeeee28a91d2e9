"""Named crisis scenarios: shape templates from published facts, applied at the dataset's level.

A template is a list of points (hours after the start, close level, low level or None[, high level]),
levels being decimals relative to the price at the start; closes are interpolated linearly between
points and held after the last one, a low (high) level makes that hour's downside (upside) wick. From the start bar on, the path's close
is start price x (1 + level) x the window's own hourly texture (log close minus its 12 h moving
average; the template, not the window's history, sets where the price goes); applied as factors on the window's
bars (``paths.scaled``), so IV and funding respond through the path model. ``at``: start bar in the window; None draws it per path in the window's first half.
Sources: [D] the crisis-2025 data files (../shared/data/crisis-2025, TIMELINE.md); [P] press daily
OHLC of the day (CoinMarketCap / Bitstamp closes as widely reported), rounded; they are shapes,
not tick data, and their hours are approximate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.core.errors import UserError
from hedgelab.stress.paths import scaled

SUPPORT_LOW, SUPPORT_HIGH = 80_000.0, 83_000.0
TEXTURE_HALF_LIFE_H = 12.0


def _prices(open0: float, bars):
    """Points from published prices: (bar, close, low or None) -> levels relative to ``open0``."""
    return [(h, c / open0 - 1, None if lo is None else lo / open0 - 1) for h, c, lo in bars]


# name -> (facts, points)
TEMPLATES = {
    "oct10-2025": (
        "Oct 10 2025, tariff shock [D: Binance spot 1h]: day open 121,662, 20:00 open 116,661.5 (-4.1 %); "
        "the 21:00 hour fell to 102,000 (-10.7 % from its open 114,266.8) and closed 113,451.9; day close "
        "112,774.5 (-7.3 %). DVOL 43.3 -> 64.9 intrabar, 44.1 at the day's close [D: DVOL 1h/1d].",
        _prices(121_662.0, [(0, 121_662.0, None), (19, 116_661.5, None), (20, 114_266.82, 113_039.0),
                            (21, 113_451.86, 102_000.0), (22, 113_700.0, 110_879.69), (23, 112_774.5, 112_652.76)])),
    "covid-mar2020": (
        "Mar 12-13 2020, COVID crash [P]: open about 7,950, close of Mar 12 about 4,970 (-37 %), low about "
        "3,850 on Mar 13 (-52 %), Mar 13 close about 5,560; BitMEX cascade, funding negative.",
        [(0, 0.0, None), (18, -0.20, None), (24, -0.37, -0.40), (30, -0.45, -0.52), (48, -0.30, None)]),
    "china-may2021": (
        "May 19 2021, China mining/trading ban [P]: open about 42,900, low about 30,000 near 13:00 UTC "
        "(-30 %), close about 37,000 (-14 %).",
        [(0, 0.0, None), (12, -0.12, None), (14, -0.20, -0.30), (24, -0.14, None)]),
    "ftx-nov2022": (
        "Nov 7-9 2022, FTX collapse [P]: Nov 7 open about 20,900; Nov 8 close about 18,500 (low 17,100); "
        "Nov 9 close about 15,900 (low about 15,600, -25 %); Nov 10 about 17,600.",
        [(0, 0.0, None), (24, -0.03, None), (48, -0.115, -0.18), (72, -0.24, -0.254), (96, -0.16, None)]),
    "yen-aug2024": (
        "Aug 4-5 2024, yen carry unwind [P]: Aug 4 open about 60,700, close about 58,100; Aug 5 low about "
        "49,000 in the Asian morning (-19 %), close about 54,000 (-11 %).",
        [(0, 0.0, None), (24, -0.043, None), (30, -0.16, -0.19), (48, -0.11, None)]),
}
OCT10_X15 = "oct10-2025-x1.5"
SQUEEZE = "squeeze-40"
# a what-if of the real day: every level of oct10-2025 (close and wick, relative to the start) times 1.5
TEMPLATES[OCT10_X15] = (
    "A what-if, not a historical day: oct10-2025 with every level (closes and wicks, relative to the day's "
    "open) scaled 1.5x: -6.2 % by the 20:00 open, the 21:00 wick to -24.2 % (102,000 on a 121,662 open was "
    "-16.2 %), day close -11.0 %.",
    [(h, 1.5 * c, None if lo is None else 1.5 * lo) for h, c, lo in TEMPLATES["oct10-2025"][1]])
# the risk of a short leg (a perp hedge, a carry trade): a rally; a synthetic shape, no dated episode
TEMPLATES[SQUEEZE] = (
    "A synthetic shape, not a historical episode: a short squeeze that rallies +5 % in 6 h, +18 % by 24 h "
    "(that hour's wick to +22 %), +32 % by 48 h (that hour's wick to +40 %, the peak), then eases to +30 % "
    "at 72 h and holds; the rally that liquidates short hedges.",
    [(0, 0.0, None), (6, 0.05, None), (24, 0.18, None, 0.22), (48, 0.32, None, 0.40), (72, 0.30, None)])
SUPPORT_FACTS = ("The price walks from the start to the 80-83k support band that institutions "
                 "watched in Nov 2025 (Nov 21 low 80,600 [D]) over walk_days, then breaks below 80k by "
                 "margin as a wick and closes half that far below it.")
NAMES = (*TEMPLATES, "support-80k")


def template_levels(points, n_hours: int):
    """Close and low levels per hour 0..n_hours-1 (low NaN where the template gives none)."""
    hours = np.array([p[0] for p in points], dtype=float)
    closes = np.array([p[1] for p in points])
    t = np.arange(n_hours, dtype=float)
    close = np.interp(t, hours, closes)
    return close, wick_levels(points, n_hours, 2)


def wick_levels(points, n: int, field: int) -> np.ndarray:
    """The wick levels (``field`` 2: lows, 3: highs) per hour 0..n-1, NaN where the template gives none."""
    out = np.full(n, np.nan)
    for p in points:
        if len(p) > field and p[field] is not None and p[0] < n:
            out[int(p[0])] = p[field]
    return out


def _in_bars(points, bar_seconds: int):
    """The points with their hours counted in bars of ``bar_seconds``, and the bars the template spans."""
    per_bar = bar_seconds / 3600.0
    return [(h / per_bar, *rest) for h, *rest in points], int(np.ceil(points[-1][0] / per_bar)) + 2


def levels_in_bars(points, bar_seconds: int, bars_left: int):
    """(close levels, low levels, bars used) of a template on bars of ``bar_seconds`` from the start bar;
    ``bars_left`` bars remain in the window from there."""
    pts, span = _in_bars(points, bar_seconds)
    close_l, low_l = template_levels(pts, span)
    return close_l, low_l, min(span, bars_left)


def highs_in_bars(points, bar_seconds: int) -> np.ndarray:
    """The high (upside wick) levels of a template per bar from the start bar, NaN where it gives none."""
    pts, span = _in_bars(points, bar_seconds)
    return wick_levels(pts, span, 3)


def support_points(price0: float, walk_days: float, margin: float):
    mid = (SUPPORT_LOW + SUPPORT_HIGH) / 2
    walk_h = max(int(round(walk_days * 24)), 1)
    to_mid = mid / price0 - 1
    brk = SUPPORT_LOW * (1 - margin) / price0 - 1
    close = SUPPORT_LOW * (1 - margin / 2) / price0 - 1
    return [(0, 0.0, None), (walk_h, to_mid, None), (walk_h + 1, close, brk)]


@dataclass(frozen=True)
class Scenario:
    name: str
    at: int | None = None
    walk_days: float = 14.0     # support-80k
    margin: float = 0.05        # support-80k: how far below 80k the break goes

    def __post_init__(self):
        if self.name not in NAMES:
            raise UserError(f"unknown scenario {self.name!r}; one of {', '.join(NAMES)}")
        if not 0 <= self.margin < 0.9 or self.walk_days <= 0:
            raise UserError("support-80k: margin must be in [0, 0.9) and walk_days > 0")

    @property
    def facts(self) -> str:
        return SUPPORT_FACTS if self.name == "support-80k" else TEMPLATES[self.name][0]

    @property
    def last_hour(self) -> float:
        """Hours from the start to the template's last point (after it the last level is held)."""
        if self.name == "support-80k":
            return float(max(int(round(self.walk_days * 24)), 1) + 1)
        return float(TEMPLATES[self.name][1][-1][0])

    def factors(self, window, t0: int, points=None):
        """(open, high, low, close) factors from bar ``t0``; ``points``: another template than the
        scenario's own (a basket coin's, stress/basket.py)."""
        n, bs = len(window.close), int(window.bar_seconds)
        if not 0 <= t0 < n:
            raise UserError(f"scenario start bar {t0} is outside the window of {n} bars")
        if points is None and self.name == "support-80k":
            points = support_points(float(window.open[t0]), self.walk_days, self.margin)
        elif points is None:
            points = TEMPLATES[self.name][1]
        close_l, low_l, k = levels_in_bars(points, bs, n - t0)
        level = np.full(n - t0, close_l[k - 1])          # the last level is held
        level[:k] = close_l[:k]
        ref = float(window.open[t0])
        close = np.asarray(window.close, dtype=float)
        # the window's hourly texture after t0: log close minus its own moving average (half-life
        # TEXTURE_HALF_LIFE_H, started at t0's open), so the template sets the level and the data
        # only the noise around it
        b = np.log(close[t0:] / ref)
        keep = 0.5 ** (bs / 3600.0 / TEXTURE_HALF_LIFE_H)
        x = np.empty(n - t0)
        avg = 0.0
        for i, v in enumerate(b):
            avg = keep * avg + (1 - keep) * v
            x[i] = v - avg
        m_close = np.ones(n)
        m_close[t0:] = ref * (1 + level) * np.exp(x) / close[t0:]
        m_open = np.ones(n)
        m_open[t0 + 1:] = m_close[t0:-1] * close[t0:-1] / np.asarray(window.open[t0 + 1:], dtype=float)
        m_low = np.minimum(m_open, m_close)
        lows = np.flatnonzero(np.isfinite(low_l[:k]))
        m_low[t0 + lows] = ref * (1 + low_l[lows]) / np.asarray(window.low, dtype=float)[t0 + lows]
        m_high = np.maximum(m_open, m_close)
        high_l = highs_in_bars(points, bs)[:k]
        highs = np.flatnonzero(np.isfinite(high_l))
        m_high[t0 + highs] = ref * (1 + high_l[highs]) / np.asarray(window.high, dtype=float)[t0 + highs]
        return m_open, m_high, m_low, m_close

    def path(self, window, rng):
        n = len(window.close)
        t0 = self.at if self.at is not None else int(rng.integers(0, max(n // 2, 1)))
        return scaled(window, *self.factors(window, t0))
