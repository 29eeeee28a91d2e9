"""Alignment without look-ahead, window slicing, and resampling against an independent pandas computation."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgelab.data import MarketArrays, align, resample
from hedgelab.data.arrays import MarketArrays as Arrays
from hedgelab.core.errors import UserError


def ts(s):
    return pd.Timestamp(s, tz="UTC")


def iv_frame(times, values):
    return pd.DataFrame({"atm_iv": values}, index=pd.DatetimeIndex([ts(t) for t in times], name="time"))


def test_fields_match_the_contract(dataset_factory):
    assert MarketArrays is Arrays
    assert MarketArrays._fields == (
        "time_ns", "bar_seconds", "open", "high", "low", "close", "volume",
        "mark_open", "mark_high", "mark_low", "mark_close", "index_open", "index_high", "index_low",
        "index_close", "funding_rate", "funding_price", "iv", "adl_side", "adl_share", "adl_price")
    m = align(dataset_factory())
    assert m.time_ns.dtype == np.int64 and m.bar_seconds == 3600 and m.close.dtype == np.float64
    assert m.time_ns[0] == ts("2025-01-01").value


def test_iv_known_at_bar_close_not_before(dataset_factory):
    """1h bars: the 10:00 bar closes at 11:00, so a 10:30 print is known at its close; 11:30 is not."""
    ds = dataset_factory(iv=iv_frame(["2025-01-01 10:30", "2025-01-01 11:30"], [0.40, 0.50]), iv_fill="carry")
    m = align(ds)
    assert np.isnan(m.iv[9])         # 09:00 bar closes 10:00, before any print
    assert m.iv[10] == 0.40          # 10:00 bar: 10:30 <= 11:00
    assert m.iv[11] == 0.50          # 11:00 bar: 11:30 <= 12:00
    assert m.iv[-1] == 0.50          # carried forward: the manifest states an iv_fill rule


def test_print_exactly_at_close_is_known(dataset_factory):
    m = align(dataset_factory(iv=iv_frame(["2025-01-01 11:00"], [0.3]), iv_fill="carry"))
    assert np.isnan(m.iv[9]) and m.iv[10] == 0.3   # "time <= bar open + bar size"


def test_without_iv_fill_stale_iv_becomes_nan(dataset_factory):
    """No rule in the manifest: the last print lasts one IV spacing (here 1h) past its time."""
    ds = dataset_factory(iv=iv_frame(["2025-01-01 10:00", "2025-01-01 11:00"], [0.4, 0.5]))
    m = align(ds)
    assert m.iv[10] == 0.5           # closes 11:00
    assert m.iv[11] == 0.5           # closes 12:00 = 11:00 + 1h spacing
    assert np.isnan(m.iv[12])        # closes 13:00: beyond the stated validity


def test_funding_on_settlement_bar_only(dataset_factory):
    fund = pd.DataFrame({"rate": [1e-4, -3e-4], "mark_price": [np.nan, 120.5]},
                        index=pd.DatetimeIndex([ts("2025-01-01 08:00"), ts("2025-01-01 16:00")], name="time"))
    m = align(dataset_factory(funding=fund))
    assert m.funding_rate[8] == 1e-4 and m.funding_rate[16] == -3e-4
    assert np.isnan(np.delete(m.funding_rate, [8, 16])).all()
    assert m.funding_price[8] == m.mark_open[8] == 108.0          # no settlement mark: mark_open
    assert m.funding_price[16] == 120.5                           # settlement mark
    assert np.array_equal(np.delete(m.funding_price, 16), np.delete(m.mark_open, 16))


def test_funding_inside_a_bar_is_refused(dataset_factory):
    fund = pd.DataFrame({"rate": [1e-4], "mark_price": [np.nan]},
                        index=pd.DatetimeIndex([ts("2025-01-01 08:00")], name="time"))
    ds = resample(dataset_factory(funding=fund), "6h")            # bars at 00, 06, 12, 18
    with pytest.raises(UserError, match="falls inside a 6h bar"):
        align(ds)


def test_window_slicing(dataset_factory):
    ds = dataset_factory(n=48)                                    # Jan 1 00:00 .. Jan 2 23:00
    assert len(align(ds, "2025-01-02").time_ns) == 24
    assert len(align(ds, end="2025-01-01").time_ns) == 24         # a date includes its whole day
    m = align(ds, ts("2025-01-01 05:00"), ts("2025-01-01 07:00"))
    assert len(m.time_ns) == 3 and m.open[0] == 105.0
    assert len(align(ds, "2025-01-01 05:00+00:00", pd.Timestamp("2025-01-01 08:00+01:00")).time_ns) == 3


@pytest.mark.parametrize("start,end,msg", [
    ("2025-02-01", None, "after the last bar"),
    (None, pd.Timestamp("2024-12-01"), "before the first bar"),
    ("2025-01-02", "2025-01-01", "is after end"),
    ("not a date", None, "is not a date"),
    ("2025-01-01 05:10", "2025-01-01 05:20", "no bars between"),
])
def test_window_errors(dataset_factory, start, end, msg):
    with pytest.raises(UserError, match=msg):
        align(dataset_factory(n=48), start, end)


def test_resample_matches_pandas(dataset_factory):
    rng = np.random.default_rng(7)
    ds = dataset_factory(n=180, step="1min")
    walk = 100 + np.cumsum(rng.normal(0, 0.5, 180))
    bars = ds.bars.copy()
    bars["open"], bars["close"] = walk, walk + rng.normal(0, 0.2, 180)
    bars["high"] = np.maximum(bars["open"], bars["close"]) + rng.uniform(0, 1, 180)
    bars["low"] = np.minimum(bars["open"], bars["close"]) - rng.uniform(0, 1, 180)
    bars["volume"] = rng.uniform(0, 5, 180)
    for p in ("mark_", "index_"):
        for k in ("open", "high", "low", "close"):
            bars[p + k] = bars[k] * (1.001 if p == "mark_" else 0.999)
    ds = type(ds)(ds.name, bars.iloc[7:], ds.funding, ds.iv, dict(ds.manifest))  # start at 00:07
    out = resample(ds, "1h")
    # independent: pandas' own resampler on the same minutes, keeping only full hours
    src = bars.iloc[7:]
    r = src.resample("1h")
    expect = pd.DataFrame({"open": r["open"].first(), "high": r["high"].max(), "low": r["low"].min(),
                           "close": r["close"].last(), "volume": r["volume"].sum(),
                           "mark_high": r["mark_high"].max(), "index_low": r["index_low"].min()})
    expect = expect[r["open"].count() == 60]
    assert list(out.bars.index) == [ts("2025-01-01 01:00"), ts("2025-01-01 02:00")]   # 00:07.. hour dropped
    pd.testing.assert_frame_equal(out.bars[expect.columns], expect, check_freq=False, check_names=False)
    assert out.manifest["bar_size"] == "1h" and "1 incomplete bucket(s) dropped" in out.manifest["notes"][-1]
    assert align(out).bar_seconds == 3600


def test_resample_refuses_finer_or_uneven(dataset_factory):
    ds = dataset_factory(step="1h")
    with pytest.raises(UserError, match="whole multiple"):
        resample(ds, "30min")
    with pytest.raises(UserError, match="whole multiple"):
        resample(ds, "90min")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.lists(st.integers(0, 48 * 60), min_size=1, max_size=30, unique=True))
def test_iv_equals_brute_force_last_print(dataset_factory, minutes):
    """Random print times: each bar's IV is the value of the latest print at or before its close."""
    minutes = sorted(minutes)
    times = [ts("2025-01-01") + pd.Timedelta(minutes=m) for m in minutes]
    values = [0.2 + 0.01 * k for k in range(len(minutes))]
    iv = pd.DataFrame({"atm_iv": values}, index=pd.DatetimeIndex(times, name="time"))
    m = align(dataset_factory(n=48, iv=iv, iv_fill="carry"))
    for i in range(48):
        close = ts("2025-01-01") + pd.Timedelta(hours=i + 1)
        known = [v for t, v in zip(times, values) if t <= close]
        expected = known[-1] if known else np.nan
        assert (np.isnan(m.iv[i]) and np.isnan(expected)) or m.iv[i] == expected
