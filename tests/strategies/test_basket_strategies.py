"""The basket built-ins: what they hold after their first decision, from the rules in their docstrings."""
import numpy as np
import pytest

from hedgelab.core.errors import UserError
from hedgelab.engine import Costs
from hedgelab.engine.basket import simulate_basket
from hedgelab.strategies import BASKET_BUILTINS, get_strategy
from hedgelab.strategies.basket import parse_basket
from hedgelab.strategies.features import rolling_beta
from hedgelab.strategies.testing import synthetic_market


@pytest.mark.parametrize("name", BASKET_BUILTINS)
def test_the_hook_reads_the_weights_where_the_base_puts_them(name):
    import importlib
    cls = get_strategy(name)
    module = importlib.import_module(cls.__module__)
    assert module.W0 == cls.weights_at() == len(cls.params())


def _markets(n=400, beta=2.0, seed=3):
    """BTC a random walk; ETH's log returns beta x BTC's (so its beta is exactly ``beta``); SOL flat."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.004, n)
    r[0] = 0.0
    btc = 100_000.0 * np.exp(np.cumsum(r))
    eth = 4_000.0 * np.exp(np.cumsum(beta * r))
    return {"ETH": synthetic_market(eth, funding_every=0), "SOL": synthetic_market(np.full(n, 200.0), funding_every=0),
            "BTC": synthetic_market(btc, funding_every=0)}


def test_rolling_beta_recovers_a_known_beta():
    m = _markets()
    beta = rolling_beta(m["ETH"].index_close, m["BTC"].index_close, 168)
    assert np.isnan(beta[:24]).all()
    np.testing.assert_allclose(beta[24:], 2.0, rtol=1e-9)


def test_basket_btc_short_sizes_its_hedge_by_the_beta_weighted_basket():
    basket = {"ETH": 0.5, "SOL": 0.5}
    m = _markets()
    cls = get_strategy("basket-btc-short")
    # decide first at bar 100 (the betas known: ETH 2, SOL 0 -- a flat coin has no covariance)
    strategy = cls(hedge_ratio=1.0, hedge_leverage=4.0, reserve=0.0, rebalance_hours=0.0)
    spec = strategy.basket_spec(m, basket)
    mask = np.zeros_like(spec.rebalance)
    mask[100] = True
    res = simulate_basket(m, spec._replace(rebalance=mask), venue="hyperliquid", margin_mode="cross",
                          costs=Costs.zero())
    beta_bar = 0.5 * 2.0 + 0.5 * 0.0
    value = 100_000.0 / (1.0 + 1.0 * beta_bar / 4.0)          # spot basket plus the hedge's margin
    spot = {c: res.coins["spot_qty"][c].iloc[100, 0] for c in basket}
    assert spot["ETH"] * m["ETH"].index_close[100] == pytest.approx(0.5 * value, rel=1e-12)
    assert spot["SOL"] * m["SOL"].index_close[100] == pytest.approx(0.5 * value, rel=1e-12)
    hedge = res.coins["perp_qty"]["BTC"].iloc[100, 0]
    assert hedge * m["BTC"].mark_close[100] == pytest.approx(-beta_bar * value, rel=1e-12)


def test_basket_own_perps_shorts_each_coin_on_its_own_perp():
    basket = {"ETH": 0.6, "SOL": 0.4}
    m = {c: _markets()[c] for c in basket}
    spec = get_strategy("basket-own-perps")(hedge_ratio=0.5, hedge_leverage=2.0, reserve=0.0).basket_spec(m, basket)
    res = simulate_basket(m, spec, venue="hyperliquid", margin_mode="isolated", costs=Costs.zero())
    value = 100_000.0 / (1.0 + 0.5 / 2.0)
    for c, w in basket.items():
        spot = res.coins["spot_qty"][c].iloc[0, 0]
        assert spot * m[c].index_close[0] == pytest.approx(w * value, rel=1e-12)
        assert res.coins["perp_qty"][c].iloc[0, 0] == pytest.approx(-0.5 * spot, rel=1e-12)


def test_basket_hold_via_perps_holds_weight_times_leverage_of_the_equity():
    basket = {"ETH": 0.3, "SOL": 0.7}
    m = {c: _markets()[c] for c in basket}
    spec = get_strategy("basket-hold")(via="perp", leverage=3.0).basket_spec(m, basket)
    res = simulate_basket(m, spec, venue="hyperliquid", margin_mode="cross", costs=Costs.zero())
    for c, w in basket.items():
        assert res.coins["exposure"][c].iloc[0, 0] == pytest.approx(w * 3.0 * 100_000.0, rel=1e-12)


@pytest.mark.parametrize("text, fragment", [
    ("BTC=0.3,ETH=0.4", "weights must sum to 1, they sum to 0.7"),
    ("BTC=-0.5,ETH=1.5", "weight of BTC must be a positive number"),
    ("BTC=0.5,BTC=0.5", "BTC is named twice"),
    ("BTC,ETH=1", "expected COIN=WEIGHT"),
    ("BTC=abc,ETH=1", "weight of BTC 'abc' is not a number"),
    ("", "no coins given"),
])
def test_bad_baskets_are_one_line_errors(text, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_basket(text)


def test_a_good_basket_parses():
    assert parse_basket("btc=0.3, ETH=0.4,SOL=0.3") == {"BTC": 0.3, "ETH": 0.4, "SOL": 0.3}


def test_basket_btc_puts_buys_a_put_for_the_beta_weighted_basket():
    from hedgelab.data import align_coins, load
    basket = {"ETH": 0.5, "SOL": 0.5}
    m = align_coins(load("crisis-2025"), ["ETH", "SOL", "BTC"], "2025-10-01", "2025-10-20")
    strategy = get_strategy("basket-btc-puts")(hedge_ratio=1.0, reserve=0.1)
    spec = strategy.basket_spec(m, basket)
    res = simulate_basket(m, spec, venue="binance", margin_mode="cross", costs=Costs.zero())
    first = res.events[res.events["kind"] == "option_fill"].iloc[0]
    beta = spec.features[0]   # the betas at the first close: below 24 bars of returns, 1 (documented)
    value = sum(res.coins["spot_qty"][c].iloc[0, 0] * m[c].index_close[0] for c in basket)
    assert value == pytest.approx(0.9 * 100_000.0, rel=1e-12)
    expected = (0.5 * (beta[0] if beta[0] == beta[0] else 1.0) + 0.5 * (beta[1] if beta[1] == beta[1] else 1.0)) \
        * value / m["BTC"].index_close[0]
    assert str(first["symbol"]) == "BTC" and first["option_type"] == "put"
    assert first["qty"] == pytest.approx(expected, rel=1e-12)
