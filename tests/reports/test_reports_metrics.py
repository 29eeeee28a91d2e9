"""Metrics against hand computations on tiny curves (each expected number is derived in a comment)."""
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.reports import metrics as m


def curve(values, start="2025-10-01", freq="12h"):
    return pd.Series(values, pd.date_range(start, periods=len(values), freq=freq, tz="UTC"), dtype="float64")


def test_total_return_from_first_value_and_from_capital():
    eq = curve([100.0, 110.0, 99.0])
    assert m.total_return(eq) == pytest.approx(99 / 100 - 1)          # -1%
    assert m.total_return(eq, start_value=90.0) == pytest.approx(0.1)  # 99/90 - 1


def test_max_drawdown_is_worst_peak_to_trough():
    # peaks 100 -> 120; troughs 90 (-25% from 120) and 108 (-10% from 120); 80 comes after a new peak 130
    eq = curve([100, 120, 90, 108, 130, 104])
    # 104/130 - 1 = -0.2, 90/120 - 1 = -0.25 -> worst is -0.25
    assert m.max_drawdown(eq) == pytest.approx(-0.25)
    assert m.drawdown(eq).tolist() == pytest.approx([0, 0, -0.25, -0.1, 0, -0.2])


def test_max_drawdown_of_a_rising_curve_is_zero_and_negative_equity_floors_at_minus_one():
    assert m.max_drawdown(curve([1, 2, 3])) == 0.0
    assert m.max_drawdown(curve([100, 50, -20])) == -1.0  # equity below 0 counts as 0: a full loss


def test_daily_returns_use_utc_day_closes_and_start_from_the_first_value():
    # two bars per day: day1 closes 110 (first value 100 -> +10%), day2 closes 99 (-10%), day3 closes 99 (0%)
    eq = curve([100, 110, 105, 99, 120, 99])
    r = m.daily_returns(eq)
    assert list(r.index.strftime("%Y-%m-%d")) == ["2025-10-01", "2025-10-02", "2025-10-03"]
    assert r.tolist() == pytest.approx([0.10, -0.10, 0.0])
    assert m.worst_day(eq) == pytest.approx(-0.10)


def test_daily_returns_group_by_utc_not_local_time():
    # 23:00 and 01:00 UTC of a +02:00 index are different UTC days even though local time says otherwise
    idx = pd.DatetimeIndex(["2025-10-02 01:00", "2025-10-02 03:00"]).tz_localize("Europe/Berlin")  # 23:00, 01:00 UTC
    r = m.daily_returns(pd.Series([100.0, 50.0], idx))
    assert list(r.index.strftime("%Y-%m-%d")) == ["2025-10-01", "2025-10-02"]
    assert r.tolist() == pytest.approx([0.0, -0.5])


def test_a_wiped_out_account_returns_minus_one_then_zero():
    r = m.daily_returns(curve([100, 100, 0, 0, 0, 0]))
    assert r.tolist() == pytest.approx([0.0, -1.0, 0.0])


def test_sharpe_by_hand():
    # daily returns +1%, -1%, +2%: mean 0.006667, sample sd sqrt(((0.00333)^2+(0.01667)^2+(0.01333)^2)/2)
    r = pd.Series([0.01, -0.01, 0.02])
    mean = (0.01 - 0.01 + 0.02) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in (0.01, -0.01, 0.02)) / 2)
    assert m.sharpe(r) == pytest.approx(mean / sd * math.sqrt(365))
    assert m.annual_volatility(r) == pytest.approx(sd * math.sqrt(365))


def test_sharpe_of_flat_or_single_returns_is_nan():
    assert math.isnan(m.sharpe(pd.Series([0.0, 0.0, 0.0])))
    assert math.isnan(m.sharpe(pd.Series([0.05])))


def test_sharpe_is_invariant_to_scaling_returns():
    # metamorphic (empyrical style): mean and sd scale alike
    r = pd.Series(np.random.default_rng(0).normal(0.001, 0.02, 50))
    assert m.sharpe(r * 3) == pytest.approx(m.sharpe(r))


def test_cagr_over_half_a_year():
    # +21% over 182.5 days is (1.21)^2 - 1 = 46.41% a year
    idx = pd.DatetimeIndex(["2025-01-01", "2025-07-02 12:00"], tz="UTC")
    assert m.cagr(pd.Series([100.0, 121.0], idx)) == pytest.approx(0.4641)


def events(*rows):
    return pd.DataFrame(rows, columns=["time", "strategy", "instrument", "side", "kind", "qty", "price", "amount"])


def test_event_metrics_signs():
    t = pd.Timestamp("2025-10-01", tz="UTC")
    ev = events(
        (t, "s", "PERP", "buy", "fill", 1.0, 100.0, 0.0),
        (t, "s", "PERP", "", "fee", 0.0, 0.0, -5.0),
        (t, "s", "OPT", "", "option_fee", 0.0, 0.0, -1.5),
        (t, "s", "PERP", "", "funding", 0.0, 0.0, 12.0),
        (t, "s", "PERP", "", "funding", 0.0, 0.0, -2.0),
        (t, "s", "OPT", "buy", "option_fill", 1.0, 300.0, -300.0),
        (t, "s", "OPT", "sell", "option_premium", 1.0, 100.0, 100.0),
        (t, "s", "OPT", "", "option_settlement", 1.0, 0.0, 450.0),
        (t, "s", "PERP", "sell", "liquidation", -1.0, 90.0, 0.0),
        (t, "s", "PERP", "sell", "liquidation", -1.0, 80.0, 0.0),
    )
    assert m.liquidations(ev) == 2
    assert m.funding_pnl(ev) == pytest.approx(10.0)             # 12 received - 2 paid
    assert m.fees(ev) == pytest.approx(6.5)                     # 5 + 1.5 paid, reported positive
    assert m.option_pnl(ev) == pytest.approx(250.0)             # -300 + 100 + 450; the option fee is in fees


def test_event_metrics_of_no_events_are_zero():
    for ev in (None, events()):
        assert (m.liquidations(ev), m.funding_pnl(ev), m.fees(ev), m.option_pnl(ev)) == (0, 0.0, 0.0, 0.0)
