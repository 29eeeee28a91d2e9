"""Every cut order is an event with its reason (issue 10: an isolated order larger than the cash was
cut silently; issue 11: leverage above the bracket maximum was applied silently, slippage charged
on the uncut order). Expected numbers from the cost rule (engine/costs.py) and the venue's table."""
import datetime as dt

import numpy as np
import pytest
from numba import njit

from hedgelab.engine import load_venue, simulate
from hedgelab.engine.costs import Costs
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.strategies.testing import synthetic_market

N = 4
PRICE = 100.0
CAPITAL = 1000.0


def run(perp=np.nan, spot=np.nan, leverage=np.nan, *, margin_mode="isolated", costs=None, volume=1e9):
    """One decision on bar 0 (replay_nb: features = perp target, spot target, leverage)."""
    features = np.full((N, 3), np.nan)
    features[0] = perp, spot, leverage
    rebalance = np.zeros(N, dtype=bool)
    rebalance[0] = True
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), features, rebalance, ("x",), ("one",))
    market = synthetic_market(np.full(N, PRICE), funding_every=0, volume=volume)
    res = simulate(market, spec, capital=CAPITAL, margin_mode=margin_mode, costs=costs or Costs.zero())
    return res, res.events


def test_an_isolated_order_larger_than_the_cash_is_cut_with_an_event():
    res, ev = run(perp=20.0, leverage=1.0)
    # margin at 1x = notional: 1,000 USD pays for 10 BTC at 100, no fees
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(10.0)
    cut = ev[ev["kind"] == "order_trimmed"]
    assert len(cut) == 1
    assert cut[["instrument", "qty", "price", "amount", "reason"]].iloc[0].tolist() == ["perp", 10.0, PRICE, 0.0,
                                                                                         "cash"]


def test_a_spot_buy_larger_than_the_cash_is_cut_with_an_event():
    res, ev = run(spot=25.0)
    assert res.spot_qty.iloc[-1, 0] == pytest.approx(10.0)
    cut = ev[ev["kind"] == "order_trimmed"]
    assert cut[["instrument", "qty", "reason"]].iloc[0].tolist() == ["spot", 15.0, "cash"]


def test_a_cross_increase_cut_for_initial_margin_says_so():
    _, ev = run(perp=20.0, leverage=1.0, margin_mode="cross")
    cut = ev[ev["kind"] == "order_trimmed"]
    assert len(cut) == 1 and cut["reason"].iloc[0] == "initial_margin"
    assert cut["qty"].iloc[0] == pytest.approx(10.0)   # equity 1,000 covers 10 BTC * 100 / 1x


def test_leverage_above_the_bracket_maximum_is_capped_with_an_event():
    day = dt.date(2025, 10, 9)  # synthetic_market's first day
    cap = load_venue("binance", at=day).tiers[0][4]  # the first bracket's maximum leverage
    res, ev = run(perp=5.0, leverage=cap * 4)
    capped = ev[ev["kind"] == "leverage_capped"]
    assert len(capped) == 1
    assert capped[["qty", "price", "amount", "reason"]].iloc[0].tolist() == [0.0, cap, 0.0, "tier_max_leverage"]
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(5.0)


def test_slippage_is_charged_on_what_trades_not_on_the_order_asked():
    # impact only: slip = 0.01 * sqrt(|qty| / volume). At volume 100 BTC, 1x isolated, no fees, the
    # order is cut to what the cash pays at the asked order's price (y = 1,000 / that price), then the
    # y BTC that trade are priced at their own size (cheaper), so a little cash is left.
    costs = Costs(perp_fee=0.0, spot_fee=0.0, half_spread=0.0, impact=0.01, impact_exponent=0.5)
    res, ev = run(perp=50.0, leverage=1.0, costs=costs, volume=100.0)
    fill = ev[(ev["kind"] == "fill") & (ev["instrument"] == "perp")].iloc[0]
    y = fill["qty"]
    assert fill["price"] == pytest.approx(PRICE * (1 + 0.01 * np.sqrt(y / 100.0)), rel=1e-12)
    asked_price = PRICE * (1 + 0.01 * np.sqrt(50.0 / 100.0))
    assert fill["price"] < asked_price
    assert y == pytest.approx(CAPITAL / asked_price, rel=1e-12)
    assert res.cash.iloc[-1, 0] == pytest.approx(CAPITAL - y * fill["price"], rel=1e-9)
    assert res.cash.iloc[-1, 0] > 0


@njit(HOOK_SIG, cache=True)
def buy_many_puts_nb(i, state, params, features, intent):
    if i == 0:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = 0.9
        intent[Intent.OPT1_TENOR_DAYS] = 30.0
        intent[Intent.OPT1_QTY] = params[0]


def test_a_long_option_larger_than_the_cash_is_cut_with_an_event():
    spec = StrategySpec(buy_many_puts_nb, np.array([[1e4]]), np.zeros((N, 1)), np.ones(N, dtype=bool), ("qty",),
                        ("puts",))
    market = synthetic_market(np.full(N, 100_000.0), funding_every=0)
    ev = simulate(market, spec, capital=CAPITAL, costs=Costs.zero()).events
    cut = ev[ev["kind"] == "order_trimmed"]
    fill = ev[ev["kind"] == "option_fill"]
    fee = ev[(ev["kind"] == "fee") & (ev["instrument"] == "option")]
    assert cut["reason"].tolist() == ["cash"] and cut["instrument"].tolist() == ["option"]
    # what was filled and what was cut add up to the order; premium and fee spend the cash exactly
    assert fill["qty"].iloc[0] + cut["qty"].iloc[0] == pytest.approx(1e4, rel=1e-12)
    assert -(fill["amount"].sum() + fee["amount"].sum()) == pytest.approx(CAPITAL, rel=1e-9)
