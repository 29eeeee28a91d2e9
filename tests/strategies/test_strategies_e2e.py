"""Short end-to-end runs of built-ins through hedgelab.engine.simulate on synthetic markets.

Each expected number is derived from the strategy's rule and the engine's documented fill rules
(spot fills at the index close, perp at the traded close, funding = -qty x price x rate).
"""
import numpy as np
import pytest

from hedgelab.engine import Costs, simulate
from hedgelab.strategies import get_strategy

CAPITAL = 100_000.0
FREE = Costs.zero()


def sim(name, market, params=None, costs=FREE, **kw):
    spec = get_strategy(name)().spec(market, [params or {}])
    return simulate(market, spec, capital=CAPITAL, costs=costs, **kw)


def test_hold_equity_is_capital_times_price_ratio_less_the_fee(helpers):
    close = np.array([100.0, 104.0, 98.0, 120.0, 90.0, 110.0])
    market = helpers.make_market(close, funding_every=0)
    res = sim("hold", market, costs=Costs(perp_fee=0.0, spot_fee=0.001, half_spread=0.0, impact=0.0))
    # all cash buys qty = capital / (p0 x 1.001) at bar 0 (the fee comes out of the same cash)
    qty = CAPITAL / (close[0] * 1.001)
    np.testing.assert_allclose(res.equity.iloc[:, 0].to_numpy(), qty * close, rtol=1e-9)
    assert res.summary["fees"].iloc[0] == pytest.approx(qty * close[0] * 0.001)


def test_leveraged_long_10x_is_liquidated_on_a_15pct_fall(helpers):
    close = np.linspace(100.0, 85.0, 16)
    res = sim("leveraged-long", helpers.make_market(close, funding_every=0))
    # 10x isolated: the liquidation price is about 10 % - MMR below the entry, well above -15 %
    assert res.summary["liquidations"].iloc[0] == 1
    assert res.equity.iloc[-1, 0] < 0.01 * CAPITAL  # the whole margin is lost
    assert (res.perp_qty.iloc[-1] == 0).all()       # and it does not come back


def test_perp_hedge_keeps_half_the_move(helpers):
    close = np.linspace(100.0, 70.0, 30)
    res = sim("perp-hedge", helpers.make_market(close, funding_every=0))
    spot = 0.95 * CAPITAL / (100.0 + 0.5 * 100.0 / 3)  # 814.2857 BTC: spot + margin of the 3x short
    np.testing.assert_allclose(res.spot_qty.iloc[-1, 0], spot)
    np.testing.assert_allclose(res.perp_qty.iloc[-1, 0], -0.5 * spot)
    # no costs, no funding: equity = capital + (spot - 0.5 spot) x (p - p0)
    np.testing.assert_allclose(res.equity.iloc[:, 0], CAPITAL + 0.5 * spot * (close - 100.0))
    assert res.summary["liquidations"].iloc[0] == 0


def test_funding_carry_collects_funding_then_exits_when_it_turns_negative(helpers):
    n = 40
    market = helpers.make_market(np.full(n, 100.0), funding_every=8, rate=0.0001)
    rate = market.funding_rate.copy()
    rate[16::8] = -0.0005
    market = market._replace(funding_rate=rate)
    res = sim("funding-carry", market)
    qty = 0.95 * CAPITAL / (100.0 + 100.0 / 3)  # 712.5 BTC on each leg
    # short 712.5 BTC from bar 0's close; settlements at bars 8 (+1bp), 16 and 24 (-5bp) are received
    # as -qty x price x rate; the mean of the last 3 rates at bar 24 is -3bp < -1bp: both legs close
    expected = qty * 100.0 * (0.0001 - 0.0005 - 0.0005)
    assert res.summary["funding_pnl"].iloc[0] == pytest.approx(expected)
    funding = res.events[res.events["kind"] == "funding"]
    assert funding["amount"].sum() == pytest.approx(expected) and len(funding) == 3
    assert res.perp_qty.iloc[23, 0] == pytest.approx(-qty) and res.perp_qty.iloc[24, 0] == 0
    assert res.spot_qty.iloc[24, 0] == 0


def test_delever_cuts_exposure_after_a_stress_bar_and_waits_for_calm_to_relever():
    from hedgelab.engine.synthetic import make_market
    # 300 flat hourly bars at 100, then one bar that falls 8 % (open 100, low and close 92), flat after
    n, shock = 300, 120
    close = np.full(n, 100.0)
    close[shock:] = 92.0
    open_ = np.concatenate([[100.0], close[:-1]])
    market = make_market(open_, np.maximum(open_, close), np.minimum(open_, close), close)
    res = sim("delever", market)
    exposure = (res.perp_qty.iloc[:, 0] * market.mark_close / res.equity.iloc[:, 0]).to_numpy()
    # Defaults: 30 % of equity as margin, 2x low (0.6x exposure), 5x high (1.5x). The 24 h volatility is
    # first known at bar 24 (0 on flat bars: calm), so it opens low and re-levers after 72 h: bar 96.
    assert exposure[:96] == pytest.approx(0.6)
    assert exposure[96:shock] == pytest.approx(1.5)
    # The shock bar loses 1.5 x 8 % = 12 % > 10 % drawdown (and its return puts the 24 h vol far above
    # 80 %): cut to 0.6x at its close.
    assert exposure[shock] == pytest.approx(0.6)
    # The return stays in the 24 h window until bar 143; calm from bar 144, re-levered 72 h later. In
    # between nothing in the account says "low" (flat price, no drawdown since the cut): only memory.
    assert exposure[shock:216] == pytest.approx(0.6)
    assert exposure[216:] == pytest.approx(1.5)
    assert res.summary["liquidations"].iloc[0] == 0


def test_delever_survives_the_fall_that_liquidates_a_fixed_20x(helpers):
    close = 100.0 * 0.99 ** np.arange(12)  # -1 % a bar, about -10 % in all
    market = helpers.make_market(close, funding_every=0)
    assert sim("leveraged-long", market, {"leverage": 20}).summary["liquidations"].iloc[0] == 1
    managed = sim("delever", market, {"high_leverage": 20, "calm_hours": 0, "vol_hours": 2})
    assert managed.summary["liquidations"].iloc[0] == 0
    # it does run at 20x on 30 % (6x exposure) in the calm stretches, and cuts each time the drawdown
    # since the last cut passes 10 % (two -1 % bars at 6x) before the 20x margin (5 %) is gone
    exposure = managed.perp_qty.iloc[:, 0] * close / managed.equity.iloc[:, 0]
    assert exposure.max() == pytest.approx(6.0, rel=0.1) and exposure.min() == pytest.approx(0.6, rel=0.01)


def test_risk_sized_loses_at_most_its_budget_when_liquidated(helpers):
    close = np.array([100.0, 80.0, 80.0, 80.0])  # a gap through the liquidation price
    res = sim("risk-sized", helpers.make_market(close, funding_every=0),
              {"stop_distance": 0.0, "reentry_hours": 0})
    # margin = 3 % of 100k; isolated liquidation loses at most the margin
    assert res.summary["liquidations"].iloc[0] == 1
    loss = CAPITAL - res.equity.iloc[-1, 0]
    assert 0 < loss <= 0.03 * CAPITAL + 1e-6


def test_stateless_targets_strategy_runs_in_the_engine(helpers):
    # trend-hedge example: unhedged while above its 3-bar mean, hedged once below it
    import importlib.util
    path = helpers.fixtures / "trend_hedge.py"
    spec_ = importlib.util.spec_from_file_location("trend_hedge_e2e", path)
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    close = np.array([100.0, 101, 102, 103, 104, 95, 90, 85])
    market = helpers.make_market(close, funding_every=0)
    res = simulate(market, module.TrendHedge().spec(market, [{"window_hours": 3}]), capital=CAPITAL, costs=FREE)
    perp = res.perp_qty.iloc[:, 0].to_numpy()
    # 3-bar trailing means: bar 5 closes at 95 < (103+104+95)/3 = 100.67 -> first hedged bar
    assert (perp[:5] == 0).all() and (perp[5:] < 0).all()
    spot_value = res.spot_qty.iloc[5, 0] * 95.0
    assert -perp[5] * 95.0 == pytest.approx(spot_value, rel=1e-6)  # hedge_ratio 1: equal notional


def test_perp_hedge_top_up_keeps_the_short_alive_in_a_rally(helpers):
    # 3x short of 407 BTC from 100: the margin (13.6k) is gone near +33 % (Binance 0.4 % tier);
    # the top-up rule moves the 5 % cash reserve in once the margin ratio passes 0.05 (about +25 %),
    # which moves the liquidation price to about +45 %, beyond this +35 % rally
    close = np.concatenate([np.linspace(100.0, 135.0, 36), np.full(4, 135.0)])
    market = helpers.make_market(close, funding_every=0)
    never = sim("perp-hedge", market, {"topup_at": 1.0, "rebalance_hours": 0, "drift": 10.0})
    topped = sim("perp-hedge", market, {"rebalance_hours": 0, "drift": 10.0})
    assert never.summary["liquidations"].iloc[0] == 1
    assert topped.summary["liquidations"].iloc[0] == 0
    moved = topped.events[topped.events["kind"] == "margin"]
    assert len(moved) >= 1 and moved["price"].sum() <= 0.05 * CAPITAL + 1e-6  # USD moved: at most the cash reserve
