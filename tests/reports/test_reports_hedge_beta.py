"""The report's hedge-beta section against betas built into synthetic markets."""
import numpy as np
import pandas as pd
import pytest

from hedgelab.engine import Costs
from hedgelab.engine.basket import simulate_basket
from hedgelab.reports.basket import hedge_betas, ols_beta
from hedgelab.reports.record import basket_record
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import synthetic_market


def _markets(n=600, seed=5):
    """ETH's hourly log returns are exactly 1.5 x BTC's; SOL's 0.5 x BTC's plus its own noise."""
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, 0.004, n)
    r[0] = 0.0
    own = rng.normal(0.0, 0.004, n)
    own[0] = 0.0
    btc = 100_000.0 * np.exp(np.cumsum(r))
    return {"ETH": synthetic_market(4_000.0 * np.exp(np.cumsum(1.5 * r)), funding_every=0),
            "SOL": synthetic_market(200.0 * np.exp(np.cumsum(0.5 * r + own)), funding_every=0),
            "BTC": synthetic_market(btc, funding_every=0)}


def test_the_betas_used_and_realized_are_the_ones_in_the_data():
    m = _markets()
    basket = {"ETH": 0.5, "SOL": 0.5}
    strategy = get_strategy("basket-btc-short")(beta_window=168)
    spec = strategy.basket_spec(m, basket)
    res = simulate_basket(m, spec, venue="hyperliquid", margin_mode="cross", costs=Costs.zero())
    run = basket_record(res, 0, "r", "basket-btc-short", {}, 100_000.0)
    run.features = pd.DataFrame(spec.features, index=res.time, columns=list(strategy.feature_names(tuple(m))))
    prices = {c: pd.DataFrame({"mark": x.mark_close, "index": x.index_close}, index=res.time) for c, x in m.items()}
    table = hedge_betas([run], prices)["r"]
    assert table.loc["ETH", "beta_realized"] == pytest.approx(1.5, rel=1e-9)
    # SOL: the regression of its returns on BTC's, computed here independently with numpy
    x = np.diff(np.log(m["BTC"].index_close))
    y = np.diff(np.log(m["SOL"].index_close))
    assert table.loc["SOL", "beta_realized"] == pytest.approx(np.cov(y, x)[0, 1] / np.var(x, ddof=1), rel=1e-9)
    # ETH's rolling beta is 1.5 on every bar it is known; the mean over the held bars is too
    assert table.loc["ETH", "beta_used_mean"] == pytest.approx(1.5, rel=1e-9)
    assert "BTC" not in table.index                       # the reference itself is not a row
    assert "oct10_move" not in table.columns               # no bar lows given: no crash move to measure


def test_ols_beta_needs_enough_bars():
    s = pd.Series(np.arange(10.0))
    assert np.isnan(ols_beta(s, s))
