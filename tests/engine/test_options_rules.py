"""Deribit option rules: payoff and fee examples of the spec sheet (§5, §7.3), margin, spread, delivery."""
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine.nb.option_rules import (
    delivery_fee_nb, delivery_price_nb, inverse_payoff_btc_nb, linear_payoff_usd_nb, option_fee_nb,
    option_quote_nb, short_margin_btc_nb, short_margin_usd_nb,
)


def test_spec_payoff_examples():
    # §7.3: call K=10,000 bought at 0.05 BTC, delivery 12,500 -> payoff 2,500/12,500 = 0.2 BTC, profit 0.15
    payoff = inverse_payoff_btc_nb(True, 12_500.0, 10_000.0)
    assert payoff == pytest.approx(0.2, abs=1e-15)
    assert payoff - 0.05 == pytest.approx(0.15, abs=1e-15)
    # put K=10,000, delivery 5,000 -> 5,000/5,000 = 1 BTC
    assert inverse_payoff_btc_nb(False, 5_000.0, 10_000.0) == 1.0
    # old page: call K=300, delivery 400 -> 100/400 = 0.25; put K=300, delivery 200 -> 100/200 = 0.5
    assert inverse_payoff_btc_nb(True, 400.0, 300.0) == 0.25
    assert inverse_payoff_btc_nb(False, 200.0, 300.0) == 0.5
    # out of the money pays nothing
    assert inverse_payoff_btc_nb(True, 9_000.0, 10_000.0) == 0.0
    assert inverse_payoff_btc_nb(False, 11_000.0, 10_000.0) == 0.0


def test_linear_payoff_is_inverse_payoff_in_usd_at_delivery():
    for s in (5_000.0, 9_999.0, 12_500.0):
        for call in (True, False):
            want = inverse_payoff_btc_nb(call, s, 10_000.0) * s
            assert linear_payoff_usd_nb(call, s, 10_000.0) == pytest.approx(want)
    assert linear_payoff_usd_nb(True, 12_500.0, 10_000.0) == 2_500.0


def test_spec_fee_cap_example():
    # an option at 0.0001 BTC pays 12.5% of its price = 0.0000125 BTC instead of 0.0003 BTC
    s = 100_000.0
    fee_usd = option_fee_nb(0.0001 * s, s, 1.0)
    assert fee_usd / s == pytest.approx(0.0000125, rel=1e-12)
    # a 0.05 BTC option pays the uncapped 0.03% of the underlying: 0.0003 BTC per contract
    assert option_fee_nb(0.05 * s, s, -2.0) / s == pytest.approx(2 * 0.0003, rel=1e-12)


def test_delivery_fee():
    s = 12_500.0
    # 0.015% of the underlying (0.00015 BTC) < 12.5% of 0.2 BTC: pays 0.00015 BTC per contract
    assert delivery_fee_nb(0.2 * s, s, 3.0) / s == pytest.approx(3 * 0.00015, rel=1e-12)
    # tiny value: capped at 12.5% of 0.0008 BTC = 0.0001 BTC; out of the money: nothing
    assert delivery_fee_nb(0.0008 * s, s, 1.0) / s == pytest.approx(0.0001, rel=1e-12)
    assert delivery_fee_nb(0.0, s, 1.0) == 0.0


def test_short_margin_formulas():
    s = 100_000.0
    # call K=110,000, mark 0.01: OTM/S = 0.1 -> IM = max(0.05, 0.1) + 0.01 = 0.11, MM = 0.075 + 0.01
    im, mm = short_margin_btc_nb(True, s, 110_000.0, 0.01)
    assert (im, mm) == (pytest.approx(0.11), pytest.approx(0.085))
    # ITM call: OTM = 0 -> IM = 0.15 + mark
    assert short_margin_btc_nb(True, s, 90_000.0, 0.12)[0] == pytest.approx(0.27)
    # put K=95,000, mark 0.02: OTM/S = 0.05 -> IM = max(0.1 + 0.02, MM); MM = max(0.075, 0.0015) + 0.02
    im, mm = short_margin_btc_nb(False, s, 95_000.0, 0.02)
    assert (im, mm) == (pytest.approx(0.12), pytest.approx(0.095))
    # deep OTM put with a big mark: MM = max(0.075, 0.075*1.5) + 1.5 = 1.6125 > max(0.1, ..) + 1.5
    im, mm = short_margin_btc_nb(False, s, 50_000.0, 1.5)
    assert mm == pytest.approx(1.6125) and im == pytest.approx(1.6125)
    # USD: BTC margin of 2 contracts times the index; mark_btc = mark_usd / forward
    im_u, mm_u = short_margin_usd_nb(True, s, 110_000.0, 0.01 * 101_000.0, 101_000.0, -2.0)
    assert im_u == pytest.approx(2 * 0.11 * s) and mm_u == pytest.approx(2 * 0.085 * s)


def test_spread_widens_with_vol_and_short_tenor():
    f = 100_000.0
    bid, ask = option_quote_nb(2_000.0, f, 0.5, 30.0)
    assert bid < 2_000.0 < ask and ask - 2_000.0 == pytest.approx(2_000.0 - bid)
    # half spread = 2000 * (0.01 + 0.02*0.5) * (1 + 0.5/sqrt(30))
    assert ask - 2_000.0 == pytest.approx(2_000.0 * 0.02 * (1 + 0.5 / math.sqrt(30.0)))
    w_hi_vol = np.subtract(*option_quote_nb(2_000.0, f, 1.0, 30.0)[::-1])
    w_short = np.subtract(*option_quote_nb(2_000.0, f, 0.5, 1.0)[::-1])
    assert w_hi_vol > ask - bid and w_short > ask - bid
    # a near-worthless option still costs one tick (0.0001 BTC) over the mid, and the bid stays >= 0
    bid, ask = option_quote_nb(1.0, f, 0.5, 30.0)
    assert ask == pytest.approx(1.0 + 10.0) and bid == 0.0


def _bars(freq, start, n, close):
    t = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    return t.as_unit("ns").asi8.astype(np.int64), np.asarray(close, dtype=float)


def test_delivery_price_from_hourly_bars():
    # bars 06:00, 07:00, 08:00; expiry 08:00 -> mean of 07:00 bar close and 08:00 bar open
    t, close = _bars("1h", "2025-10-31 06:00", 3, [100.0, 110.0, 120.0])
    open_ = np.array([95.0, 100.0, 112.0])
    e = pd.Timestamp("2025-10-31 08:00", tz="UTC").timestamp()
    assert delivery_price_nb(t, 3600, open_, close, e) == pytest.approx((110.0 + 112.0) / 2)
    # without the 08:00 bar: the 07:00 close alone; without the 07:00 bar: NaN
    assert delivery_price_nb(t[:2], 3600, open_[:2], close[:2], e) == 110.0
    assert math.isnan(delivery_price_nb(t[:1], 3600, open_[:1], close[:1], e))


def test_delivery_price_from_minute_bars_is_30_min_twap():
    # 60 one-minute bars 07:00..07:59 with close = minute number; window = closes of 07:30..07:59 bars
    t, close = _bars("1min", "2025-10-31 07:00", 60, np.arange(60.0))
    e = pd.Timestamp("2025-10-31 08:00", tz="UTC").timestamp()
    assert delivery_price_nb(t, 60, close, close, e) == pytest.approx(np.arange(30.0, 60.0).mean())


def test_delivery_price_from_daily_bars_interpolates_inside_the_bar():
    # daily bar 2025-10-31 00:00 open 100, close 124: 08:00 is 1/3 of the way -> 100 + 24/3 = 108
    t, close = _bars("1D", "2025-10-30", 2, [100.0, 124.0])
    open_ = np.array([90.0, 100.0])
    e = pd.Timestamp("2025-10-31 08:00", tz="UTC").timestamp()
    assert delivery_price_nb(t, 86400, open_, close, e) == pytest.approx(108.0)
    # an expiry after the data ends has no delivery price yet
    assert math.isnan(delivery_price_nb(t, 86400, open_, close, e + 86400))
