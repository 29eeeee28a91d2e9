"""Real Binance/Deribit data of Sep 1 - Dec 15 2025 as MarketArrays, built here from the raw CSVs
(../shared/data/crisis-2025): traded = mark = index = spot (the proxy the real-data CLI tests use),
funding from the official flat file, IV = hourly DVOL close / 100 known at the bar close (the hourly
DVOL file covers Sep 1 - Oct 15 with one missing day; NaN where it has no print)."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.data.arrays import MarketArrays

SPOT = "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
FUNDING = "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv"
DVOL = "deribit_btc_dvol_1h_ohlc_lrud.csv"
_CACHE = {}


def raw_bars(shared_dir) -> pd.DataFrame:
    bars = pd.read_csv(shared_dir / SPOT)
    bars.index = pd.to_datetime(bars["open_time_utc"], utc=True)
    return bars


def raw_funding(shared_dir) -> pd.Series:
    f = pd.read_csv(shared_dir / FUNDING)
    f.index = pd.to_datetime(f["calc_time_ms"], unit="ms", utc=True).dt.round("h")
    return f["last_funding_rate"]


def raw_dvol(shared_dir) -> pd.Series:
    d = pd.read_csv(shared_dir / DVOL)
    d.index = pd.to_datetime(d["timestamp_ms"], unit="ms", utc=True)
    return d["dvol_close"] / 100.0


def market_of(bars: pd.DataFrame, funding: pd.Series, iv: pd.Series) -> MarketArrays:
    o, h, l, c = (bars[k].to_numpy(float) for k in ("open", "high", "low", "close"))
    rate = funding.reindex(bars.index).to_numpy(float)
    ivc = iv.reindex(bars.index).to_numpy(float)   # the DVOL bar's close, known at our bar's close; NaN: no print
    return MarketArrays(time_ns=bars.index.as_unit("ns").asi8, bar_seconds=3600, open=o, high=h, low=l, close=c,
                        volume=bars["volume_btc"].to_numpy(float), mark_open=o, mark_high=h, mark_low=l,
                        mark_close=c, index_open=o, index_high=h, index_low=l, index_close=c,
                        funding_rate=rate, funding_price=o.copy(), iv=ivc)


@pytest.fixture
def real(shared_dir):
    """(bars DataFrame, MarketArrays of all of it)."""
    if "real" not in _CACHE:
        bars = raw_bars(shared_dir)
        _CACHE["real"] = (bars, market_of(bars, raw_funding(shared_dir), raw_dvol(shared_dir)))
    return _CACHE["real"]


@pytest.fixture
def cut():
    """cut(market, lo, hi): bars [lo, hi) of a MarketArrays."""
    return _cut


def _cut(market: MarketArrays, lo: int, hi: int) -> MarketArrays:
    return market._replace(**{f: getattr(market, f)[lo:hi] for f in market._fields
                              if isinstance(getattr(market, f), np.ndarray)})


@pytest.fixture
def flat():
    """flat(n, price, volume, funding_every): a constant-price market from Oct 6 2025 (hourly), IV 0.5."""
    return _flat


def _flat(n=6, price=100_000.0, volume=1e12, funding_every=None, rate=0.0001):
    t0 = pd.Timestamp("2025-10-06", tz="UTC").value
    p = np.full(n, price)
    funding = np.full(n, np.nan)
    if funding_every:
        funding[::funding_every] = rate
    return MarketArrays(time_ns=t0 + np.arange(n, dtype=np.int64) * 3_600_000_000_000, bar_seconds=3600,
                        open=p, high=p, low=p, close=p, volume=np.full(n, volume), mark_open=p, mark_high=p,
                        mark_low=p, mark_close=p, index_open=p, index_high=p, index_low=p, index_close=p,
                        funding_rate=funding, funding_price=p, iv=np.full(n, 0.5))
