"""The shipped crisis-2025 files obey the data contract of docs/ARCHITECTURE.md."""
import json

import numpy as np
import pandas as pd
import pytest

from hedgelab.data.crisis2025.build import OUT

BAR_COLUMNS = ["open", "high", "low", "close", "volume",
               "mark_open", "mark_high", "mark_low", "mark_close",
               "index_open", "index_high", "index_low", "index_close"]


@pytest.fixture(scope="module")
def files():
    frames = {n: pd.read_parquet(OUT / f"{n}.parquet") for n in ("bars", "funding", "iv")}
    return frames, json.loads((OUT / "manifest.json").read_text())


def _utc_index(frame):
    idx = frame.index
    assert isinstance(idx, pd.DatetimeIndex) and idx.name == "time"
    assert str(idx.tz) == "UTC"
    assert idx.is_monotonic_increasing and idx.is_unique


def test_bars_regular_hourly_grid(files):
    bars = files[0]["bars"]
    _utc_index(bars)
    assert list(bars.columns) == BAR_COLUMNS
    assert (bars.dtypes == "float64").all()
    # Sep 1 00:00 .. Nov 30 23:00 = 91 days x 24 bars
    assert len(bars) == 2184
    assert bars.index[0] == pd.Timestamp("2025-09-01 00:00", tz="UTC")
    assert bars.index[-1] == pd.Timestamp("2025-11-30 23:00", tz="UTC")
    assert (np.diff(bars.index.asi8) == np.diff(bars.index.asi8)[0]).all()
    assert bars.index[1] - bars.index[0] == pd.Timedelta("1h")


@pytest.mark.parametrize("prefix", ["", "mark_", "index_"])
def test_ohlc_consistent(files, prefix):
    bars = files[0]["bars"]
    o, h, lo, c = (bars[prefix + k] for k in ("open", "high", "low", "close"))
    assert not bars.isna().any().any()
    assert (lo > 0).all()
    assert (h >= np.maximum(o, c)).all() and (lo <= np.minimum(o, c)).all()
    assert (o.iloc[1:].to_numpy() == c.iloc[:-1].to_numpy()).all()  # gapless 24/7 market


def test_mark_and_traded_stay_near_index(files):
    bars = files[0]["bars"]
    basis = bars["close"] / bars["index_close"] - 1
    mark_basis = bars["mark_close"] / bars["index_close"] - 1
    assert basis.abs().max() < 0.005 and mark_basis.abs().max() < 0.005
    assert (bars["volume"] > 0).all()


def test_funding_at_00_08_16(files):
    funding = files[0]["funding"]
    _utc_index(funding)
    assert list(funding.columns) == ["rate", "mark_price"]
    assert len(funding) == 91 * 3
    t = funding.index
    assert set(t.hour) == {0, 8, 16} and (t.minute == 0).all() and (t.second == 0).all()
    assert (t[1:] - t[:-1] == pd.Timedelta("8h")).all()
    assert not funding.isna().any().any()
    assert funding["rate"].abs().max() < 0.00375    # Binance BTCUSDT cap per 8h
    bars = files[0]["bars"]
    assert np.allclose(funding["mark_price"], bars.loc[t, "mark_open"])


def test_iv_hourly_decimal(files):
    iv = files[0]["iv"]
    _utc_index(iv)
    assert list(iv.columns) == ["atm_iv", "atm_iv_high"]
    assert len(iv) == 2184 and not iv.isna().any().any()
    assert iv["atm_iv"].between(0.2, 1.0).all()                 # decimal, not percent
    assert (iv["atm_iv_high"] >= iv["atm_iv"]).all()


def test_manifest_contract(files):
    m = files[1]
    assert m["schema_version"] == 1 and m["name"] == "crisis-2025"
    assert (m["kind"], m["venue"], m["symbol"], m["bar_size"]) == (
        "reconstruction", "binance", "BTCUSDT", "1h")
    assert m["funding_interval_hours"] == 8
    assert pd.Timestamp(m["start"]) == pd.Timestamp("2025-09-01", tz="UTC")
    assert pd.Timestamp(m["end"]) == pd.Timestamp("2025-11-30 23:00", tz="UTC")
    assert {"mark", "index"} <= set(m["proxies"])
    assert all(c in m["provenance"] for c in BAR_COLUMNS)
    assert all("synthetic" in v for v in m["provenance"].values())
