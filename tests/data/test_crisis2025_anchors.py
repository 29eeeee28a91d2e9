"""Every anchored fact holds in the generated crisis-2025 data.

Expected numbers are typed in from ../shared/data/crisis-2025/TIMELINE.md (the published facts),
not taken from anchors.py or the generator. Spot facts are checked on the index columns.
"""
import numpy as np
import pandas as pd
import pytest

from hedgelab.data.crisis2025 import generate

CENT = 0.01


@pytest.fixture(scope="module")
def data():
    bars, funding, iv, manifest = generate()
    return bars, funding, iv, manifest


def day(frame, date):
    return frame.loc[f"{date} 00:00":f"{date} 23:00"]


# TIMELINE.md "Daily Binance spot BTCUSDT, key days": date, open, high, low, close
KEY_DAYS = [
    ("2025-09-15", 115268, 116758, 114384, 115350),
    ("2025-09-25", 113307, 113510, 108632, 108994),
    ("2025-10-01", 114049, 118649, 113967, 118595),
    ("2025-10-06", 123482, 126199.63, 123084, 124659),
    ("2025-10-10", 121662, 122550, 102000.00, 112775),
    ("2025-10-17", 108194, 109240, 103528, 106432),
    ("2025-10-27", 114559, 116400, 113830, 114108),
    ("2025-11-04", 106583, 107299, 98944, 101497),
    ("2025-11-13", 101654, 104085, 98000, 99692),
    ("2025-11-14", 99692, 99866, 94012, 94594),
    ("2025-11-18", 92215, 93836, 89254, 92961),
    ("2025-11-21", 86637, 87499, 80600.00, 85129),
    ("2025-11-30", 90802, 92000, 90337, 90360),
]


@pytest.mark.parametrize("date,o,h,lo,c", KEY_DAYS)
def test_key_day_daily_ohlc(data, date, o, h, lo, c):
    d = day(data[0], date)
    assert len(d) == 24
    assert d["index_open"].iloc[0] == pytest.approx(o, abs=CENT)
    assert d["index_high"].max() == pytest.approx(h, abs=CENT)
    assert d["index_low"].min() == pytest.approx(lo, abs=CENT)
    assert d["index_close"].iloc[-1] == pytest.approx(c, abs=CENT)


def test_window_open(data):
    assert data[0]["index_open"].iloc[0] == pytest.approx(108246, abs=CENT)   # Sep 1 open ~108.2k


def test_late_september_dip(data):
    bars = data[0]
    assert day(bars, "2025-09-25")["index_low"].min() == pytest.approx(108632, abs=CENT)
    # TIMELINE: "Sep 15-30 BTC ranges from 108.6k": nothing lower in the second half of September
    assert bars.loc["2025-09-15":"2025-09-30 23:00", "index_low"].min() == pytest.approx(108632, abs=CENT)


def test_october_6_all_time_high_is_the_window_high(data):
    bars = data[0]
    assert day(bars, "2025-10-06")["index_high"].max() == pytest.approx(126199.63, abs=CENT)
    assert bars["index_high"].idxmax().date() == pd.Timestamp("2025-10-06").date()


def test_october_10_crash_and_rebound(data):
    bars = data[0]
    assert bars.loc["2025-10-10 00:00", "index_open"] == pytest.approx(121662, abs=CENT)
    crash = bars.loc["2025-10-10 21:00"]
    assert crash["index_low"] == pytest.approx(102000, abs=CENT)          # spot low, 21:00 hour
    assert day(bars, "2025-10-10")["index_low"].idxmin() == pd.Timestamp("2025-10-10 21:00", tz="UTC")
    assert crash["low"] == pytest.approx(101516.5, abs=CENT)             # perp low at 21:20
    # about 111k by 21:35: the crash bar closes within 1% of 111k, well off its low
    assert abs(crash["index_close"] / 111000 - 1) < 0.01
    assert crash["index_close"] > 1.05 * crash["index_low"]
    # partial rebound by 22:00 and the published day close
    assert bars.loc["2025-10-10 22:00", "index_close"] > crash["index_low"] * 1.05
    assert bars.loc["2025-10-10 23:00", "index_close"] == pytest.approx(112775, abs=CENT)
    # -16% intraday from the 121.7k open (TIMELINE regime summary)
    assert 1 - 102000 / 121662 == pytest.approx(0.1616, abs=1e-4)


def test_second_leg_relief_and_break_of_100k(data):
    bars = data[0]
    assert day(bars, "2025-10-17")["index_low"].min() == pytest.approx(103528, abs=CENT)
    assert day(bars, "2025-10-27")["index_high"].max() == pytest.approx(116400, abs=CENT)
    assert day(bars, "2025-11-04")["index_low"].min() == pytest.approx(98944, abs=CENT)
    # "first trade below $100k since June": no index low under 100k before Nov 4
    assert bars.loc[:"2025-11-03 23:00", "index_low"].min() >= 100000
    assert day(bars, "2025-11-14")["index_low"].min() == pytest.approx(94012, abs=CENT)
    # "first daily close below 100k is on Nov 13"
    closes = bars["index_close"][bars.index.hour == 23]
    assert closes.loc[:"2025-11-12 23:00"].min() >= 100000
    assert closes.loc["2025-11-13 23:00"] < 100000


def test_november_21_capitulation_is_the_window_low(data):
    bars = data[0]
    assert day(bars, "2025-11-21")["index_low"].min() == pytest.approx(80600, abs=CENT)
    assert bars["index_low"].min() == pytest.approx(80600, abs=CENT)
    # TIMELINE: the cycle low is -36.1% from the ATH
    assert 1 - bars["index_low"].min() / bars["index_high"].max() == pytest.approx(0.361, abs=5e-4)


@pytest.mark.parametrize("first,last,mean", [
    ("2025-09-01", "2025-09-30", 0.000043),
    ("2025-10-01", "2025-10-10", 0.000070),
    ("2025-10-11", "2025-10-25", 0.000002),
    ("2025-10-26", "2025-11-20", 0.000061),
    ("2025-11-21", "2025-11-30", 0.000021),
])
def test_funding_regime_means(data, first, last, mean):
    rate = data[1]["rate"].loc[f"{first} 00:00":f"{last} 16:00"]
    assert rate.mean() == pytest.approx(mean, abs=1e-7)


def test_funding_regime_shape(data):
    rate = data[1]["rate"]
    assert (rate.loc["2025-10-01":"2025-10-10 16:00"] >= 0).all()      # no negative prints
    assert rate.min() == pytest.approx(-0.000109, abs=1e-9)
    assert rate.idxmin() == pd.Timestamp("2025-10-12 16:00", tz="UTC")
    crisis = rate.loc["2025-10-11":"2025-10-25 16:00"]
    assert len(crisis) == 45 and 0.3 <= (crisis < 0).mean() <= 0.7     # 23 of 45 negative
    assert rate.max() <= 0.0001 + 1e-12                                 # window max +0.0100%


def test_dvol_regimes(data):
    iv = data[2]
    closes = iv["atm_iv"][iv.index.hour == 0]    # a day's close is the level at next midnight
    pre = closes.loc["2025-09-02":"2025-10-09"]  # closes of Sep 1 .. Oct 8
    assert pre.min() == pytest.approx(0.338, abs=1e-9)
    assert pre.idxmin() == pd.Timestamp("2025-09-19", tz="UTC")          # close of Sep 18
    assert pre.max() <= 0.40 and closes.loc["2025-10-10 00:00"] <= 0.40
    assert iv.loc["2025-10-10 21:00", "atm_iv"] == pytest.approx(0.433, abs=1e-9)
    spike = day(iv, "2025-10-10")["atm_iv_high"]
    assert spike.max() == pytest.approx(0.649, abs=1e-9)
    assert spike.idxmax() == pd.Timestamp("2025-10-10 22:00", tz="UTC")   # the 21:00 bar
    assert closes.loc["2025-10-11 00:00"] == pytest.approx(0.441, abs=1e-9)
    post = closes.loc["2025-10-12":"2025-11-13"]   # closes of Oct 11 .. Nov 12
    assert post.min() >= 0.44 and post.max() == pytest.approx(0.507, abs=1e-9)
    assert post.idxmax() == pd.Timestamp("2025-10-23", tz="UTC")          # close of Oct 22


def test_manifest_states_the_facts_and_the_reconstruction(data):
    m = data[3]
    assert m["kind"] == "reconstruction"
    assert 1 <= len(m["anchors"]) <= 20
    for a in m["anchors"]:
        assert set(a) == {"fact", "value", "date", "source"} and a["source"]
    assert any("RECONSTRUCTION" in n for n in m["notes"])
    assert "2025-11-12" in m["iv_fill"] and "extrapolat" in m["iv_fill"].lower()
    assert np.all([k in m for k in ("provenance", "proxies", "start", "end")])
