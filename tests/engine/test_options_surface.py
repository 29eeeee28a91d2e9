"""Vol surface shape, stress input (no look-ahead), leg marking, and the put premium on the real crisis data."""
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine.nb.black76 import black76_greeks_nb, black76_price_nb
from hedgelab.engine.nb.option_leg import option_mark_nb
from hedgelab.engine.nb.surface import model_vol_nb, surface_vol_nb
from hedgelab.engine.options import OptionConfig, stress_series

CFG = OptionConfig()
K90 = math.log(0.9)  # 10% OTM put: ln(K/F)


def put_prem(atm, stress, moneyness=0.9, days=30.0):
    """30-day put premium as a fraction of the forward, priced on the surface vol."""
    vol = surface_vol_nb(atm, days, math.log(moneyness), stress)
    return black76_price_nb(1.0, moneyness, days / 365, vol, False)


def test_atm_30d_returns_the_atm_level_at_any_stress():
    for st in (0.0, 0.5, 1.0):
        assert surface_vol_nb(0.45, 30.0, 0.0, st) == pytest.approx(0.45, rel=1e-15)


def test_smile_is_not_flat_otm_put_above_atm():
    # calm market: a 30-day 10% OTM put has more vol than ATM, so it costs more than at the ATM vol
    vol = surface_vol_nb(0.45, 30.0, K90, 0.0)
    assert vol > 0.45
    assert black76_price_nb(1.0, 0.9, 30 / 365, vol, False) > black76_price_nb(1.0, 0.9, 30 / 365, 0.45, False)
    # hand value: x = ln 0.9 / sqrt(30/365) = -0.36750; m = 1 + 0.05*0.36750 + 0.1*(sqrt(x^2+0.04) - 0.2)
    x = math.log(0.9) / math.sqrt(30 / 365)
    assert vol == pytest.approx(0.45 * (1 - 0.05 * x + 0.1 * (math.sqrt(x * x + 0.04) - 0.2)), rel=1e-12)


def test_put_skew_steepens_with_stress():
    ratios = [surface_vol_nb(0.45, 30.0, K90, st) / 0.45 for st in np.linspace(0, 1, 6)]
    assert all(b > a for a, b in zip(ratios, ratios[1:]))
    # the call wing does not steepen: the 10% OTM call vol falls relative to ATM as stress rises
    assert surface_vol_nb(0.45, 30.0, math.log(1.1), 1.0) < surface_vol_nb(0.45, 30.0, math.log(1.1), 0.0)


def test_term_structure_calm_upward_stressed_inverted():
    calm = [surface_vol_nb(0.45, d, 0.0, 0.0) for d in (1.0, 7.0, 30.0, 90.0)]
    stressed = [surface_vol_nb(0.45, d, 0.0, 1.0) for d in (1.0, 7.0, 30.0, 90.0)]
    assert calm == sorted(calm) and stressed == sorted(stressed, reverse=True)
    # below t_min_days (1 day) the 1-day vol is used
    assert surface_vol_nb(0.45, 0.1, 0.0, 1.0) == surface_vol_nb(0.45, 1.0, 0.0, 1.0)


def test_surface_guards():
    assert math.isnan(surface_vol_nb(math.nan, 30.0, 0.0, 0.0))
    assert surface_vol_nb(0.45, 30.0, 0.0, 5.0) == surface_vol_nb(0.45, 30.0, 0.0, 1.0)  # stress clipped to 1
    assert surface_vol_nb(0.45, 1.0, 3.0, 1.0) == pytest.approx(0.5 * surface_vol_nb(0.45, 1.0, 0.0, 1.0))  # m_floor
    assert surface_vol_nb(0.45, 1.0, -3.0, 1.0) == 10.0  # vol_cap


def test_model_vol_reads_config_and_defaults_agree():
    assert model_vol_nb(CFG, 0.5, 14.0, -0.07, 0.3) == surface_vol_nb(0.5, 14.0, -0.07, 0.3)
    steep = CFG._replace(skew_stress=-0.6)
    assert model_vol_nb(steep, 0.5, 14.0, -0.07, 1.0) > model_vol_nb(CFG, 0.5, 14.0, -0.07, 1.0)


def test_option_mark_prices_on_forward_and_settles_to_intrinsic():
    cfg = CFG._replace(basis=0.06, r=0.02)
    t, e = 0.0, 30 * 86400.0
    price, delta, gamma, vega, theta, sigma, fwd = option_mark_nb(cfg, False, 100_000.0, 90_000.0, t, e, 0.45, 0.2)
    tau = 30 / 365
    assert fwd == pytest.approx(100_000.0 * math.exp(0.06 * tau))
    assert sigma == pytest.approx(surface_vol_nb(0.45, 30.0, math.log(90_000.0 / fwd), 0.2))
    assert price == pytest.approx(black76_price_nb(fwd, 90_000.0, tau, sigma, False, math.exp(-0.02 * tau)))
    assert (delta, gamma, vega, theta) == pytest.approx(
        black76_greeks_nb(fwd, 90_000.0, tau, sigma, False, math.exp(-0.02 * tau)))
    # at expiry: intrinsic on the spot
    assert option_mark_nb(cfg, False, 80_000.0, 90_000.0, e, e, 0.45, 0.2)[0] == 10_000.0
    assert math.isnan(option_mark_nb(cfg, False, 80_000.0, 90_000.0, t, e, math.nan, 0.2)[0])


def test_stress_series_rule_and_no_look_ahead():
    # 48 flat hours at 100, then 95 (5% below the 7-day max; 24h return -5%):
    # stress = max(0.05 / 0.20, 0.05 / 0.10) = 0.5
    close = np.r_[np.full(48, 100.0), 95.0, np.full(10, 95.0)]
    st = stress_series(close, 3600.0)
    assert st[47] == 0.0 and st[48] == pytest.approx(0.5)
    # 24 bars later the return leg is gone; the drawdown leg (0.25) remains for 7 days
    assert st[58] == pytest.approx(0.5)  # still within 24 h
    long = np.r_[np.full(48, 100.0), np.full(30, 95.0)]
    assert stress_series(long, 3600.0)[48 + 24] == pytest.approx(0.25)
    # no look-ahead: each prefix gives the same values as the full series
    rng = np.random.default_rng(3)
    path = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    full = stress_series(path, 3600.0)
    for n in (30, 200, 399):
        np.testing.assert_array_equal(stress_series(path[:n], 3600.0), full[:n])


# ---- real data: Deribit hourly DVOL and Binance spot, Sep-Dec 2025 ----

def _crisis_frame(shared_dir):
    spot = pd.read_csv(shared_dir / "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv",
                       index_col="open_time_utc", parse_dates=True)
    dvol = pd.read_csv(shared_dir / "deribit_btc_dvol_1h_ohlc_lrud.csv")
    dvol.index = pd.to_datetime(dvol["timestamp_ms"], unit="ms")
    spot["stress"] = stress_series(spot["close"].to_numpy(), 3600.0)
    # both stamped at the bar open, both known at the bar close
    return spot.join(dvol["dvol_close"] / 100.0, how="left").rename(columns={"dvol_close": "atm_iv"})


def test_put_premium_rises_with_the_oct10_dvol_spike(shared_dir):
    df = _crisis_frame(shared_dir).loc["2025-10-03":"2025-10-14"].dropna(subset=["atm_iv"])
    prem = pd.Series([put_prem(a, s) for a, s in zip(df["atm_iv"], df["stress"])], index=df.index)
    before, spike = prem.loc["2025-10-10 12:00"], prem.loc["2025-10-10 21:00"]
    # DVOL closes the 21:00 bar at 58.84 vs 40.14 at 12:00: the 30-day 10% OTM put more than doubles
    assert spike > 2 * before
    # the premium peaks on the bar where DVOL peaks
    assert prem.idxmax() == df["atm_iv"].idxmax() == pd.Timestamp("2025-10-10 21:00")


@pytest.mark.parametrize("calm,crash", [("2025-10-09", "2025-10-10"), ("2025-11-10", "2025-11-21")])
def test_otm_put_premium_relative_to_atm_rises_on_crash_days(shared_dir, calm, crash):
    # same ATM level on both days (0.45) so the comparison isolates the smile: the ratio of the
    # 10% OTM put premium to the ATM put premium at each day's highest stress, from real spot closes
    df = _crisis_frame(shared_dir)

    def ratio(day):
        st = df.loc[day, "stress"].max()
        return put_prem(0.45, st) / put_prem(0.45, st, moneyness=1.0)
    assert ratio(crash) > ratio(calm) * 1.05


def test_stress_kernel_matches_a_pandas_rolling_reference(shared_dir):
    # independent reference: pandas rolling max over 168 h, 24 h return, same scales (0.20, 0.10)
    c = pd.read_csv(shared_dir / "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv")["close"].to_numpy().copy()
    c[100:105] = np.nan
    x = pd.Series(c).ffill()
    dd = (1 - x / x.rolling(168, min_periods=1).max()).fillna(0.0)
    ret = (x / x.shift(24) - 1).fillna(0.0)
    ref = np.clip(np.maximum(dd / 0.20, -ret / 0.10), 0, 1).to_numpy()
    np.testing.assert_allclose(stress_series(c, 3600.0), ref, rtol=0, atol=1e-15)
    # on 30-minute bars the windows are counted in bars: 336 and 48
    x2 = pd.Series(c[:600])
    ref2 = np.clip(np.maximum((1 - x2.ffill() / x2.ffill().rolling(336, min_periods=1).max()) / 0.2,
                              -(x2.ffill() / x2.ffill().shift(48) - 1).fillna(0) / 0.1), 0, 1).to_numpy()
    np.testing.assert_allclose(stress_series(c[:600], 1800.0), ref2, rtol=0, atol=1e-15)


@pytest.mark.parametrize("stress", [0.0, 0.5, 1.0])
def test_default_surface_has_no_static_arbitrage_on_a_grid(stress):
    # butterfly: call prices decreasing and convex in strike (second divided differences >= 0);
    # calendar: total variance sigma^2 T non-decreasing in T at fixed ln(K/F)
    k = np.linspace(-1.5, 1.0, 601)
    strikes = np.exp(k)
    for days in (0.2, 1.0, 7.0, 30.0, 365.0):
        c = np.array([black76_price_nb(1.0, s, days / 365, surface_vol_nb(0.45, days, kk, stress), True)
                      for s, kk in zip(strikes, k)])
        slopes = np.diff(c) / np.diff(strikes)
        assert (np.diff(c) <= 1e-12).all()
        assert np.diff(slopes).min() > -1e-10, days
    for kk in (-0.5, -0.2, 0.0, 0.2, 0.5):
        w = [surface_vol_nb(0.45, d, kk, stress) ** 2 * d for d in (1, 2, 7, 14, 30, 60, 90, 180, 365)]
        assert all(b >= a for a, b in zip(w, w[1:])), kk
