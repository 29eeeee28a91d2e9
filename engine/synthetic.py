"""Build ``MarketArrays`` from plain arrays, and random-walk markets for tests and benchmarks."""
import numpy as np
from numpy.typing import ArrayLike
import pandas as pd

from hedgelab.data.arrays import MarketArrays


def make_market(open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, *, start: str = "2025-10-01",
                bar_seconds: int = 3600, volume: ArrayLike | None = None, mark: tuple | None = None,
                index_close: ArrayLike | None = None, funding_rate: ArrayLike | None = None,
                funding_price: ArrayLike | None = None, iv: ArrayLike | None = None) -> MarketArrays:
    """MarketArrays with mark = traded OHLC and index = close unless given; no funding unless given.

    ``mark`` is an optional (open, high, low, close) tuple; ``funding_rate`` has NaN on bars that open
    on no settlement.
    """
    close = np.asarray(close, dtype=float)
    n = len(close)
    t0 = pd.Timestamp(start)
    t0 = (t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")).as_unit("ns").value
    time_ns = t0 + np.arange(n, dtype=np.int64) * np.int64(bar_seconds) * 10**9
    o, h, lo = (np.asarray(a, dtype=float) for a in (open_, high, low))
    mo, mh, ml, mc = (o, h, lo, close) if mark is None else (np.asarray(a, dtype=float) for a in mark)
    nan = np.full(n, np.nan)
    idx = close if index_close is None else np.asarray(index_close, dtype=float)
    fr = nan if funding_rate is None else np.asarray(funding_rate, dtype=float)
    fp = mo if funding_price is None else np.asarray(funding_price, dtype=float)
    vol = np.full(n, 1e6) if volume is None else np.asarray(volume, dtype=float)
    return MarketArrays(time_ns=time_ns, bar_seconds=int(bar_seconds), open=o, high=h, low=lo, close=close,
                        volume=vol, mark_open=mo, mark_high=mh, mark_low=ml, mark_close=mc,
                        index_open=idx, index_high=idx, index_low=idx, index_close=idx,
                        funding_rate=fr, funding_price=fp,
                        iv=np.full(n, 0.5) if iv is None else np.asarray(iv, dtype=float))


def random_walk_market(n: int, *, seed: int = 0, start_price: float = 100_000.0, vol: float = 0.003,
                       bar_seconds: int = 60, start: str = "2025-01-01", funding_every: int | None = None,
                       funding_rate: float = 0.0001, volume: float = 50.0) -> MarketArrays:
    """Geometric random walk with intrabar ranges; funding of ``funding_rate`` every ``funding_every`` bars."""
    rng = np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    open_ = np.empty(n)
    open_[0] = start_price
    open_[1:] = close[:-1]
    wick = np.abs(rng.normal(0.0, vol / 2, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    fr = None
    if funding_every:
        fr = np.full(n, np.nan)
        fr[::funding_every] = funding_rate * (1 + rng.normal(0.0, 0.5, len(fr[::funding_every])))
    return make_market(open_, high, low, close, start=start, bar_seconds=bar_seconds,
                       volume=np.full(n, float(volume)), funding_rate=fr)
