"""What the generators learn from: a dataset's bars as hourly log returns, wicks, basis, funding and IV.

Computed once from ``MarketArrays`` (numpy only). ``Window`` is the stretch of bars a stress path
replaces: its time stamps, volumes and funding clock are kept, its prices and IV are generated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgelab.core.errors import UserError

PRICE_FIELDS = ("open", "high", "low", "close")
MARK_FIELDS = ("mark_open", "mark_high", "mark_low", "mark_close")
INDEX_FIELDS = ("index_open", "index_high", "index_low", "index_close")


def basis_ratio(m, fields):
    """mark or index OHLC over the traded OHLC (1 where a series is missing): the basis to carry over."""
    out = np.ones((4, len(m.close)))
    for k, (f, base) in enumerate(zip(fields, PRICE_FIELDS)):
        a = np.asarray(getattr(m, f), dtype=np.float64)
        ok = np.isfinite(a) & (a > 0)
        out[k, ok] = a[ok] / np.asarray(getattr(m, base), dtype=np.float64)[ok]
    return out


def carried(a: np.ndarray, start: float = np.nan) -> np.ndarray:
    """NaNs replaced by the last finite value before them (``start`` before the first)."""
    a = np.asarray(a, dtype=np.float64)
    idx = np.where(np.isfinite(a), np.arange(len(a)), -1)
    np.maximum.accumulate(idx, out=idx)
    out = np.where(idx >= 0, a[np.maximum(idx, 0)], start)
    return out


@dataclass(frozen=True)
class History:
    """Per-bar series of the calibration data (length n; bar 0 has no return: 0)."""
    log_ret: np.ndarray      # log(close_i / close_{i-1}) of the traded price
    wick_down: np.ndarray    # log(min(open, close) / low) >= 0
    wick_up: np.ndarray      # log(high / max(open, close)) >= 0
    mark_ratio: np.ndarray   # (4, n) mark OHLC / traded OHLC
    index_ratio: np.ndarray  # (4, n) index OHLC / traded OHLC
    funding_level: np.ndarray  # last settled funding rate at each bar (carried forward)
    iv: np.ndarray           # ATM IV at each bar close (carried forward)
    iv_known: np.ndarray     # bool: this bar and the one before have their own (different) IV prints
    bar_seconds: int

    @classmethod
    def of(cls, m) -> "History":
        o, h, l, c = (np.asarray(getattr(m, f), dtype=np.float64) for f in PRICE_FIELDS)
        if len(c) < 48:
            raise UserError(f"calibration data has {len(c)} bars; stress generators need at least 48")
        r = np.zeros(len(c))
        r[1:] = np.log(c[1:] / c[:-1])
        raw = np.asarray(m.iv, dtype=np.float64)
        known = np.zeros(len(raw), bool)
        # an exactly unchanged value is a carried print (a dataset's IV fill rule), not a new one
        known[1:] = np.isfinite(raw[1:]) & np.isfinite(raw[:-1]) & (raw[1:] != raw[:-1])
        iv = carried(raw)
        first = np.flatnonzero(np.isfinite(iv))
        iv = np.where(np.isfinite(iv), iv, iv[first[0]] if len(first) else np.nan)
        fund = carried(m.funding_rate, 0.0)
        return cls(log_ret=r, wick_down=np.log(np.minimum(o, c) / l).clip(0), wick_up=np.log(h / np.maximum(o, c)).clip(0),
                   mark_ratio=basis_ratio(m, MARK_FIELDS), index_ratio=basis_ratio(m, INDEX_FIELDS), funding_level=fund,
                   iv=iv, iv_known=known, bar_seconds=int(m.bar_seconds))

    @property
    def iv_change(self) -> np.ndarray:
        """IV change per bar; where the data has no print (IV carried) the path model's response to
        the bar's return (``paths.IV_DOWN`` / ``IV_UP``) stands in, so gaps do not damp the response."""
        from hedgelab.stress.paths import IV_DOWN, IV_UP
        d = np.zeros(len(self.iv))
        d[1:] = np.diff(self.iv)
        r = self.log_ret
        model = np.where(r < 0, -IV_DOWN * r, -IV_UP * r)
        return np.where(self.iv_known, np.nan_to_num(d), model)

    def hourly_sigma(self) -> float:
        return float(np.std(self.log_ret[1:]))
